#include "daemon/watch.h"

#include <algorithm>

#include "daemon/connection.h"

namespace pylon::daemon {
namespace {

WatchedKey* FindWatched(Connection* conn, std::string_view key) {
  for (WatchedKey& w : conn->watched_keys) {
    if (w.key == key) return &w;
  }
  return nullptr;
}

}  // namespace

void Watches::Watch(Connection* conn, std::string_view key) {
  if (FindWatched(conn, key)) return;
  const Entry* e = keyspace_.Find(key, Lookup::kPeek);
  conn->watched_keys.push_back({std::string(key), e && e->ExpiredAt(keyspace_.now_ms())});
  auto it = watchers_.find(key);
  if (it == watchers_.end()) {
    it = watchers_.emplace(std::string(key), std::vector<Connection*>{}).first;
  }
  it->second.push_back(conn);
}

void Watches::UnwatchAll(Connection* conn) {
  for (const WatchedKey& w : conn->watched_keys) {
    auto it = watchers_.find(w.key);
    if (it == watchers_.end()) continue;
    auto& list = it->second;
    list.erase(std::remove(list.begin(), list.end(), conn), list.end());
    if (list.empty()) watchers_.erase(it);
  }
  conn->watched_keys.clear();
  conn->watched_key_touched = false;
}

bool Watches::Dirty(const Connection& conn) const {
  if (conn.watched_key_touched) return true;
  for (const WatchedKey& w : conn.watched_keys) {
    if (w.expired_when_watched) continue;
    const Entry* e = keyspace_.Find(w.key, Lookup::kPeek);
    if (e && e->ExpiredAt(keyspace_.now_ms())) return true;
  }
  return false;
}

void Watches::KeyModified(std::string_view key) {
  if (watchers_.empty()) return;
  auto it = watchers_.find(key);
  if (it == watchers_.end()) return;
  for (Connection* c : it->second) {
    WatchedKey* w = FindWatched(c, key);
    if (w && w->expired_when_watched) {
      // Deleting a key that was already expired when watched changes nothing a client could
      // have seen; any other change does.
      if (!keyspace_.Find(key, Lookup::kPeek)) {
        w->expired_when_watched = false;
        continue;
      }
    }
    c->watched_key_touched = true;
  }
}

void Watches::BeforeFlush() {
  for (auto& [key, conns] : watchers_) {
    if (!keyspace_.Find(key, Lookup::kPeek)) continue;  // flushing leaves it as it was: absent
    for (Connection* c : conns) {
      WatchedKey* w = FindWatched(c, key);
      if (w && w->expired_when_watched) {
        w->expired_when_watched = false;
        continue;
      }
      c->watched_key_touched = true;
    }
  }
}

}  // namespace pylon::daemon
