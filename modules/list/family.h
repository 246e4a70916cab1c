// Redis's lists (LPUSH, BLPOP, ...): their value type and commands.
#pragma once

#include "daemon/registry.h"

namespace pylon::list {

void RegisterLists(daemon::Registry& registry);

}  // namespace pylon::list
