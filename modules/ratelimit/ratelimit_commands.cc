// RL.ALLOW, RL.ALLOWALL, RL.RESET, RL.INFO: the limiters of limiter.h stored in the keyspace.
//
// A call names the whole rule (ALGO, LIMIT, PERIOD, BURST) every time, as an API gateway does:
// the first admitted call creates the key, and the key's TTL is kept at the moment the limiter
// is full again, so one-off clients cost nothing once they are gone. A call whose rule differs
// from the stored one is an error and changes nothing (RL.RESET the key to change its rule).
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "daemon/arg_reader.h"
#include "daemon/command_helpers.h"
#include "daemon/keyspace.h"
#include "modules/ratelimit/cell.h"
#include "modules/ratelimit/family.h"
#include "modules/ratelimit/limiter_value.h"
#include "modules/ratelimit/ratelimit_stats.h"
#include "protocol/text.h"

namespace pylon::ratelimit {
namespace {

using daemon::CommandContext;
using daemon::Entry;
using daemon::KeyRef;
using daemon::Keyspace;
using daemon::Lookup;
using daemon::Ttl;

struct Request {
  Rule rule;
  int64_t cost = 1;
};

// Parses "LIMIT n PERIOD ms [ALGO name] [BURST b] [COST c]" (any order) from args[*pos..]. In a
// list of rules (RL.ALLOWALL) a second LIMIT starts the next rule. Replies the error and returns
// false on bad input.
bool ParseRequestOrReply(CommandContext& ctx, size_t* pos, bool in_list, Request* out) {
  std::optional<int64_t> limit, period, burst, cost;
  daemon::ArgReader r(ctx.args, *pos);
  while (r.HasNext()) {
    if (in_list && limit && daemon::IsArg(r.Peek(), "LIMIT")) break;  // the next rule's
    if (r.Token("LIMIT")) {
      limit = r.Int(1, INT64_MAX, "ERR LIMIT must be positive");
    } else if (r.Token("PERIOD")) {
      period = r.Int(1, INT64_MAX, "ERR PERIOD must be positive");
    } else if (r.Token("BURST")) {
      burst = r.Int(1, INT64_MAX, "ERR BURST must be positive");
    } else if (r.Token("COST")) {
      cost = r.Int(0, INT64_MAX, "ERR COST must be 0 or more");
    } else if (r.Token("ALGO")) {
      const std::string_view name = r.Next();
      const std::optional<Algorithm> algorithm = ParseAlgorithm(name);
      if (algorithm) {
        out->rule.algorithm = *algorithm;
      } else if (r.ok()) {
        r.Fail(fmt::format(
            "ERR unknown ALGO '{}' (token, leaky, fixed, sliding, sliding-log or gcra)", name));
      }
    } else {
      r.Fail(daemon::kErrSyntax);
    }
  }
  if (!r.CheckOrReply(ctx)) return false;
  const size_t j = r.position();
  if (!limit || !period) {
    ctx.reply.Error("ERR LIMIT and PERIOD are required");
    return false;
  }
  out->rule.limit = *limit;
  out->rule.period_ms = *period;
  out->rule.burst = burst.value_or(*limit);
  out->cost = cost.value_or(1);
  if (auto error = ValidateRule(out->rule)) {
    ctx.reply.Error(fmt::format("ERR {}", *error));
    return false;
  }
  const int64_t capacity = IsWindowed(out->rule.algorithm) ? out->rule.limit : out->rule.burst;
  if (out->cost > capacity) {
    ctx.reply.Error(IsWindowed(out->rule.algorithm) ? "ERR COST may not exceed LIMIT"
                                                    : "ERR COST may not exceed BURST");
    return false;
  }
  *pos = j;
  return true;
}

// The first key (in the given order) that an earlier one repeats. A few keys are compared
// pairwise (no allocation); many go through a set, so that a call of 200,000 keys costs
// 200,000 lookups and not 2 x 10^10 comparisons.
std::optional<std::string_view> FirstRepeated(daemon::Args keys) {
  constexpr size_t kPairwise = 16;
  if (keys.size() <= kPairwise) {
    for (size_t i = 0; i < keys.size(); i++) {
      for (size_t k = 0; k < i; k++) {
        if (keys[k] == keys[i]) return keys[i];
      }
    }
    return std::nullopt;
  }
  std::unordered_set<std::string_view> seen;
  seen.reserve(keys.size());
  for (std::string_view key : keys) {
    if (!seen.insert(key).second) return key;
  }
  return std::nullopt;
}

void ReplyDecision(CommandContext& ctx, const Decision& d) {
  ctx.reply.ArrayHeader(5);
  ctx.reply.Integer(d.allowed ? 1 : 0);
  ctx.reply.Integer(d.limit);
  ctx.reply.Integer(d.remaining);
  ctx.reply.Integer(d.retry_after_ms);
  ctx.reply.Integer(d.reset_after_ms);
}

// The limiter at key (stored, or a new one with `rule` when the key has none) and the key's
// place (valid until the next keyspace call: one lookup serves the whole command). Replies (and
// returns nullopt) when the key holds another type, or a limiter with another rule.
std::optional<StoredLimiter> FindLimiterOrReply(CommandContext& ctx, std::string_view key,
                                                const Rule& rule, KeyRef* ref) {
  *ref = ctx.keyspace().Locate(key, Lookup::kWrite);
  const Entry* e = ref->entry;
  if (!daemon::CheckTypeOrReply(ctx, e, kLimiterType)) return std::nullopt;
  std::optional<StoredLimiter> found(std::in_place, e, rule);
  const Rule& r = found->limiter().rule();
  if (found->exists() && r != rule) {
    ctx.reply.Error(fmt::format(
        "ERR the limiter at '{}' has another rule (ALGO {} LIMIT {} PERIOD {} BURST {}): "
        "RL.RESET it to change the rule",
        key, AlgorithmName(r.algorithm), r.limit, r.period_ms, r.burst));
    return std::nullopt;
  }
  return found;
}

// Runs the call on the limiter and keeps what it consumed.
Decision AllowAt(CommandContext& ctx, KeyRef& ref, StoredLimiter& stored, int64_t cost) {
  const Decision d = stored.limiter().Allow(ctx.keyspace().now_ms(), cost);
  if (d.allowed && cost > 0) stored.Keep(ctx.keyspace(), ref, d.reset_after_ms);
  return d;
}

// RL.ALLOW key LIMIT n PERIOD ms [ALGO name] [BURST b] [COST c]
void CmdAllow(CommandContext& ctx) {
  size_t pos = 2;
  Request req;
  if (!ParseRequestOrReply(ctx, &pos, false, &req)) return;
  KeyRef ref;
  auto stored = FindLimiterOrReply(ctx, ctx.args[1], req.rule, &ref);
  if (!stored) return;
  const Decision d = AllowAt(ctx, ref, *stored, req.cost);
  RecordCall(ctx.family_state<RateLimitStats>(), d.allowed, req.cost == 0);
  ReplyDecision(ctx, d);
}

// RL.ALLOWALL numkeys key [key ...] LIMIT n PERIOD ms [...] [LIMIT n PERIOD ms [...] ...]
// One rule per key, in order. Consumes from every limiter only if all admit the call.
void CmdAllowAll(CommandContext& ctx) {
  int64_t numkeys;
  if (!daemon::ParseIntOrReply(ctx, ctx.args[1], &numkeys)) return;
  if (numkeys < 1 || numkeys > static_cast<int64_t>(ctx.args.size()) - 2) {
    ctx.reply.Error(numkeys < 1 ? "ERR numkeys should be greater than 0"
                                : "ERR Number of keys can't be greater than number of args");
    return;
  }
  const auto keys = ctx.args.subspan(2, static_cast<size_t>(numkeys));
  std::vector<Request> reqs(keys.size());
  size_t pos = 2 + keys.size();
  for (Request& req : reqs) {
    if (pos >= ctx.args.size()) {
      ctx.reply.Error("ERR each key needs its rule: LIMIT n PERIOD ms ...");
      return;
    }
    if (!ParseRequestOrReply(ctx, &pos, true, &req)) return;
  }
  if (pos != ctx.args.size()) {
    ctx.reply.Error("ERR more rules than keys");
    return;
  }
  if (const std::optional<std::string_view> twice = FirstRepeated(keys)) {
    ctx.reply.Error(fmt::format("ERR key '{}' appears twice", *twice));
    return;
  }
  // Decide everything first (a sliding log's object stays where it is while other keys are
  // looked up; other limiters are copies).
  std::vector<StoredLimiter> stored;
  stored.reserve(keys.size());
  std::vector<Decision> decisions(keys.size());
  const int64_t now = ctx.keyspace().now_ms();
  std::optional<size_t> refused;
  int64_t longest_retry = -1;
  for (size_t i = 0; i < keys.size(); i++) {
    KeyRef ref;
    auto found = FindLimiterOrReply(ctx, keys[i], reqs[i].rule, &ref);
    if (!found) return;
    stored.push_back(std::move(*found));
    decisions[i] = stored[i].limiter().Check(now, reqs[i].cost);
    if (!decisions[i].allowed) {
      if (!refused) refused = i;
      longest_retry = std::max(longest_retry, decisions[i].retry_after_ms);
    }
  }
  for (size_t i = 0; i < keys.size(); i++) {
    if (!refused) {
      // Found again: storing the keys before it may have moved this one's bucket.
      KeyRef ref = ctx.keyspace().Locate(keys[i], Lookup::kWrite);
      decisions[i] = AllowAt(ctx, ref, stored[i], reqs[i].cost);
    } else if (decisions[i].allowed) {
      // Nothing was consumed: a limit that would have admitted the call shows its level as is.
      decisions[i] = stored[i].limiter().Check(now, 0);
    }
  }
  RecordCall(ctx.family_state<RateLimitStats>(), !refused, false);
  ctx.reply.ArrayHeader(4);
  ctx.reply.Integer(refused ? 0 : 1);
  if (refused) {
    ctx.reply.Bulk(keys[*refused]);
  } else {
    ctx.reply.Null();
  }
  ctx.reply.Integer(longest_retry);
  ctx.reply.ArrayHeader(static_cast<int64_t>(keys.size()));
  for (const Decision& d : decisions) ReplyDecision(ctx, d);
}

// RL.RESET key
void CmdReset(CommandContext& ctx) {
  Keyspace& ks = ctx.keyspace();
  KeyRef ref = ks.Locate(ctx.args[1], Lookup::kWrite);
  if (!daemon::CheckTypeOrReply(ctx, ref.entry, kLimiterType)) return;
  const bool deleted = ks.Delete(ref);
  if (deleted) ctx.family_state<RateLimitStats>().resets++;
  ctx.reply.Integer(deleted ? 1 : 0);
}

// RL.INFO key
void CmdInfo(CommandContext& ctx) {
  const Entry* e = ctx.keyspace().Find(ctx.args[1], Lookup::kRead);
  if (!daemon::CheckTypeOrReply(ctx, e, kLimiterType)) return;
  if (!e) {
    ctx.reply.Null();
    return;
  }
  StoredLimiter stored(*e);
  const Limiter& limiter = stored.limiter();
  const Rule& r = limiter.rule();
  const Decision d = limiter.Check(ctx.keyspace().now_ms(), 0);
  ctx.reply.MapHeader(6);
  ctx.reply.Bulk("algorithm");
  ctx.reply.Bulk(AlgorithmName(r.algorithm));
  ctx.reply.Bulk("limit");
  ctx.reply.Integer(r.limit);
  ctx.reply.Bulk("period");
  ctx.reply.Integer(r.period_ms);
  ctx.reply.Bulk("burst");
  ctx.reply.Integer(d.limit);
  ctx.reply.Bulk("remaining");
  ctx.reply.Integer(d.remaining);
  ctx.reply.Bulk("reset_after");
  ctx.reply.Integer(d.reset_after_ms);
}

// CL.THROTTLE key max_burst count_per_period period [quantity], as redis-cell answers it.
void CmdClThrottle(CommandContext& ctx) {
  CellParams params;
  int64_t* fields[] = {&params.max_burst, &params.count_per_period, &params.period_s,
                       &params.quantity};
  for (size_t i = 2; i < ctx.args.size(); i++) {
    if (!protocol::ParseInt64(ctx.args[i], fields[i - 2])) {
      ctx.reply.Error("ERR " + CellNotIntegerError(ctx.args[i]));
      return;
    }
  }
  const CellRule cell = CellRuleFor(params);
  if (!cell.rule) {
    ctx.reply.Error(fmt::format("ERR {}", cell.error));
    return;
  }
  KeyRef ref;
  auto stored = FindLimiterOrReply(ctx, ctx.args[1], *cell.rule, &ref);
  if (!stored) return;
  Limiter& limiter = stored->limiter();
  const int64_t now = ctx.keyspace().now_ms();
  const CellReply r = CellThrottle(limiter, now, params.quantity);
  if (!r.limited && params.quantity > 0) {
    stored->Keep(ctx.keyspace(), ref, limiter.ResetAfter(now));
  }
  RecordCall(ctx.family_state<RateLimitStats>(), !r.limited, params.quantity == 0);
  ctx.reply.ArrayHeader(5);
  for (int64_t v : {r.limited, r.limit, r.remaining, r.retry_after_s, r.reset_after_s}) {
    ctx.reply.Integer(v);
  }
}

}  // namespace

void RegisterRateLimitCommands(daemon::Registry& registry) {
  using namespace daemon;
  CommandTable& t = registry.commands;
  CommandGroup group(t, "ratelimit", "0.1.0");
  group.Add(
      {.name = "rl.allow",
       .arity = -6,
       .flags = kCmdWrite | kCmdDenyOom | kCmdFast,
       .first_key = 1,
       .last_key = 1,
       .key_step = 1,
       .handler = CmdAllow,
       .summary = "Admit or refuse a call under a rate limit, consuming COST when admitted",
       .complexity = "O(1); sliding-log: O(1) amortized",
       // ALGO's value is one of token, leaky, fixed, sliding, sliding-log, gcra (docs/commands.md).
       .syntax = "key LIMIT limit:integer PERIOD milliseconds:integer [ALGO algorithm:string] "
                 "[BURST burst:integer] [COST cost:integer]"});
  group.Add({.name = "rl.allowall",
             .arity = -7,
             .flags = kCmdWrite | kCmdDenyOom | kCmdMovableKeys,
             .numkeys_index = 1,
             .handler = CmdAllowAll,
             .summary = "Admit a call only if every one of several rate limits admits it",
             .complexity = "O(N) for N keys",
             .syntax = "numkeys:integer key [key ...] rule [rule ...]"});
  group.Add({.name = "cl.throttle",
             .arity = -5,
             .max_args = 6,
             .flags = kCmdWrite | kCmdDenyOom | kCmdFast,
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .handler = CmdClThrottle,
             .summary = "Admit or refuse a call under a GCRA limit, answered as redis-cell does",
             .complexity = "O(1)",
             .syntax = "key max_burst:integer count_per_period:integer period:integer "
                       "[quantity:integer]"});
  group.Add({.name = "rl.reset",
             .arity = 2,
             .flags = kCmdWrite | kCmdFast,
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .handler = CmdReset,
             .summary = "Forget a rate limiter's state",
             .complexity = "O(1)",
             .syntax = "key"});
  group.Add({.name = "rl.info",
             .arity = 2,
             .flags = kCmdReadonly | kCmdFast,
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .handler = CmdInfo,
             .summary = "Show a rate limiter's rule and current level",
             .complexity = "O(1); sliding-log: O(entries forgotten since the last call)",
             .syntax = "key"});
}

}  // namespace pylon::ratelimit
