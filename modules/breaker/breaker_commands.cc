// CB.CONFIG, CB.ALLOW, CB.RECORD, CB.STATE and CB.FORCE over the breakers of breaker.h. Each
// command looks its key up once, brings the breaker up to the server's clock (lazy transitions),
// does its work, then publishes every transition on __breaker__:<name> as "<from> <to>" and
// tells the keyspace when the breaker changed. Bad input changes nothing.
#include <fmt/format.h>

#include <memory>
#include <string>

#include "daemon/arg_reader.h"
#include "daemon/command_helpers.h"
#include "daemon/keyspace.h"
#include "daemon/pubsub.h"
#include "daemon/registry.h"
#include "modules/breaker/breaker_value.h"

namespace pylon::breaker {
namespace {

using daemon::CommandContext;
using daemon::IsArg;
using daemon::KeyRef;
using daemon::Lookup;

constexpr std::string_view kErrNoSuchBreaker = "ERR no such breaker";
constexpr std::string_view kChannelPrefix = "__breaker__:";

BreakerValue* FindBreaker(CommandContext& ctx, Lookup how, KeyRef* ref, bool* ok) {
  return daemon::FindOrReply<BreakerValue>(ctx, kBreakerType, how, ref, ok);
}

BreakerValue* Create(CommandContext& ctx, KeyRef& ref, const Config& config) {
  auto value = std::make_unique<BreakerValue>(ctx.family_state<BreakerStats>(),
                                              Breaker(config, ctx.keyspace().now_ms()));
  BreakerValue* raw = value.get();
  ctx.keyspace().SetObject(ref, std::move(value), daemon::Ttl::Clear());
  return raw;
}

// The breaker at args[1], created with the defaults when absent; nullptr after a WRONGTYPE.
BreakerValue* FindOrCreate(CommandContext& ctx, KeyRef* ref) {
  bool ok;
  BreakerValue* value = FindBreaker(ctx, Lookup::kWrite, ref, &ok);
  if (!ok) return nullptr;
  return value ? value : Create(ctx, *ref, Config{});
}

// Announces the transitions and books the change. `changed` covers changes other than
// transitions (a permit granted, a call recorded).
void Finish(CommandContext& ctx, KeyRef& ref, const Transitions& transitions, bool changed) {
  if (!transitions.empty()) {
    const std::string channel = std::string(kChannelPrefix) + std::string(ref.key);
    for (const Transition& t : transitions) {
      ctx.pubsub().Publish(daemon::SubscriptionKind::kChannel, channel,
                           fmt::format("{} {}", StateName(t.from), StateName(t.to)));
    }
    ctx.family_state<BreakerStats>().transitions += transitions.size();
  }
  if (changed || !transitions.empty()) ctx.keyspace().Modified(ref);
}

// Parses CB.CONFIG's options over `config`; false after replying the first error.
bool ParseOptions(CommandContext& ctx, Config* config) {
  daemon::ArgReader r(ctx.args, 2);
  while (r.HasNext()) {
    if (r.Token("WINDOW")) {
      if (r.remaining() < 2) {
        r.Fail(daemon::kErrSyntax);  // a size and its kind, both
        break;
      }
      const int64_t n = r.Int();
      const std::string_view kind = r.Next();
      if (!r.ok()) break;
      if (IsArg(kind, "COUNT")) {
        if (n < 1 || n > kMaxCountWindow) {
          r.Fail(fmt::format("ERR WINDOW COUNT must be from 1 to {} calls", kMaxCountWindow));
        }
        config->window_type = WindowType::kCount;
        config->window_size = n;
      } else if (IsArg(kind, "TIME")) {
        // Per-second buckets, as Resilience4j's time window: whole seconds only.
        if (n < 1000 || n > kMaxTimeWindowSeconds * 1000 || n % 1000 != 0) {
          r.Fail(fmt::format("ERR WINDOW TIME must be whole seconds from 1000 to {} ms",
                             kMaxTimeWindowSeconds * 1000));
        }
        config->window_type = WindowType::kTime;
        config->window_size = n / 1000;
      } else {
        r.Fail("ERR WINDOW must be followed by a size and COUNT or TIME");
      }
    } else if (r.Token("FAILURE-RATE")) {
      config->failure_rate = r.Bounded("FAILURE-RATE", 1, 100);
    } else if (r.Token("SLOW-RATE")) {
      config->slow_rate = r.Bounded("SLOW-RATE", 1, 100);
    } else if (r.Token("SLOW-MS")) {
      config->slow_ms = r.Duration("SLOW-MS", 1);
    } else if (r.Token("MIN-CALLS")) {
      config->min_calls = r.Bounded("MIN-CALLS", 1, kMaxMinCalls);
    } else if (r.Token("CONSECUTIVE")) {
      config->consecutive = r.Bounded("CONSECUTIVE", 0, kMaxMinCalls);
    } else if (r.Token("OPEN-MS")) {
      config->open_ms = r.Duration("OPEN-MS", 1);
    } else if (r.Token("HALF-OPEN-CALLS")) {
      config->half_open_calls = r.Bounded("HALF-OPEN-CALLS", 1, kMaxHalfOpenCalls);
    } else if (r.Token("TRIAL-MS")) {
      config->trial_ms = r.Duration("TRIAL-MS", 0);
    } else {
      r.Fail(daemon::kErrSyntax);
    }
  }
  return r.Done(ctx);
}

void ReplyConfig(CommandContext& ctx, const Config& c) {
  const bool count = c.window_type == WindowType::kCount;
  ctx.reply.MapHeader(10);
  ctx.reply.Bulk("window_type");
  ctx.reply.Bulk(count ? "COUNT" : "TIME");
  ctx.reply.Bulk("window");  // calls, or ms as given
  ctx.reply.Integer(count ? c.window_size : c.window_size * 1000);
  ctx.reply.Bulk("failure_rate");
  ctx.reply.Integer(c.failure_rate);
  ctx.reply.Bulk("slow_rate");
  ctx.reply.Integer(c.slow_rate);
  ctx.reply.Bulk("slow_ms");
  ctx.reply.Integer(c.slow_ms);
  ctx.reply.Bulk("min_calls");
  ctx.reply.Integer(c.min_calls);
  ctx.reply.Bulk("consecutive");
  ctx.reply.Integer(c.consecutive);
  ctx.reply.Bulk("open_ms");
  ctx.reply.Integer(c.open_ms);
  ctx.reply.Bulk("half_open_calls");
  ctx.reply.Integer(c.half_open_calls);
  ctx.reply.Bulk("trial_ms");  // in force: TRIAL-MS, or SLOW-MS when TRIAL-MS is 0
  ctx.reply.Integer(c.TrialMs());
}

// CB.CONFIG name [WINDOW n COUNT | WINDOW ms TIME] [FAILURE-RATE pct] [SLOW-RATE pct]
//           [SLOW-MS ms] [MIN-CALLS n] [CONSECUTIVE n] [OPEN-MS ms] [HALF-OPEN-CALLS n]
//           [TRIAL-MS ms]
void CmdConfig(CommandContext& ctx) {
  KeyRef ref;
  bool ok;
  BreakerValue* value = FindBreaker(ctx, Lookup::kWrite, &ref, &ok);
  if (!ok) return;
  if (ctx.args.size() == 2) {
    if (!value) return ctx.reply.Null();
    return ReplyConfig(ctx, value->breaker().config());
  }
  Config config = value ? value->breaker().config() : Config{};
  if (!ParseOptions(ctx, &config)) return;
  if (!value) {
    Create(ctx, ref, config);
    return ctx.reply.Ok();
  }
  Transitions transitions;
  value->breaker().Reconfigure(config, ctx.keyspace().now_ms(), &transitions);
  Finish(ctx, ref, transitions, true);
  ctx.reply.Ok();
}

// CB.ALLOW name
void CmdAllow(CommandContext& ctx) {
  KeyRef ref;
  BreakerValue* value = FindOrCreate(ctx, &ref);
  if (!value) return;
  Transitions transitions;
  const Decision d = value->breaker().Allow(ctx.keyspace().now_ms(), &transitions);
  BreakerStats& stats = ctx.family_state<BreakerStats>();
  (d.allowed ? stats.allowed : stats.refused)++;
  // A permit in CLOSED or DISABLED changes nothing worth telling WATCH about; a trial permit or
  // a refusal (counted in not_permitted) does.
  const bool changed = !d.allowed || d.state == State::kHalfOpen;
  Finish(ctx, ref, transitions, changed);
  ctx.reply.ArrayHeader(3);
  ctx.reply.Integer(d.allowed);
  ctx.reply.Bulk(StateName(d.state));
  ctx.reply.Integer(d.retry_after_ms);
}

// CB.RECORD name SUCCESS|FAILURE [LATENCY ms]
void CmdRecord(CommandContext& ctx) {
  const daemon::Args& a = ctx.args;
  const bool success = IsArg(a[2], "SUCCESS");
  if (!success && !IsArg(a[2], "FAILURE")) {
    return ctx.reply.Error("ERR outcome must be SUCCESS or FAILURE");
  }
  int64_t latency = 0;
  if (a.size() != 3) {
    if (a.size() != 5 || !IsArg(a[3], "LATENCY")) return ctx.reply.Error(daemon::kErrSyntax);
    if (!daemon::ParseDurationOrReply(ctx, "LATENCY", a[4], 0, &latency)) return;
  }
  KeyRef ref;
  bool ok;
  BreakerValue* value = FindBreaker(ctx, Lookup::kWrite, &ref, &ok);
  if (!ok) return;
  if (!value) return ctx.reply.Error(kErrNoSuchBreaker);
  Transitions transitions;
  const State state =
      value->breaker().Record(success, latency, ctx.keyspace().now_ms(), &transitions);
  ctx.family_state<BreakerStats>().recorded++;
  Finish(ctx, ref, transitions, true);
  ctx.reply.Bulk(StateName(state));
}

// CB.STATE name
void CmdState(CommandContext& ctx) {
  KeyRef ref;
  bool ok;
  BreakerValue* value = FindBreaker(ctx, Lookup::kRead, &ref, &ok);
  if (!ok) return;
  if (!value) return ctx.reply.Null();
  Breaker& b = value->breaker();
  // Reading brings the lazy transitions up to date, as a read in Redis expires a key.
  Transitions transitions;
  b.Advance(ctx.keyspace().now_ms(), &transitions);
  Finish(ctx, ref, transitions, false);
  const Window& w = b.window();
  ctx.reply.MapHeader(9);
  ctx.reply.Bulk("state");
  ctx.reply.Bulk(StateName(b.state()));
  ctx.reply.Bulk("failure_rate");
  ctx.reply.Double(w.FailureRate());
  ctx.reply.Bulk("slow_rate");
  ctx.reply.Double(w.SlowRate());
  ctx.reply.Bulk("buffered_calls");
  ctx.reply.Integer(static_cast<int64_t>(w.calls()));
  ctx.reply.Bulk("failed_calls");
  ctx.reply.Integer(static_cast<int64_t>(w.failed()));
  ctx.reply.Bulk("slow_calls");
  ctx.reply.Integer(static_cast<int64_t>(w.slow()));
  ctx.reply.Bulk("not_permitted");
  ctx.reply.Integer(static_cast<int64_t>(b.not_permitted()));
  ctx.reply.Bulk("since_ms");
  ctx.reply.Integer(b.since_ms());
  ctx.reply.Bulk("trials_in_flight");
  ctx.reply.Integer(static_cast<int64_t>(b.trials_in_flight()));
}

// CB.FORCE name OPEN|CLOSED|DISABLED|RESET
void CmdForce(CommandContext& ctx) {
  const std::string_view what = ctx.args[2];
  Force force;
  if (IsArg(what, "OPEN")) {
    force = Force::kOpen;
  } else if (IsArg(what, "CLOSED")) {
    force = Force::kClosed;
  } else if (IsArg(what, "DISABLED")) {
    force = Force::kDisabled;
  } else if (IsArg(what, "RESET")) {
    force = Force::kReset;
  } else {
    return ctx.reply.Error("ERR CB.FORCE takes OPEN, CLOSED, DISABLED or RESET");
  }
  KeyRef ref;
  BreakerValue* value = FindOrCreate(ctx, &ref);
  if (!value) return;
  Transitions transitions;
  value->breaker().ForceState(force, ctx.keyspace().now_ms(), &transitions);
  Finish(ctx, ref, transitions, true);
  ctx.reply.Bulk(StateName(value->breaker().state()));
}

}  // namespace

void RegisterBreakerCommands(daemon::Registry& registry) {
  daemon::CommandTable& t = registry.commands;
  using namespace daemon;
  daemon::CommandGroup group(t, "cb", "0.1.0");
  group.AddKeyed(
      {.name = "cb.config",
       .arity = -2,
       .flags = kCmdWrite | kCmdDenyOom,
       .handler = CmdConfig,
       .summary = "Create or reconfigure a circuit breaker, or read its configuration",
       .complexity = "O(1); O(W) when the window changes (W: the old window's calls or seconds)",
       .syntax = "name:key [WINDOW size:integer (COUNT | TIME)] [FAILURE-RATE pct:integer] "
                 "[SLOW-RATE pct:integer] [SLOW-MS ms:integer] [MIN-CALLS n:integer] "
                 "[CONSECUTIVE n:integer] [OPEN-MS ms:integer] [HALF-OPEN-CALLS n:integer] "
                 "[TRIAL-MS ms:integer]"});
  group.AddKeyed(
      {.name = "cb.allow",
       .arity = 2,
       .flags = kCmdWrite | kCmdDenyOom | kCmdFast,
       .handler = CmdAllow,
       .summary = "Ask a circuit breaker for a permit (creates it with the defaults if absent)",
       .complexity = "O(1) amortized",
       .syntax = "name:key"});
  group.AddKeyed({.name = "cb.record",
                  .arity = -3,
                  .flags = kCmdWrite | kCmdFast,
                  .handler = CmdRecord,
                  .summary = "Record a call's outcome (and latency) in a circuit breaker",
                  .complexity = "O(1) amortized",
                  .syntax = "name:key (SUCCESS | FAILURE) [LATENCY ms:integer]"});
  group.AddKeyed({.name = "cb.state",
                  .arity = 2,
                  .flags = kCmdReadonly | kCmdFast,
                  .handler = CmdState,
                  .summary = "A circuit breaker's state, rates and counters",
                  .complexity = "O(1) amortized",
                  .syntax = "name:key"});
  group.AddKeyed({.name = "cb.force",
                  .arity = 3,
                  .flags = kCmdWrite | kCmdDenyOom,
                  .handler = CmdForce,
                  .summary = "Force a circuit breaker OPEN, CLOSED or DISABLED, or RESET it",
                  .complexity = "O(W) to drop the window",
                  .syntax = "name:key (OPEN | CLOSED | DISABLED | RESET)"});
}

}  // namespace pylon::breaker
