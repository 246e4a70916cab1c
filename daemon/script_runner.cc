#include "daemon/script_runner.h"

#include <spdlog/spdlog.h>

#include <vector>

#include "daemon/connection.h"
#include "daemon/server.h"
#include "modules/scripting/function_payload.h"

namespace pylon::daemon {
namespace {

constexpr std::string_view kBusyEval =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
constexpr std::string_view kBusyFunction =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";

const CommandSpec* FindCommand(const CommandTable& table, Args args) {
  const CommandSpec* cmd = table.Find(args[0]);
  if (cmd && cmd->has_subcommands() && args.size() >= 2) {
    cmd = CommandTable::FindSubcommand(*cmd, args[1]);
  }
  return cmd;
}

int64_t ElapsedMs(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               since)
      .count();
}

}  // namespace

ScriptRunner::ScriptRunner(Server& server)
    : server_(server),
      client_(std::make_unique<Connection>(&server, 0, Connection::Transport::kScript)) {
  client_->authenticated = true;
  server.persistence().set_functions(
      {.dump = [this] { return scripting::DumpFunctions(functions_); },
       .restore =
           [this](std::string_view payload, std::string* error) {
             return scripting::RestoreFunctions(payload, scripting::RestorePolicy::kFlush,
                                                functions_, error);
           },
       .empty = [this] { return functions_.libraries().empty(); }});
}

ScriptRunner::~ScriptRunner() = default;

void ScriptRunner::FunctionsChanged() { server_.persistence().FunctionsChanged(); }

void ScriptRunner::Run(CommandContext& ctx, const Request& request) {
  using namespace scripting;
  protocol::ReplyWriter& reply = ctx.reply;
  const uint32_t flags = request.flags;
  const bool compat = flags & kScriptEvalCompat;
  const Config& config = server_.config();
  const bool oom = config.maxmemory > 0 && server_.UsedMemory() > config.maxmemory;
  if (!compat) {
    // Redis's checks for a script that declared its flags (scriptPrepareForRun).
    if ((flags & kScriptNoCluster) && server_.cluster().enabled()) {
      reply.Error("ERR Can not run script on cluster, 'no-cluster' flag is set.");
      return;
    }
    if (!(flags & kScriptNoWrites)) {
      const KeyspaceLog& log = server_.persistence();
      if (log.enabled() && !log.file().last_write_ok()) {
        reply.Error(
            "MISCONF Redis is configured to persist data to AOF, but it's currently unable to "
            "persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only "
            "scripts. AOF error: " +
            log.file().last_error());
        return;
      }
      if (request.read_only) {
        reply.Error("ERR Can not execute a script with write flag using *_ro command.");
        return;
      }
    }
    if (oom && !(flags & (kScriptAllowOom | kScriptNoWrites))) {
      reply.Error(
          "OOM allow-oom flag is not set on the script, can not run it when used memory > "
          "'maxmemory'");
      return;
    }
  }
  ActiveRun run{.caller = &ctx.conn,
                .request = &request,
                .command = ctx.args,
                .start = std::chrono::steady_clock::now(),
                .oom_at_start = oom};
  run.read_only = request.read_only || (!compat && (flags & kScriptNoWrites));
  run.allow_oom = !compat && (flags & kScriptAllowOom);
  run.allow_cross_slot = compat || (flags & kScriptAllowCrossSlot);
  if (server_.cluster().enabled()) {
    // The declared keys' slot (the dispatcher has checked they share one and it is served here).
    run.slot = server_.cluster().Check(ctx.cmd, ctx.args, false, server_.keyspace()).slot;
  }
  (request.eval ? stats_.evals : stats_.fcalls)++;
  run_ = &run;
  request.engine.Run(request.ref, request.keys, request.args, {*this, request.name, reply});
  run_ = nullptr;
  if (run.busy) {
    spdlog::warn("Slow script finished after {} milliseconds. Script name is: {}.",
                 ElapsedMs(run.start), request.name);
  }
}

std::string ScriptRunner::CheckScriptCall(const CommandSpec& cmd, Args args) {
  ActiveRun& run = *run_;
  if (cmd.flags & kCmdNoscript) return "ERR This Redis command is not allowed from script";
  const bool write = cmd.flags & kCmdWrite;
  if (run.read_only && write) return "ERR Write commands are not allowed from read-only scripts.";
  if (write && !run.written) {
    // Once a script has written it must not fail halfway on the server's state.
    const KeyspaceLog& log = server_.persistence();
    if (log.enabled() && !log.file().last_write_ok()) {
      return "MISCONF Errors writing to the AOF file: " + log.file().last_error();
    }
  }
  if (!run.allow_oom && !run.written && run.oom_at_start && server_.config().maxmemory > 0 &&
      (cmd.flags & kCmdDenyOom)) {
    return "OOM command not allowed when used memory > 'maxmemory'.";
  }
  if (write) run.written = true;
  const Cluster& cluster = server_.cluster();
  if (cluster.enabled()) {
    const Cluster::Route route = cluster.Check(cmd, args, false, server_.keyspace());
    if (route.verdict != Cluster::Verdict::kServe) {
      return "ERR Script attempted to access a non local key in a cluster node";
    }
    if (route.slot >= 0 && !run.allow_cross_slot) {
      if (run.slot < 0) {
        run.slot = route.slot;
      } else if (run.slot != route.slot) {
        return "ERR Script attempted to access keys that do not hash to the same slot";
      }
    }
  }
  return {};
}

std::string_view ScriptRunner::Call(std::span<const std::string_view> args, int resp) {
  Connection& client = *client_;
  protocol::ReplyBuffer& out = client.output();
  out.Clear();
  stats_.calls++;
  client.set_resp(resp);
  const CommandSpec* cmd = FindCommand(server_.commands(), args);
  std::string refusal;
  if (!cmd) {
    refusal = "ERR Unknown Redis command called from script";
  } else if (!cmd->ArityOk(args.size())) {
    refusal = "ERR Wrong number of args calling Redis command from script";
  } else {
    refusal = CheckScriptCall(*cmd, args);
  }
  if (!refusal.empty()) {
    client.reply().Error(refusal);
    CountErrorReply(server_, refusal);
    if (cmd) cmd->rejected_calls++;
  } else {
    client.last_cmd = cmd;
    server_.dispatcher().Call(client, *cmd, args);
  }
  // The reply as one piece: usually it is one chunk already.
  std::string_view views[16];
  size_t n = out.Peek(views, 16);
  if (n <= 1) return n ? views[0] : std::string_view();
  reply_scratch_.clear();
  while (!out.empty()) {
    n = out.Peek(views, 16);
    size_t taken = 0;
    for (size_t i = 0; i < n; i++) {
      reply_scratch_.append(views[i]);
      taken += views[i].size();
    }
    out.Consume(taken);
  }
  return reply_scratch_;
}

void ScriptRunner::Log(int level, std::string_view message) {
  static constexpr spdlog::level::level_enum kLevels[] = {spdlog::level::debug, spdlog::level::info,
                                                          spdlog::level::info, spdlog::level::warn};
  spdlog::log(kLevels[level < 0 ? 0 : level > 3 ? 3 : level], "{}", message);
}

bool ScriptRunner::Interrupted() {
  if (!run_) return false;
  if (run_->kill) return true;
  if (!run_->busy) {
    const int64_t threshold = server_.config().busy_reply_threshold;
    const int64_t elapsed = ElapsedMs(run_->start);
    if (threshold <= 0 || elapsed < threshold) return false;
    run_->busy = true;
    stats_.timedout++;
    spdlog::warn(
        "Slow script detected: still in execution after {} milliseconds. You can try killing the "
        "script using the {} command. Script name is: {}.",
        elapsed, run_->request->eval ? "SCRIPT KILL" : "FUNCTION KILL", run_->request->name);
  }
  ServeClientsWhileBusy();
  return run_->kill;
}

void ScriptRunner::ServeClientsWhileBusy() {
  server_.AcceptWhileBusy();
  // A copy: a client may go away (QUIT, an error) while served.
  const std::vector<Connection*> clients = server_.clients();
  for (Connection* c : clients) {
    if (c == run_->caller || c->closing()) continue;
    c->ReadWhileBusy();
  }
}

bool ScriptRunner::KnowsCommand(std::span<const std::string_view> args) {
  return FindCommand(server_.commands(), args) != nullptr;
}

std::string_view ScriptRunner::BusyError() const {
  return run_ && !run_->request->eval ? kBusyFunction : kBusyEval;
}

void ScriptRunner::Kill(protocol::ReplyWriter& reply, bool eval) {
  if (!run_) {
    reply.Error("NOTBUSY No scripts in execution right now.");
    return;
  }
  if (run_->written) {
    reply.Error(
        "UNKILLABLE Sorry the script already executed write commands against the dataset. You "
        "can either wait the script termination or kill the server in a hard way using the "
        "SHUTDOWN NOSAVE command.");
    return;
  }
  if (eval != run_->request->eval) {
    // SCRIPT KILL does not stop a function, nor FUNCTION KILL an EVAL script.
    reply.Error(eval ? kBusyFunction : kBusyEval);
    return;
  }
  run_->kill = true;
  stats_.killed++;
  reply.Ok();
}

void ScriptRunner::WriteRunningScript(protocol::ReplyWriter& reply) const {
  if (!run_) {
    reply.Null();
    return;
  }
  reply.MapHeader(3);
  reply.Bulk("name");
  reply.Bulk(run_->request->name);
  reply.Bulk("command");
  reply.ArrayHeader(static_cast<int64_t>(run_->command.size()));
  for (std::string_view a : run_->command) reply.Bulk(a);
  reply.Bulk("duration_ms");
  reply.Integer(ElapsedMs(run_->start));
}

}  // namespace pylon::daemon
