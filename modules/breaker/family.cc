#include "modules/breaker/family.h"

#include <string>

#include "modules/breaker/breaker_value.h"

namespace pylon::breaker {

void RegisterBreakerCommands(daemon::Registry& registry);

namespace {

void WriteInfo(daemon::HandlerServices& services, std::string& out) {
  const BreakerStats& s = services.family_states.Get<BreakerStats>();
  daemon::InfoWriter(out)
      .Field("breakers", s.breakers)
      .Field("cb_allowed", s.allowed)
      .Field("cb_refused", s.refused)
      .Field("cb_recorded", s.recorded)
      .Field("cb_transitions", s.transitions);
}

// CONFIG RESETSTAT clears the counters, not the gauge of what the keyspace holds.
void ResetInfo(daemon::HandlerServices& services) {
  BreakerStats& s = services.family_states.Get<BreakerStats>();
  s = BreakerStats{.breakers = s.breakers};
}

}  // namespace

void RegisterBreakers(daemon::Registry& registry) {
  daemon::RegisterValueType(kBreakerType);
  registry.states.Make<BreakerStats>();
  RegisterBreakerCommands(registry);
  registry.info.Add(
      {.name = "Breakers", .in_default = true, .write = WriteInfo, .reset = ResetInfo});
}

}  // namespace pylon::breaker
