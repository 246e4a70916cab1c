// A set in the keyspace (TYPE "set"): the core (set.h) behind the Value interface. Evictable,
// as any Redis key under an allkeys policy. Its changes go through Add and Remove, which log
// them for the append-only log (daemon/change_recorder.h): SADD to a set of a million members
// writes the member added, not the whole set.
#pragma once

#include <string>
#include <string_view>

#include "daemon/change_recorder.h"
#include "daemon/value.h"
#include "modules/set/set.h"

namespace pylon::set {

extern const daemon::ValueType kSetType;

class SetValue final : public daemon::Value {
 public:
  SetValue() = default;
  explicit SetValue(Set set) : set_(std::move(set)) {}

  const daemon::ValueType& type() const override { return kSetType; }
  std::string_view Encoding() const override { return set_.Encoding(); }
  size_t MemoryUsage() const override {
    return sizeof(*this) - sizeof(Set) + set_.Bytes() + changes_.bytes();
  }
  void Dump(std::string* out) const override { set_.Serialize(out); }
  daemon::ChangeRecorder* change_recorder() override { return &changes_; }
  // Replays what Add and Remove logged; false when an operation does not apply as it did.
  bool ApplyChanges(std::string_view ops) override;

  const Set& set() const { return set_; }
  bool Add(std::string_view member, const Limits& limits);
  bool Remove(std::string_view member);

 private:
  Set set_;
  daemon::ChangeRecorder changes_;  // members added and removed, for the append-only log
};

}  // namespace pylon::set
