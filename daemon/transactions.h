// MULTI ... EXEC and WATCH: one state per client (MultiState, on its Connection) and one class
// that changes it (Transactions), so queueing, aborting, watching and running the queue follow
// one set of rules. The dispatcher asks Transactions to queue a command (as Redis's
// processCommand does); MULTI, EXEC, DISCARD, WATCH and UNWATCH call it.
//
// WATCH follows Redis 7.0, expiry included: a watched key that expires before EXEC fails it,
// while a key that was already expired when watched and is then deleted does not.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/command_table.h"
#include "daemon/keyspace.h"

namespace pylon::daemon {

class Connection;
class Dispatcher;

// One client's transaction: what it queued and what it watches.
struct MultiState {
  // A queued command keeps copies of its arguments: the input buffer they came from is reused
  // before EXEC runs.
  struct Queued {
    const CommandSpec* cmd;
    std::vector<std::string> args;
  };
  struct WatchedKey {
    std::string key;
    bool expired_when_watched;  // its later deletion is then no change (as Redis 7.0)
  };

  bool active = false;   // between MULTI and EXEC / DISCARD
  bool aborted = false;  // a queued command was refused: EXEC answers EXECABORT
  std::vector<Queued> queued;
  size_t memory = 0;  // bytes of queued arguments, for CLIENT LIST multi-mem
  std::vector<WatchedKey> watched;
  bool watched_key_touched = false;  // a watched key changed: EXEC fails (CLIENT LIST flag d)
  bool executing = false;            // EXEC is running the queue: nothing may block
};

class Transactions final : public KeyspaceListener {
 public:
  Transactions(Keyspace& keyspace, Dispatcher& dispatcher)
      : keyspace_(keyspace), dispatcher_(dispatcher) {}

  // Inside MULTI, whether `cmd` is queued rather than run: all but the commands that act on
  // the transaction itself (kCmdTransactionControl).
  static bool Queues(const Connection& conn, const CommandSpec& cmd);
  // Queues a command and answers +QUEUED.
  void Queue(Connection& conn, const CommandSpec& cmd, Args args);
  // A command was refused while queueing: EXEC will answer EXECABORT.
  static void Abort(Connection& conn);

  void Begin(Connection& conn);
  // EXEC: runs the queue (each command through the dispatcher, so it is counted as when sent
  // alone) unless it was aborted or a watched key changed; the transaction ends either way.
  void Exec(CommandContext& ctx);
  // Ends the client's transaction: forgets the queue and every watched key (EXEC, DISCARD,
  // RESET, a refused EXEC, a client that goes away).
  void End(Connection& conn);

  void Watch(Connection& conn, std::string_view key);
  void UnwatchAll(Connection& conn);
  // True when a key the client watches was modified, or has expired, since WATCH.
  bool Dirty(const Connection& conn) const;

  void KeyModified(std::string_view key) override;
  void BeforeFlush() override;

 private:
  Keyspace& keyspace_;
  Dispatcher& dispatcher_;
  NameMap<std::vector<Connection*>> watchers_;
};

}  // namespace pylon::daemon
