#include "modules/ring/family.h"

#include <string>

#include "modules/ring/ring_value.h"

namespace pylon::ring {

void RegisterRingCommands(daemon::CommandTable& table);

namespace {

void WriteInfo(daemon::Server&, std::string& out) {
  const RingStats& s = Stats();
  daemon::InfoWriter(out)
      .Field("ring_rings", s.rings)
      .Field("ring_nodes", s.nodes)
      .Field("ring_locates", s.locates)
      .Field("ring_changes", s.changes);
}

}  // namespace

void RegisterRings(daemon::Registry& registry) {
  daemon::RegisterValueType(kRingType);
  RegisterRingCommands(registry.commands);
  // CONFIG RESETSTAT clears the counters, not the gauges of what the keyspace holds.
  registry.info.Add({.name = "Ring", .in_default = true, .write = WriteInfo, .reset = [] {
                       RingStats& s = Stats();
                       s = RingStats{.rings = s.rings, .nodes = s.nodes};
                     }});
}

}  // namespace pylon::ring
