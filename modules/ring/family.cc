#include "modules/ring/family.h"

#include <string>

#include "modules/ring/ring_value.h"

namespace pylon::ring {

void RegisterRingCommands(daemon::Registry& registry);

namespace {

void WriteInfo(daemon::HandlerServices& services, std::string& out) {
  const RingStats& s = services.family_states.Get<RingStats>();
  daemon::InfoWriter(out)
      .Field("ring_rings", s.rings)
      .Field("ring_nodes", s.nodes)
      .Field("ring_locates", s.locates)
      .Field("ring_changes", s.changes);
}

// CONFIG RESETSTAT clears the counters, not the gauges of what the keyspace holds.
void ResetInfo(daemon::HandlerServices& services) {
  RingStats& s = services.family_states.Get<RingStats>();
  s = RingStats{.rings = s.rings, .nodes = s.nodes};
}

}  // namespace

void RegisterRings(daemon::Registry& registry) {
  daemon::RegisterValueType(kRingType);
  registry.states.Make<RingStats>();
  RegisterRingCommands(registry);
  registry.info.Add({.name = "Ring", .in_default = true, .write = WriteInfo, .reset = ResetInfo});
}

}  // namespace pylon::ring
