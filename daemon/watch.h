// WATCH: which clients watch which keys, and marking them when a watched key changes, so that
// their EXEC fails. Follows Redis 7.0, expiry included: a watched key that expires before EXEC
// fails it, while a key that was already expired when watched and is then deleted does not.
#pragma once

#include <string_view>
#include <vector>

#include "daemon/command_table.h"
#include "daemon/keyspace.h"

namespace pylon::daemon {

class Connection;

class Watches final : public KeyspaceListener {
 public:
  explicit Watches(Keyspace& keyspace) : keyspace_(keyspace) {}

  void Watch(Connection* conn, std::string_view key);
  void UnwatchAll(Connection* conn);
  // For EXEC: true when a key the client watches was modified, or has expired, since WATCH.
  bool Dirty(const Connection& conn) const;

  void KeyModified(std::string_view key) override;
  void BeforeFlush() override;

 private:
  Keyspace& keyspace_;
  NameMap<std::vector<Connection*>> watchers_;
};

}  // namespace pylon::daemon
