#include "modules/hash/family.h"

#include "modules/hash/hash_value.h"

namespace pylon::hash {

void RegisterHashCommands(daemon::Registry& registry);

void RegisterHashes(daemon::Registry& registry) {
  daemon::RegisterValueType(kHashType);
  RegisterHashCommands(registry);
}

}  // namespace pylon::hash
