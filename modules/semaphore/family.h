// Load-shedding semaphores (SEM.*): their value type, commands and INFO section.
#pragma once

#include "daemon/registry.h"

namespace pylon::semaphore {

void RegisterSemaphores(daemon::Registry& registry);

}  // namespace pylon::semaphore
