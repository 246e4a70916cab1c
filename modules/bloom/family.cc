#include "modules/bloom/family.h"

#include <string>

#include "modules/bloom/bloom_value.h"

namespace pylon::bloom {

void RegisterBloomCommands(daemon::Registry& registry);

namespace {

void WriteInfo(daemon::HandlerServices& services, std::string& out) {
  const BloomStats& s = services.family_states.Get<BloomStats>();
  daemon::InfoWriter(out)
      .Field("bf_filters", s.filters)
      .Field("bf_bytes", s.bytes)
      .Field("bf_items_added", s.added)
      .Field("bf_items_refused", s.refused)
      .Field("bf_checks", s.checked)
      .Field("bf_checks_found", s.found)
      .Field("bf_scaled", s.scaled);
}

// CONFIG RESETSTAT clears the counters, not the gauges of what the keyspace holds.
void ResetInfo(daemon::HandlerServices& services) {
  BloomStats& s = services.family_states.Get<BloomStats>();
  s = BloomStats{.filters = s.filters, .bytes = s.bytes};
}

}  // namespace

void RegisterBloom(daemon::Registry& registry) {
  daemon::RegisterValueType(kBloomType);
  registry.states.Make<BloomStats>();
  RegisterBloomCommands(registry);
  registry.info.Add({.name = "Bloom", .in_default = true, .write = WriteInfo, .reset = ResetInfo});
}

}  // namespace pylon::bloom
