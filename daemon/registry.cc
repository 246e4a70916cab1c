#include "daemon/registry.h"

#include "modules/core/core.h"

namespace pylon::daemon {

// The one place that knows every family.
void RegisterAll(Registry& registry) { core::RegisterCore(registry); }

}  // namespace pylon::daemon
