#include "modules/keys/family.h"

namespace pylon::keys {

void RegisterKeys(daemon::Registry& registry) {
  RegisterKeyCommands(registry);
  RegisterExpireCommands(registry);
  RegisterScanCommands(registry);
  RegisterObjectCommands(registry);
  RegisterSortCommands(registry);
}

}  // namespace pylon::keys
