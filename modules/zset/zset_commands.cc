// Redis's sorted set commands on members (Redis 7.0 t_zset.c): ZADD ZINCRBY ZREM ZCARD ZSCORE
// ZMSCORE ZRANK ZREVRANK ZCOUNT ZLEXCOUNT ZRANDMEMBER ZSCAN, with its syntax, replies and error
// texts.
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include "daemon/arg_reader.h"
#include "daemon/command_helpers.h"
#include "daemon/keyspace_events.h"
#include "daemon/registry.h"
#include "modules/zset/zset_command_support.h"
#include "protocol/text.h"

namespace pylon::zset {
namespace {

using daemon::CommandContext;
using daemon::IsArg;

std::mt19937_64& Random() {
  static std::mt19937_64 rng{std::random_device{}()};
  return rng;
}

// ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]
// ZINCRBY key increment member (ZADD INCR, options included, as Redis parses it)
void ZaddGeneric(CommandContext& ctx, bool incr_command) {
  bool nx = false, xx = false, gt = false, lt = false, ch = false, incr = incr_command;
  size_t first = 2;
  for (; first < ctx.args.size(); first++) {
    const std::string_view opt = ctx.args[first];
    if (IsArg(opt, "nx")) {
      nx = true;
    } else if (IsArg(opt, "xx")) {
      xx = true;
    } else if (IsArg(opt, "gt")) {
      gt = true;
    } else if (IsArg(opt, "lt")) {
      lt = true;
    } else if (IsArg(opt, "ch")) {
      ch = true;
    } else if (IsArg(opt, "incr")) {
      incr = true;
    } else {
      break;
    }
  }
  const size_t words = ctx.args.size() - first;
  if (words == 0 || words % 2 != 0) {
    ctx.reply.Error(daemon::kErrSyntax);
    return;
  }
  if (nx && xx) {
    ctx.reply.Error("ERR XX and NX options at the same time are not compatible");
    return;
  }
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    ctx.reply.Error("ERR GT, LT, and/or NX options at the same time are not compatible");
    return;
  }
  const size_t pairs = words / 2;
  if (incr && pairs > 1) {
    ctx.reply.Error("ERR INCR option supports a single increment-element pair");
    return;
  }
  // Scores first, as Redis: a bad one fails the command before anything changes (they are
  // read again below rather than kept, so a ZADD allocates nothing for them).
  for (size_t i = 0; i < pairs; i++) {
    double score;
    if (!protocol::ParseDouble(ctx.args[first + 2 * i], &score)) {
      ctx.reply.Error(daemon::kErrNotFloat);
      return;
    }
  }
  WriteTarget target;
  if (!target.Open(ctx, ctx.args[1])) return;
  const Limits limits = LimitsOf(ctx);
  int64_t added = 0, updated = 0, processed = 0;
  double last_score = 0;
  bool nan = false;
  if (target.exists() || !xx) {
    ZsetValue& z = target.value();
    for (size_t i = 0; i < pairs; i++) {
      double score;
      protocol::ParseDouble(ctx.args[first + 2 * i], &score);
      const std::string_view member = ctx.args[first + 2 * i + 1];
      const std::optional<double> current = z.zset().Score(member);
      if (current) {
        if (nx) continue;
        if (incr) {
          score += *current;
          if (std::isnan(score)) {
            nan = true;
            break;
          }
        }
        if ((lt && score >= *current) || (gt && score <= *current)) continue;
        if (score != *current) {
          z.Set(member, score, limits);
          updated++;
        }
      } else {
        if (xx) continue;
        z.Set(member, score, limits);
        added++;
      }
      processed++;
      last_score = score;
    }
  }
  if (added > 0 || updated > 0) {
    target.Commit(ctx);
    ctx.Notify(daemon::kEventZset, incr ? "zincr" : "zadd", ctx.args[1]);
  }
  if (nan) {
    ctx.reply.Error("ERR resulting score is not a number (NaN)");
  } else if (incr) {
    if (processed > 0) {
      ctx.reply.Double(last_score);
    } else {
      ctx.reply.Null();
    }
  } else {
    ctx.reply.Integer(ch ? added + updated : added);
  }
}

void CmdZadd(CommandContext& ctx) { ZaddGeneric(ctx, false); }
void CmdZincrby(CommandContext& ctx) { ZaddGeneric(ctx, true); }

// ZREM key member [member ...]
void CmdZrem(CommandContext& ctx) {
  WriteTarget target;
  if (!target.Open(ctx, ctx.args[1])) return;
  int64_t deleted = 0;
  if (target.exists()) {
    for (size_t i = 2; i < ctx.args.size() && !target.zset().empty(); i++) {
      deleted += target.value().Remove(ctx.args[i]);
    }
  }
  if (deleted > 0) {
    const bool key_removed = target.Commit(ctx);
    ctx.Notify(daemon::kEventZset, "zrem", ctx.args[1]);
    if (key_removed) ctx.Notify(daemon::kEventGeneric, "del", ctx.args[1]);
  }
  ctx.reply.Integer(deleted);
}

// ZCARD key
void CmdZcard(CommandContext& ctx) {
  bool ok;
  const ZSet* z = FindForRead(ctx, ctx.args[1], &ok);
  if (ok) ctx.reply.Integer(z ? static_cast<int64_t>(z->Size()) : 0);
}

// ZSCORE key member
void CmdZscore(CommandContext& ctx) {
  bool ok;
  const ZSet* z = FindForRead(ctx, ctx.args[1], &ok);
  if (!ok) return;
  const std::optional<double> score = z ? z->Score(ctx.args[2]) : std::nullopt;
  if (score) {
    ctx.reply.Double(*score);
  } else {
    ctx.reply.Null();
  }
}

// ZMSCORE key member [member ...]
void CmdZmscore(CommandContext& ctx) {
  bool ok;
  const ZSet* z = FindForRead(ctx, ctx.args[1], &ok);
  if (!ok) return;
  ctx.reply.ArrayHeader(static_cast<int64_t>(ctx.args.size() - 2));
  for (size_t i = 2; i < ctx.args.size(); i++) {
    const std::optional<double> score = z ? z->Score(ctx.args[i]) : std::nullopt;
    if (score) {
      ctx.reply.Double(*score);
    } else {
      ctx.reply.Null();
    }
  }
}

// ZRANK / ZREVRANK key member
void ReplyRank(CommandContext& ctx, bool reverse) {
  bool ok;
  const ZSet* z = FindForRead(ctx, ctx.args[1], &ok);
  if (!ok) return;
  const std::optional<size_t> rank = z ? z->Rank(ctx.args[2]) : std::nullopt;
  if (!rank) {
    ctx.reply.Null();
    return;
  }
  ctx.reply.Integer(static_cast<int64_t>(reverse ? z->Size() - 1 - *rank : *rank));
}

void CmdZrank(CommandContext& ctx) { ReplyRank(ctx, false); }
void CmdZrevrank(CommandContext& ctx) { ReplyRank(ctx, true); }

// ZCOUNT key min max
void CmdZcount(CommandContext& ctx) {
  ScoreBound min, max;
  if (!ParseScoreRangeOrReply(ctx, ctx.args[2], ctx.args[3], &min, &max)) return;
  bool ok;
  const ZSet* z = FindForRead(ctx, ctx.args[1], &ok);
  if (!ok) return;
  if (!z) {
    ctx.reply.Integer(0);
    return;
  }
  const size_t first = z->RanksBelow(min), last = z->RanksUpTo(max);
  ctx.reply.Integer(last > first ? static_cast<int64_t>(last - first) : 0);
}

// ZLEXCOUNT key min max
void CmdZlexcount(CommandContext& ctx) {
  LexBound min, max;
  if (!ParseLexRangeOrReply(ctx, ctx.args[2], ctx.args[3], &min, &max)) return;
  bool ok;
  const ZSet* z = FindForRead(ctx, ctx.args[1], &ok);
  if (!ok) return;
  if (!z) {
    ctx.reply.Integer(0);
    return;
  }
  const size_t first = z->RanksBelow(min), last = z->RanksUpTo(max);
  ctx.reply.Integer(last > first ? static_cast<int64_t>(last - first) : 0);
}

// ZRANDMEMBER key [count [WITHSCORES]]
void CmdZrandmember(CommandContext& ctx) {
  if (ctx.args.size() == 2) {
    bool ok;
    const ZSet* z = FindForRead(ctx, ctx.args[1], &ok);
    if (!ok) return;
    if (!z) {
      ctx.reply.Null();
      return;
    }
    ctx.reply.Bulk(z->At(Random()() % z->Size()).first);
    return;
  }
  int64_t count;
  if (!daemon::ParseIntOrReply(ctx, ctx.args[2], &count)) return;
  if (count == INT64_MIN) {
    ctx.reply.Error(
        "ERR value is out of range, value must between -9223372036854775807 and "
        "9223372036854775807");
    return;
  }
  if (ctx.args.size() > 4 || (ctx.args.size() == 4 && !IsArg(ctx.args[3], "withscores"))) {
    ctx.reply.Error(daemon::kErrSyntax);
    return;
  }
  const bool with_scores = ctx.args.size() == 4;
  if (with_scores && (count < -INT64_MAX / 2 || count > INT64_MAX / 2)) {
    ctx.reply.Error("ERR value is out of range");
    return;
  }
  bool ok;
  const ZSet* z = FindForRead(ctx, ctx.args[1], &ok);
  if (!ok) return;
  if (!z || count == 0) {
    ctx.reply.ArrayHeader(0);
    return;
  }
  const size_t size = z->Size();
  // Negative: that many draws, repeats allowed, in random order.
  if (count < 0 || count == 1) {
    const int64_t draws = count < 0 ? -count : 1;
    ReplyScoredHeader(ctx, draws, with_scores);
    for (int64_t i = 0; i < draws; i++) {
      const auto [member, score] = z->At(Random()() % size);
      ReplyScoredMember(ctx, member, score, with_scores);
    }
    return;
  }
  // All of them when as many are asked, highest first (Redis's zset iterator runs backward).
  if (static_cast<uint64_t>(count) >= size) {
    ReplyScoredHeader(ctx, static_cast<int64_t>(size), with_scores);
    z->Walk(0, true, [&](std::string_view member, double score) {
      ReplyScoredMember(ctx, member, score, with_scores);
      return true;
    });
    return;
  }
  // Distinct ranks (Floyd's sampling), in the order drawn.
  std::unordered_set<size_t> chosen;
  std::vector<size_t> order;
  chosen.reserve(static_cast<size_t>(count));
  order.reserve(static_cast<size_t>(count));
  for (size_t j = size - static_cast<size_t>(count); j < size; j++) {
    size_t r = Random()() % (j + 1);
    if (!chosen.insert(r).second) {
      r = j;
      chosen.insert(r);
    }
    order.push_back(r);
  }
  std::shuffle(order.begin(), order.end(), Random());
  ReplyScoredHeader(ctx, count, with_scores);
  for (const size_t r : order) {
    const auto [member, score] = z->At(r);
    ReplyScoredMember(ctx, member, score, with_scores);
  }
}

// A score as ZSCAN shows it: the compact form keeps scores as Redis's listpack text (d2string:
// integral values in full), the large form as %.17Lg (createStringObjectFromLongDouble).
size_t ScanScoreText(double score, bool large, char* buf, size_t size) {
  if (std::isinf(score))
    return static_cast<size_t>(std::snprintf(buf, size, score > 0 ? "inf" : "-inf"));
  if (!large) {
    if (score == 0)
      return static_cast<size_t>(std::snprintf(buf, size, std::signbit(score) ? "-0" : "0"));
    if (score > -9007199254740992.0 * 1024 && score < 9007199254740992.0 * 1024 &&
        score == static_cast<double>(static_cast<long long>(score))) {
      return static_cast<size_t>(std::snprintf(buf, size, "%lld", static_cast<long long>(score)));
    }
    return static_cast<size_t>(std::snprintf(buf, size, "%.17g", score));
  }
  return static_cast<size_t>(std::snprintf(buf, size, "%.17Lg", static_cast<long double>(score)));
}

// ZSCAN key cursor [MATCH pattern] [COUNT count]: the compact form in one call (as Redis); the
// large one in rank order, count members a call (the cursor is the next rank).
void CmdZscan(CommandContext& ctx) {
  uint64_t cursor;
  if (!daemon::ParseScanCursorOrReply(ctx, ctx.args[2], &cursor)) return;
  bool ok;
  const ZSet* z = FindForRead(ctx, ctx.args[1], &ok);
  if (!ok) return;
  // As Redis: the options are read only when there is a sorted set to scan.
  daemon::CollectionScanOptions options;
  if (z && !daemon::ParseCollectionScanOrReply(ctx, &options)) return;
  const int64_t count = options.count;
  ctx.reply.ArrayHeader(2);
  if (!z) {
    ctx.reply.Bulk("0");
    ctx.reply.ArrayHeader(0);
    return;
  }
  const size_t start = z->large() ? static_cast<size_t>(std::min<uint64_t>(cursor, z->Size())) : 0;
  const size_t end = z->large() && static_cast<uint64_t>(count) < z->Size() - start
                         ? start + static_cast<size_t>(count)
                         : z->Size();
  const uint64_t next = end < z->Size() ? end : 0;
  ctx.reply.Bulk(std::to_string(next));
  auto mark = ctx.reply.BeginDeferred();
  int64_t items = 0;
  size_t rank = start;
  z->Walk(start, false, [&](std::string_view member, double score) {
    if (rank++ >= end) return false;
    if (!options.Matches(member)) return true;
    char text[64];
    ctx.reply.Bulk(member);
    ctx.reply.Bulk(std::string_view(text, ScanScoreText(score, z->large(), text, sizeof(text))));
    items += 2;
    return true;
  });
  ctx.reply.EndDeferredArray(mark, items);
}

}  // namespace

void RegisterZsetCommands(daemon::Registry& registry) {
  using namespace daemon;
  CommandGroup group(registry.commands, "sorted_set");
  group.AddKeyed({.name = "zadd",
                  .arity = -4,
                  .flags = kCmdWrite | kCmdDenyOom | kCmdFast,
                  .handler = CmdZadd,
                  .since = "1.2.0",
                  .summary = "Add one or more members to a sorted set, or update its score if it "
                             "already exists",
                  .complexity = "O(log(N)) for each item added, where N is the number of "
                                "elements in the sorted set.",
                  .syntax = "key [NX | XX] [GT | LT] [CH] [INCR] (score_member: score:double "
                            "member) ..."});
  group.AddKeyed({.name = "zincrby",
                  .arity = 4,
                  .flags = kCmdWrite | kCmdDenyOom | kCmdFast,
                  .handler = CmdZincrby,
                  .since = "1.2.0",
                  .summary = "Increment the score of a member in a sorted set",
                  .complexity = "O(log(N)) where N is the number of elements in the sorted set.",
                  .syntax = "key increment:integer member"});
  group.AddKeyed({.name = "zrem",
                  .arity = -3,
                  .flags = kCmdWrite | kCmdFast,
                  .handler = CmdZrem,
                  .since = "1.2.0",
                  .summary = "Remove one or more members from a sorted set",
                  .complexity = "O(M*log(N)) with N being the number of elements in the sorted "
                                "set and M the number of elements to be removed.",
                  .syntax = "key member ...",
                  .key_flags = {"RW", "delete"}});
  group.AddKeyed({.name = "zcard",
                  .arity = 2,
                  .flags = kCmdReadonly | kCmdFast,
                  .handler = CmdZcard,
                  .since = "1.2.0",
                  .summary = "Get the number of members in a sorted set",
                  .complexity = "O(1)",
                  .syntax = "key",
                  .key_flags = {"RO"}});
  group.AddKeyed({.name = "zscore",
                  .arity = 3,
                  .flags = kCmdReadonly | kCmdFast,
                  .handler = CmdZscore,
                  .since = "1.2.0",
                  .summary = "Get the score associated with the given member in a sorted set",
                  .complexity = "O(1)",
                  .syntax = "key member"});
  group.AddKeyed({.name = "zmscore",
                  .arity = -3,
                  .flags = kCmdReadonly | kCmdFast,
                  .handler = CmdZmscore,
                  .since = "6.2.0",
                  .summary = "Get the score associated with the given members in a sorted set",
                  .complexity = "O(N) where N is the number of members being requested.",
                  .syntax = "key member ..."});
  group.AddKeyed({.name = "zrank",
                  .arity = 3,
                  .flags = kCmdReadonly | kCmdFast,
                  .handler = CmdZrank,
                  .since = "2.0.0",
                  .summary = "Determine the index of a member in a sorted set",
                  .complexity = "O(log(N))",
                  .syntax = "key member"});
  group.AddKeyed({.name = "zrevrank",
                  .arity = 3,
                  .flags = kCmdReadonly | kCmdFast,
                  .handler = CmdZrevrank,
                  .since = "2.0.0",
                  .summary = "Determine the index of a member in a sorted set, with scores "
                             "ordered from high to low",
                  .complexity = "O(log(N))",
                  .syntax = "key member"});
  group.AddKeyed({.name = "zcount",
                  .arity = 4,
                  .flags = kCmdReadonly | kCmdFast,
                  .handler = CmdZcount,
                  .since = "2.0.0",
                  .summary = "Count the members in a sorted set with scores within the given "
                             "values",
                  .complexity = "O(log(N)) with N being the number of elements in the sorted "
                                "set.",
                  .syntax = "key min:double max:double"});
  group.AddKeyed({.name = "zlexcount",
                  .arity = 4,
                  .flags = kCmdReadonly | kCmdFast,
                  .handler = CmdZlexcount,
                  .since = "2.8.9",
                  .summary = "Count the number of members in a sorted set between a given "
                             "lexicographical range",
                  .complexity = "O(log(N)) with N being the number of elements in the sorted "
                                "set.",
                  .syntax = "key min:string max:string"});
  group.AddKeyed({.name = "zrandmember",
                  .arity = -2,
                  .flags = kCmdReadonly,
                  .handler = CmdZrandmember,
                  .since = "6.2.0",
                  .summary = "Get one or multiple random elements from a sorted set",
                  .complexity = "O(N) where N is the number of elements returned",
                  .syntax = "key [count:integer [WITHSCORES]]",
                  .tips = {"nondeterministic_output"}});
  group.AddKeyed({.name = "zscan",
                  .arity = -3,
                  .flags = kCmdReadonly,
                  .handler = CmdZscan,
                  .since = "2.8.0",
                  .summary = "Incrementally iterate sorted sets elements and associated scores",
                  .complexity = "O(1) for every call. O(N) for a complete iteration, including "
                                "enough command calls for the cursor to return back to 0. N is "
                                "the number of elements inside the collection..",
                  .syntax = "key cursor:integer [MATCH pattern:pattern] [COUNT count:integer]",
                  .tips = {"nondeterministic_output"}});
}

}  // namespace pylon::zset
