#include "modules/bloom/family.h"

#include <string>

#include "modules/bloom/bloom_value.h"

namespace pylon::bloom {

void RegisterBloomCommands(daemon::CommandTable& table);

namespace {

void WriteInfo(daemon::Server&, std::string& out) {
  const BloomStats& s = Stats();
  daemon::InfoWriter(out)
      .Field("bf_filters", s.filters)
      .Field("bf_bytes", s.bytes)
      .Field("bf_items_added", s.added)
      .Field("bf_items_refused", s.refused)
      .Field("bf_checks", s.checked)
      .Field("bf_checks_found", s.found)
      .Field("bf_scaled", s.scaled);
}

}  // namespace

void RegisterBloom(daemon::Registry& registry) {
  daemon::RegisterValueType(kBloomType);
  RegisterBloomCommands(registry.commands);
  // Resetting (CONFIG RESETSTAT) clears the counters, not the gauges of what the keyspace holds.
  registry.info.Add({.name = "Bloom", .in_default = true, .write = WriteInfo, .reset = [] {
                       BloomStats& s = Stats();
                       s = BloomStats{.filters = s.filters, .bytes = s.bytes};
                     }});
}

}  // namespace pylon::bloom
