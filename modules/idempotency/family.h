// Idempotency keys (IDEM.*): their value type, commands and INFO section.
#pragma once

#include "daemon/registry.h"

namespace pylon::idempotency {

void RegisterIdempotency(daemon::Registry& registry);

}  // namespace pylon::idempotency
