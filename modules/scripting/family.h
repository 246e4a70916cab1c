// Scripting: EVAL and SCRIPT (Lua scripts by SHA-1), FUNCTION and FCALL (Redis 7 functions).
// The engine is a pure core (lua_engine.h); runs go through daemon/script_runner.h.
#pragma once

#include "daemon/registry.h"

namespace pylon::scripting {

void RegisterScripting(daemon::Registry& registry);
void RegisterScriptCommands(daemon::Registry& registry);
void RegisterFunctionCommands(daemon::Registry& registry);

}  // namespace pylon::scripting
