#include "modules/list/list_common.h"

#include <cmath>
#include <memory>
#include <string>

#include "daemon/command_helpers.h"
#include "daemon/config.h"
#include "daemon/keyspace_events.h"
#include "protocol/text.h"

namespace pylon::list {

using daemon::CommandContext;
using daemon::KeyRef;
using daemon::Lookup;

namespace {

std::string_view PopEvent(End end) { return end == End::kHead ? "lpop" : "rpop"; }
std::string_view PushEvent(End end) { return end == End::kHead ? "lpush" : "rpush"; }

}  // namespace

Limits LimitsOf(const CommandContext& ctx) {
  return {.max_listpack_size = ctx.config().list_max_listpack_size};
}

ListValue* FindList(CommandContext& ctx, std::string_view key, Lookup how, bool* ok) {
  const KeyRef ref = ctx.keyspace().Locate(key, how);
  *ok = daemon::CheckTypeOrReply(ctx, ref.entry, kListType);
  if (!*ok || !ref.entry) return nullptr;
  return static_cast<ListValue*>(ref.entry->object());
}

void FinishPop(CommandContext& ctx, std::string_view key, ListValue* list, End end) {
  ctx.Notify(daemon::kEventList, PopEvent(end), key);
  // The key was looked up already in this command: a peek finds it without counting again.
  KeyRef ref = ctx.keyspace().Locate(key, Lookup::kPeek);
  if (list->list().empty()) {
    ctx.keyspace().Delete(ref);
    ctx.Notify(daemon::kEventGeneric, "del", key);
  } else {
    ctx.keyspace().Modified(ref);
  }
}

size_t PopRangeAndReply(CommandContext& ctx, ListValue& value, End end, size_t count) {
  const List& list = value.list();
  const size_t n = std::min(count, list.Size());
  ctx.reply.ArrayHeader(static_cast<int64_t>(n));
  const bool from_tail = end == End::kTail;
  list.Walk(from_tail ? list.Size() - 1 : 0, from_tail, [&, left = n](std::string_view v) mutable {
    ctx.reply.Bulk(v);
    return --left > 0;
  });
  value.PopMany(end, n);
  return n;
}

void PopKeyedRangeAndReply(CommandContext& ctx, std::string_view key, ListValue* list, End end,
                           size_t count) {
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(key);
  PopRangeAndReply(ctx, *list, end, count);
  FinishPop(ctx, key, list, end);
}

void MoveAndReply(CommandContext& ctx, std::string_view source, ListValue* source_list,
                  std::string_view destination, End from, End to) {
  bool ok;
  ListValue* dest = FindList(ctx, destination, Lookup::kWrite, &ok);
  if (!ok) return;
  // A copy: the pop frees the element's bytes, and with source == destination the push may
  // move them.
  const std::string value(source_list->list().Peek(from));
  source_list->Pop(from);
  // As Redis: the push (and its event) first, then the pop's event and the source's deletion.
  KeyRef dest_ref = ctx.keyspace().Locate(destination, Lookup::kPeek);
  if (dest) {
    dest->Push(to, value, LimitsOf(ctx));
    ctx.keyspace().Modified(dest_ref);
  } else {
    auto fresh = std::make_unique<ListValue>();
    fresh->Push(to, value, LimitsOf(ctx));
    ctx.keyspace().SetObject(dest_ref, std::move(fresh), daemon::Ttl::Clear());
  }
  ctx.Notify(daemon::kEventList, PushEvent(to), destination);
  ctx.reply.Bulk(value);
  FinishPop(ctx, source, source_list, from);
}

bool ParseEndOrReply(CommandContext& ctx, std::string_view arg, End* end) {
  if (daemon::IsArg(arg, "LEFT")) {
    *end = End::kHead;
  } else if (daemon::IsArg(arg, "RIGHT")) {
    *end = End::kTail;
  } else {
    ctx.reply.Error(daemon::kErrSyntax);
    return false;
  }
  return true;
}

bool ParseMultiPopOrReply(CommandContext& ctx, size_t numkeys_at, MultiPopArgs* out) {
  int64_t numkeys;
  if (!daemon::ParseRangeOrReply(ctx, ctx.args[numkeys_at], 1, INT64_MAX, &numkeys,
                                 "ERR numkeys should be greater than 0")) {
    return false;
  }
  const size_t end_at = numkeys_at + 1 + static_cast<size_t>(numkeys);
  if (static_cast<uint64_t>(numkeys) >= ctx.args.size() || end_at >= ctx.args.size()) {
    ctx.reply.Error(daemon::kErrSyntax);
    return false;
  }
  if (!ParseEndOrReply(ctx, ctx.args[end_at], &out->end)) return false;
  out->keys = ctx.args.subspan(numkeys_at + 1, static_cast<size_t>(numkeys));
  bool has_count = false;
  for (size_t i = end_at + 1; i < ctx.args.size(); i++) {
    if (!has_count && daemon::IsArg(ctx.args[i], "COUNT") && i + 1 < ctx.args.size()) {
      int64_t count;
      if (!daemon::ParseRangeOrReply(ctx, ctx.args[++i], 1, INT64_MAX, &count,
                                     "ERR count should be greater than 0")) {
        return false;
      }
      out->count = static_cast<size_t>(count);
      has_count = true;
    } else {
      ctx.reply.Error(daemon::kErrSyntax);
      return false;
    }
  }
  return true;
}

}  // namespace pylon::list
