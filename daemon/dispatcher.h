// The request path after parsing: look the command up, check arity, auth and transaction state
// with Redis's rules and error texts, then call the handler and count it.
#pragma once

#include <string_view>

#include "daemon/command_table.h"

namespace pylon::daemon {

class Server;
class Connection;

class Dispatcher {
 public:
  explicit Dispatcher(Server& server) : server_(server) {}

  // One command from a client, as Redis's processCommand: lookup, arity, auth, then either queue
  // it (inside MULTI) or run it.
  void Execute(Connection& conn, Args args);
  // Runs a resolved command and accounts for it (commandstats, errorstats). EXEC uses it too.
  void Call(Connection& conn, const CommandSpec& cmd, Args args);

 private:
  // Refuses a command before it runs: counts it as rejected and, inside MULTI, dooms the
  // transaction (EXEC will answer EXECABORT), as Redis's rejectCommand does.
  void Reject(Connection& conn, const CommandSpec* cmd, std::string_view error);
  // Cluster mode: whether the command runs here (daemon/cluster.h); if not, it was refused
  // (-MOVED, -ASK, -CROSSSLOT, -TRYAGAIN) or forwarded to the owner (cluster-forward).
  bool Route(Connection& conn, const CommandSpec& cmd, Args args);

  Server& server_;
};

// Counts an error reply in INFO errorstats by its code (the first word: ERR, WRONGTYPE, ...).
void CountErrorReply(Server& server, std::string_view error_text);

}  // namespace pylon::daemon
