// Redis's sorted sets (ZADD, ZRANGE, BZPOPMIN, ZUNIONSTORE, ...): their value type and commands.
#pragma once

#include "daemon/registry.h"

namespace pylon::zset {

void RegisterSortedSets(daemon::Registry& registry);

}  // namespace pylon::zset
