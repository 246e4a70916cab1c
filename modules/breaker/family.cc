#include "modules/breaker/family.h"

#include <string>

#include "modules/breaker/breaker_value.h"

namespace pylon::breaker {

void RegisterBreakerCommands(daemon::CommandTable& table);

namespace {

void WriteInfo(daemon::Server&, std::string& out) {
  const BreakerStats& s = Stats();
  daemon::InfoWriter(out)
      .Field("breakers", s.breakers)
      .Field("cb_allowed", s.allowed)
      .Field("cb_refused", s.refused)
      .Field("cb_recorded", s.recorded)
      .Field("cb_transitions", s.transitions);
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
