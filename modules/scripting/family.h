// Scripting: EVAL and SCRIPT (Lua scripts by SHA-1), FUNCTION and FCALL (Redis 7 functions).
// The engine is a pure core (lua_engine.h); runs go through daemon/script_runner.h.
#pragma once

#include <string_view>

#include "daemon/command_table.h"
#include "daemon/registry.h"

namespace pylon::scripting {

void RegisterScripting(daemon::Registry& registry);

// EVAL's and FCALL's "name numkeys [key ...] [arg ...]": the keys and the arguments; false after
// replying Redis's error (`not_integer` when numkeys does not parse: the two words it
// differently).
bool ReadKeysAndArgsOrReply(daemon::CommandContext& ctx, std::string_view not_integer,
                            daemon::Args* keys, daemon::Args* args);
void RegisterScriptCommands(daemon::Registry& registry);
void RegisterFunctionCommands(daemon::Registry& registry);

}  // namespace pylon::scripting
