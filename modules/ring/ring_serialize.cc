// Ring::Dump / Ring::Restore. Layout, every integer an unsigned LEB128 varint (byte order free,
// and small values take one byte):
//   version (1), algorithm, vnodes, maglev table size, node count,
//   per node: name length, name bytes, weight,
//   jump only: the bucket list, one node index per bucket (its length is the total weight).
#include <algorithm>
#include <string>
#include <unordered_set>

#include "modules/ring/ring.h"

namespace pylon::ring {
namespace {

constexpr uint64_t kFormatVersion = 1;

void PutVarint(std::string* out, uint64_t value) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

// Reads from the front of a view; every Get says false once the input is short or malformed.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  bool GetVarint(uint64_t* value) {
    *value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in_.empty()) return false;
      const auto byte = static_cast<uint8_t>(in_.front());
      in_.remove_prefix(1);
      if (shift == 63 && byte > 1) return false;  // past 64 bits
      *value |= uint64_t{byte & 0x7fu} << shift;
      if (!(byte & 0x80)) return true;
    }
    return false;  // more than ten bytes: not a 64-bit varint
  }

  // A varint no larger than `max`.
  template <typename T>
  bool Get(T* value, uint64_t max) {
    uint64_t v;
    if (!GetVarint(&v) || v > max) return false;
    *value = static_cast<T>(v);
    return true;
  }

  bool GetBytes(size_t n, std::string_view* bytes) {
    if (in_.size() < n) return false;
    *bytes = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }

  bool done() const { return in_.empty(); }
  size_t remaining() const { return in_.size(); }

 private:
  std::string_view in_;
};

}  // namespace

std::string Ring::Dump() const {
  std::string out;
  PutVarint(&out, kFormatVersion);
  PutVarint(&out, static_cast<uint64_t>(options_.algorithm));
  PutVarint(&out, options_.vnodes);
  PutVarint(&out, options_.maglev_table_size);
  PutVarint(&out, nodes_.size());
  for (const Node& node : nodes_) {
    PutVarint(&out, node.name.size());
    out += node.name;
    PutVarint(&out, node.weight);
  }
  if (const auto* jump = std::get_if<JumpBuckets>(&placement_)) {
    for (uint32_t node : jump->buckets()) PutVarint(&out, node);
  }
  return out;
}

std::optional<Ring> Ring::Restore(std::string_view encoded) {
  Reader in(encoded);
  uint64_t version;
  Options options;
  size_t node_count;
  if (!in.GetVarint(&version) || version != kFormatVersion ||
      !in.Get(&options.algorithm, static_cast<uint64_t>(Algorithm::kMaglev)) ||
      !in.Get(&options.vnodes, UINT32_MAX) || !in.Get(&options.maglev_table_size, UINT32_MAX) ||
      !in.Get(&node_count, kMaxNodes) || !CheckOptions(options).empty()) {
    return std::nullopt;
  }

  Ring ring(options);
  std::unordered_set<std::string_view> names;
  uint64_t total_weight = 0;
  uint32_t max_weight = 0;
  for (size_t i = 0; i < node_count; i++) {
    size_t name_size;
    std::string_view name;
    uint32_t weight;
    if (!in.Get(&name_size, in.remaining()) || !in.GetBytes(name_size, &name) || name.empty() ||
        !names.insert(name).second || !in.Get(&weight, kMaxWeight) || weight < 1) {
      return std::nullopt;
    }
    ring.nodes_.push_back({std::string(name), weight});
    total_weight += weight;
    max_weight = std::max(max_weight, weight);
  }
  if (!ring.CheckCapacity(node_count, total_weight, max_weight).empty()) return std::nullopt;

  if (options.algorithm == Algorithm::kJump) {
    // Each node must hold exactly `weight` buckets, in whatever order the changes left them.
    std::vector<uint32_t> buckets(total_weight);
    std::vector<uint32_t> held(node_count, 0);
    for (uint32_t& node : buckets) {
      if (!in.Get(&node, node_count - 1) || ++held[node] > ring.nodes_[node].weight) {
        return std::nullopt;
      }
    }
    ring.jump().set_buckets(std::move(buckets), node_count);
  }
  if (!in.done()) return std::nullopt;
  ring.Rebuild();
  return ring;
}

}  // namespace pylon::ring
