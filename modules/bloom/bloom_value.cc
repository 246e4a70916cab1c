#include "modules/bloom/bloom_value.h"

#include <cstring>
#include <memory>

#include "daemon/family_state.h"
#include "daemon/type_ids.h"

namespace pylon::bloom {

namespace {

bool RestoreBloom(std::string_view payload, daemon::FamilyStates& states,
                  daemon::RestoredValue* out) {
  std::optional<BloomFilter> filter = BloomFilter::Restore(payload);
  if (!filter) return false;
  out->object = std::make_unique<BloomValue>(states.Get<BloomStats>(), std::move(*filter));
  return true;
}

}  // namespace

const daemon::ValueType kBloomType = {.id = daemon::type_id::kBloom,
                                      .name = "MBbloom--",
                                      .restore = RestoreBloom,
                                      .evictable = false};

BloomValue::BloomValue(BloomStats& stats, BloomFilter filter)
    : stats_(&stats), filter_(std::move(filter)), booked_bytes_(filter_.bytes()) {
  stats_->filters++;
  stats_->bytes += booked_bytes_;
  changes_.set_value_bytes(booked_bytes_);
}

BloomValue::~BloomValue() {
  stats_->filters--;
  stats_->bytes -= booked_bytes_;
}

BloomFilter::AddResult BloomValue::Add(std::string_view item) {
  const size_t sub_filters = filter_.filters().size();
  const ItemHash h = HashItem(item);
  const BloomFilter::AddResult r = AddHash(h);
  BloomStats& s = *stats_;
  s.scaled += filter_.filters().size() - sub_filters;
  if (r == BloomFilter::AddResult::kFull) s.refused++;
  // Only an item new to the filter changes it (an item found, or refused, leaves it as it was).
  if (r != BloomFilter::AddResult::kAdded) return r;
  s.added++;
  if (std::string* ops = changes_.recording()) {
    ops->append(reinterpret_cast<const char*>(&h.h1), sizeof(h.h1));
    ops->append(reinterpret_cast<const char*>(&h.h2), sizeof(h.h2));
  }
  return r;
}

bool BloomValue::ApplyChanges(std::string_view ops) {
  if (ops.size() % (2 * sizeof(uint64_t)) != 0) return false;
  for (; !ops.empty(); ops.remove_prefix(2 * sizeof(uint64_t))) {
    ItemHash h;
    std::memcpy(&h.h1, ops.data(), sizeof(h.h1));
    std::memcpy(&h.h2, ops.data() + sizeof(h.h1), sizeof(h.h2));
    if (AddHash(h) != BloomFilter::AddResult::kAdded) return false;  // it was new when logged
  }
  return true;
}

// The filter's part of an add, and the memory it books (events are Add's: a replay is none).
BloomFilter::AddResult BloomValue::AddHash(ItemHash h) {
  const BloomFilter::AddResult r = filter_.Add(h);
  if (filter_.bytes() != booked_bytes_) {
    stats_->bytes += filter_.bytes() - booked_bytes_;
    booked_bytes_ = filter_.bytes();
    changes_.set_value_bytes(booked_bytes_);
  }
  return r;
}

bool BloomValue::Contains(std::string_view item) const {
  const bool found = filter_.Contains(HashItem(item));
  stats_->checked++;
  stats_->found += found;
  return found;
}

}  // namespace pylon::bloom
