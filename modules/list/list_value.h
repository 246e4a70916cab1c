// A list in the keyspace (TYPE "list"): the core (list.h) behind the Value interface.
// Evictable, as any Redis key under an allkeys policy.
//
// Every change goes through this class, which records it for the append-only log as an
// operation (a push of its element, a pop of a count, LSET, LINSERT, LREM with their arguments):
// a push to a list of a million elements logs the element, not the list.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/change_recorder.h"
#include "daemon/value.h"
#include "modules/list/list.h"

namespace pylon::list {

extern const daemon::ValueType kListType;

class ListValue final : public daemon::Value {
 public:
  ListValue() = default;
  explicit ListValue(List list) : list_(std::move(list)) {}

  const daemon::ValueType& type() const override { return kListType; }
  // Redis 7.0 keeps every list as a quicklist (its "listpack" list encoding came in 7.2), so
  // OBJECT ENCODING answers "quicklist" for all of them, whatever their node count.
  std::string_view Encoding() const override { return "quicklist"; }
  size_t MemoryUsage() const override {
    return sizeof(*this) - sizeof(List) + list_.Bytes() + changes_.bytes();
  }
  void Dump(std::string* out) const override { list_.Serialize(out); }
  daemon::ChangeRecorder* change_recorder() override { return &changes_; }
  // Replays operations recorded by the methods below; false for anything malformed.
  bool ApplyChanges(std::string_view ops) override;

  const List& list() const { return list_; }
  void Push(End end, std::string_view value, const Limits& limits);
  void Pop(End end) { PopMany(end, 1); }
  void PopMany(End end, size_t n);
  bool Set(int64_t index, std::string_view value, const Limits& limits);
  bool Insert(std::string_view pivot, bool after, std::string_view value, const Limits& limits);
  size_t Remove(std::string_view value, int64_t count);

 private:
  // Where the next operation goes, nullptr when not recording; keeps the recorder's limit at
  // about the list's size.
  std::string* Recording();

  List list_;
  daemon::ChangeRecorder changes_;
};

}  // namespace pylon::list
