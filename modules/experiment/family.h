// The experiment family (EXP.*): its value type, commands and INFO section.
#pragma once

#include "daemon/registry.h"

namespace pylon::experiment {

void RegisterExperiments(daemon::Registry& registry);

}  // namespace pylon::experiment
