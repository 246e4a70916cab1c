// RETRY.NEXT and RETRY.RESET: retry sequences (retry.h) in the keyspace.
//
// A call names the whole policy every time (BASE, CAP, JITTER, MAX, with defaults), as a client
// library's retry loop does; the key keeps only the attempt count and the last delay.
//
// Giving up is a normal outcome, not an error: once MAX attempts were handed out, RETRY.NEXT
// answers [MAX + 1, -1]. The reply keeps its shape (two integers, RESP2 and RESP3 alike), so a
// client that destructures it never meets a type it did not expect, and -1 is Redis's usual
// "no time" (as TTL answers for a key without one).
//
// The sequence expires on its own: every RETRY.NEXT sets the key's TTL to 2 x CAP. No delay is
// longer than CAP, so a caller that keeps retrying always finds its sequence; one that stopped
// calling (it succeeded and did not RETRY.RESET, or gave up) has its key gone within 2 x CAP,
// and its next failure starts again from attempt 1.
#include <fmt/format.h>

#include <memory>
#include <random>

#include "daemon/arg_reader.h"
#include "daemon/command_helpers.h"
#include "daemon/keyspace.h"
#include "daemon/registry.h"
#include "modules/retry/retry_value.h"

namespace pylon::retry {
namespace {

using daemon::CommandContext;
using daemon::KeyRef;
using daemon::Keyspace;
using daemon::Lookup;

constexpr int64_t kMaxAttempts = 1000000;

// The server's random draws: one generator seeded once per process.
class SeededRandom final : public RandomSource {
 public:
  SeededRandom() : engine_(std::random_device{}()) {}
  int64_t Between(int64_t lo, int64_t hi) override {
    return std::uniform_int_distribution<int64_t>(lo, hi)(engine_);
  }

 private:
  std::mt19937_64 engine_;
};

SeededRandom& Random() {
  static SeededRandom random;
  return random;
}

// "[BASE ms] [CAP ms] [JITTER name] [MAX n]" from args[2..].
bool ParsePolicyOrReply(CommandContext& ctx, Policy* out) {
  daemon::ArgReader r(ctx.args, 2);
  while (r.HasNext()) {
    if (r.Token("BASE")) {
      out->base_ms = r.Duration("BASE", 1);
    } else if (r.Token("CAP")) {
      out->cap_ms = r.Duration("CAP", 1);
    } else if (r.Token("JITTER")) {
      const std::optional<Jitter> jitter = ParseJitter(r.Next());
      if (jitter) out->jitter = *jitter;
      if (!jitter) r.Fail("ERR JITTER must be none, full, equal or decorrelated");
    } else if (r.Token("MAX")) {
      out->max_attempts = r.Bounded("MAX", 1, kMaxAttempts);
    } else {
      r.Fail(daemon::kErrSyntax);
    }
  }
  if (!r.Done(ctx)) return false;
  if (out->cap_ms < out->base_ms) {
    ctx.reply.Error("ERR CAP must not be less than BASE");
    return false;
  }
  return true;
}

// RETRY.NEXT key [BASE ms] [CAP ms] [JITTER none|full|equal|decorrelated] [MAX n]
void CmdNext(CommandContext& ctx) {
  Policy policy;
  if (!ParsePolicyOrReply(ctx, &policy)) return;
  KeyRef ref;
  bool ok;
  RetryValue* v = daemon::FindOrReply<RetryValue>(ctx, kRetryType, Lookup::kWrite, &ref, &ok);
  if (!ok) return;
  Keyspace& ks = ctx.keyspace();
  const int64_t expires_at = ks.now_ms() + 2 * policy.cap_ms;
  Step step;
  if (!v) {
    auto fresh = std::make_unique<RetryValue>();
    step = Next(&fresh->state, policy, Random());
    ks.SetObject(ref, std::move(fresh), daemon::Ttl::At(expires_at));
  } else {
    step = Next(&v->state, policy, Random());
    ks.Modified(ref);
    ks.SetExpire(ref, expires_at);
  }
  RetryStats& stats = ctx.family_state<RetryStats>();
  (step.gave_up() ? stats.gave_up : stats.next)++;
  ctx.reply.ArrayHeader(2);
  ctx.reply.Integer(step.attempt);
  ctx.reply.Integer(step.delay_ms);
}

// RETRY.RESET key
void CmdReset(CommandContext& ctx) {
  Keyspace& ks = ctx.keyspace();
  KeyRef ref = ks.Locate(ctx.args[1], Lookup::kWrite);
  if (!daemon::CheckTypeOrReply(ctx, ref.entry, kRetryType)) return;
  const bool deleted = ks.Delete(ref);
  if (deleted) ctx.family_state<RetryStats>().resets++;
  ctx.reply.Integer(deleted ? 1 : 0);
}

}  // namespace

void RegisterRetryCommands(daemon::Registry& registry) {
  daemon::CommandTable& t = registry.commands;
  using namespace daemon;
  daemon::CommandGroup group(t, "retry", "0.1.0");
  group.AddKeyed(
      {.name = "retry.next",
       .arity = -2,
       .flags = kCmdWrite | kCmdDenyOom | kCmdFast,
       .handler = CmdNext,
       .summary = "The next attempt of a retry sequence and how long to wait before it",
       .complexity = "O(1)",
       .syntax = "key [BASE milliseconds:integer] [CAP milliseconds:integer] "
                 "[JITTER (jitter: NONE | FULL | EQUAL | DECORRELATED)] [MAX attempts:integer]",
       .tips = {"nondeterministic_output"}});
  group.AddKeyed(
      {.name = "retry.reset",
       .arity = 2,
       .flags = kCmdWrite | kCmdFast,
       .handler = CmdReset,
       .summary = "Forget a retry sequence (after a success): the next failure starts at 1",
       .complexity = "O(1)",
       .syntax = "key"});
}

}  // namespace pylon::retry
