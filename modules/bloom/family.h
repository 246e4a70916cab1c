// The Bloom filter family (BF.*, as RedisBloom has it): its value type, commands and INFO
// section.
#pragma once

#include "daemon/registry.h"

namespace pylon::bloom {

void RegisterBloom(daemon::Registry& registry);

}  // namespace pylon::bloom
