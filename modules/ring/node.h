// A ring member, and the helper every placement uses to gather distinct nodes in preference order.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace pylon::ring {

struct Node {
  std::string name;
  uint32_t weight = 1;

  bool operator==(const Node&) const = default;
};

// Collects up to `count` distinct node indices into `out`, in the order offered. Placements offer
// candidates (a continuum walk, table walk, retries) until Offer says the pick is full; nodes that
// a placement cannot reach (a share too small for one point, a retry budget spent) are then added
// by FillMissing in index order, so a pick of n <= node_count always holds n nodes.
class DistinctPick {
 public:
  DistinctPick(size_t count, size_t node_count, std::vector<uint32_t>* out)
      : want_(std::min(count, node_count)), out_(out) {
    out_->clear();
    // Small picks (the usual owner + a couple of replicas) search `out` linearly; large ones
    // keep a bitmap so gathering every node stays linear.
    if (want_ > kLinearSearchLimit) seen_.assign(node_count, false);
  }

  size_t want() const { return want_; }
  bool full() const { return out_->size() >= want_; }

  // Adds `node` unless already picked; true once the pick is full.
  bool Offer(uint32_t node) {
    if (!Seen(node)) {
      if (!seen_.empty()) seen_[node] = true;
      out_->push_back(node);
    }
    return full();
  }

  void FillMissing() {
    for (uint32_t node = 0; !full(); node++) Offer(node);
  }

 private:
  static constexpr size_t kLinearSearchLimit = 16;

  bool Seen(uint32_t node) const {
    if (!seen_.empty()) return seen_[node];
    return std::find(out_->begin(), out_->end(), node) != out_->end();
  }

  size_t want_;
  std::vector<uint32_t>* out_;
  std::vector<bool> seen_;
};

}  // namespace pylon::ring
