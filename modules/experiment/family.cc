#include "modules/experiment/family.h"

#include <fmt/format.h>

#include <iterator>
#include <string>

#include "modules/experiment/experiment_value.h"

namespace pylon::experiment {

void RegisterExperimentCommands(daemon::CommandTable& table);

namespace {

void WriteInfo(daemon::Server&, std::string& out) {
  const ExperimentStats& s = Stats();
  fmt::format_to(std::back_inserter(out),
                 "experiments:{}\r\nexp_assigned:{}\r\nexp_excluded:{}\r\n", s.experiments,
                 s.assigned, s.excluded);
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
