#include "modules/experiment/family.h"

#include <string>

#include "modules/experiment/experiment_value.h"

namespace pylon::experiment {

void RegisterExperimentCommands(daemon::CommandTable& table);

namespace {

void WriteInfo(daemon::Server&, std::string& out) {
  const ExperimentStats& s = Stats();
  daemon::InfoWriter(out)
      .Field("experiments", s.experiments)
      .Field("exp_assigned", s.assigned)
      .Field("exp_excluded", s.excluded);
}

}  // namespace

void RegisterExperiments(daemon::Registry& registry) {
  daemon::RegisterValueType(kExperimentType);
  RegisterExperimentCommands(registry.commands);
  // CONFIG RESETSTAT clears the counters, not the gauge of what the keyspace holds.
  registry.info.Add({.name = "Experiments", .in_default = true, .write = WriteInfo, .reset = [] {
                       Stats() = ExperimentStats{.experiments = Stats().experiments};
                     }});
}

}  // namespace pylon::experiment
