#include "modules/breaker/family.h"

#include <fmt/format.h>

#include <iterator>
#include <string>

#include "modules/breaker/breaker_value.h"

namespace pylon::breaker {

void RegisterBreakerCommands(daemon::CommandTable& table);

namespace {

void WriteInfo(daemon::Server&, std::string& out) {
  const BreakerStats& s = Stats();
  fmt::format_to(std::back_inserter(out),
                 "breakers:{}\r\ncb_allowed:{}\r\ncb_refused:{}\r\ncb_recorded:{}\r\n"
                 "cb_transitions:{}\r\n",
                 s.breakers, s.allowed, s.refused, s.recorded, s.transitions);
}

}  // namespace

void RegisterBreakers(daemon::Registry& registry) {
  daemon::RegisterValueType(kBreakerType);
  RegisterBreakerCommands(registry.commands);
  // CONFIG RESETSTAT clears the counters, not the gauge of what the keyspace holds.
  registry.info.Add({.name = "Breakers", .in_default = true, .write = WriteInfo, .reset = [] {
                       BreakerStats& s = Stats();
                       s = BreakerStats{.breakers = s.breakers};
                     }});
}

}  // namespace pylon::breaker
