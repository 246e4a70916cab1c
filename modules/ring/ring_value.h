// A consistent-hash ring in the keyspace (TYPE "ring"): the pure Ring of ring.h, plus what the
// RING.* commands book in INFO # Ring. Never evicted by maxmemory: a ring is configuration, and
// a ring that vanished would send every key to nowhere.
//
// This file and ring_commands.cc / rings.cc build into the server; the rest of modules/ring/ is
// the pylon_ring library, which depends on no server code.
#pragma once

#include <cstdint>
#include <string>

#include "daemon/value.h"
#include "modules/ring/ring.h"

namespace pylon::ring {

extern const daemon::ValueType kRingType;

// INFO # Ring: the family's state in each server (daemon/family_state.h).
struct RingStats {
  uint64_t rings = 0;    // rings in the keyspace now
  uint64_t nodes = 0;    // their nodes
  uint64_t locates = 0;  // RING.LOCATE calls
  uint64_t changes = 0;  // nodes added, removed or reweighted, and RING.CONFIG changes
};
class RingValue final : public daemon::Value {
 public:
  // `stats`: its server's, which the ring books into for as long as it lives.
  RingValue(RingStats& stats, Ring ring);
  ~RingValue() override;
  RingValue(const RingValue&) = delete;
  RingValue& operator=(const RingValue&) = delete;

  const daemon::ValueType& type() const override { return kRingType; }
  std::string_view Encoding() const override { return AlgorithmName(ring_.options().algorithm); }
  size_t MemoryUsage() const override { return bytes_; }
  void Dump(std::string* out) const override { out->append(ring_.Dump()); }

  const Ring& ring() const { return ring_; }
  // Replaces the ring (a change of nodes or options, made on a copy so that a refusal half-way
  // changes nothing), keeping the INFO gauges right.
  void Replace(Ring ring);

 private:
  // Takes the ring's nodes out of (-1) or into (+1) INFO's gauge; +1 also recounts bytes_.
  void Book(int sign);

  RingStats* stats_;
  Ring ring_;
  size_t bytes_ = 0;  // MemoryUsage, recounted on every change (O(nodes), as the change is)
};

}  // namespace pylon::ring
