// Redis's list commands, with its syntax, replies and error texts (Redis 7.0 t_list.c), over
// the list core (list.h). The blocking ones are in list_blocking_commands.cc.
#include <memory>
#include <optional>

#include "daemon/command_helpers.h"
#include "daemon/keyspace.h"
#include "daemon/keyspace_events.h"
#include "daemon/registry.h"
#include "modules/list/list_common.h"

namespace pylon::list {
namespace {

using daemon::CommandContext;
using daemon::KeyRef;
using daemon::Lookup;

// The list under args[1] for a command that only reads: nullptr when absent, *ok false after
// WRONGTYPE.
const List* FindForRead(CommandContext& ctx, bool* ok) {
  const ListValue* v = FindList(ctx, ctx.args[1], Lookup::kRead, ok);
  return v ? &v->list() : nullptr;
}

// LPUSH, RPUSH, LPUSHX, RPUSHX key element [element ...]: the length after the pushes.
void Push(CommandContext& ctx, End end, bool only_existing) {
  KeyRef ref = ctx.keyspace().Locate(ctx.args[1], Lookup::kWrite);
  if (!daemon::CheckTypeOrReply(ctx, ref.entry, kListType)) return;
  const Limits limits = LimitsOf(ctx);
  size_t length;
  if (ref.entry) {
    ListValue* list = static_cast<ListValue*>(ref.entry->object());
    for (size_t i = 2; i < ctx.args.size(); i++) list->Push(end, ctx.args[i], limits);
    length = list->list().Size();
    ctx.keyspace().Modified(ref);
  } else {
    if (only_existing) {
      ctx.reply.Integer(0);
      return;
    }
    auto fresh = std::make_unique<ListValue>();
    for (size_t i = 2; i < ctx.args.size(); i++) fresh->Push(end, ctx.args[i], limits);
    length = fresh->list().Size();
    ctx.keyspace().SetObject(ref, std::move(fresh), daemon::Ttl::Clear());
  }
  ctx.reply.Integer(static_cast<int64_t>(length));
  ctx.Notify(daemon::kEventList, end == End::kHead ? "lpush" : "rpush", ctx.args[1]);
}

void CmdLpush(CommandContext& ctx) { Push(ctx, End::kHead, false); }
void CmdRpush(CommandContext& ctx) { Push(ctx, End::kTail, false); }
void CmdLpushx(CommandContext& ctx) { Push(ctx, End::kHead, true); }
void CmdRpushx(CommandContext& ctx) { Push(ctx, End::kTail, true); }

// LPOP, RPOP key [count]: one element as a bulk string, or with a count an array (a null array
// for a missing key, an empty one for count 0).
void Pop(CommandContext& ctx, End end) {
  if (ctx.args.size() > 3) {
    ctx.reply.Error(ctx.cmd.WrongArity());
    return;
  }
  const bool has_count = ctx.args.size() == 3;
  int64_t count = 0;
  if (has_count && !daemon::ParseRangeOrReply(ctx, ctx.args[2], 0, INT64_MAX, &count,
                                              "ERR value is out of range, must be positive")) {
    return;
  }
  bool ok;
  ListValue* v = FindList(ctx, ctx.args[1], Lookup::kWrite, &ok);
  if (!ok) return;
  if (!v) {
    if (has_count) {
      ctx.reply.NullArray();
    } else {
      ctx.reply.Null();
    }
    return;
  }
  if (!has_count) {
    ctx.reply.Bulk(v->list().Peek(end));
    v->Pop(end);
  } else if (count == 0) {
    ctx.reply.ArrayHeader(0);
    return;
  } else {
    PopRangeAndReply(ctx, *v, end, static_cast<size_t>(count));
  }
  FinishPop(ctx, ctx.args[1], v, end);
}

void CmdLpop(CommandContext& ctx) { Pop(ctx, End::kHead); }
void CmdRpop(CommandContext& ctx) { Pop(ctx, End::kTail); }

// LLEN key
void CmdLlen(CommandContext& ctx) {
  bool ok;
  const List* list = FindForRead(ctx, &ok);
  if (ok) ctx.reply.Integer(list ? static_cast<int64_t>(list->Size()) : 0);
}

// LINDEX key index
void CmdLindex(CommandContext& ctx) {
  bool ok;
  const List* list = FindForRead(ctx, &ok);
  if (!ok) return;
  if (!list) {
    ctx.reply.Null();
    return;
  }
  int64_t index;
  if (!daemon::ParseIntOrReply(ctx, ctx.args[2], &index)) return;
  const std::optional<std::string_view> v = list->At(index);
  if (v) {
    ctx.reply.Bulk(*v);
  } else {
    ctx.reply.Null();
  }
}

// LRANGE key start stop: indexes as Redis reads them (negative from the tail, clamped).
void CmdLrange(CommandContext& ctx) {
  int64_t start, stop;
  if (!daemon::ParseIntOrReply(ctx, ctx.args[2], &start) ||
      !daemon::ParseIntOrReply(ctx, ctx.args[3], &stop)) {
    return;
  }
  bool ok;
  const List* list = FindForRead(ctx, &ok);
  if (!ok) return;
  const int64_t length = list ? static_cast<int64_t>(list->Size()) : 0;
  if (start < 0) start += length;
  if (stop < 0) stop += length;
  if (start < 0) start = 0;
  if (start > stop || start >= length) {
    ctx.reply.ArrayHeader(0);
    return;
  }
  if (stop >= length) stop = length - 1;
  int64_t left = stop - start + 1;
  ctx.reply.ArrayHeader(left);
  list->Walk(static_cast<size_t>(start), false, [&](std::string_view v) {
    ctx.reply.Bulk(v);
    return --left > 0;
  });
}

// LSET key index element
void CmdLset(CommandContext& ctx) {
  bool ok;
  ListValue* v = FindList(ctx, ctx.args[1], Lookup::kWrite, &ok);
  if (!ok) return;
  if (!v) {
    ctx.reply.Error(daemon::kErrNoSuchKey);
    return;
  }
  int64_t index;
  if (!daemon::ParseIntOrReply(ctx, ctx.args[2], &index)) return;
  if (!v->Set(index, ctx.args[3], LimitsOf(ctx))) {
    ctx.reply.Error("ERR index out of range");
    return;
  }
  KeyRef ref = ctx.keyspace().Locate(ctx.args[1], Lookup::kPeek);
  ctx.keyspace().Modified(ref);
  ctx.reply.Ok();
  ctx.Notify(daemon::kEventList, "lset", ctx.args[1]);
}

// LINSERT key BEFORE|AFTER pivot element: the new length, -1 without the pivot, 0 without key.
void CmdLinsert(CommandContext& ctx) {
  bool after;
  if (daemon::IsArg(ctx.args[2], "AFTER")) {
    after = true;
  } else if (daemon::IsArg(ctx.args[2], "BEFORE")) {
    after = false;
  } else {
    ctx.reply.Error(daemon::kErrSyntax);
    return;
  }
  bool ok;
  ListValue* v = FindList(ctx, ctx.args[1], Lookup::kWrite, &ok);
  if (!ok) return;
  if (!v) {
    ctx.reply.Integer(0);
    return;
  }
  if (!v->Insert(ctx.args[3], after, ctx.args[4], LimitsOf(ctx))) {
    ctx.reply.Integer(-1);
    return;
  }
  KeyRef ref = ctx.keyspace().Locate(ctx.args[1], Lookup::kPeek);
  ctx.keyspace().Modified(ref);
  ctx.Notify(daemon::kEventList, "linsert", ctx.args[1]);
  ctx.reply.Integer(static_cast<int64_t>(v->list().Size()));
}

// LREM key count element
void CmdLrem(CommandContext& ctx) {
  int64_t count;
  if (!daemon::ParseIntOrReply(ctx, ctx.args[2], &count)) return;
  bool ok;
  ListValue* v = FindList(ctx, ctx.args[1], Lookup::kWrite, &ok);
  if (!ok) return;
  if (!v) {
    ctx.reply.Integer(0);
    return;
  }
  const size_t removed = v->Remove(ctx.args[3], count);
  if (removed > 0) {
    KeyRef ref = ctx.keyspace().Locate(ctx.args[1], Lookup::kPeek);
    ctx.Notify(daemon::kEventList, "lrem", ctx.args[1]);
    if (v->list().empty()) {
      ctx.keyspace().Delete(ref);
      ctx.Notify(daemon::kEventGeneric, "del", ctx.args[1]);
    } else {
      ctx.keyspace().Modified(ref);
    }
  }
  ctx.reply.Integer(static_cast<int64_t>(removed));
}

// LTRIM key start stop: keeps [start, stop]; Redis sends "ltrim" even when nothing goes.
void CmdLtrim(CommandContext& ctx) {
  int64_t start, stop;
  if (!daemon::ParseIntOrReply(ctx, ctx.args[2], &start) ||
      !daemon::ParseIntOrReply(ctx, ctx.args[3], &stop)) {
    return;
  }
  bool ok;
  ListValue* v = FindList(ctx, ctx.args[1], Lookup::kWrite, &ok);
  if (!ok) return;
  if (!v) {
    ctx.reply.Ok();
    return;
  }
  const int64_t length = static_cast<int64_t>(v->list().Size());
  if (start < 0) start += length;
  if (stop < 0) stop += length;
  if (start < 0) start = 0;
  int64_t from_head, from_tail;
  if (start > stop || start >= length) {
    from_head = length;
    from_tail = 0;
  } else {
    if (stop >= length) stop = length - 1;
    from_head = start;
    from_tail = length - stop - 1;
  }
  v->PopMany(End::kHead, static_cast<size_t>(from_head));
  v->PopMany(End::kTail, static_cast<size_t>(from_tail));
  ctx.Notify(daemon::kEventList, "ltrim", ctx.args[1]);
  KeyRef ref = ctx.keyspace().Locate(ctx.args[1], Lookup::kPeek);
  if (v->list().empty()) {
    ctx.keyspace().Delete(ref);
    ctx.Notify(daemon::kEventGeneric, "del", ctx.args[1]);
  } else {
    ctx.keyspace().Modified(ref);
  }
  ctx.reply.Ok();
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
void CmdLpos(CommandContext& ctx) {
  int64_t rank = 1, count = -1, maxlen = 0;  // count -1: no COUNT
  for (size_t i = 3; i < ctx.args.size(); i++) {
    const bool has_value = i + 1 < ctx.args.size();
    if (daemon::IsArg(ctx.args[i], "RANK") && has_value) {
      if (!daemon::ParseIntOrReply(ctx, ctx.args[++i], &rank)) return;
      if (rank == 0) {
        ctx.reply.Error(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
            "or use negative to start from the end of the list");
        return;
      }
    } else if (daemon::IsArg(ctx.args[i], "COUNT") && has_value) {
      if (!daemon::ParseRangeOrReply(ctx, ctx.args[++i], 0, INT64_MAX, &count,
                                     "ERR COUNT can't be negative")) {
        return;
      }
    } else if (daemon::IsArg(ctx.args[i], "MAXLEN") && has_value) {
      if (!daemon::ParseRangeOrReply(ctx, ctx.args[++i], 0, INT64_MAX, &maxlen,
                                     "ERR MAXLEN can't be negative")) {
        return;
      }
    } else {
      ctx.reply.Error(daemon::kErrSyntax);
      return;
    }
  }
  bool ok;
  const List* list = FindForRead(ctx, &ok);
  if (!ok) return;
  if (!list) {
    if (count != -1) {
      ctx.reply.ArrayHeader(0);
    } else {
      ctx.reply.Null();
    }
    return;
  }
  const bool reverse = rank < 0;
  // Matches to pass before the first one reported. Redis 7.0 negates the rank in a long, so
  // RANK -9223372036854775808 stays negative there and reports the first match from the tail.
  const uint64_t skip =
      rank == INT64_MIN
          ? 0
          : (reverse ? 0 - static_cast<uint64_t>(rank) : static_cast<uint64_t>(rank)) - 1;
  const int64_t length = static_cast<int64_t>(list->Size());
  protocol::ReplyBuffer::Mark mark{};
  if (count != -1) mark = ctx.reply.BeginDeferred();
  int64_t scanned = 0, matches = 0, replied = 0, found = -1;
  list->Walk(reverse ? list->Size() - 1 : 0, reverse, [&](std::string_view v) {
    if (maxlen != 0 && scanned >= maxlen) return false;
    const int64_t index = reverse ? length - 1 - scanned : scanned;
    scanned++;
    if (v != ctx.args[2] || static_cast<uint64_t>(matches++) < skip) return true;
    if (count == -1) {
      found = index;
      return false;
    }
    ctx.reply.Integer(index);
    replied++;
    return count == 0 || replied < count;
  });
  if (count != -1) {
    ctx.reply.EndDeferredArray(mark, replied);
  } else if (found >= 0) {
    ctx.reply.Integer(found);
  } else {
    ctx.reply.Null();
  }
}

// LMOVE source destination LEFT|RIGHT LEFT|RIGHT, and RPOPLPUSH source destination.
void Move(CommandContext& ctx, End from, End to) {
  bool ok;
  ListValue* source = FindList(ctx, ctx.args[1], Lookup::kWrite, &ok);
  if (!ok) return;
  if (!source) {
    ctx.reply.Null();
    return;
  }
  MoveAndReply(ctx, ctx.args[1], source, ctx.args[2], from, to);
}

void CmdLmove(CommandContext& ctx) {
  End from, to;
  if (!ParseEndOrReply(ctx, ctx.args[3], &from) || !ParseEndOrReply(ctx, ctx.args[4], &to)) {
    return;
  }
  Move(ctx, from, to);
}

void CmdRpoplpush(CommandContext& ctx) { Move(ctx, End::kTail, End::kHead); }

// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]: from the first non-empty list.
void CmdLmpop(CommandContext& ctx) {
  MultiPopArgs parsed;
  if (!ParseMultiPopOrReply(ctx, 1, &parsed)) return;
  for (std::string_view key : parsed.keys) {
    bool ok;
    ListValue* v = FindList(ctx, key, Lookup::kWrite, &ok);
    if (!ok) return;
    if (!v) continue;
    PopKeyedRangeAndReply(ctx, key, v, parsed.end, parsed.count);
    return;
  }
  ctx.reply.NullArray();
}

}  // namespace

void RegisterListCommands(daemon::Registry& registry) {
  using namespace daemon;
  CommandGroup group(registry.commands, "list");
  constexpr std::string_view kPush = "key element ...";
  group.AddKeyed({.name = "lpush",
                  .arity = -3,
                  .flags = kCmdWrite | kCmdDenyOom | kCmdFast,
                  .handler = CmdLpush,
                  .since = "1.0.0",
                  .summary = "Prepend one or multiple elements to a list",
                  .complexity = "O(1) for each element added, so O(N) to add N elements when "
                                "the command is called with multiple arguments.",
                  .syntax = kPush,
                  .key_flags = {"RW", "insert"}});
  group.AddKeyed({.name = "rpush",
                  .arity = -3,
                  .flags = kCmdWrite | kCmdDenyOom | kCmdFast,
                  .handler = CmdRpush,
                  .since = "1.0.0",
                  .summary = "Append one or multiple elements to a list",
                  .complexity = "O(1) for each element added, so O(N) to add N elements when "
                                "the command is called with multiple arguments.",
                  .syntax = kPush,
                  .key_flags = {"RW", "insert"}});
  group.AddKeyed({.name = "lpushx",
                  .arity = -3,
                  .flags = kCmdWrite | kCmdDenyOom | kCmdFast,
                  .handler = CmdLpushx,
                  .since = "2.2.0",
                  .summary = "Prepend an element to a list, only if the list exists",
                  .complexity = "O(1) for each element added, so O(N) to add N elements when "
                                "the command is called with multiple arguments.",
                  .syntax = kPush,
                  .key_flags = {"RW", "insert"}});
  group.AddKeyed({.name = "rpushx",
                  .arity = -3,
                  .flags = kCmdWrite | kCmdDenyOom | kCmdFast,
                  .handler = CmdRpushx,
                  .since = "2.2.0",
                  .summary = "Append an element to a list, only if the list exists",
                  .complexity = "O(1) for each element added, so O(N) to add N elements when "
                                "the command is called with multiple arguments.",
                  .syntax = kPush,
                  .key_flags = {"RW", "insert"}});
  group.AddKeyed({.name = "lpop",
                  .arity = -2,
                  .flags = kCmdWrite | kCmdFast,
                  .handler = CmdLpop,
                  .since = "1.0.0",
                  .summary = "Remove and get the first elements in a list",
                  .complexity = "O(N) where N is the number of elements returned",
                  .syntax = "key [count:integer]",
                  .key_flags = {"RW", "access", "delete"}});
  group.AddKeyed({.name = "rpop",
                  .arity = -2,
                  .flags = kCmdWrite | kCmdFast,
                  .handler = CmdRpop,
                  .since = "1.0.0",
                  .summary = "Remove and get the last elements in a list",
                  .complexity = "O(N) where N is the number of elements returned",
                  .syntax = "key [count:integer]",
                  .key_flags = {"RW", "access", "delete"}});
  group.AddKeyed({.name = "llen",
                  .arity = 2,
                  .flags = kCmdReadonly | kCmdFast,
                  .handler = CmdLlen,
                  .since = "1.0.0",
                  .summary = "Get the length of a list",
                  .complexity = "O(1)",
                  .syntax = "key",
                  .key_flags = {"RO"}});
  group.AddKeyed({.name = "lindex",
                  .arity = 3,
                  .flags = kCmdReadonly,
                  .handler = CmdLindex,
                  .since = "1.0.0",
                  .summary = "Get an element from a list by its index",
                  .complexity = "O(N) where N is the number of elements to traverse to get to "
                                "the element at index. This makes asking for the first or the "
                                "last element of the list O(1).",
                  .syntax = "key index:integer"});
  group.AddKeyed({.name = "lrange",
                  .arity = 4,
                  .flags = kCmdReadonly,
                  .handler = CmdLrange,
                  .since = "1.0.0",
                  .summary = "Get a range of elements from a list",
                  .complexity = "O(S+N) where S is the distance of start offset from HEAD for "
                                "small lists, from nearest end (HEAD or TAIL) for large lists; "
                                "and N is the number of elements in the specified range.",
                  .syntax = "key start:integer stop:integer"});
  group.AddKeyed({.name = "lset",
                  .arity = 4,
                  .flags = kCmdWrite | kCmdDenyOom,
                  .handler = CmdLset,
                  .since = "1.0.0",
                  .summary = "Set the value of an element in a list by its index",
                  .complexity = "O(N) where N is the length of the list. Setting either the "
                                "first or the last element of the list is O(1).",
                  .syntax = "key index:integer element"});
  group.AddKeyed({.name = "linsert",
                  .arity = 5,
                  .flags = kCmdWrite | kCmdDenyOom,
                  .handler = CmdLinsert,
                  .since = "2.2.0",
                  .summary = "Insert an element before or after another element in a list",
                  .complexity = "O(N) where N is the number of elements to traverse before "
                                "seeing the value pivot. This means that inserting somewhere on "
                                "the left end on the list (head) can be considered O(1) and "
                                "inserting somewhere on the right end (tail) is O(N).",
                  .syntax = "key (where: BEFORE | AFTER) pivot element",
                  .key_flags = {"RW", "insert"}});
  group.AddKeyed({.name = "lrem",
                  .arity = 4,
                  .flags = kCmdWrite,
                  .handler = CmdLrem,
                  .since = "1.0.0",
                  .summary = "Remove elements from a list",
                  .complexity = "O(N+M) where N is the length of the list and M is the number "
                                "of elements removed.",
                  .syntax = "key count:integer element",
                  .key_flags = {"RW", "delete"}});
  group.AddKeyed({.name = "ltrim",
                  .arity = 4,
                  .flags = kCmdWrite,
                  .handler = CmdLtrim,
                  .since = "1.0.0",
                  .summary = "Trim a list to the specified range",
                  .complexity = "O(N) where N is the number of elements to be removed by the "
                                "operation.",
                  .syntax = "key start:integer stop:integer",
                  .key_flags = {"RW", "delete"}});
  group.AddKeyed({.name = "lpos",
                  .arity = -3,
                  .flags = kCmdReadonly,
                  .handler = CmdLpos,
                  .since = "6.0.6",
                  .summary = "Return the index of matching elements on a list",
                  .complexity = "O(N) where N is the number of elements in the list, for the "
                                "average case. When searching for elements near the head or the "
                                "tail of the list, or when the MAXLEN option is provided, the "
                                "command may run in constant time.",
                  .syntax = "key element [RANK rank:integer] [COUNT num-matches:integer] "
                            "[MAXLEN len:integer]"});
  group.Add({.name = "lmove",
             .arity = 5,
             .flags = kCmdWrite | kCmdDenyOom,
             .first_key = 1,
             .last_key = 2,
             .key_step = 1,
             .handler = CmdLmove,
             .since = "6.2.0",
             .summary = "Pop an element from a list, push it to another list and return it",
             .complexity = "O(1)",
             .syntax = "source:key destination:key (wherefrom: LEFT | RIGHT) "
                       "(whereto: LEFT | RIGHT)"});
  group.Add({.name = "rpoplpush",
             .arity = 3,
             .flags = kCmdWrite | kCmdDenyOom,
             .first_key = 1,
             .last_key = 2,
             .key_step = 1,
             .handler = CmdRpoplpush,
             .since = "1.2.0",
             .summary = "Remove the last element in a list, prepend it to another list and "
                        "return it",
             .complexity = "O(1)",
             .syntax = "source:key destination:key"});
  group.Add({.name = "lmpop",
             .arity = -4,
             .flags = kCmdWrite | kCmdMovableKeys,
             .numkeys_index = 1,
             .handler = CmdLmpop,
             .since = "7.0.0",
             .summary = "Pop elements from a list",
             .complexity = "O(N+M) where N is the number of provided keys and M is the number "
                           "of elements returned.",
             .syntax = "numkeys:integer key ... (where: LEFT | RIGHT) [COUNT count:integer]"});
}

}  // namespace pylon::list
