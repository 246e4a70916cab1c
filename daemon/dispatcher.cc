#include "daemon/dispatcher.h"

#include <chrono>
#include <string>

#include "daemon/connection.h"
#include "daemon/server.h"

namespace pylon::daemon {
namespace {

std::string UnknownCommandError(Args args) {
  std::string err = "ERR unknown command '";
  err.append(args[0].substr(0, 128));
  err += "', with args beginning with: ";
  // Redis quotes arguments until the list passes 128 bytes.
  std::string list;
  for (size_t i = 1; i < args.size() && list.size() < 128; i++) {
    size_t room = 128 - list.size();
    list += '\'';
    list.append(args[i].substr(0, room));
    list += "' ";
  }
  return err + list;
}

std::string ToUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

void CountErrorReply(Server& server, std::string_view error_text) {
  Stats& stats = server.stats();
  stats.error_replies++;
  std::string_view code = error_text.substr(0, error_text.find(' '));
  auto it = stats.errors_by_code.find(code);
  if (it != stats.errors_by_code.end()) {
    it->second++;
  } else if (stats.errors_by_code.size() < 128) {  // Redis's cap on distinct error codes
    stats.errors_by_code.emplace(std::string(code), 1);
  }
}

void Dispatcher::Reject(Connection& conn, const CommandSpec* cmd, std::string_view error) {
  if (cmd && (cmd->flags & kCmdExec)) {
    // A refused EXEC still ends the transaction, and says why (Redis's execCommandAbort).
    if (error.starts_with("ERR ")) error.remove_prefix(4);
    std::string text = "EXECABORT Transaction discarded because of: ";
    text += error;
    server_.transactions().End(conn);
    conn.reply().Error(text);
    CountErrorReply(server_, text);
    cmd->rejected_calls++;
    return;
  }
  conn.reply().Error(error);
  CountErrorReply(server_, error);
  if (cmd) cmd->rejected_calls++;
  Transactions::Abort(conn);
}

void Dispatcher::Execute(Connection& conn, Args args) {
  const CommandSpec* cmd = server_.commands().Find(args[0]);
  if (cmd && cmd->has_subcommands() && args.size() >= 2) {
    const CommandSpec* sub = CommandTable::FindSubcommand(*cmd, args[1]);
    if (!sub) {
      std::string err = "ERR unknown subcommand '";
      err.append(args[1].substr(0, 128));
      err += "'. Try " + ToUpper(cmd->name) + " HELP.";
      Reject(conn, nullptr, err);
      return;
    }
    cmd = sub;
  }
  if (!cmd) {
    Reject(conn, nullptr, UnknownCommandError(args));
    return;
  }
  // As Redis, the last command is the one looked up, even if it is then queued or refused.
  conn.last_cmd = cmd;
  if (!cmd->ArityOk(args.size())) {
    Reject(conn, cmd, cmd->WrongArity());
    return;
  }
  if (!conn.authenticated && server_.auth_required() && !(cmd->flags & kCmdNoAuth)) {
    Reject(conn, cmd, "NOAUTH Authentication required.");
    return;
  }
  if (conn.pubsub_mode && conn.resp() == 2 && !(cmd->flags & kCmdWhileSubscribed)) {
    Reject(conn, cmd,
           "ERR Can't execute '" + cmd->fullname +
               "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in "
               "this context");
    return;
  }
  if (server_.cluster().enabled() && !Route(conn, *cmd, args)) return;
  if (server_.persistence().loading() && !(cmd->flags & kCmdLoading)) {
    Reject(conn, cmd, "LOADING Redis is loading the dataset in memory");
    return;
  }
  // A script past busy-reply-threshold: only what may run meanwhile (SCRIPT KILL, ...); inside
  // MULTI the refusal dooms the transaction, as any refusal does.
  if (server_.scripts().busy() && !(cmd->flags & kCmdAllowBusy)) {
    Reject(conn, cmd, server_.scripts().BusyError());
    return;
  }
  // As Redis: while the log cannot be written (a full or failing disk), writes are refused; the
  // ones already acknowledged are written again every turn until the disk takes them.
  if ((cmd->flags & kCmdWrite) && server_.persistence().enabled() &&
      !server_.persistence().file().last_write_ok()) {
    Reject(conn, cmd,
           "MISCONF Errors writing to the AOF file: " + server_.persistence().file().last_error());
    return;
  }
  // As Redis's processCommand: evict down to maxmemory first; a command that may grow memory is
  // refused when that is not possible.
  if (server_.config().maxmemory > 0 && !server_.EnforceMaxmemory() && (cmd->flags & kCmdDenyOom)) {
    Reject(conn, cmd, "OOM command not allowed when used memory > 'maxmemory'.");
    return;
  }
  if (Transactions::Queues(conn, *cmd)) {
    if (cmd->flags & kCmdNoMulti) {
      Reject(conn, cmd, "ERR Command not allowed inside a transaction");
      return;
    }
    server_.transactions().Queue(conn, *cmd, args);
    return;
  }
  Call(conn, *cmd, args);
}

bool Dispatcher::Route(Connection& conn, const CommandSpec& cmd, Args args) {
  const Cluster& cluster = server_.cluster();
  // ASKING holds for the next command, or for a whole transaction, as in Redis.
  const bool asking = conn.asking;
  if (asking && cmd.name != "asking" && cmd.name != "multi" &&
      (!conn.multi.active || (cmd.flags & kCmdExec) || cmd.name == "discard")) {
    conn.asking = false;
  }
  Cluster::Route route = cluster.Check(cmd, args, asking, server_.keyspace());
  // EXEC checks its queue as one request, as Redis does: every key in one slot (each command
  // was checked alone when queued), and that slot served here now.
  if (route.verdict == Cluster::Verdict::kServe && (cmd.flags & kCmdExec) && conn.multi.active) {
    std::vector<std::string_view> argv;
    int slot = -1;
    for (const MultiState::Queued& q : conn.multi.queued) {
      argv.assign(q.args.begin(), q.args.end());
      route = cluster.Check(*q.cmd, argv, asking, server_.keyspace());
      if (route.verdict == Cluster::Verdict::kServe && route.slot >= 0) {
        if (slot >= 0 && route.slot != slot) route.verdict = Cluster::Verdict::kCrossSlot;
        slot = route.slot;
      }
      if (route.verdict != Cluster::Verdict::kServe) break;
    }
  }
  ClusterStats& stats = server_.stats().cluster;
  switch (route.verdict) {
    case Cluster::Verdict::kServe:
      return true;
    case Cluster::Verdict::kMoved:
    case Cluster::Verdict::kAsk:
      if (server_.config().cluster_forward && ClusterPeers::CanForward(conn, cmd)) {
        server_.peers().Forward(conn, args, *route.node, route.slot,
                                route.verdict == Cluster::Verdict::kAsk);
        return false;
      }
      (route.verdict == Cluster::Verdict::kMoved ? stats.moved : stats.ask)++;
      break;
    case Cluster::Verdict::kTryAgain:
      stats.tryagain++;
      break;
    case Cluster::Verdict::kCrossSlot:
      break;
  }
  const std::string error = Cluster::RefusalText(route);
  if (cmd.flags & kCmdExec) {
    // As Redis: a redirected EXEC discards the transaction and says where to go, unwrapped.
    server_.transactions().End(conn);
    conn.reply().Error(error);
    CountErrorReply(server_, error);
    cmd.rejected_calls++;
    return false;
  }
  Reject(conn, &cmd, error);
  return false;
}

void Dispatcher::Call(Connection& conn, const CommandSpec& cmd, Args args) {
  protocol::ReplyWriter& reply = conn.reply();
  const uint64_t errors_before = reply.errors();
  const uint64_t counted_before = reply.errors_counted_before();
  auto start = std::chrono::steady_clock::now();
  CommandContext ctx{server_.services(), conn, reply, cmd, args};
  const auto events = static_cast<uint32_t>(server_.config().notify_keyspace_events);
  FamilyEvents& family_events = server_.family_events();
  const bool recording = family_events.Begin(events, cmd.pylon_family && (cmd.flags & kCmdWrite));
  if (cmd.max_args > 0 && args.size() > static_cast<size_t>(cmd.max_args)) {
    reply.Error(cmd.WrongArity());
  } else {
    cmd.handler(ctx);
  }
  if (recording) family_events.End(events, server_.pubsub(), cmd.fullname);
  auto elapsed = std::chrono::steady_clock::now() - start;
  cmd.calls++;
  cmd.usec +=
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count());
  server_.stats().commands_processed++;
  if (reply.errors() != errors_before) {
    cmd.failed_calls++;
    if (reply.errors() - errors_before > reply.errors_counted_before() - counted_before) {
      CountErrorReply(server_, reply.last_error_code());
    }
  }
}

}  // namespace pylon::daemon
