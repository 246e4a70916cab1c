// Ketama: the continuum of libmemcached's weighted ketama and twemproxy's `distribution: ketama`,
// point for point, so a ring agrees with an existing pool given the same servers and weights.
//
// Placement (twemproxy src/hashkit/nc_ketama.c ketama_update; libmemcached hosts.cc
// update_continuum with MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED):
//   - a server of weight w among n servers of total weight W gets
//       floorf(float(w) / float(W) * 160 / 4 * n + 1e-10) * 4 points,
//     in single precision as both compute it (so rounding agrees at the edges);
//   - for i in 0 .. points/4 - 1, MD5("<name>-<i>") gives four points: the little-endian
//     uint32s at digest bytes [0..3], [4..7], [8..11], [12..15];
//   - points are sorted by value; equal values by server order (libmemcached's tie-break;
//     twemproxy's qsort leaves ties unordered, and MD5 makes them vanishingly rare).
// The name is the caller's: to match twemproxy use its server name, which is the alias when the
// server line has one, else "host" when the port is 11211 and "host:port" otherwise (libmemcached
// formats its points the same way). Unweighted libmemcached ketama (every weight 1, no
// KETAMA_WEIGHTED) is a different continuum (100 points, one per hash) and is not reproduced.
// twemproxy truncates "<name>-<i>" to 85 bytes (KETAMA_MAX_HOSTLEN), so names longer than ~80
// bytes place differently there.
//
// Key hash: the first four bytes of MD5(key), little endian. That is libmemcached's ketama key
// hash (MEMCACHED_BEHAVIOR_KETAMA[_WEIGHTED] sets the key hash to MEMCACHED_HASH_MD5, and
// libhashkit's md5 returns those bytes) and twemproxy's `hash: md5` (nc_md5.c hash_md5).
// twemproxy's default key hash is fnv1a_64, so a twemproxy pool agrees with this ring only when
// configured with `hash: md5` (and no hash_tag). A key goes to the first point >= its hash,
// wrapping to the first point (ketama_dispatch).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "modules/ring/node.h"

namespace pylon::ring {

inline constexpr uint32_t kKetamaPointsPerServer = 160;

struct KetamaPoint {
  uint32_t value;
  uint32_t node;  // index into the ring's node list

  bool operator==(const KetamaPoint&) const = default;
};

// Points a server gets (a multiple of 4; 0 when its share is too small for one hash).
// `points_per_server` is the average per server: 160 for compatibility, VNODES otherwise.
uint32_t KetamaPointCount(uint32_t weight, uint64_t total_weight, size_t server_count,
                          uint32_t points_per_server);

// The key's position on the continuum.
uint32_t KetamaKeyHash(std::string_view key);

class KetamaContinuum {
 public:
  static KetamaContinuum Build(std::span<const Node> nodes, uint32_t points_per_server);

  // Index of the point owning `hash`: the first point >= hash, or point 0 past the last one.
  // The continuum must not be empty. O(log points).
  size_t Successor(uint32_t hash) const;

  // Owner first, then the distinct nodes met walking the continuum clockwise from it: the
  // owner's successors on the circle, as ketama replication conventionally picks them.
  void Locate(std::string_view key, DistinctPick& pick) const;

  // Each node's exact fraction of the 2^32 hash positions (the arcs ending at its points).
  std::vector<double> Shares() const;

  const std::vector<KetamaPoint>& points() const { return points_; }

 private:
  std::vector<KetamaPoint> points_;
  size_t node_count_ = 0;
};

}  // namespace pylon::ring
