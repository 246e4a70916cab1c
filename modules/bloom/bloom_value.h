// A Bloom filter in the keyspace (TYPE "MBbloom--", as RedisBloom's type name, so that clients
// and scripts that check TYPE work unchanged). Never evicted by maxmemory: a filter that
// vanished would answer "absent" for every item it holds, the one answer a Bloom filter must
// never get wrong.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/change_recorder.h"
#include "daemon/value.h"
#include "modules/bloom/bloom_filter.h"

namespace pylon::bloom {

extern const daemon::ValueType kBloomType;

// INFO # Bloom: the family's state in each server (daemon/family_state.h).
struct BloomStats {
  uint64_t filters = 0;  // filters in the keyspace now
  uint64_t bytes = 0;    // their memory
  uint64_t added = 0;    // items added (new to their filter)
  uint64_t checked = 0;  // items looked up (BF.EXISTS, BF.MEXISTS)
  uint64_t found = 0;    // of those, found (present, or a false positive)
  uint64_t refused = 0;  // items refused: the filter was full and could not scale
  uint64_t scaled = 0;   // sub-filters added when a filter filled up
};
class BloomValue final : public daemon::Value {
 public:
  // `stats`: its server's, which the filter books into for as long as it lives.
  BloomValue(BloomStats& stats, BloomFilter filter);
  ~BloomValue() override;
  BloomValue(const BloomValue&) = delete;
  BloomValue& operator=(const BloomValue&) = delete;

  const daemon::ValueType& type() const override { return kBloomType; }
  std::string_view Encoding() const override {
    return filter_.options().scaling ? "scalable" : "nonscaling";
  }
  size_t MemoryUsage() const override { return sizeof(*this) + filter_.bytes() + changes_.bytes(); }
  void Dump(std::string* out) const override { filter_.Dump(out); }
  // Logged as the hashes of the items added (16 bytes each), not the filter's bits.
  daemon::ChangeRecorder* change_recorder() override { return &changes_; }
  bool ApplyChanges(std::string_view ops) override;

  const BloomFilter& filter() const { return filter_; }
  // Adds an item and books it in the stats.
  BloomFilter::AddResult Add(std::string_view item);
  // An item refused before Add (the filter may not grow for it), for the stats.
  void CountRefused() { stats_->refused++; }
  bool Contains(std::string_view item) const;
  // Logged as the whole filter at the end of the turn.
  bool LoadChunk(int64_t iter, std::string_view data) {
    changes_.Stop();
    return filter_.LoadChunk(iter, data);
  }

 private:
  BloomFilter::AddResult AddHash(ItemHash h);

  BloomStats* stats_;
  BloomFilter filter_;
  size_t booked_bytes_;             // what stats_->bytes holds for this filter
  daemon::ChangeRecorder changes_;  // the items added, for the append-only log
};

}  // namespace pylon::bloom
