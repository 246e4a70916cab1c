// How well a ring spreads keys and how many it moves when it changes: what the unit tests assert
// and pylon-ringstat prints, measured over the synthetic keys "key:0" .. "key:<n-1>".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "modules/ring/ring.h"

namespace pylon::ring {

// The i-th synthetic key, "key:<i>", written into *key.
void SyntheticKey(uint64_t i, std::string* key);

// The owner (an index into ring.nodes()) of each of the first `key_count` synthetic keys.
// The ring must not be empty.
std::vector<uint32_t> OwnersOfKeys(const Ring& ring, uint64_t key_count);

struct Balance {
  std::vector<uint64_t> keys_per_node;  // parallel to ring.nodes()
  // Each node's keys over its fair share (key_count * weight / total weight); for equal weights
  // max_load is max/mean.
  double max_load = 0;
  double stddev_load = 0;  // standard deviation of the loads, as a fraction of the mean (1)
};
Balance MeasureBalance(const Ring& ring, const std::vector<uint32_t>& owners);

// The fraction of keys whose owner (compared by name) differs between two versions of a ring.
double MovedFraction(const Ring& before, const std::vector<uint32_t>& owners_before,
                     const Ring& after, const std::vector<uint32_t>& owners_after);

}  // namespace pylon::ring
