// Redis's sorted set range commands (Redis 7.0 t_zset.c): ZRANGE (BYSCORE BYLEX REV LIMIT
// WITHSCORES), ZRANGESTORE, the older ZRANGEBYSCORE ZREVRANGEBYSCORE ZRANGEBYLEX ZREVRANGEBYLEX
// ZREVRANGE, and ZREMRANGEBYRANK ZREMRANGEBYSCORE ZREMRANGEBYLEX. Every range becomes a window
// of ascending ranks [first, last) over the core.
#include <algorithm>
#include <cstdint>

#include "daemon/command_helpers.h"
#include "daemon/keyspace_events.h"
#include "daemon/registry.h"
#include "modules/zset/zset_command_support.h"
#include "protocol/text.h"

namespace pylon::zset {
namespace {

using daemon::CommandContext;
using daemon::IsArg;

enum class RangeType { kAuto, kRank, kScore, kLex };
enum class Direction { kAuto, kForward, kReverse };

// Redis's rank range: negative indexes count from the end; [first, last) once clamped.
void RankWindow(int64_t start, int64_t end, size_t size, size_t* first, size_t* last) {
  const auto n = static_cast<int64_t>(size);
  if (start < 0) start += n;
  if (end < 0) end += n;
  if (start < 0) start = 0;
  if (start > end || start >= n) {
    *first = *last = 0;
    return;
  }
  if (end >= n) end = n - 1;
  *first = static_cast<size_t>(start);
  *last = static_cast<size_t>(end) + 1;
}

// The members a range selects, in the order it emits them.
struct Selection {
  size_t start = 0;  // ascending rank of the first emitted
  size_t count = 0;
  bool reverse = false;
};

// A score or lex window with LIMIT offset count (count < 0: all; offset < 0: none, as Redis).
Selection LimitWindow(size_t first, size_t last, int64_t offset, int64_t limit, bool reverse) {
  Selection s{.reverse = reverse};
  const size_t available = last > first ? last - first : 0;
  if (offset < 0 || static_cast<uint64_t>(offset) >= available) return s;
  s.count = available - static_cast<size_t>(offset);
  if (limit >= 0) s.count = std::min(s.count, static_cast<size_t>(limit));
  s.start = reverse ? last - 1 - static_cast<size_t>(offset) : first + static_cast<size_t>(offset);
  return s;
}

template <typename Fn>
void Emit(const ZSet& z, const Selection& s, Fn&& fn) {
  if (s.count == 0) return;
  size_t left = s.count;
  z.Walk(s.reverse ? z.Size() - 1 - s.start : s.start, s.reverse,
         [&](std::string_view member, double score) {
           fn(member, score);
           return --left > 0;
         });
}

// ZRANGE and its kin: `store` is ZRANGESTORE (dst src ...), whose source is args[2].
void ZrangeGeneric(CommandContext& ctx, bool store, RangeType type, Direction direction) {
  const size_t src = store ? 2 : 1;
  size_t min_index = src + 1, max_index = src + 2;
  bool with_scores = false;
  int64_t offset = 0, limit = -1;
  for (size_t j = src + 3; j < ctx.args.size(); j++) {
    const size_t left = ctx.args.size() - j - 1;
    const std::string_view opt = ctx.args[j];
    if (!store && IsArg(opt, "withscores")) {
      with_scores = true;
    } else if (IsArg(opt, "limit") && left >= 2) {
      if (!daemon::ParseIntOrReply(ctx, ctx.args[j + 1], &offset) ||
          !daemon::ParseIntOrReply(ctx, ctx.args[j + 2], &limit)) {
        return;
      }
      j += 2;
    } else if (direction == Direction::kAuto && IsArg(opt, "rev")) {
      direction = Direction::kReverse;
    } else if (type == RangeType::kAuto && IsArg(opt, "bylex")) {
      type = RangeType::kLex;
    } else if (type == RangeType::kAuto && IsArg(opt, "byscore")) {
      type = RangeType::kScore;
    } else {
      ctx.reply.Error(daemon::kErrSyntax);
      return;
    }
  }
  if (direction == Direction::kAuto) direction = Direction::kForward;
  if (type == RangeType::kAuto) type = RangeType::kRank;
  // As Redis, a LIMIT whose count is -1 is no LIMIT here.
  if (limit != -1 && type == RangeType::kRank) {
    ctx.reply.Error(
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
    return;
  }
  if (with_scores && type == RangeType::kLex) {
    ctx.reply.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    return;
  }
  const bool reverse = direction == Direction::kReverse;
  // BYSCORE and BYLEX in reverse take the range as max min.
  if (reverse && type != RangeType::kRank) std::swap(min_index, max_index);

  int64_t start = 0, end = 0;
  ScoreBound score_min, score_max;
  LexBound lex_min, lex_max;
  switch (type) {
    case RangeType::kAuto:
    case RangeType::kRank:
      if (!daemon::ParseIntOrReply(ctx, ctx.args[min_index], &start) ||
          !daemon::ParseIntOrReply(ctx, ctx.args[max_index], &end)) {
        return;
      }
      break;
    case RangeType::kScore:
      if (!ParseScoreRangeOrReply(ctx, ctx.args[min_index], ctx.args[max_index], &score_min,
                                  &score_max)) {
        return;
      }
      break;
    case RangeType::kLex:
      if (!ParseLexRangeOrReply(ctx, ctx.args[min_index], ctx.args[max_index], &lex_min,
                                &lex_max)) {
        return;
      }
      break;
  }

  bool ok;
  const ZSet* z = FindForRead(ctx, ctx.args[src], &ok);
  if (!ok) return;
  Selection selection;
  if (z) {
    size_t first, last;
    if (type == RangeType::kRank) {
      RankWindow(start, end, z->Size(), &first, &last);
      // In reverse the window counts from the highest: its first member is the ascending
      // rank size - 1 - first.
      selection = {.start = reverse && last > first ? z->Size() - 1 - first : first,
                   .count = last - first,
                   .reverse = reverse};
    } else {
      if (type == RangeType::kScore) {
        first = z->RanksBelow(score_min);
        last = z->RanksUpTo(score_max);
      } else {
        first = z->RanksBelow(lex_min);
        last = z->RanksUpTo(lex_max);
      }
      selection = LimitWindow(first, last, offset, limit, reverse);
    }
  }

  if (!store) {
    ReplyScoredHeader(ctx, static_cast<int64_t>(selection.count), with_scores);
    if (z) {
      Emit(*z, selection, [&](std::string_view member, double score) {
        ReplyScoredMember(ctx, member, score, with_scores);
      });
    }
    return;
  }
  // ZRANGESTORE: the result replaces the destination, or deletes it when empty. Its form is
  // the one its members give (Redis 7.0 converts no ZRANGESTORE result back).
  const Limits limits = LimitsOf(ctx);
  auto result = std::make_unique<ZsetValue>();
  if (z) {
    Emit(*z, selection,
         [&](std::string_view member, double score) { result->Set(member, score, limits); });
  }
  const std::string_view dst = ctx.args[1];
  daemon::KeyRef ref = ctx.keyspace().Locate(dst, daemon::Lookup::kWrite);
  const auto stored = static_cast<int64_t>(result->zset().Size());
  if (stored == 0) {
    if (ref.entry && ctx.keyspace().Delete(ref)) ctx.Notify(daemon::kEventGeneric, "del", dst);
  } else {
    ctx.keyspace().SetObject(ref, std::move(result), daemon::Ttl::Clear());
    ctx.Notify(daemon::kEventZset, "zrangestore", dst);
  }
  ctx.reply.Integer(stored);
}

void CmdZrange(CommandContext& ctx) {
  ZrangeGeneric(ctx, false, RangeType::kAuto, Direction::kAuto);
}
void CmdZrangestore(CommandContext& ctx) {
  ZrangeGeneric(ctx, true, RangeType::kAuto, Direction::kAuto);
}
void CmdZrevrange(CommandContext& ctx) {
  ZrangeGeneric(ctx, false, RangeType::kRank, Direction::kReverse);
}
void CmdZrangebyscore(CommandContext& ctx) {
  ZrangeGeneric(ctx, false, RangeType::kScore, Direction::kForward);
}
void CmdZrevrangebyscore(CommandContext& ctx) {
  ZrangeGeneric(ctx, false, RangeType::kScore, Direction::kReverse);
}
void CmdZrangebylex(CommandContext& ctx) {
  ZrangeGeneric(ctx, false, RangeType::kLex, Direction::kForward);
}
void CmdZrevrangebylex(CommandContext& ctx) {
  ZrangeGeneric(ctx, false, RangeType::kLex, Direction::kReverse);
}

// ZREMRANGEBYRANK / ZREMRANGEBYSCORE / ZREMRANGEBYLEX key min max
void ZremrangeGeneric(CommandContext& ctx, RangeType type) {
  int64_t start = 0, end = 0;
  ScoreBound score_min, score_max;
  LexBound lex_min, lex_max;
  std::string_view event;
  if (type == RangeType::kRank) {
    if (!daemon::ParseIntOrReply(ctx, ctx.args[2], &start) ||
        !daemon::ParseIntOrReply(ctx, ctx.args[3], &end)) {
      return;
    }
    event = "zremrangebyrank";
  } else if (type == RangeType::kScore) {
    if (!ParseScoreRangeOrReply(ctx, ctx.args[2], ctx.args[3], &score_min, &score_max)) return;
    event = "zremrangebyscore";
  } else {
    if (!ParseLexRangeOrReply(ctx, ctx.args[2], ctx.args[3], &lex_min, &lex_max)) return;
    event = "zremrangebylex";
  }
  WriteTarget target;
  if (!target.Open(ctx, ctx.args[1])) return;
  if (!target.exists()) {
    ctx.reply.Integer(0);
    return;
  }
  const ZSet& z = target.zset();
  size_t first, last;
  if (type == RangeType::kRank) {
    RankWindow(start, end, z.Size(), &first, &last);
  } else if (type == RangeType::kScore) {
    first = z.RanksBelow(score_min);
    last = z.RanksUpTo(score_max);
  } else {
    first = z.RanksBelow(lex_min);
    last = z.RanksUpTo(lex_max);
  }
  const size_t removed = target.value().RemoveRanks(first, last);
  if (removed > 0) {
    const bool key_removed = target.Commit(ctx);
    ctx.Notify(daemon::kEventZset, event, ctx.args[1]);
    if (key_removed) ctx.Notify(daemon::kEventGeneric, "del", ctx.args[1]);
  }
  ctx.reply.Integer(static_cast<int64_t>(removed));
}

void CmdZremrangebyrank(CommandContext& ctx) { ZremrangeGeneric(ctx, RangeType::kRank); }
void CmdZremrangebyscore(CommandContext& ctx) { ZremrangeGeneric(ctx, RangeType::kScore); }
void CmdZremrangebylex(CommandContext& ctx) { ZremrangeGeneric(ctx, RangeType::kLex); }

}  // namespace

void RegisterZsetRangeCommands(daemon::Registry& registry) {
  using namespace daemon;
  CommandGroup group(registry.commands, "sorted_set");
  constexpr std::string_view kRangeComplexity =
      "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
      "elements returned.";
  group.AddKeyed({.name = "zrange",
                  .arity = -4,
                  .flags = kCmdReadonly,
                  .handler = CmdZrange,
                  .since = "1.2.0",
                  .summary = "Return a range of members in a sorted set",
                  .complexity = kRangeComplexity,
                  .syntax = "key start:string stop:string [BYSCORE | BYLEX] [REV] [LIMIT "
                            "offset:integer count:integer] [WITHSCORES]"});
  group.Add({.name = "zrangestore",
             .arity = -5,
             .flags = kCmdWrite | kCmdDenyOom,
             .first_key = 1,
             .last_key = 2,
             .key_step = 1,
             .handler = CmdZrangestore,
             .since = "6.2.0",
             .summary = "Store a range of members from sorted set into another key",
             .complexity = "O(log(N)+M) with N being the number of elements in the sorted set "
                           "and M the number of elements stored into the destination key.",
             .syntax = "dst:key src:key min:string max:string [BYSCORE | BYLEX] [REV] [LIMIT "
                       "offset:integer count:integer]"});
  group.AddKeyed({.name = "zrevrange",
                  .arity = -4,
                  .flags = kCmdReadonly,
                  .handler = CmdZrevrange,
                  .since = "1.2.0",
                  .summary = "Return a range of members in a sorted set, by index, with scores "
                             "ordered from high to low",
                  .complexity = kRangeComplexity,
                  .syntax = "key start:integer stop:integer [WITHSCORES]"});
  group.AddKeyed({.name = "zrangebyscore",
                  .arity = -4,
                  .flags = kCmdReadonly,
                  .handler = CmdZrangebyscore,
                  .since = "1.0.5",
                  .summary = "Return a range of members in a sorted set, by score",
                  .complexity = kRangeComplexity,
                  .syntax = "key min:double max:double [WITHSCORES] [LIMIT offset:integer "
                            "count:integer]"});
  group.AddKeyed({.name = "zrevrangebyscore",
                  .arity = -4,
                  .flags = kCmdReadonly,
                  .handler = CmdZrevrangebyscore,
                  .since = "2.2.0",
                  .summary = "Return a range of members in a sorted set, by score, with scores "
                             "ordered from high to low",
                  .complexity = kRangeComplexity,
                  .syntax = "key max:double min:double [WITHSCORES] [LIMIT offset:integer "
                            "count:integer]"});
  group.AddKeyed({.name = "zrangebylex",
                  .arity = -4,
                  .flags = kCmdReadonly,
                  .handler = CmdZrangebylex,
                  .since = "2.8.9",
                  .summary = "Return a range of members in a sorted set, by lexicographical "
                             "range",
                  .complexity = kRangeComplexity,
                  .syntax = "key min:string max:string [LIMIT offset:integer count:integer]"});
  group.AddKeyed({.name = "zrevrangebylex",
                  .arity = -4,
                  .flags = kCmdReadonly,
                  .handler = CmdZrevrangebylex,
                  .since = "2.8.9",
                  .summary = "Return a range of members in a sorted set, by lexicographical "
                             "range, ordered from higher to lower strings.",
                  .complexity = kRangeComplexity,
                  .syntax = "key max:string min:string [LIMIT offset:integer count:integer]"});
  constexpr std::string_view kRemoveComplexity =
      "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
      "elements removed by the operation.";
  group.AddKeyed({.name = "zremrangebyrank",
                  .arity = 4,
                  .flags = kCmdWrite,
                  .handler = CmdZremrangebyrank,
                  .since = "2.0.0",
                  .summary = "Remove all members in a sorted set within the given indexes",
                  .complexity = kRemoveComplexity,
                  .syntax = "key start:integer stop:integer",
                  .key_flags = {"RW", "delete"}});
  group.AddKeyed({.name = "zremrangebyscore",
                  .arity = 4,
                  .flags = kCmdWrite,
                  .handler = CmdZremrangebyscore,
                  .since = "1.2.0",
                  .summary = "Remove all members in a sorted set within the given scores",
                  .complexity = kRemoveComplexity,
                  .syntax = "key min:double max:double",
                  .key_flags = {"RW", "delete"}});
  group.AddKeyed({.name = "zremrangebylex",
                  .arity = 4,
                  .flags = kCmdWrite,
                  .handler = CmdZremrangebylex,
                  .since = "2.8.9",
                  .summary = "Remove all members in a sorted set between the given "
                             "lexicographical range",
                  .complexity = kRemoveComplexity,
                  .syntax = "key min:string max:string",
                  .key_flags = {"RW", "delete"}});
}

}  // namespace pylon::zset
