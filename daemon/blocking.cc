#include "daemon/blocking.h"

#include <algorithm>
#include <climits>

#include "daemon/connection.h"
#include "daemon/server.h"

namespace pylon::daemon {
namespace {

// The deadline index sorts waits without a timeout last.
int64_t SortKey(int64_t deadline_ms) { return deadline_ms == 0 ? INT64_MAX : deadline_ms; }

}  // namespace

bool BlockedClients::CanBlock(const CommandContext& ctx) {
  // Inside EXEC, and a script's commands, answer at once as if timed out (Redis's
  // CLIENT_DENY_BLOCKING).
  return !ctx.conn.multi.executing && !ctx.conn.is_script_client();
}

void BlockedClients::Block(CommandContext& ctx, std::span<const std::string_view> keys,
                           int64_t deadline_ms) {
  Connection& conn = ctx.conn;
  if (conn.blocked) {
    conn.blocked->blocked_again = true;
    return;
  }
  auto state = std::make_unique<BlockedState>();
  for (std::string_view key : keys) {
    // BLPOP k k waits once on k.
    if (std::find(state->keys.begin(), state->keys.end(), key) != state->keys.end()) continue;
    state->keys.emplace_back(key);
    by_key_[state->keys.back()].push_back(&conn);
  }
  state->deadline_ms = deadline_ms;
  state->cmd = &ctx.cmd;
  state->args.assign(ctx.args.begin(), ctx.args.end());
  deadlines_.emplace(SortKey(deadline_ms), &conn);
  conn.blocked = std::move(state);
}

void BlockedClients::KeyChanged(std::string_view key) {
  if (by_key_.empty()) return;
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return;
  if (std::find(ready_keys_.begin(), ready_keys_.end(), key) == ready_keys_.end()) {
    ready_keys_.emplace_back(key);
  }
}

void BlockedClients::ServeReady() {
  // A served command may change other keys and wake their clients: the loop picks those up.
  if (serving_ || ready_keys_.empty()) return;
  serving_ = true;
  while (!ready_keys_.empty()) {
    std::vector<std::string> keys;
    keys.swap(ready_keys_);
    for (const std::string& key : keys) ServeKey(key);
  }
  serving_ = false;
}

void BlockedClients::ServeKey(const std::string& key) {
  // Re-running a command may block it again (it stays first in line: nothing behind it can be
  // served either) or serve it (it leaves the line and the next one tries).
  std::vector<std::string_view> argv;
  for (;;) {
    auto it = by_key_.find(key);
    if (it == by_key_.end()) return;
    Connection* conn = it->second.front();
    BlockedState& state = *conn->blocked;
    state.blocked_again = false;
    argv.assign(state.args.begin(), state.args.end());
    server_.dispatcher().Call(*conn, *state.cmd, argv);
    if (conn->blocked && conn->blocked->blocked_again) return;
    Release(conn, true);
  }
}

void BlockedClients::Release(Connection* conn, bool resume) {
  std::unique_ptr<BlockedState> state = std::move(conn->blocked);
  for (const std::string& key : state->keys) {
    auto it = by_key_.find(key);
    std::deque<Connection*>& line = it->second;
    line.erase(std::find(line.begin(), line.end(), conn));
    if (line.empty()) by_key_.erase(it);
  }
  deadlines_.erase({SortKey(state->deadline_ms), conn});
  if (!resume) return;
  server_.ScheduleFlush(conn);
  released_.push_back(conn->id());
}

void BlockedClients::ResumeReleased() {
  // Their input may block them again, or wake and release others: until none is left.
  while (!released_.empty()) {
    std::vector<uint64_t> ids;
    ids.swap(released_);
    for (uint64_t id : ids) {
      // It may have been closed meanwhile (by another client's CLIENT KILL).
      Connection* conn = server_.FindClient(id);
      if (conn && !conn->blocked) conn->ProcessInput();
    }
  }
}

void BlockedClients::ExpireTimeouts(int64_t now_ms) {
  while (!deadlines_.empty() && deadlines_.begin()->first <= now_ms) {
    Connection* conn = deadlines_.begin()->second;
    conn->reply().NullArray();
    Release(conn, true);
  }
  ServeReady();
}

std::optional<int64_t> BlockedClients::NextDeadline() const {
  if (deadlines_.empty() || deadlines_.begin()->first == INT64_MAX) return std::nullopt;
  return deadlines_.begin()->first;
}

void BlockedClients::RedirectMoved() {
  const Cluster& cluster = server_.cluster();
  // A command's keys share one slot (CROSSSLOT refuses the others): its first key says where.
  std::vector<Connection*> moved;
  for (const auto& [key, line] : by_key_) {
    const int slot = cluster::KeySlot(key);
    if (cluster.Owner(slot).address() == cluster.self_address()) continue;
    for (Connection* conn : line) {
      if (conn->blocked->keys.front() == key) moved.push_back(conn);
    }
  }
  for (Connection* conn : moved) {
    const int slot = cluster::KeySlot(conn->blocked->keys.front());
    const std::string error =
        Cluster::RefusalText({Cluster::Verdict::kMoved, slot, &cluster.Owner(slot)});
    conn->reply().Error(error);
    CountErrorReply(server_, error);
    Release(conn, true);
  }
  ServeReady();
}

bool BlockedClients::Unblock(Connection* conn, bool with_error) {
  if (!conn->blocked) return false;
  if (with_error) {
    conn->reply().Error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
  } else {
    conn->reply().NullArray();
  }
  Release(conn, true);
  return true;
}

void BlockedClients::Remove(Connection* conn) {
  if (!conn->blocked) return;
  Release(conn, false);  // a closing client runs nothing more
}

}  // namespace pylon::daemon
