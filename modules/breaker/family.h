// The circuit breaker family (CB.*, Resilience4j's CircuitBreaker model): its value type,
// commands and INFO section.
#pragma once

#include "daemon/registry.h"

namespace pylon::breaker {

void RegisterBreakers(daemon::Registry& registry);

}  // namespace pylon::breaker
