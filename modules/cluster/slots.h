// Redis-Cluster-style key slots and the map from slots to the nodes that own them.
//
// A key belongs to one of kSlots slots by Redis Cluster's own rule (CRC16-XMODEM of the key, or of
// its {hash tag}), so cluster-aware clients compute the same slot we do. Slots are then given to
// nodes by consistent hashing (pylon_ring's ketama continuum) rather than by hand-assigned ranges:
// every node derives the same map from the same membership list, with nothing to negotiate, and
// adding or removing a node moves only about that node's share of the slots.
//
// Pure C++20, pylon_ring and xxHash: no server dependency. Error strings are written to be
// returned as "-ERR <error>".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pylon::cluster {

inline constexpr int kSlots = 16384;

// CRC16-XMODEM (polynomial 0x1021, initial value 0, no reflection), as Redis Cluster's keyHashSlot
// uses.
uint16_t Crc16(std::string_view data);

// Redis Cluster's rule: if the key has a '{', and a '}' after it with at least one byte between
// them, only the bytes between the first '{' and the first '}' after it are hashed; otherwise the
// whole key. Returns crc16 & 16383.
int KeySlot(std::string_view key);

// Weights are 1..kMaxNodeWeight, as in pylon_ring.
inline constexpr uint32_t kMaxNodeWeight = 65535;
// The owner table stores node indices as uint16_t; pylon_ring's limit is lower still.
inline constexpr size_t kMaxNodes = 10000;

struct Node {
  std::string host;  // as configured: an IPv4/IPv6 address or a host name
  int port = 0;
  uint32_t weight = 1;  // 1..65535
  std::string id;  // 40 lowercase hex characters derived only from "host:port" (NodeId(address()))
  std::string address() const;  // "host:port" ("[v6]:port" for an IPv6 host)

  bool operator==(const Node&) const = default;
};

// The 40-hex-character id of the node at `address` ("host:port"): the hex of XXH3-128 then XXH3-64
// of the address, truncated. It depends on nothing else, so every node computes the same ids.
std::string NodeId(std::string_view address);

// Parses cluster-nodes words "host:port" or "host:port@weight" ("[v6addr]:port[@weight]" too).
// False and *error (a clear message without an "ERR " prefix) for a bad word (no port, port
// outside 1..65535, weight outside 1..65535, empty host, trailing junk), a duplicate address, an
// empty list or more than kMaxNodes words. On success *out holds the nodes in the words' order,
// ids filled in; on failure *out is left as it was.
bool ParseMembership(const std::vector<std::string>& words, std::vector<Node>* out,
                     std::string* error);

// Ketama points per node of average weight (pylon_ring's Options::vnodes): the trade-off between
// balance (each node's slots over its fair share, its "load") and the number of slot ranges (one
// CLUSTER SLOTS entry each, ~90 bytes; clients and proxies re-fetch it after MOVED and often on a
// timer, Envoy every 5 s by default). Measured over 1000 random memberships of equal-weight
// "10.a.b.c:port" nodes per size: the hottest node's load at the median / 95th percentile /
// worst, the coldest node's worst load, and the mean number of ranges.
//
//   vnodes | 3 nodes                   | 4 nodes                   | 10 nodes
//          | hottest        cold range | hottest        cold range | hottest        cold range
//       32 | 1.14/1.32/1.56 0.49    66 | 1.18/1.36/1.67 0.56    97 | 1.28/1.48/1.82 0.50   287
//       64 | 1.10/1.23/1.37 0.65   129 | 1.12/1.25/1.43 0.64   192 | 1.19/1.32/1.43 0.63   566
//      128 | 1.07/1.16/1.29 0.74   255 | 1.09/1.17/1.32 0.75   380 | 1.14/1.23/1.33 0.69  1110
//      160 | 1.06/1.15/1.26 0.76   317 | 1.08/1.16/1.26 0.76   472 | 1.12/1.20/1.34 0.72  1373
//      256 | 1.05/1.11/1.18 0.83   502 | 1.06/1.12/1.19 0.80   747 | 1.09/1.16/1.25 0.80  2135
//
// Ranges grow linearly with vnodes while the imbalance shrinks only as 1/sqrt(vnodes): doubling
// 64 to 128 trims the hottest node by 3-5 points at the median (7-9 at the 95th percentile) for
// twice the CLUSTER SLOTS reply, while halving it to 32 adds 4-9 points at the median (9-16 at
// the 95th percentile) to save half. 64 keeps the reply to ~130 entries for 3 nodes and ~570
// (~50 KB) for 10, with the hottest node typically 10-19% over its share; a deployment that draws
// an unlucky map corrects it with weights. With 64, a 4th node joining 3 takes 25% of the slots on
// average (18%..35% over the 1000 draws), all of it from the others.
inline constexpr uint32_t kVnodes = 64;

class SlotMap {
 public:
  // An empty map: no nodes, owner() is -1 everywhere, no ranges.
  SlotMap() = default;

  // Every slot's owner by consistent hashing over the nodes (weights respected), the same map on
  // every node from the same membership whatever the order of the words (nodes are sorted by
  // address first). Slot s sits at ring position (s << 18) | (1 << 17), the middle of its
  // 1/16384 of the 32-bit ring, and belongs to the owner of the first ketama point at or after
  // it (wrapping), so owners come in contiguous runs of slots. Nodes should come from
  // ParseMembership (distinct addresses, weights 1..65535, at most kMaxNodes); empty ids are
  // filled in.
  //
  // Ketama counts each node's points from its weight share times the node count, in single
  // precision (as twemproxy does), which has two consequences for movement. With unequal weights
  // a membership change can shift a staying node's count by 4 points, moving a few slots between
  // staying nodes (0.3%..3.6% of slots when a weight-1 node joins weights 1,2,1). And at some
  // sizes (41, 47, 55, 61, 82, ... nodes with 64 vnodes) the float product rounds down and every
  // equal-weight node gets 60 points, so growing from 40 to 41 nodes also moves ~7% of the slots
  // between staying nodes. Up to 40 nodes, equal weights always get exactly 64 points.
  static SlotMap Build(std::vector<Node> nodes);
  // The same with a chosen number of ketama points per node (a multiple of 4, at least 4), for
  // measuring the trade-off behind kVnodes.
  static SlotMap Build(std::vector<Node> nodes, uint32_t vnodes);

  const std::vector<Node>& nodes() const { return nodes_; }  // sorted by address
  bool empty() const { return nodes_.empty(); }

  // Index into nodes(); -1 only for an empty map (and for a slot outside 0..kSlots-1, which
  // callers must not pass).
  int owner(int slot) const;

  struct Range {
    int first = 0, last = 0;  // inclusive
    int node = 0;             // index into nodes()

    bool operator==(const Range&) const = default;
  };
  // Maximal runs of one owner, in slot order; together they cover 0..kSlots-1 exactly.
  const std::vector<Range>& ranges() const { return ranges_; }

  // The slots `node` owns, ascending (none for an index outside nodes()).
  std::vector<int> SlotsOf(int node) const;

  // Slots whose owner's address differs between two maps (for resharding and the benchmark). A
  // slot of an empty map has no owner, which differs from any owner.
  static int Moved(const SlotMap& before, const SlotMap& after);

 private:
  std::vector<Node> nodes_;
  // Owner of each slot as an index into nodes_; kSlots entries, or none for an empty map.
  std::vector<uint16_t> owners_;
  std::vector<Range> ranges_;
};

}  // namespace pylon::cluster
