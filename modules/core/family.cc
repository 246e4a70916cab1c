#include "modules/core/family.h"

namespace pylon::core {

void RegisterCore(daemon::Registry& registry) {
  RegisterConnectionCommands(registry);
  RegisterServerCommands(registry);
  RegisterIntrospectionCommands(registry);
  RegisterTransactionCommands(registry);
}

}  // namespace pylon::core
