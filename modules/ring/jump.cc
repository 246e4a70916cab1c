#include "modules/ring/jump.h"

#include <xxhash.h>

namespace pylon::ring {
namespace {

// SplitMix64's finalizer: derives the independent hash for replica attempt `seed` from the key's
// hash without hashing the key again.
uint64_t Rehash(uint64_t hash, uint64_t seed) {
  uint64_t z = hash + seed * 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace

uint32_t JumpConsistentHash(uint64_t key, uint32_t buckets) {
  // The key drives a linear congruential generator; each draw gives the next bucket count at
  // which this key would jump to the newly added bucket. The last jump below `buckets` is where
  // the key lives.
  int64_t bucket = -1;
  int64_t next = 0;
  while (next < static_cast<int64_t>(buckets)) {
    bucket = next;
    key = key * 2862933555777941757ULL + 1;
    next = static_cast<int64_t>(
        static_cast<double>(bucket + 1) *
        (static_cast<double>(1LL << 31) / static_cast<double>((key >> 33) + 1)));
  }
  return static_cast<uint32_t>(bucket);
}

void JumpBuckets::Append(uint32_t node, uint32_t copies) {
  buckets_.insert(buckets_.end(), copies, node);
  if (node >= node_count_) node_count_ = node + 1;
}

void JumpBuckets::RemoveBucket(size_t bucket) {
  buckets_[bucket] = buckets_.back();
  buckets_.pop_back();
}

void JumpBuckets::RemoveCopies(uint32_t node, uint32_t copies) {
  for (size_t bucket = buckets_.size(); bucket-- > 0 && copies > 0;) {
    if (buckets_[bucket] != node) continue;
    // Everything above `bucket` belongs to other nodes, so the swap never pulls in one of
    // this node's buckets that is still to be removed.
    RemoveBucket(bucket);
    copies--;
  }
}

void JumpBuckets::RemoveNode(uint32_t node) {
  RemoveCopies(node, static_cast<uint32_t>(buckets_.size()));
  for (uint32_t& owner : buckets_) {
    if (owner > node) owner--;
  }
  node_count_--;
}

void JumpBuckets::set_buckets(std::vector<uint32_t> buckets, size_t node_count) {
  buckets_ = std::move(buckets);
  node_count_ = node_count;
}

void JumpBuckets::Locate(std::string_view key, DistinctPick& pick) const {
  if (buckets_.empty()) return;
  const uint32_t size = static_cast<uint32_t>(buckets_.size());
  const uint64_t hash = XXH3_64bits(key.data(), key.size());
  if (pick.Offer(buckets_[JumpConsistentHash(hash, size)])) return;
  const uint64_t attempts = uint64_t{kJumpReplicaAttempts} * pick.want();
  for (uint64_t seed = 1; seed <= attempts; seed++) {
    if (pick.Offer(buckets_[JumpConsistentHash(Rehash(hash, seed), size)])) return;
  }
}

std::vector<double> JumpBuckets::Shares() const {
  std::vector<double> shares(node_count_, 0.0);
  for (uint32_t owner : buckets_) shares[owner] += 1;  // counts first: exact fractions after
  for (double& share : shares) share /= static_cast<double>(buckets_.size());
  return shares;
}

}  // namespace pylon::ring
