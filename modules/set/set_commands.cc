// Redis's commands on one set at a time, with its syntax, replies, events and error texts
// (Redis 7.0 t_set.c), over the set core (set.h).
#include "modules/set/set_commands.h"

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "daemon/arg_reader.h"
#include "daemon/command_helpers.h"
#include "daemon/config.h"
#include "daemon/connection.h"
#include "daemon/keyspace.h"
#include "daemon/keyspace_events.h"
#include "modules/set/set_value.h"
#include "protocol/text.h"

namespace pylon::set {

using daemon::CommandContext;
using daemon::KeyRef;
using daemon::Lookup;

Limits LimitsOf(const CommandContext& ctx) {
  return {.max_intset_entries = static_cast<size_t>(ctx.config().set_max_intset_entries)};
}

const Set* FindSetForRead(CommandContext& ctx, std::string_view key, bool* ok) {
  const daemon::Entry* e = ctx.keyspace().Find(key, Lookup::kRead);
  *ok = daemon::CheckTypeOrReply(ctx, e, kSetType);
  if (!*ok || !e) return nullptr;
  return &static_cast<const SetValue*>(e->object())->set();
}

void ReplyMembers(CommandContext& ctx, const Set* set) {
  ctx.reply.SetHeader(set ? static_cast<int64_t>(set->Size()) : 0);
  if (set) set->ForEach([&](std::string_view m) { ctx.reply.Bulk(m); });
}

namespace {

// SPOP's and SRANDMEMBER's draws: xorshift64*, seeded once per process (Redis's draws are not
// reproducible either).
uint64_t NextRandom() {
  static uint64_t state = std::random_device{}() | (uint64_t{std::random_device{}()} << 32) | 1;
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return state * 0x2545F4914F6CDD1DULL;
}

// The set under args[1] for a write: nullptr when absent; nullptr and *ok false after
// WRONGTYPE.
SetValue* FindForWrite(CommandContext& ctx, KeyRef* ref, bool* ok) {
  return daemon::FindOrReply<SetValue>(ctx, kSetType, Lookup::kWrite, ref, ok);
}

// After members left the set at ref: the key goes with its last member ("del"), or the
// keyspace learns of the change.
void CommitRemoval(CommandContext& ctx, KeyRef& ref, const Set& set, std::string_view key) {
  if (set.empty()) {
    ctx.keyspace().Delete(ref);
    ctx.Notify(daemon::kEventGeneric, "del", key);
  } else {
    ctx.keyspace().Modified(ref);
  }
}

// SADD key member [member ...]
void CmdSadd(CommandContext& ctx) {
  bool ok;
  KeyRef ref;
  SetValue* v = FindForWrite(ctx, &ref, &ok);
  if (!ok) return;
  std::unique_ptr<SetValue> fresh;
  if (!v) {
    fresh = std::make_unique<SetValue>();
    v = fresh.get();
  }
  const Limits limits = LimitsOf(ctx);
  int64_t added = 0;
  for (size_t i = 2; i < ctx.args.size(); i++) added += v->Add(ctx.args[i], limits);
  if (fresh) {
    ctx.keyspace().SetObject(ref, std::move(fresh), daemon::Ttl::Clear());
  } else if (added > 0) {
    ctx.keyspace().Modified(ref);
  }
  if (added > 0) ctx.Notify(daemon::kEventSet, "sadd", ctx.args[1]);
  ctx.reply.Integer(added);
}

// SREM key member [member ...]: the key goes with its last member.
void CmdSrem(CommandContext& ctx) {
  bool ok;
  KeyRef ref;
  SetValue* v = FindForWrite(ctx, &ref, &ok);
  if (!ok) return;
  int64_t removed = 0;
  if (v) {
    for (size_t i = 2; i < ctx.args.size() && !v->set().empty(); i++) {
      removed += v->Remove(ctx.args[i]);
    }
    if (removed > 0) {
      ctx.Notify(daemon::kEventSet, "srem", ctx.args[1]);
      CommitRemoval(ctx, ref, v->set(), ctx.args[1]);
    }
  }
  ctx.reply.Integer(removed);
}

// SMOVE source destination member
void CmdSmove(CommandContext& ctx) {
  const std::string_view src_key = ctx.args[1], dst_key = ctx.args[2], member = ctx.args[3];
  daemon::Keyspace& ks = ctx.keyspace();
  // Both looked up first, as Redis: an absent source answers 0 whatever the destination holds.
  daemon::Entry* src = ks.Find(src_key, Lookup::kWrite);
  daemon::Entry* dst = ks.Find(dst_key, Lookup::kWrite);
  if (!src) {
    ctx.reply.Integer(0);
    return;
  }
  if (!daemon::CheckTypeOrReply(ctx, src, kSetType) ||
      !daemon::CheckTypeOrReply(ctx, dst, kSetType)) {
    return;
  }
  SetValue* src_value = static_cast<SetValue*>(src->object());
  if (src_key == dst_key) {
    ctx.reply.Integer(src_value->set().Contains(member) ? 1 : 0);
    return;
  }
  if (!src_value->Remove(member)) {
    ctx.reply.Integer(0);
    return;
  }
  ctx.Notify(daemon::kEventSet, "srem", src_key);
  // Located again: the entries stay put, but a ref is only good until the next lookup.
  KeyRef src_ref = ks.Locate(src_key, Lookup::kPeek);
  CommitRemoval(ctx, src_ref, src_value->set(), src_key);
  KeyRef dst_ref = ks.Locate(dst_key, Lookup::kPeek);
  if (!dst_ref.entry) {
    auto fresh = std::make_unique<SetValue>();
    fresh->Add(member, LimitsOf(ctx));
    ks.SetObject(dst_ref, std::move(fresh), daemon::Ttl::Clear());
    ctx.Notify(daemon::kEventSet, "sadd", dst_key);
  } else if (static_cast<SetValue*>(dst_ref.entry->object())->Add(member, LimitsOf(ctx))) {
    ks.Modified(dst_ref);
    ctx.Notify(daemon::kEventSet, "sadd", dst_key);
  }
  ctx.reply.Integer(1);
}

// SISMEMBER key member
void CmdSismember(CommandContext& ctx) {
  bool ok;
  const Set* s = FindSetForRead(ctx, ctx.args[1], &ok);
  if (ok) ctx.reply.Integer(s && s->Contains(ctx.args[2]) ? 1 : 0);
}

// SMISMEMBER key member [member ...]
void CmdSmismember(CommandContext& ctx) {
  bool ok;
  const Set* s = FindSetForRead(ctx, ctx.args[1], &ok);
  if (!ok) return;
  ctx.reply.ArrayHeader(static_cast<int64_t>(ctx.args.size() - 2));
  for (size_t i = 2; i < ctx.args.size(); i++) {
    ctx.reply.Integer(s && s->Contains(ctx.args[i]) ? 1 : 0);
  }
}

// SCARD key
void CmdScard(CommandContext& ctx) {
  bool ok;
  const Set* s = FindSetForRead(ctx, ctx.args[1], &ok);
  if (ok) ctx.reply.Integer(s ? static_cast<int64_t>(s->Size()) : 0);
}

// SMEMBERS key: a set in RESP3, as Redis 7.0.
void CmdSmembers(CommandContext& ctx) {
  bool ok;
  const Set* s = FindSetForRead(ctx, ctx.args[1], &ok);
  if (ok) ReplyMembers(ctx, s);
}

// SPOP key count: `count` members removed at random, as a set in RESP3.
void SpopWithCount(CommandContext& ctx) {
  int64_t count;
  if (!daemon::ParseRangeOrReply(ctx, ctx.args[2], 0, INT64_MAX, &count,
                                 "ERR value is out of range, must be positive")) {
    return;
  }
  bool ok;
  KeyRef ref;
  SetValue* v = FindForWrite(ctx, &ref, &ok);
  if (!ok) return;
  if (!v || count == 0) {
    ctx.reply.SetHeader(0);
    return;
  }
  const Set& set = v->set();
  ctx.Notify(daemon::kEventSet, "spop", ctx.args[1]);
  if (static_cast<uint64_t>(count) >= set.Size()) {
    // The whole set, in its own order (an intset's ascending one), and the key goes.
    ReplyMembers(ctx, &set);
    ctx.keyspace().Delete(ref);
    ctx.Notify(daemon::kEventGeneric, "del", ctx.args[1]);
    return;
  }
  ctx.reply.SetHeader(count);
  IntText text;
  std::string member;  // the draw's copy: removing it invalidates the view
  for (int64_t i = 0; i < count; i++) {
    member.assign(set.RandomMember(NextRandom, &text));
    v->Remove(member);
    ctx.reply.Bulk(member);
  }
  ctx.keyspace().Modified(ref);
}

// SPOP key [count]
void CmdSpop(CommandContext& ctx) {
  if (ctx.args.size() == 3) {
    SpopWithCount(ctx);
    return;
  }
  if (ctx.args.size() > 3) {
    ctx.reply.Error(daemon::kErrSyntax);
    return;
  }
  bool ok;
  KeyRef ref;
  SetValue* v = FindForWrite(ctx, &ref, &ok);
  if (!ok) return;
  if (!v) {
    ctx.reply.Null();
    return;
  }
  IntText text;
  const std::string member(v->set().RandomMember(NextRandom, &text));
  v->Remove(member);
  ctx.Notify(daemon::kEventSet, "spop", ctx.args[1]);
  ctx.reply.Bulk(member);
  CommitRemoval(ctx, ref, v->set(), ctx.args[1]);
}

// SRANDMEMBER key count, with Redis's four cases: a negative count draws with repeats; a count
// of the set's size or more answers the whole set; otherwise distinct members, picked by
// removing random ones from a copy when the count is near the size (count * 3 > size), or by
// drawing until enough distinct ones came up when it is small.
void SrandmemberWithCount(CommandContext& ctx) {
  int64_t n;
  if (!daemon::ParseIntOrReply(ctx, ctx.args[2], &n)) return;
  if (n == INT64_MIN) {
    ctx.reply.Error(
        "ERR value is out of range, value must between -9223372036854775807 and "
        "9223372036854775807");
    return;
  }
  bool ok;
  const Set* set = FindSetForRead(ctx, ctx.args[1], &ok);
  if (!ok) return;
  const bool distinct = n >= 0;
  const uint64_t count = distinct ? static_cast<uint64_t>(n) : static_cast<uint64_t>(-n);
  if (!set || count == 0) {
    ctx.reply.ArrayHeader(0);
    return;
  }
  IntText text;
  const uint64_t size = set->Size();
  if (!distinct || count == 1) {
    ctx.reply.ArrayHeader(static_cast<int64_t>(count));
    for (uint64_t i = 0; i < count && !ctx.conn.closing(); i++) {
      ctx.reply.Bulk(set->RandomMember(NextRandom, &text));
    }
    return;
  }
  if (count >= size) {
    ctx.reply.ArrayHeader(static_cast<int64_t>(size));
    set->ForEach([&](std::string_view m) { ctx.reply.Bulk(m); });
    return;
  }
  ctx.reply.ArrayHeader(static_cast<int64_t>(count));
  if (count * 3 > size) {
    // Every member, then a partial shuffle: the first `count` are a uniform choice.
    std::vector<std::string> all;
    all.reserve(size);
    set->ForEach([&](std::string_view m) { all.emplace_back(m); });
    for (uint64_t i = 0; i < count; i++) {
      std::swap(all[i], all[i + NextRandom() % (size - i)]);
      ctx.reply.Bulk(all[i]);
    }
    return;
  }
  std::unordered_set<std::string> picked;
  picked.reserve(count);
  while (picked.size() < count) {
    const std::string_view m = set->RandomMember(NextRandom, &text);
    if (picked.emplace(m).second) ctx.reply.Bulk(m);
  }
}

// SRANDMEMBER key [count]
void CmdSrandmember(CommandContext& ctx) {
  if (ctx.args.size() == 3) {
    SrandmemberWithCount(ctx);
    return;
  }
  if (ctx.args.size() > 3) {
    ctx.reply.Error(daemon::kErrSyntax);
    return;
  }
  bool ok;
  const Set* set = FindSetForRead(ctx, ctx.args[1], &ok);
  if (!ok) return;
  if (!set) {
    ctx.reply.Null();
    return;
  }
  IntText text;
  ctx.reply.Bulk(set->RandomMember(NextRandom, &text));
}

// SSCAN key cursor [MATCH pattern] [COUNT count]
void CmdSscan(CommandContext& ctx) {
  uint64_t cursor;
  if (!daemon::ParseScanCursorOrReply(ctx, ctx.args[2], &cursor)) return;
  bool ok;
  const Set* set = FindSetForRead(ctx, ctx.args[1], &ok);
  if (!ok) return;
  if (!set) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("0");
    ctx.reply.ArrayHeader(0);
    return;
  }
  daemon::CollectionScanOptions options;
  if (!daemon::ParseCollectionScanOrReply(ctx, &options)) return;
  // Copies: an intset's members are formatted into one buffer, reused member after member.
  std::vector<std::string> found;
  cursor = set->Scan(cursor, static_cast<uint64_t>(options.count), [&](std::string_view m) {
    if (options.Matches(m)) found.emplace_back(m);
  });
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(cursor));  // unsigned: a reverse-binary cursor uses every bit
  ctx.reply.ArrayHeader(static_cast<int64_t>(found.size()));
  for (const std::string& m : found) ctx.reply.Bulk(m);
}

}  // namespace

void RegisterSetCommands(daemon::Registry& registry) {
  using namespace daemon;
  CommandGroup group(registry.commands, "set");
  group.AddKeyed({.name = "sadd",
                  .arity = -3,
                  .flags = kCmdWrite | kCmdDenyOom | kCmdFast,
                  .handler = CmdSadd,
                  .since = "1.0.0",
                  .summary = "Add one or more members to a set",
                  .complexity = "O(1) for each element added, so O(N) to add N elements when "
                                "the command is called with multiple arguments.",
                  .syntax = "key member ...",
                  .key_flags = {"RW", "insert"}});
  group.AddKeyed({.name = "srem",
                  .arity = -3,
                  .flags = kCmdWrite | kCmdFast,
                  .handler = CmdSrem,
                  .since = "1.0.0",
                  .summary = "Remove one or more members from a set",
                  .complexity = "O(N) where N is the number of members to be removed.",
                  .syntax = "key member ...",
                  .key_flags = {"RW", "delete"}});
  group.Add({.name = "smove",
             .arity = 4,
             .flags = kCmdWrite | kCmdFast,
             .first_key = 1,
             .last_key = 2,
             .key_step = 1,
             .handler = CmdSmove,
             .since = "1.0.0",
             .summary = "Move a member from one set to another",
             .complexity = "O(1)",
             .syntax = "source:key destination:key member",
             // Redis has a spec per key (the destination's is "RW insert"); the table keeps
             // one, the source's.
             .key_flags = {"RW", "access", "delete"}});
  group.AddKeyed({.name = "sismember",
                  .arity = 3,
                  .flags = kCmdReadonly | kCmdFast,
                  .handler = CmdSismember,
                  .since = "1.0.0",
                  .summary = "Determine if a given value is a member of a set",
                  .complexity = "O(1)",
                  .syntax = "key member"});
  group.AddKeyed({.name = "smismember",
                  .arity = -3,
                  .flags = kCmdReadonly | kCmdFast,
                  .handler = CmdSmismember,
                  .since = "6.2.0",
                  .summary = "Returns the membership associated with the given elements for a "
                             "set",
                  .complexity = "O(N) where N is the number of elements being checked for "
                                "membership",
                  .syntax = "key member ..."});
  group.AddKeyed({.name = "scard",
                  .arity = 2,
                  .flags = kCmdReadonly | kCmdFast,
                  .handler = CmdScard,
                  .since = "1.0.0",
                  .summary = "Get the number of members in a set",
                  .complexity = "O(1)",
                  .syntax = "key",
                  .key_flags = {"RO"}});
  group.AddKeyed({.name = "smembers",
                  .arity = 2,
                  .flags = kCmdReadonly,
                  .handler = CmdSmembers,
                  .since = "1.0.0",
                  .summary = "Get all the members in a set",
                  .complexity = "O(N) where N is the set cardinality.",
                  .syntax = "key",
                  .tips = {"nondeterministic_output_order"}});
  group.AddKeyed({.name = "spop",
                  .arity = -2,
                  .flags = kCmdWrite | kCmdFast,
                  .handler = CmdSpop,
                  .since = "1.0.0",
                  .summary = "Remove and return one or multiple random members from a set",
                  .complexity = "Without the count argument O(1), otherwise O(N) where N is the "
                                "value of the passed count.",
                  .syntax = "key [count:integer]",
                  .tips = {"nondeterministic_output"},
                  .key_flags = {"RW", "access", "delete"}});
  group.AddKeyed({.name = "srandmember",
                  .arity = -2,
                  .flags = kCmdReadonly,
                  .handler = CmdSrandmember,
                  .since = "1.0.0",
                  .summary = "Get one or multiple random members from a set",
                  .complexity = "Without the count argument O(1), otherwise O(N) where N is the "
                                "absolute value of the passed count.",
                  .syntax = "key [count:integer]",
                  .tips = {"nondeterministic_output"}});
  group.AddKeyed({.name = "sscan",
                  .arity = -3,
                  .flags = kCmdReadonly,
                  .handler = CmdSscan,
                  .since = "2.8.0",
                  .summary = "Incrementally iterate Set elements",
                  .complexity = "O(1) for every call. O(N) for a complete iteration, including "
                                "enough command calls for the cursor to return back to 0. N is "
                                "the number of elements inside the collection..",
                  .syntax = "key cursor:integer [MATCH pattern:pattern] [COUNT count:integer]",
                  .tips = {"nondeterministic_output"}});
}

}  // namespace pylon::set
