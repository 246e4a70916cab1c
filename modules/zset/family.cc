#include "modules/zset/family.h"

#include "modules/zset/zset_value.h"

namespace pylon::zset {

void RegisterZsetCommands(daemon::Registry& registry);
void RegisterZsetRangeCommands(daemon::Registry& registry);
void RegisterZsetPopCommands(daemon::Registry& registry);
void RegisterZsetAlgebraCommands(daemon::Registry& registry);

void RegisterSortedSets(daemon::Registry& registry) {
  daemon::RegisterValueType(kZsetType);
  RegisterZsetCommands(registry);
  RegisterZsetRangeCommands(registry);
  RegisterZsetPopCommands(registry);
  RegisterZsetAlgebraCommands(registry);
}

}  // namespace pylon::zset
