// A list in the keyspace (TYPE "list"): the core (list.h) behind the Value interface.
// Evictable, as any Redis key under an allkeys policy.
#pragma once

#include <string>
#include <string_view>

#include "daemon/value.h"
#include "modules/list/list.h"

namespace pylon::list {

extern const daemon::ValueType kListType;

class ListValue final : public daemon::Value {
 public:
  ListValue() = default;
  explicit ListValue(List list) : list(std::move(list)) {}

  const daemon::ValueType& type() const override { return kListType; }
  // Redis 7.0 keeps every list as a quicklist (its "listpack" list encoding came in 7.2), so
  // OBJECT ENCODING answers "quicklist" for all of them, whatever their node count.
  std::string_view Encoding() const override { return "quicklist"; }
  size_t MemoryUsage() const override { return sizeof(*this) - sizeof(List) + list.Bytes(); }
  // Logged whole after each change for now. Long lists will want a ChangeRecorder
  // (daemon/change_recorder.h) that logs the pushes and pops.
  void Dump(std::string* out) const override { list.Serialize(out); }

  List list;
};

}  // namespace pylon::list
