// Redis's sorted set algebra (Redis 7.0 zunionInterDiffGenericCommand): ZUNION ZUNIONSTORE
// ZINTER ZINTERSTORE ZINTERCARD ZDIFF ZDIFFSTORE, with WEIGHTS, AGGREGATE SUM|MIN|MAX and
// WITHSCORES. Inputs are visited smallest first, as Redis does, so sums add up in its order. A
// plain set is an input too, each member with score 1, as in Redis.
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "daemon/command_helpers.h"
#include "daemon/keyspace_events.h"
#include "daemon/registry.h"
#include "modules/set/set_value.h"
#include "modules/zset/zset_command_support.h"
#include "protocol/text.h"

namespace pylon::zset {
namespace {

using daemon::CommandContext;
using daemon::IsArg;

enum class Op { kUnion, kInter, kDiff };
enum class Aggregate { kSum, kMin, kMax };

// One input: a sorted set, a set (every score 1), or neither (an absent key: empty).
struct Source {
  const ZSet* zset = nullptr;
  const set::Set* set = nullptr;
  double weight = 1;

  size_t size() const { return zset ? zset->Size() : set ? set->Size() : 0; }
  bool empty() const { return size() == 0; }
  const void* identity() const { return zset ? static_cast<const void*>(zset) : set; }
  std::optional<double> Score(std::string_view member) const {
    if (zset) return zset->Score(member);
    if (set && set->Contains(member)) return 1.0;
    return std::nullopt;
  }
  // fn(member, score) for each member until fn returns false.
  template <typename Fn>
  void Walk(Fn&& fn) const {
    if (zset) {
      zset->Walk(0, false, fn);
    } else if (set) {
      bool going = true;
      set->ForEach([&](std::string_view member) {
        if (going) going = fn(member, 1.0);
      });
    }
  }
};

// The input under `key`: a sorted set or a set; false after a WRONGTYPE reply.
bool FindSourceOrReply(CommandContext& ctx, std::string_view key, Source* out) {
  const daemon::Entry* e = ctx.keyspace().Find(key, daemon::Lookup::kRead);
  if (!e) return true;
  if (&e->type() == &kZsetType) {
    out->zset = &static_cast<const ZsetValue*>(e->object())->zset();
  } else if (&e->type() == &set::kSetType) {
    out->set = &static_cast<const set::SetValue*>(e->object())->set();
  } else {
    ctx.reply.Error(daemon::kErrWrongType);
    return false;
  }
  return true;
}

void AggregateInto(double* target, double value, Aggregate aggregate) {
  switch (aggregate) {
    case Aggregate::kSum:
      *target += value;
      if (std::isnan(*target)) *target = 0;  // inf + -inf, as Redis
      break;
    case Aggregate::kMin:
      *target = std::min(*target, value);
      break;
    case Aggregate::kMax:
      *target = std::max(*target, value);
      break;
  }
}

double Weighted(double score, double weight) {
  const double v = score * weight;
  return std::isnan(v) ? 0 : v;  // 0 * inf
}

// The command's grammar: `dst` (the STORE forms), numkeys at args[numkeys_index], the keys,
// then the options each form takes.
void ZsetOpGeneric(CommandContext& ctx, Op op, bool store, bool cardinality_only) {
  const size_t numkeys_index = store ? 2 : 1;
  int64_t numkeys;
  if (!daemon::ParseIntOrReply(ctx, ctx.args[numkeys_index], &numkeys)) return;
  if (numkeys < 1) {
    ctx.reply.Error("ERR at least 1 input key is needed for '" + ctx.cmd.fullname + "' command");
    return;
  }
  const size_t argc = ctx.args.size();
  if (static_cast<uint64_t>(numkeys) > argc - numkeys_index - 1) {
    ctx.reply.Error(daemon::kErrSyntax);
    return;
  }
  std::vector<Source> sources(static_cast<size_t>(numkeys));
  size_t j = numkeys_index + 1;
  for (Source& s : sources) {
    if (!FindSourceOrReply(ctx, ctx.args[j++], &s)) return;
  }
  Aggregate aggregate = Aggregate::kSum;
  bool with_scores = false;
  int64_t limit = 0;
  while (j < argc) {
    const size_t remaining = argc - j;
    const std::string_view opt = ctx.args[j];
    if (op != Op::kDiff && !cardinality_only && remaining >= sources.size() + 1 &&
        IsArg(opt, "weights")) {
      j++;
      for (Source& s : sources) {
        if (!protocol::ParseDouble(ctx.args[j++], &s.weight)) {
          ctx.reply.Error("ERR weight value is not a float");
          return;
        }
      }
    } else if (op != Op::kDiff && !cardinality_only && remaining >= 2 && IsArg(opt, "aggregate")) {
      const std::string_view how = ctx.args[j + 1];
      if (IsArg(how, "sum")) {
        aggregate = Aggregate::kSum;
      } else if (IsArg(how, "min")) {
        aggregate = Aggregate::kMin;
      } else if (IsArg(how, "max")) {
        aggregate = Aggregate::kMax;
      } else {
        ctx.reply.Error(daemon::kErrSyntax);
        return;
      }
      j += 2;
    } else if (!store && !cardinality_only && IsArg(opt, "withscores")) {
      with_scores = true;
      j++;
    } else if (cardinality_only && remaining >= 2 && IsArg(opt, "limit")) {
      if (!daemon::ParseRangeOrReply(ctx, ctx.args[j + 1], 0, INT64_MAX, &limit,
                                     "ERR LIMIT can't be negative")) {
        return;
      }
      j += 2;
    } else {
      ctx.reply.Error(daemon::kErrSyntax);
      return;
    }
  }
  if (op != Op::kDiff) {
    std::stable_sort(sources.begin(), sources.end(),
                     [](const Source& a, const Source& b) { return a.size() < b.size(); });
  }

  const Limits limits = LimitsOf(ctx);
  ZSet result;
  int64_t cardinality = 0;
  if (op == Op::kInter) {
    if (!sources[0].empty()) {
      sources[0].Walk([&](std::string_view member, double score) {
        double total = Weighted(score, sources[0].weight);
        for (size_t k = 1; k < sources.size(); k++) {
          const std::optional<double> other = sources[k].identity() == sources[0].identity()
                                                  ? std::optional<double>(score)
                                                  : sources[k].Score(member);
          if (!other) return true;
          AggregateInto(&total, *other * sources[k].weight, aggregate);
        }
        if (cardinality_only) {
          cardinality++;
          return limit == 0 || cardinality < limit;
        }
        result.Set(member, total, limits);
        return true;
      });
    }
  } else if (op == Op::kUnion) {
    std::unordered_map<std::string, double> totals;
    for (const Source& s : sources) {
      s.Walk([&](std::string_view member, double score) {
        const double v = Weighted(score, s.weight);
        auto [it, fresh] = totals.try_emplace(std::string(member), v);
        if (!fresh) AggregateInto(&it->second, v, aggregate);
        return true;
      });
    }
    for (const auto& [member, score] : totals) result.Set(member, score, limits);
  } else {
    sources[0].Walk([&](std::string_view member, double score) {
      for (size_t k = 1; k < sources.size(); k++) {
        if (sources[k].Score(member)) return true;
      }
      result.Set(member, score, limits);
      return true;
    });
  }

  if (cardinality_only) {
    ctx.reply.Integer(cardinality);
    return;
  }
  if (!store) {
    ReplyScoredHeader(ctx, static_cast<int64_t>(result.Size()), with_scores);
    result.Walk(0, false, [&](std::string_view member, double score) {
      ReplyScoredMember(ctx, member, score, with_scores);
      return true;
    });
    return;
  }
  const std::string_view dst = ctx.args[1];
  daemon::KeyRef ref = ctx.keyspace().Locate(dst, daemon::Lookup::kWrite);
  const auto stored = static_cast<int64_t>(result.Size());
  if (stored == 0) {
    ctx.reply.Integer(0);
    if (ref.entry && ctx.keyspace().Delete(ref)) ctx.Notify(daemon::kEventGeneric, "del", dst);
    return;
  }
  result.CompactIfSmall(limits);
  ctx.keyspace().SetObject(ref, std::make_unique<ZsetValue>(std::move(result)),
                           daemon::Ttl::Clear());
  ctx.reply.Integer(stored);
  ctx.Notify(daemon::kEventZset,
             op == Op::kUnion   ? "zunionstore"
             : op == Op::kInter ? "zinterstore"
                                : "zdiffstore",
             dst);
}

void CmdZunion(CommandContext& ctx) { ZsetOpGeneric(ctx, Op::kUnion, false, false); }
void CmdZunionstore(CommandContext& ctx) { ZsetOpGeneric(ctx, Op::kUnion, true, false); }
void CmdZinter(CommandContext& ctx) { ZsetOpGeneric(ctx, Op::kInter, false, false); }
void CmdZinterstore(CommandContext& ctx) { ZsetOpGeneric(ctx, Op::kInter, true, false); }
void CmdZintercard(CommandContext& ctx) { ZsetOpGeneric(ctx, Op::kInter, false, true); }
void CmdZdiff(CommandContext& ctx) { ZsetOpGeneric(ctx, Op::kDiff, false, false); }
void CmdZdiffstore(CommandContext& ctx) { ZsetOpGeneric(ctx, Op::kDiff, true, false); }

}  // namespace

void RegisterZsetAlgebraCommands(daemon::Registry& registry) {
  using namespace daemon;
  CommandGroup group(registry.commands, "sorted_set");
  constexpr std::string_view kUnionComplexity =
      "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being "
      "the number of elements in the resulting sorted set.";
  constexpr std::string_view kInterComplexity =
      "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the "
      "number of input sorted sets and M being the number of elements in the resulting sorted "
      "set.";
  constexpr std::string_view kDiffComplexity =
      "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, "
      "N is the size of the first set, and K is the size of the result set.";
  constexpr std::string_view kWeighted =
      "destination:key numkeys:integer key ... [WEIGHTS weight:integer ...] [AGGREGATE (SUM | "
      "MIN | MAX)]";
  group.Add({.name = "zunion",
             .arity = -3,
             .flags = kCmdReadonly | kCmdMovableKeys,
             .numkeys_index = 1,
             .handler = CmdZunion,
             .since = "6.2.0",
             .summary = "Add multiple sorted sets",
             .complexity = kUnionComplexity,
             .syntax = "numkeys:integer key ... [WEIGHTS weight:integer ...] [AGGREGATE (SUM | "
                       "MIN | MAX)] [WITHSCORES]"});
  group.Add({.name = "zunionstore",
             .arity = -4,
             .flags = kCmdWrite | kCmdDenyOom | kCmdMovableKeys,
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .numkeys_index = 2,
             .handler = CmdZunionstore,
             .since = "2.0.0",
             .summary = "Add multiple sorted sets and store the resulting sorted set in a new "
                        "key",
             .complexity = kUnionComplexity,
             .syntax = kWeighted});
  group.Add({.name = "zinter",
             .arity = -3,
             .flags = kCmdReadonly | kCmdMovableKeys,
             .numkeys_index = 1,
             .handler = CmdZinter,
             .since = "6.2.0",
             .summary = "Intersect multiple sorted sets",
             .complexity = kInterComplexity,
             .syntax = "numkeys:integer key ... [WEIGHTS weight:integer ...] [AGGREGATE (SUM | "
                       "MIN | MAX)] [WITHSCORES]"});
  group.Add({.name = "zinterstore",
             .arity = -4,
             .flags = kCmdWrite | kCmdDenyOom | kCmdMovableKeys,
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .numkeys_index = 2,
             .handler = CmdZinterstore,
             .since = "2.0.0",
             .summary = "Intersect multiple sorted sets and store the resulting sorted set in a "
                        "new key",
             .complexity = kInterComplexity,
             .syntax = kWeighted});
  group.Add({.name = "zintercard",
             .arity = -3,
             .flags = kCmdReadonly | kCmdMovableKeys,
             .numkeys_index = 1,
             .handler = CmdZintercard,
             .since = "7.0.0",
             .summary = "Intersect multiple sorted sets and return the cardinality of the "
                        "result",
             .complexity = "O(N*K) worst case with N being the smallest input sorted set, K "
                           "being the number of input sorted sets.",
             .syntax = "numkeys:integer key ... [LIMIT limit:integer]"});
  group.Add({.name = "zdiff",
             .arity = -3,
             .flags = kCmdReadonly | kCmdMovableKeys,
             .numkeys_index = 1,
             .handler = CmdZdiff,
             .since = "6.2.0",
             .summary = "Subtract multiple sorted sets",
             .complexity = kDiffComplexity,
             .syntax = "numkeys:integer key ... [WITHSCORES]"});
  group.Add({.name = "zdiffstore",
             .arity = -4,
             .flags = kCmdWrite | kCmdDenyOom | kCmdMovableKeys,
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .numkeys_index = 2,
             .handler = CmdZdiffstore,
             .since = "6.2.0",
             .summary = "Subtract multiple sorted sets and store the resulting sorted set in a "
                        "new key",
             .complexity = kDiffComplexity,
             .syntax = "destination:key numkeys:integer key ..."});
}

}  // namespace pylon::zset
