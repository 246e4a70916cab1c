#include "modules/ring/ring_value.h"

#include <memory>

#include "daemon/family_state.h"
#include "daemon/type_ids.h"

namespace pylon::ring {

namespace {

bool RestoreRing(std::string_view payload, daemon::FamilyStates& states,
                 daemon::RestoredValue* out) {
  std::optional<Ring> ring = Ring::Restore(payload);
  if (!ring) return false;
  out->object = std::make_unique<RingValue>(states.Get<RingStats>(), std::move(*ring));
  return true;
}

}  // namespace

const daemon::ValueType kRingType = {
    .id = daemon::type_id::kRing, .name = "ring", .restore = RestoreRing, .evictable = false};

RingValue::RingValue(RingStats& stats, Ring ring) : stats_(&stats), ring_(std::move(ring)) {
  stats_->rings++;
  Book(+1);
}

RingValue::~RingValue() {
  stats_->rings--;
  Book(-1);
}

void RingValue::Book(int sign) {
  stats_->nodes += static_cast<uint64_t>(sign) * ring_.size();
  if (sign < 0) return;
  // The nodes, and the placement the algorithm builds from them: ketama's points, maglev's
  // table, jump's buckets (one per unit of weight).
  size_t bytes = sizeof(*this);
  uint64_t weight = 0;
  for (const Node& n : ring_.nodes()) {
    bytes += sizeof(Node) + n.name.capacity();
    weight += n.weight;
  }
  bytes += ring_.ketama_points().size() * sizeof(KetamaPoint);
  if (ring_.options().algorithm == Algorithm::kMaglev) {
    bytes += size_t{ring_.options().maglev_table_size} * sizeof(uint32_t);
  }
  if (ring_.options().algorithm == Algorithm::kJump) bytes += weight * sizeof(uint32_t);
  bytes_ = bytes;
}

void RingValue::Replace(Ring ring) {
  Book(-1);
  ring_ = std::move(ring);
  Book(+1);
}

}  // namespace pylon::ring
