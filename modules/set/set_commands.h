// What the set commands' two files share (set_commands.cc: one set at a time;
// set_algebra_commands.cc: SINTER, SUNION, SDIFF and their STORE and CARD forms).
#pragma once

#include <string_view>

#include "daemon/command_table.h"
#include "daemon/registry.h"
#include "modules/set/set.h"

namespace pylon::set {

// The server's set-max-intset-entries.
Limits LimitsOf(const daemon::CommandContext& ctx);

// The set under `key` for a read: nullptr when absent; nullptr and *ok false after WRONGTYPE.
const Set* FindSetForRead(daemon::CommandContext& ctx, std::string_view key, bool* ok);

// Replies the members as Redis's SMEMBERS does: a set in RESP3 (~n), an array in RESP2.
void ReplyMembers(daemon::CommandContext& ctx, const Set* set);

void RegisterSetCommands(daemon::Registry& registry);
void RegisterSetAlgebraCommands(daemon::Registry& registry);

}  // namespace pylon::set
