#include "modules/list/family.h"

#include "modules/list/list_value.h"

namespace pylon::list {

void RegisterListCommands(daemon::Registry& registry);
void RegisterBlockingListCommands(daemon::Registry& registry);

void RegisterLists(daemon::Registry& registry) {
  daemon::RegisterValueType(kListType);
  RegisterListCommands(registry);
  RegisterBlockingListCommands(registry);
}

}  // namespace pylon::list
