// The ring family (RING.*): its value type, commands and INFO section.
#pragma once

#include "daemon/registry.h"

namespace pylon::ring {

void RegisterRings(daemon::Registry& registry);

}  // namespace pylon::ring
