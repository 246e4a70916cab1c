// A sorted set in the keyspace (TYPE "zset"): the core (zset.h) behind the Value interface.
// Evictable, as any Redis key under an allkeys policy.
#pragma once

#include <string>
#include <string_view>

#include "daemon/change_recorder.h"
#include "daemon/value.h"
#include "modules/zset/zset.h"

namespace pylon::zset {

extern const daemon::ValueType kZsetType;

class ZsetValue final : public daemon::Value {
 public:
  ZsetValue() = default;
  explicit ZsetValue(ZSet zset) : zset_(std::move(zset)) {}

  const daemon::ValueType& type() const override { return kZsetType; }
  std::string_view Encoding() const override { return zset_.Encoding(); }
  size_t MemoryUsage() const override {
    return sizeof(*this) - sizeof(ZSet) + zset_.Bytes() + changes_.bytes();
  }
  void Dump(std::string* out) const override { zset_.Serialize(out); }
  // Logged as the members set and removed, so a change to a set of a million members costs the
  // log the bytes of the members changed, not the set's dump.
  daemon::ChangeRecorder* change_recorder() override { return &changes_; }
  bool ApplyChanges(std::string_view ops) override;

  const ZSet& zset() const { return zset_; }
  // The changes, each recorded for the log (the core's operations otherwise).
  bool Set(std::string_view member, double score, const Limits& limits);
  bool Remove(std::string_view member);
  size_t RemoveRanks(size_t first, size_t last);

 private:
  ZSet zset_;
  daemon::ChangeRecorder changes_;
};

}  // namespace pylon::zset
