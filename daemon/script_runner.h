// Runs scripts (EVAL, FCALL) against the server, as Redis does: a script's redis.call goes
// through the dispatcher as a client of its own (the script client, never on a socket), with
// blocking turned off and the checks Redis makes for scripts (commands refused in scripts, writes
// from read-only scripts, memory, cluster slots). A script's writes are ordinary writes, so the
// log records their effects; nothing replays Lua.
//
// A script that runs past busy-reply-threshold makes the server busy: between Lua instructions
// the runner reads what the other clients sent and answers -BUSY to all but SCRIPT KILL,
// FUNCTION KILL, SHUTDOWN NOSAVE and the commands flagged allow-busy. (It reads the sockets
// itself, since libuv's loop cannot be entered again from inside a callback; clients that
// connect meanwhile wait in the listen backlog until the script ends.)
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "daemon/command_table.h"
#include "modules/scripting/function_libraries.h"
#include "modules/scripting/lua_engine.h"
#include "modules/scripting/script_cache.h"

namespace pylon::daemon {

class Server;
class Connection;

// Counters for INFO.
struct ScriptStats {
  uint64_t evals = 0;     // EVAL/EVALSHA runs
  uint64_t fcalls = 0;    // FCALL runs
  uint64_t calls = 0;     // redis.call / redis.pcall from scripts
  uint64_t killed = 0;    // stopped by SCRIPT KILL / FUNCTION KILL
  uint64_t timedout = 0;  // runs that went past busy-reply-threshold
};

class ScriptRunner final : public scripting::ScriptHost {
 public:
  explicit ScriptRunner(Server& server);
  ~ScriptRunner() override;

  scripting::ScriptCache& scripts() { return scripts_; }
  scripting::FunctionLibraries& functions() { return functions_; }
  const ScriptStats& stats() const { return stats_; }
  void ResetStats() { stats_ = ScriptStats{}; }

  // One run: a cached script (EVAL) or a library function (FCALL).
  struct Request {
    scripting::LuaEngine& engine;
    int ref;
    uint32_t flags;         // the script's declared flags (kScriptEvalCompat: none)
    std::string_view name;  // the sha, or the function's name
    bool eval;              // EVAL/EVALSHA (else FCALL)
    bool read_only;         // EVAL_RO, EVALSHA_RO, FCALL_RO
    Args keys, args;
  };
  // Checks the script may run (Redis's scriptPrepareForRun: no-cluster, disk errors, *_RO,
  // memory), runs it and replies to the caller.
  void Run(CommandContext& ctx, const Request& request);

  bool running() const { return run_ != nullptr; }
  bool running_eval() const { return run_ && run_->request->eval; }
  // Past busy-reply-threshold: other clients get -BUSY.
  bool busy() const { return run_ && run_->busy; }
  // The -BUSY text for the running script (EVAL or function).
  std::string_view BusyError() const;
  // SCRIPT KILL (eval true) / FUNCTION KILL: stops the running script unless it has written.
  void Kill(protocol::ReplyWriter& reply, bool eval);
  // FUNCTION STATS's running_script: the function's name, its command and how long it has run.
  void WriteRunningScript(protocol::ReplyWriter& reply) const;
  // The libraries changed (FUNCTION LOAD, DELETE, FLUSH, RESTORE): the log records them at the
  // end of the turn.
  void FunctionsChanged();
  // SHUTDOWN NOSAVE while busy: the script stops at its next instruction check, written or not.
  void Abort() {
    if (run_) run_->kill = true;
  }

  // ScriptHost.
  std::string_view Call(std::span<const std::string_view> args, int resp) override;
  void Log(int level, std::string_view message) override;
  bool Interrupted() override;
  bool KnowsCommand(std::span<const std::string_view> args) override;

 private:
  struct ActiveRun {
    Connection* caller;
    const Request* request;
    Args command;  // the EVAL/FCALL call itself (FUNCTION STATS shows it)
    std::chrono::steady_clock::time_point start;
    bool oom_at_start;       // over maxmemory when the script began (Redis's pre_command_oom_state)
    bool read_only = false;  // *_RO, or a script that declared no-writes
    bool allow_oom = false;  // declared allow-oom
    bool allow_cross_slot = false;  // no shebang, or declared allow-cross-slot-keys
    bool written = false;
    bool busy = false;
    bool kill = false;
    int slot = -1;  // cluster mode: the one slot the script's keys must share
  };

  // The refusal of one redis.call before it runs, as Redis words it; empty when it may run.
  std::string CheckScriptCall(const CommandSpec& cmd, Args args);
  // While busy: serves what the other clients sent (each gets -BUSY or its allowed command).
  void ServeClientsWhileBusy();

  Server& server_;
  scripting::Lrand48 random_;
  scripting::ScriptCache scripts_{random_};
  scripting::FunctionLibraries functions_{random_};
  std::unique_ptr<Connection> client_;  // the script client
  ActiveRun* run_ = nullptr;
  std::string reply_scratch_;  // a reply that spans chunks, made contiguous for the engine
  std::chrono::steady_clock::time_point last_busy_serve_;
  ScriptStats stats_;
};

}  // namespace pylon::daemon
