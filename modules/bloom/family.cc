#include "modules/bloom/family.h"

#include <fmt/format.h>

#include <iterator>
#include <string>

#include "modules/bloom/bloom_value.h"

namespace pylon::bloom {

void RegisterBloomCommands(daemon::CommandTable& table);

namespace {

void WriteInfo(daemon::Server&, std::string& out) {
  const BloomStats& s = Stats();
  fmt::format_to(std::back_inserter(out),
                 "bf_filters:{}\r\nbf_bytes:{}\r\nbf_items_added:{}\r\nbf_items_refused:{}\r\n"
                 "bf_checks:{}\r\nbf_checks_found:{}\r\nbf_scaled:{}\r\n",
                 s.filters, s.bytes, s.added, s.refused, s.checked, s.found, s.scaled);
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
