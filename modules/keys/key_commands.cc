// DEL UNLINK COPY EXISTS TOUCH TYPE RENAME RENAMENX (Redis 7.0 db.c).
#include "daemon/command_helpers.h"
#include "daemon/keyspace.h"
#include "daemon/keyspace_events.h"
#include "modules/keys/family.h"

namespace pylon::keys {
namespace {

using daemon::CommandContext;
using daemon::Keyspace;
using daemon::Lookup;

Keyspace& Keys(CommandContext& ctx) { return ctx.keyspace(); }

// DEL key [key ...] and UNLINK key [key ...]: how many keys were removed. UNLINK leaves the
// freeing of a large collection to the background thread (daemon/lazy_free.h).
void DeleteKeys(CommandContext& ctx, bool lazy) {
  int64_t removed = 0;
  for (size_t i = 1; i < ctx.args.size(); i++) {
    daemon::KeyRef ref = Keys(ctx).Locate(ctx.args[i], Lookup::kExpire);
    if (lazy ? Keys(ctx).Unlink(ref) : Keys(ctx).Delete(ref)) {
      removed++;
      ctx.Notify(daemon::kEventGeneric, "del", ctx.args[i]);
    }
  }
  ctx.reply.Integer(removed);
}

void CmdDel(CommandContext& ctx) { DeleteKeys(ctx, false); }
void CmdUnlink(CommandContext& ctx) { DeleteKeys(ctx, true); }

// Counts the keys present, each time it is named (EXISTS k k counts k twice).
int64_t CountPresent(CommandContext& ctx, Lookup how) {
  int64_t count = 0;
  for (size_t i = 1; i < ctx.args.size(); i++) count += Keys(ctx).Find(ctx.args[i], how) != nullptr;
  return count;
}

// EXISTS key [key ...]
void CmdExists(CommandContext& ctx) { ctx.reply.Integer(CountPresent(ctx, Lookup::kReadNoTouch)); }

// TOUCH key [key ...]: refreshes the keys' last access time.
void CmdTouch(CommandContext& ctx) { ctx.reply.Integer(CountPresent(ctx, Lookup::kRead)); }

// TYPE key
void CmdType(CommandContext& ctx) {
  const daemon::Entry* e = Keys(ctx).Find(ctx.args[1], Lookup::kReadNoTouch);
  ctx.reply.Simple(e ? e->type().name : "none");
}

void RenameGeneric(CommandContext& ctx, bool only_if_absent) {
  const std::string_view src = ctx.args[1], dst = ctx.args[2];
  if (src == dst) {
    // Nothing moves, but a missing key is still an error.
    if (!Keys(ctx).Find(src, Lookup::kWrite)) {
      ctx.reply.Error(daemon::kErrNoSuchKey);
    } else if (only_if_absent) {
      ctx.reply.Integer(0);
    } else {
      ctx.reply.Ok();
    }
    return;
  }
  switch (Keys(ctx).Rename(src, dst, only_if_absent)) {
    case Keyspace::RenameResult::kNoSuchKey:
      ctx.reply.Error(daemon::kErrNoSuchKey);
      return;
    case Keyspace::RenameResult::kTargetExists:
      ctx.reply.Integer(0);
      return;
    case Keyspace::RenameResult::kRenamed:
      break;
  }
  ctx.Notify(daemon::kEventGeneric, "rename_from", src);
  ctx.Notify(daemon::kEventGeneric, "rename_to", dst);
  if (only_if_absent) {
    ctx.reply.Integer(1);
  } else {
    ctx.reply.Ok();
  }
}

// COPY source destination [DB destination-db] [REPLACE]: the value and its time to live, of any
// type, through the value's dump (as a key moved between nodes): O(size of the value), as
// Redis's copy. Pylon has one database, so DB takes only 0.
void CmdCopy(CommandContext& ctx) {
  bool replace = false;
  for (size_t i = 3; i < ctx.args.size(); i++) {
    if (daemon::IsArg(ctx.args[i], "REPLACE")) {
      replace = true;
    } else if (daemon::IsArg(ctx.args[i], "DB") && i + 1 < ctx.args.size()) {
      int64_t db;
      if (!daemon::ParseIntOrReply(ctx, ctx.args[++i], &db)) return;
      if (db < INT32_MIN || db > INT32_MAX) {
        ctx.reply.Error("ERR value is out of range, value must between -2147483648 and 2147483647");
        return;
      }
      if (db != 0) {
        ctx.reply.Error("ERR DB index is out of range");
        return;
      }
    } else {
      ctx.reply.Error(daemon::kErrSyntax);
      return;
    }
  }
  const std::string_view src = ctx.args[1], dst = ctx.args[2];
  if (src == dst) {
    ctx.reply.Error("ERR source and destination objects are the same");
    return;
  }
  const daemon::Entry* from = Keys(ctx).Find(src, Lookup::kRead);
  if (!from) {
    ctx.reply.Integer(0);
    return;
  }
  std::string dump;
  Keyspace::Dump(*from, &dump);
  const int64_t expire_ms = from->expire_ms();
  daemon::KeyRef to = Keys(ctx).Locate(dst, Lookup::kWrite);
  if (to.entry && !replace) {
    ctx.reply.Integer(0);
    return;
  }
  const daemon::Ttl ttl = expire_ms >= 0 ? daemon::Ttl::At(expire_ms) : daemon::Ttl::Clear();
  if (!Keys(ctx).RestoreInto(to, dump, ttl, ctx.services.family_states)) {
    // A value that dumps and does not restore is a bug of its type, not of the request.
    ctx.reply.Error("ERR the value of the source key could not be copied");
    return;
  }
  ctx.Notify(daemon::kEventGeneric, "copy_to", dst);
  ctx.reply.Integer(1);
}

// RENAME key newkey
void CmdRename(CommandContext& ctx) { RenameGeneric(ctx, false); }

// RENAMENX key newkey
void CmdRenamenx(CommandContext& ctx) { RenameGeneric(ctx, true); }

}  // namespace

void RegisterKeyCommands(daemon::Registry& registry) {
  using namespace daemon;
  CommandTable& t = registry.commands;
  CommandGroup group(t, "generic");
  group.Add({.name = "del",
             .arity = -2,
             .flags = kCmdWrite,
             .first_key = 1,
             .last_key = -1,
             .key_step = 1,
             .handler = CmdDel,
             .since = "1.0.0",
             .summary = "Delete a key",
             .complexity =
                 "O(N) where N is the number of keys that will be removed. When a key to "
                 "remove holds a value other than a string, the individual complexity for "
                 "this key is O(M) where M is the number of elements in the list, set, "
                 "sorted set or hash. Removing a single key that holds a string value is "
                 "O(1).",
             .syntax = "key ..."});
  group.Add(
      {.name = "unlink",
       .arity = -2,
       .flags = kCmdWrite | kCmdFast,
       .first_key = 1,
       .last_key = -1,
       .key_step = 1,
       .handler = CmdUnlink,
       .since = "4.0.0",
       .summary = "Delete a key asynchronously in another thread. Otherwise it is just as DEL, "
                  "but non blocking.",
       .complexity = "O(1) for each key removed regardless of its size. Then the command does "
                     "O(N) work in a different thread in order to reclaim memory, where N is "
                     "the number of allocations the deleted objects where composed of.",
       .syntax = "key ..."});
  group.Add({.name = "copy",
             .arity = -3,
             .flags = kCmdWrite | kCmdDenyOom,
             .first_key = 1,
             .last_key = 2,
             .key_step = 1,
             .handler = CmdCopy,
             .since = "6.2.0",
             .summary = "Copy a key",
             .complexity = "O(N) worst case for collections, where N is the number of nested "
                           "items. O(1) for string values.",
             .syntax = "source:key destination:key [DB destination-db:integer] [REPLACE]"});
  group.Add({.name = "exists",
             .arity = -2,
             .flags = kCmdReadonly | kCmdFast,
             .first_key = 1,
             .last_key = -1,
             .key_step = 1,
             .handler = CmdExists,
             .since = "1.0.0",
             .summary = "Determine if a key exists",
             .complexity = "O(N) where N is the number of keys to check.",
             .syntax = "key ..."});
  group.Add({.name = "touch",
             .arity = -2,
             .flags = kCmdReadonly | kCmdFast,
             .first_key = 1,
             .last_key = -1,
             .key_step = 1,
             .handler = CmdTouch,
             .since = "3.2.1",
             .summary =
                 "Alters the last access time of a key(s). Returns the number of existing keys "
                 "specified.",
             .complexity = "O(N) where N is the number of keys that will be touched.",
             .syntax = "key ..."});
  group.Add({.name = "type",
             .arity = 2,
             .flags = kCmdReadonly | kCmdFast,
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .handler = CmdType,
             .since = "1.0.0",
             .summary = "Determine the type stored at key",
             .complexity = "O(1)",
             .syntax = "key"});
  group.Add({.name = "rename",
             .arity = 3,
             .flags = kCmdWrite,
             .first_key = 1,
             .last_key = 2,
             .key_step = 1,
             .handler = CmdRename,
             .since = "1.0.0",
             .summary = "Rename a key",
             .complexity = "O(1)",
             .syntax = "key newkey:key"});
  group.Add({.name = "renamenx",
             .arity = 3,
             .flags = kCmdWrite | kCmdFast,
             .first_key = 1,
             .last_key = 2,
             .key_step = 1,
             .handler = CmdRenamenx,
             .since = "1.0.0",
             .summary = "Rename a key, only if the new key does not exist",
             .complexity = "O(1)",
             .syntax = "key newkey:key"});
}

}  // namespace pylon::keys
