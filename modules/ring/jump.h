// Jump: Lamping & Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm" (2014), over a list
// of buckets, each naming a node.
//
// Jump maps a 64-bit key to one of n buckets, and growing n to n + 1 moves only the keys that
// land in the new bucket (1/(n+1) of them). It has no names, only bucket numbers, and only the
// last bucket can go away cleanly. So:
//   - Weights: a node of weight w holds w buckets (total weight at most kMaxJumpBuckets).
//   - Add (or a weight increase) appends buckets at the end: the ideal movement.
//   - Remove (or a weight decrease) takes a node's buckets out highest first, each time moving
//     the last bucket into the hole ("swap with last"). Removing the node that holds the last
//     bucket moves only its keys; removing any other node also moves the keys of the node whose
//     last bucket filled the hole, about (n-2)/(n-1) of them: for one-bucket nodes the total is
//     (2n-3)/(n(n-1)) of all keys, nearly twice the ideal 1/n (pylon-ringstat measures it).
//   The bucket list thus depends on the order of changes; Dump keeps it.
// Key hash: XXH3-64 of the key. Replicas: the owner's bucket, then buckets of the key rehashed
// with seeds 1, 2, ... (kJumpReplicaAttempts per wanted node at most), skipping nodes already
// picked. Owner O(log buckets); replicas expected O(count log buckets) while count is well below
// the node count (gathering nearly all nodes this way is a coupon collector, hence the cap).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "modules/ring/node.h"

namespace pylon::ring {

inline constexpr uint32_t kMaxJumpBuckets = 1u << 20;
inline constexpr uint32_t kJumpReplicaAttempts = 8;

// The paper's function: the bucket in [0, buckets) for `key`; buckets must be >= 1.
uint32_t JumpConsistentHash(uint64_t key, uint32_t buckets);

class JumpBuckets {
 public:
  // Appends `copies` buckets for `node`.
  void Append(uint32_t node, uint32_t copies);
  // Takes out `copies` of the node's buckets, highest first, by swapping in the last bucket.
  void RemoveCopies(uint32_t node, uint32_t copies);
  // Takes out all of the node's buckets, then renumbers the nodes after it (the ring's node list
  // closes the gap).
  void RemoveNode(uint32_t node);

  void Locate(std::string_view key, DistinctPick& pick) const;
  // Each node's expected fraction of keys: its buckets over all buckets.
  std::vector<double> Shares() const;

  // Node index per bucket; set_buckets restores a dumped list (the ring validates it).
  const std::vector<uint32_t>& buckets() const { return buckets_; }
  void set_buckets(std::vector<uint32_t> buckets, size_t node_count);

 private:
  void RemoveBucket(size_t bucket);

  std::vector<uint32_t> buckets_;
  size_t node_count_ = 0;
};

}  // namespace pylon::ring
