// Consistent-hash rings: a named set of weighted nodes that maps any key (a byte string) to an
// owner and its replicas, by one of four algorithms:
//
//   ketama      libmemcached / twemproxy's continuum, compatible point for point (ketama.h);
//               O(log points) lookups.
//   jump        Lamping & Veach's jump hash over a bucket list (jump.h); O(log buckets).
//   rendezvous  highest random weight, log-weighted (rendezvous.h); O(nodes).
//   maglev      Google Maglev's lookup table (maglev.h); O(1).
//
// Pure C++20 and xxHash: no server dependency. The RING.* commands and the cluster's slot
// assignment sit on top; error strings are written to be returned as "-ERR <error>".
//
// Semantics shared by every algorithm:
//   - Nodes are kept in the order added (Remove closes the gap); Locate's indices refer to it.
//   - Add of an existing name updates its weight (as SetWeight); weights are 1..kMaxWeight.
//   - Locate(key, count) returns min(count, size()) distinct nodes, owner first, then replicas in
//     preference order; nothing for an empty ring or count 0. The same ring state always gives
//     the same answer (no randomness, no dependence on the platform's hash or byte order).
//   - Shares() gives each node's fraction of the key space (they sum to 1), for RING.NODES.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "modules/ring/jump.h"
#include "modules/ring/ketama.h"
#include "modules/ring/maglev.h"
#include "modules/ring/node.h"
#include "modules/ring/rendezvous.h"

namespace pylon::ring {

enum class Algorithm : uint8_t { kKetama = 0, kJump = 1, kRendezvous = 2, kMaglev = 3 };

// "ketama", "jump", "rendezvous", "maglev"; Parse is case-insensitive.
std::string_view AlgorithmName(Algorithm algorithm);
std::optional<Algorithm> ParseAlgorithm(std::string_view name);

inline constexpr int64_t kMaxWeight = 65535;
inline constexpr size_t kMaxNodes = 10000;
inline constexpr uint32_t kMaxVnodes = 4096;
inline constexpr size_t kMaxKetamaPoints = 1u << 22;

struct Options {
  Algorithm algorithm = Algorithm::kKetama;
  // ketama: average points per server (VNODES); 0 means twemproxy's 160. Each server's count is
  // rounded down to a multiple of 4 by the compatible formula, so use a multiple of 4.
  uint32_t vnodes = 0;
  // maglev: lookup table size, a prime (M in the paper; keep it ~100x the node count or more).
  uint32_t maglev_table_size = kDefaultMaglevTableSize;

  bool operator==(const Options&) const = default;
};

class Ring {
 public:
  // An empty ketama ring with twemproxy's defaults.
  Ring() : Ring(Options{}) {}
  // Options are checked (CheckOptions: vnodes 0 or 4..kMaxVnodes, maglev table size a prime
  // <= kMaxMaglevTableSize).
  static std::optional<Ring> Create(const Options& options, std::string* error);

  // Adds a node, or updates the weight of an existing one. False (and *error) for an empty name,
  // a weight outside 1..kMaxWeight, or a ring that would outgrow its algorithm's limits.
  bool Add(std::string_view name, int64_t weight, std::string* error);
  // False if no node has that name.
  bool Remove(std::string_view name);
  // False (and *error) for an unknown name or a weight Add would reject.
  bool SetWeight(std::string_view name, int64_t weight, std::string* error);
  // Several changes, one rebuild: Add, Remove and SetWeight called from `changes` leave the
  // placement to be rebuilt once when it returns (a RING.ADD of 10,000 nodes builds one
  // continuum, not 10,000), and not at all when none of them changed anything (a RING.ADD of
  // nodes already there, a refused one, a RING.REMOVE of unknown names: a maglev table of 16M
  // entries takes most of a second to build). Returns what `changes` returns.
  template <typename Changes>
  auto Batch(Changes&& changes) {
    deferred_ = true;
    changed_ = false;
    auto result = changes();
    deferred_ = false;
    if (changed_) Rebuild();
    return result;
  }

  bool Contains(std::string_view name) const { return Find(name).has_value(); }
  // How many times the placement was built (tests: a batch that changes nothing builds none).
  uint64_t builds() const { return builds_; }
  size_t size() const { return nodes_.size(); }
  bool empty() const { return nodes_.empty(); }
  const std::vector<Node>& nodes() const { return nodes_; }
  const Options& options() const { return options_; }

  // The distinct nodes for `key`, owner first, as indices into nodes() (valid until the next
  // change). Reuses *out's storage.
  void LocateInto(std::string_view key, size_t count, std::vector<uint32_t>* out) const;
  // The same, as names (views into the ring, valid until the next change).
  std::vector<std::string_view> Locate(std::string_view key, size_t count) const;

  // Fraction of the key space per node, parallel to nodes(). Exact for ketama (arc lengths) and
  // maglev (table entries); for jump (buckets) and rendezvous (weights) it is the expectation
  // over uniformly hashed keys.
  std::vector<double> Shares() const;

  // ketama only (empty otherwise): the continuum, sorted.
  std::span<const KetamaPoint> ketama_points() const;

  // A compact, versioned, byte-order-independent encoding of the whole state (options, nodes in
  // order, and jump's bucket list, which depends on the order of past changes). Restore checks
  // everything and returns nullopt for anything malformed.
  std::string Dump() const;
  static std::optional<Ring> Restore(std::string_view encoded);

 private:
  // One alternative per Algorithm, in the enum's order.
  using Placement = std::variant<KetamaContinuum, JumpBuckets, RendezvousTable, MaglevTable>;

  explicit Ring(const Options& options) : options_(options) { Rebuild(); }

  std::optional<uint32_t> Find(std::string_view name) const;
  // The error for a ring with these totals under this ring's algorithm, or "" if it fits.
  std::string CheckCapacity(size_t node_count, uint64_t total_weight, uint32_t max_weight) const;
  uint64_t TotalWeight() const;
  // The largest weight, with node `except` (if any) weighing `instead`.
  uint32_t MaxWeight(std::optional<uint32_t> except = std::nullopt, uint32_t instead = 0) const;
  // After a change: rebuilds now, or notes it for the end of the batch.
  void RebuildUnlessDeferred() {
    if (deferred_) {
      changed_ = true;
    } else {
      Rebuild();
    }
  }
  // Recomputes the placement from the node list (jump's buckets are updated in place instead).
  void Rebuild();
  JumpBuckets& jump() { return std::get<JumpBuckets>(placement_); }

  Options options_;
  std::vector<Node> nodes_;
  Placement placement_;
  bool deferred_ = false;  // inside Batch: rebuild once at its end
  bool changed_ = false;   // inside Batch: something changed, so its end rebuilds
  uint64_t builds_ = 0;
};

// The checks Create applies to options: "" when valid, else the error.
std::string CheckOptions(const Options& options);

// The weight check Add applies, for callers that parse weights before they have a ring: "" when
// valid, else the error.
std::string CheckWeight(int64_t weight);

}  // namespace pylon::ring
