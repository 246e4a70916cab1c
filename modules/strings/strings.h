// The string family: GET, SET and the rest of Redis's string commands, over the keyspace's
// built-in string values.
#pragma once

#include "daemon/registry.h"

namespace pylon::strings {

void RegisterStrings(daemon::Registry& registry);

}  // namespace pylon::strings
