// SINTER SINTERCARD SINTERSTORE SUNION SUNIONSTORE SDIFF SDIFFSTORE, as Redis 7.0 t_set.c: an
// absent key is an empty set, a key of another type is WRONGTYPE (checked for every key before
// any work), results are built as a new set would be (an intset while they can, so that the
// replies of integer sets come in ascending order as Redis's), and the STORE forms replace the
// destination whatever it held, or delete it when the result is empty.
#include <algorithm>
#include <memory>
#include <vector>

#include "daemon/command_helpers.h"
#include "daemon/keyspace.h"
#include "daemon/keyspace_events.h"
#include "modules/set/set_commands.h"
#include "modules/set/set_value.h"

namespace pylon::set {
namespace {

using daemon::CommandContext;
using daemon::Lookup;

// The sets under args[first..last) (nullptr for an absent key); false after WRONGTYPE.
bool CollectSets(CommandContext& ctx, size_t first, size_t last, std::vector<const Set*>* sets) {
  sets->reserve(last - first);
  for (size_t i = first; i < last; i++) {
    bool ok;
    sets->push_back(FindSetForRead(ctx, ctx.args[i], &ok));
    if (!ok) return false;
  }
  return true;
}

// The STORE forms' ending: the result replaces the destination ("<event>"), or the
// destination goes when the result is empty ("del" if it existed). Replies the result's size.
void StoreResult(CommandContext& ctx, std::string_view dst_key, Set result,
                 std::string_view event) {
  daemon::Keyspace& ks = ctx.keyspace();
  daemon::KeyRef ref = ks.Locate(dst_key, Lookup::kWrite);
  if (result.empty()) {
    ctx.reply.Integer(0);
    if (ks.Delete(ref)) ctx.Notify(daemon::kEventGeneric, "del", dst_key);
    return;
  }
  const auto size = static_cast<int64_t>(result.Size());
  ks.SetObject(ref, std::make_unique<SetValue>(std::move(result)), daemon::Ttl::Clear());
  ctx.reply.Integer(size);
  ctx.Notify(daemon::kEventSet, event, dst_key);
}

enum class InterMode { kReply, kStore, kCardinality };

// SINTER, SINTERSTORE and SINTERCARD over args[first..last): walks the smallest set and keeps
// the members every other set holds.
void Intersect(CommandContext& ctx, size_t first, size_t last, InterMode mode, uint64_t limit = 0) {
  std::vector<const Set*> sets;
  if (!CollectSets(ctx, first, last, &sets)) return;
  const bool any_absent = std::find(sets.begin(), sets.end(), nullptr) != sets.end();
  Set result;
  uint64_t cardinality = 0;
  if (!any_absent) {
    std::stable_sort(sets.begin(), sets.end(),
                     [](const Set* a, const Set* b) { return a->Size() < b->Size(); });
    const Limits limits = LimitsOf(ctx);
    protocol::ReplyBuffer::Mark mark{};
    if (mode == InterMode::kReply) mark = ctx.reply.BeginDeferred();
    const Set* smallest = sets[0];
    bool done = false;  // SINTERCARD's LIMIT reached
    smallest->ForEach([&](std::string_view m) {
      if (done) return;
      for (size_t j = 1; j < sets.size(); j++) {
        if (sets[j] != smallest && !sets[j]->Contains(m)) return;
      }
      cardinality++;
      if (mode == InterMode::kReply) ctx.reply.Bulk(m);
      if (mode == InterMode::kStore) result.Add(m, limits);
      if (mode == InterMode::kCardinality && limit != 0 && cardinality >= limit) done = true;
    });
    if (mode == InterMode::kReply) {
      ctx.reply.EndDeferredSet(mark, static_cast<int64_t>(cardinality));
      return;
    }
  }
  switch (mode) {
    case InterMode::kReply:
      ctx.reply.SetHeader(0);
      break;
    case InterMode::kCardinality:
      ctx.reply.Integer(static_cast<int64_t>(cardinality));
      break;
    case InterMode::kStore:
      StoreResult(ctx, ctx.args[1], std::move(result), "sinterstore");
      break;
  }
}

enum class Op { kUnion, kDiff };

// SUNION, SDIFF and their STORE forms over args[first..last): the result is built as a set,
// then replied (as a set in RESP3) or stored.
void UnionOrDiff(CommandContext& ctx, size_t first, size_t last, Op op, bool store) {
  std::vector<const Set*> sets;
  if (!CollectSets(ctx, first, last, &sets)) return;
  const Limits limits = LimitsOf(ctx);
  Set out;
  if (op == Op::kUnion) {
    for (const Set* s : sets) {
      if (s) s->ForEach([&](std::string_view m) { out.Add(m, limits); });
    }
  } else if (sets[0] && std::find(sets.begin() + 1, sets.end(), sets[0]) == sets.end()) {
    // (A key given again after the first makes the difference empty.) Redis's choice of
    // algorithm: the first set's members checked against every other set, or the first set
    // copied and the others' members removed from it, whichever does less work.
    uint64_t check_work = 0, remove_work = 0;
    for (const Set* s : sets) {
      if (!s) continue;
      check_work += sets[0]->Size();
      remove_work += s->Size();
    }
    if (check_work / 2 <= remove_work) {
      sets[0]->ForEach([&](std::string_view m) {
        for (size_t j = 1; j < sets.size(); j++) {
          if (sets[j] && sets[j]->Contains(m)) return;
        }
        out.Add(m, limits);
      });
    } else {
      sets[0]->ForEach([&](std::string_view m) { out.Add(m, limits); });
      for (size_t j = 1; j < sets.size() && !out.empty(); j++) {
        if (sets[j]) sets[j]->ForEach([&](std::string_view m) { out.Remove(m); });
      }
    }
  }
  if (store) {
    StoreResult(ctx, ctx.args[1], std::move(out), op == Op::kUnion ? "sunionstore" : "sdiffstore");
  } else {
    ReplyMembers(ctx, &out);
  }
}

void CmdSinter(CommandContext& ctx) { Intersect(ctx, 1, ctx.args.size(), InterMode::kReply); }
void CmdSinterstore(CommandContext& ctx) { Intersect(ctx, 2, ctx.args.size(), InterMode::kStore); }
void CmdSunion(CommandContext& ctx) { UnionOrDiff(ctx, 1, ctx.args.size(), Op::kUnion, false); }
void CmdSunionstore(CommandContext& ctx) { UnionOrDiff(ctx, 2, ctx.args.size(), Op::kUnion, true); }
void CmdSdiff(CommandContext& ctx) { UnionOrDiff(ctx, 1, ctx.args.size(), Op::kDiff, false); }
void CmdSdiffstore(CommandContext& ctx) { UnionOrDiff(ctx, 2, ctx.args.size(), Op::kDiff, true); }

// SINTERCARD numkeys key [key ...] [LIMIT limit]
void CmdSintercard(CommandContext& ctx) {
  int64_t numkeys;
  if (!daemon::ParseRangeOrReply(ctx, ctx.args[1], 1, INT64_MAX, &numkeys,
                                 "ERR numkeys should be greater than 0")) {
    return;
  }
  if (numkeys > static_cast<int64_t>(ctx.args.size()) - 2) {
    ctx.reply.Error("ERR Number of keys can't be greater than number of args");
    return;
  }
  int64_t limit = 0;
  const size_t keys_end = 2 + static_cast<size_t>(numkeys);
  for (size_t i = keys_end; i < ctx.args.size(); i++) {
    if (daemon::IsArg(ctx.args[i], "LIMIT") && i + 1 < ctx.args.size()) {
      if (!daemon::ParseRangeOrReply(ctx, ctx.args[++i], 0, INT64_MAX, &limit,
                                     "ERR LIMIT can't be negative")) {
        return;
      }
    } else {
      ctx.reply.Error(daemon::kErrSyntax);
      return;
    }
  }
  Intersect(ctx, 2, keys_end, InterMode::kCardinality, static_cast<uint64_t>(limit));
}

}  // namespace

void RegisterSetAlgebraCommands(daemon::Registry& registry) {
  using namespace daemon;
  CommandGroup group(registry.commands, "set");
  // Every argument after the name is a key (the STORE forms' first one is the destination).
  const auto all_keys = [&](CommandSpec spec) {
    spec.first_key = 1;
    spec.last_key = -1;
    spec.key_step = 1;
    group.Add(std::move(spec));
  };
  all_keys({.name = "sinter",
            .arity = -2,
            .flags = kCmdReadonly,
            .handler = CmdSinter,
            .since = "1.0.0",
            .summary = "Intersect multiple sets",
            .complexity = "O(N*M) worst case where N is the cardinality of the smallest set and "
                          "M is the number of sets.",
            .syntax = "key ...",
            .tips = {"nondeterministic_output_order"}});
  all_keys({.name = "sinterstore",
            .arity = -3,
            .flags = kCmdWrite | kCmdDenyOom,
            .handler = CmdSinterstore,
            .since = "1.0.0",
            .summary = "Intersect multiple sets and store the resulting set in a key",
            .complexity = "O(N*M) worst case where N is the cardinality of the smallest set and "
                          "M is the number of sets.",
            .syntax = "destination:key key ..."});
  all_keys({.name = "sunion",
            .arity = -2,
            .flags = kCmdReadonly,
            .handler = CmdSunion,
            .since = "1.0.0",
            .summary = "Add multiple sets",
            .complexity = "O(N) where N is the total number of elements in all given sets.",
            .syntax = "key ...",
            .tips = {"nondeterministic_output_order"}});
  all_keys({.name = "sunionstore",
            .arity = -3,
            .flags = kCmdWrite | kCmdDenyOom,
            .handler = CmdSunionstore,
            .since = "1.0.0",
            .summary = "Add multiple sets and store the resulting set in a key",
            .complexity = "O(N) where N is the total number of elements in all given sets.",
            .syntax = "destination:key key ..."});
  all_keys({.name = "sdiff",
            .arity = -2,
            .flags = kCmdReadonly,
            .handler = CmdSdiff,
            .since = "1.0.0",
            .summary = "Subtract multiple sets",
            .complexity = "O(N) where N is the total number of elements in all given sets.",
            .syntax = "key ...",
            .tips = {"nondeterministic_output_order"}});
  all_keys({.name = "sdiffstore",
            .arity = -3,
            .flags = kCmdWrite | kCmdDenyOom,
            .handler = CmdSdiffstore,
            .since = "1.0.0",
            .summary = "Subtract multiple sets and store the resulting set in a key",
            .complexity = "O(N) where N is the total number of elements in all given sets.",
            .syntax = "destination:key key ..."});
  group.Add({.name = "sintercard",
             .arity = -3,
             .flags = kCmdReadonly | kCmdMovableKeys,
             .numkeys_index = 1,
             .handler = CmdSintercard,
             .since = "7.0.0",
             .summary = "Intersect multiple sets and return the cardinality of the result",
             .complexity = "O(N*M) worst case where N is the cardinality of the smallest set and "
                           "M is the number of sets.",
             .syntax = "numkeys:integer key ... [LIMIT limit:integer]"});
}

}  // namespace pylon::set
