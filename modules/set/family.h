// Redis's sets (SADD, SMEMBERS, SINTER, ...): their value type and commands.
#pragma once

#include "daemon/registry.h"

namespace pylon::set {

void RegisterSets(daemon::Registry& registry);

}  // namespace pylon::set
