// Clients blocked on keys, as Redis's blocking commands (BLPOP): a handler that finds nothing
// to serve blocks its client on its keys; the client then runs nothing else (its later input
// waits in its buffer) until one of the keys changes, when its command runs again, first blocked
// first served on that key, or until its timeout, when it gets a null reply.
//
// Any write to the key wakes its blocked clients (the keyspace tells us), so a push, a rename
// onto the key or a lease that ends all serve them without each family signalling by hand. A
// woken command that still finds nothing blocks again and keeps its place in line.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/command_table.h"

namespace pylon::daemon {

class Server;
class Connection;

// What a blocked client waits on, kept on its Connection.
struct BlockedState {
  std::vector<std::string> keys;  // each once, in the command's order
  int64_t deadline_ms = 0;        // 0: forever
  const CommandSpec* cmd = nullptr;
  std::vector<std::string> args;  // copies: the input buffer moves on
  bool blocked_again = false;     // set when a woken command blocks once more
};

class BlockedClients {
 public:
  explicit BlockedClients(Server& server) : server_(server) {}

  // Whether the command may block: not inside EXEC (Redis answers at once there).
  static bool CanBlock(const CommandContext& ctx);
  // From a handler that has nothing to serve: blocks ctx.conn on keys until deadline_ms (0:
  // forever); the handler writes no reply. A change to any of the keys runs the whole command
  // again (BLPOP a b serves from the first key that has an element, as the first call would).
  // For a client already blocked (its command was woken and still finds nothing) it only keeps
  // the client in its place on every key.
  void Block(CommandContext& ctx, std::span<const std::string_view> keys, int64_t deadline_ms);
  void Block(CommandContext& ctx, std::string_view key, int64_t deadline_ms) {
    Block(ctx, std::span<const std::string_view>(&key, 1), deadline_ms);
  }

  // The key changed: its blocked clients run again after the current command. Cheap when
  // nobody is blocked.
  void KeyChanged(std::string_view key);
  // Runs the commands of the clients woken by a key change, first blocked first served, as
  // Redis's handleClientsBlockedOnKeys. Called after each command and after timed work; does
  // nothing when nothing was woken.
  void ServeReady();
  bool has_ready_keys() const { return !ready_keys_.empty(); }
  // Processes the pending input of the clients whose wait ended (served, timed out, unblocked,
  // redirected). Called from the loop before it sleeps (Server::OnPrepare), as Redis's
  // processUnblockedClients: never nested inside the command or client that released them.
  void ResumeReleased();

  // Answers the clients whose deadline has passed with a null reply.
  void ExpireTimeouts(int64_t now_ms);
  std::optional<int64_t> NextDeadline() const;

  // CLIENT UNBLOCK: ends the client's wait with a null reply, or with an -UNBLOCKED error;
  // false when it is not blocked.
  bool Unblock(Connection* conn, bool with_error);
  // Cluster mode, after slots changed hands: the clients blocked on a key of a slot another node
  // now serves are answered -MOVED to it (as Redis does), and their pending input runs.
  void RedirectMoved();
  // A client that goes away while blocked leaves every line.
  void Remove(Connection* conn);

  size_t size() const { return deadlines_.size(); }

 private:
  // Takes the client out of every index; with `resume`, sends its reply and has its pending
  // input run from the loop (ResumeReleased).
  void Release(Connection* conn, bool resume);
  void ServeKey(const std::string& key);

  Server& server_;
  NameMap<std::deque<Connection*>> by_key_;              // in blocking order
  std::set<std::pair<int64_t, Connection*>> deadlines_;  // every blocked client; 0 sorts last
  std::vector<std::string> ready_keys_;
  std::vector<uint64_t> released_;  // ids of clients whose input resumes after serving
  bool serving_ = false;
};

}  // namespace pylon::daemon
