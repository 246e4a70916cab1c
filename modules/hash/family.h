// Redis's hashes (HSET, HGET, ...): their value type and commands.
#pragma once

#include "daemon/registry.h"

namespace pylon::hash {

void RegisterHashes(daemon::Registry& registry);

}  // namespace pylon::hash
