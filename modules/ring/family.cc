#include "modules/ring/family.h"

#include <fmt/format.h>

#include <iterator>
#include <string>

#include "modules/ring/ring_value.h"

namespace pylon::ring {

void RegisterRingCommands(daemon::CommandTable& table);

namespace {

void WriteInfo(daemon::Server&, std::string& out) {
  const RingStats& s = Stats();
  fmt::format_to(std::back_inserter(out),
                 "ring_rings:{}\r\nring_nodes:{}\r\nring_locates:{}\r\nring_changes:{}\r\n",
                 s.rings, s.nodes, s.locates, s.changes);
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
