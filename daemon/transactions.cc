#include "daemon/transactions.h"

#include <algorithm>

#include "daemon/connection.h"
#include "daemon/dispatcher.h"

namespace pylon::daemon {
namespace {

MultiState::WatchedKey* FindWatched(Connection& conn, std::string_view key) {
  for (MultiState::WatchedKey& w : conn.multi.watched) {
    if (w.key == key) return &w;
  }
  return nullptr;
}

}  // namespace

bool Transactions::Queues(const Connection& conn, const CommandSpec& cmd) {
  return conn.multi.active && !((cmd.parent ? cmd.parent : &cmd)->flags & kCmdTransactionControl);
}

void Transactions::Queue(Connection& conn, const CommandSpec& cmd, Args args) {
  MultiState::Queued queued{&cmd, {}};
  queued.args.reserve(args.size());
  for (std::string_view a : args) {
    queued.args.emplace_back(a);
    conn.multi.memory += a.size();
  }
  conn.multi.queued.push_back(std::move(queued));
  conn.reply().Simple("QUEUED");
}

void Transactions::Abort(Connection& conn) {
  if (conn.multi.active) conn.multi.aborted = true;
}

void Transactions::Begin(Connection& conn) { conn.multi.active = true; }

void Transactions::Exec(CommandContext& ctx) {
  Connection& conn = ctx.conn;
  if (conn.multi.aborted) {
    End(conn);
    ctx.reply.Error("EXECABORT Transaction discarded because of previous errors.");
    return;
  }
  if (Dirty(conn)) {
    End(conn);
    ctx.reply.NullArray();
    return;
  }
  // Take the queue first: a queued command may itself end the transaction (RESET).
  std::vector<MultiState::Queued> queued = std::move(conn.multi.queued);
  End(conn);
  ctx.reply.ArrayHeader(static_cast<int64_t>(queued.size()));
  std::vector<std::string_view> argv;
  conn.multi.executing = true;
  for (const MultiState::Queued& q : queued) {
    argv.assign(q.args.begin(), q.args.end());
    dispatcher_.Call(conn, *q.cmd, argv);
  }
  conn.multi.executing = false;
}

void Transactions::End(Connection& conn) {
  UnwatchAll(conn);
  const bool executing = conn.multi.executing;
  conn.multi = MultiState{};
  conn.multi.executing = executing;  // a RESET inside EXEC ends the state, not the run
}

void Transactions::Watch(Connection& conn, std::string_view key) {
  if (FindWatched(conn, key)) return;
  const Entry* e = keyspace_.Find(key, Lookup::kPeek);
  conn.multi.watched.push_back({std::string(key), e && e->ExpiredAt(keyspace_.now_ms())});
  auto it = watchers_.find(key);
  if (it == watchers_.end()) {
    it = watchers_.emplace(std::string(key), std::vector<Connection*>{}).first;
  }
  it->second.push_back(&conn);
}

void Transactions::UnwatchAll(Connection& conn) {
  for (const MultiState::WatchedKey& w : conn.multi.watched) {
    auto it = watchers_.find(w.key);
    if (it == watchers_.end()) continue;
    auto& list = it->second;
    list.erase(std::remove(list.begin(), list.end(), &conn), list.end());
    if (list.empty()) watchers_.erase(it);
  }
  conn.multi.watched.clear();
  conn.multi.watched_key_touched = false;
}

bool Transactions::Dirty(const Connection& conn) const {
  if (conn.multi.watched_key_touched) return true;
  for (const MultiState::WatchedKey& w : conn.multi.watched) {
    if (w.expired_when_watched) continue;
    const Entry* e = keyspace_.Find(w.key, Lookup::kPeek);
    if (e && e->ExpiredAt(keyspace_.now_ms())) return true;
  }
  return false;
}

void Transactions::KeyModified(std::string_view key) {
  if (watchers_.empty()) return;
  auto it = watchers_.find(key);
  if (it == watchers_.end()) return;
  for (Connection* c : it->second) {
    MultiState::WatchedKey* w = FindWatched(*c, key);
    if (w && w->expired_when_watched) {
      // Deleting a key that was already expired when watched changes nothing a client could
      // have seen; any other change does.
      if (!keyspace_.Find(key, Lookup::kPeek)) {
        w->expired_when_watched = false;
        continue;
      }
    }
    c->multi.watched_key_touched = true;
  }
}

void Transactions::BeforeFlush() {
  for (auto& [key, conns] : watchers_) {
    if (!keyspace_.Find(key, Lookup::kPeek)) continue;  // flushing leaves it as it was: absent
    for (Connection* c : conns) {
      MultiState::WatchedKey* w = FindWatched(*c, key);
      if (w && w->expired_when_watched) {
        w->expired_when_watched = false;
        continue;
      }
      c->multi.watched_key_touched = true;
    }
  }
}

}  // namespace pylon::daemon
