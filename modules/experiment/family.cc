#include "modules/experiment/family.h"

#include <string>

#include "modules/experiment/experiment_value.h"

namespace pylon::experiment {

void RegisterExperimentCommands(daemon::Registry& registry);

namespace {

void WriteInfo(daemon::HandlerServices& services, std::string& out) {
  const ExperimentStats& s = services.family_states.Get<ExperimentStats>();
  daemon::InfoWriter(out)
      .Field("experiments", s.experiments)
      .Field("exp_assigned", s.assigned)
      .Field("exp_excluded", s.excluded);
}

// CONFIG RESETSTAT clears the counters, not the gauge of what the keyspace holds.
void ResetInfo(daemon::HandlerServices& services) {
  ExperimentStats& s = services.family_states.Get<ExperimentStats>();
  s = ExperimentStats{.experiments = s.experiments};
}

}  // namespace

void RegisterExperiments(daemon::Registry& registry) {
  daemon::RegisterValueType(kExperimentType);
  registry.states.Make<ExperimentStats>();
  RegisterExperimentCommands(registry);
  registry.info.Add(
      {.name = "Experiments", .in_default = true, .write = WriteInfo, .reset = ResetInfo});
}

}  // namespace pylon::experiment
