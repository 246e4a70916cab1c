// The generic key commands: they work on a key whatever type it holds (DEL, EXISTS, TYPE,
// EXPIRE and TTL, RENAME, KEYS, SCAN, RANDOMKEY, OBJECT, MEMORY USAGE, SORT ...).
#pragma once

#include "daemon/registry.h"

namespace pylon::keys {

void RegisterKeys(daemon::Registry& registry);

// One file per group of commands; each registers its own.
void RegisterKeyCommands(daemon::Registry& registry);
void RegisterExpireCommands(daemon::Registry& registry);
void RegisterScanCommands(daemon::Registry& registry);
void RegisterObjectCommands(daemon::Registry& registry);
void RegisterSortCommands(daemon::Registry& registry);

}  // namespace pylon::keys
