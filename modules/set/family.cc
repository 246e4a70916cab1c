#include "modules/set/family.h"

#include "modules/set/set_commands.h"
#include "modules/set/set_value.h"

namespace pylon::set {

void RegisterSets(daemon::Registry& registry) {
  daemon::RegisterValueType(kSetType);
  RegisterSetCommands(registry);
  RegisterSetAlgebraCommands(registry);
}

}  // namespace pylon::set
