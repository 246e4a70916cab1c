// The rate-limiting family: RL.ALLOW (six algorithms), RL.ALLOWALL (several limits at once,
// all or nothing), RL.RESET, RL.INFO, and CL.THROTTLE as redis-cell answers it. Each limiter is
// a typed value in the keyspace (TYPE "ratelimit"), which expires by itself once it is full.
#pragma once

#include "daemon/registry.h"

namespace pylon::ratelimit {

void RegisterRateLimit(daemon::Registry& registry);

}  // namespace pylon::ratelimit
