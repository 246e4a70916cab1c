// The keyspace: one table of typed values, as in Redis. This is its first, minimal form (enough
// for DBSIZE, FLUSHALL and WATCH); typed values, expiry, incremental resizing and memory
// accounting arrive with the keyspace work (issue 3).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "daemon/command_table.h"

namespace pylon::daemon {

// What every value type implements.
class Value {
 public:
  virtual ~Value() = default;
  virtual std::string_view TypeName() const = 0;
};

class Keyspace {
 public:
  size_t size() const { return table_.size(); }
  bool Contains(std::string_view key) const { return table_.contains(key); }
  // Removes every key; returns how many there were.
  size_t Clear();

 private:
  NameMap<std::unique_ptr<Value>> table_;
};

}  // namespace pylon::daemon
