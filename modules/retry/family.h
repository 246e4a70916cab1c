// Retry backoff (RETRY.*): its value type, commands and INFO section.
#pragma once

#include "daemon/registry.h"

namespace pylon::retry {

void RegisterRetry(daemon::Registry& registry);

}  // namespace pylon::retry
