// What the list commands (list_commands.cc) and the blocking ones (list_blocking_commands.cc)
// share: finding a list under any key of the call, the bookkeeping after a push or a pop (the
// keyspace, keyspace events, the key's deletion with its last element), LMOVE's move, and the
// argument readers both grammars use.
#pragma once

#include <cstdint>
#include <string_view>

#include "daemon/command_table.h"
#include "daemon/keyspace.h"
#include "modules/list/list_value.h"

namespace pylon::list {

Limits LimitsOf(const daemon::CommandContext& ctx);

// The list under `key`, looked up `how`: nullptr when the key is absent; nullptr and *ok false
// after a WRONGTYPE reply.
ListValue* FindList(daemon::CommandContext& ctx, std::string_view key, daemon::Lookup how,
                    bool* ok);

// After elements were popped from `end` of the list under `key`: Redis's "lpop"/"rpop" event,
// then the key's deletion (and "del") with its last element, or the keyspace told of the change.
void FinishPop(daemon::CommandContext& ctx, std::string_view key, ListValue* list, End end);

// Replies up to `count` elements popped from `end`, in pop order, as an array, and pops them
// (LPOP key count, LMPOP); the list is not empty. Returns how many.
size_t PopRangeAndReply(daemon::CommandContext& ctx, ListValue& list, End end, size_t count);
// LMPOP and BLMPOP's reply from the list under key: [key, [elements...]], then FinishPop.
void PopKeyedRangeAndReply(daemon::CommandContext& ctx, std::string_view key, ListValue* list,
                           End end, size_t count);

// LMOVE from the non-empty list `source` under args src to the list under `destination`, which
// must be a list or absent (WRONGTYPE otherwise, nothing moved). Replies the element moved.
void MoveAndReply(daemon::CommandContext& ctx, std::string_view source, ListValue* source_list,
                  std::string_view destination, End from, End to);

// LEFT or RIGHT (case-insensitive), else a syntax error.
bool ParseEndOrReply(daemon::CommandContext& ctx, std::string_view arg, End* end);

// LMPOP and BLMPOP's grammar from args[numkeys_at]: numkeys key... LEFT|RIGHT [COUNT count].
struct MultiPopArgs {
  daemon::Args keys;
  End end = End::kHead;
  size_t count = 1;
};
bool ParseMultiPopOrReply(daemon::CommandContext& ctx, size_t numkeys_at, MultiPopArgs* out);

}  // namespace pylon::list
