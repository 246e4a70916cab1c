#include "modules/bloom/bloom_value.h"

#include <memory>

namespace pylon::bloom {

namespace {

bool RestoreBloom(std::string_view payload, daemon::RestoredValue* out) {
  std::optional<BloomFilter> filter = BloomFilter::Restore(payload);
  if (!filter) return false;
  out->object = std::make_unique<BloomValue>(std::move(*filter));
  return true;
}

}  // namespace

const daemon::ValueType kBloomType = {
    .id = 4, .name = "MBbloom--", .restore = RestoreBloom, .evictable = false};

BloomStats& Stats() {
  static BloomStats stats;
  return stats;
}

BloomValue::BloomValue(BloomFilter filter)
    : filter_(std::move(filter)), booked_bytes_(filter_.bytes()) {
  Stats().filters++;
  Stats().bytes += booked_bytes_;
}

BloomValue::~BloomValue() {
  Stats().filters--;
  Stats().bytes -= booked_bytes_;
}

BloomFilter::AddResult BloomValue::Add(std::string_view item) {
  const size_t sub_filters = filter_.filters().size();
  const BloomFilter::AddResult r = filter_.Add(HashItem(item));
  BloomStats& s = Stats();
  if (r == BloomFilter::AddResult::kAdded) s.added++;
  if (r == BloomFilter::AddResult::kFull) s.refused++;
  if (filter_.filters().size() != sub_filters) {
    s.scaled++;
    s.bytes += filter_.bytes() - booked_bytes_;
    booked_bytes_ = filter_.bytes();
  }
  return r;
}

bool BloomValue::Contains(std::string_view item) const {
  const bool found = filter_.Contains(HashItem(item));
  Stats().checked++;
  Stats().found += found;
  return found;
}

}  // namespace pylon::bloom
