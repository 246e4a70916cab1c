// IDEM.BEGIN, IDEM.COMPLETE and IDEM.ABORT: idempotency keys (idempotency.h) in the keyspace.
//
// IDEM.BEGIN answers an array of three, RESP2 and RESP3 alike (the null is $-1 or _):
//   [NEW, null, lock ms]            the caller owns the request; the key is locked for LOCK ms
//   [PENDING, null, remaining ms]   another caller holds the lock, for that much longer
//   [CONFLICT, null, key's ttl ms]  the key was used with another fingerprint (until it expires)
//   [DONE, response, key's ttl ms]  the stored response, kept that much longer
// The third element always says how long the answer stays true (-1: the key was PERSISTed).
//
// The key's lifetime: while a request runs, max(TTL, LOCK) from its IDEM.BEGIN, so the
// fingerprint outlives a lapsed lock (a retry with other parameters is still a conflict, and
// one with the same fingerprint takes the request over); once completed, TTL from completion.
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "daemon/arg_reader.h"
#include "daemon/command_helpers.h"
#include "daemon/keyspace.h"
#include "daemon/registry.h"
#include "modules/idempotency/idempotency_value.h"

namespace pylon::idempotency {
namespace {

using daemon::CommandContext;
using daemon::IsArg;
using daemon::KeyRef;
using daemon::Keyspace;
using daemon::Lookup;

constexpr int64_t kDefaultTtlMs = 86400000;  // 24 hours, as Stripe keeps keys
constexpr int64_t kDefaultLockMs = 60000;

IdempotencyValue* FindKey(CommandContext& ctx, Lookup how, KeyRef* ref, bool* ok) {
  return daemon::FindOrReply<IdempotencyValue>(ctx, kIdempotencyType, how, ref, ok);
}

void ReplyOutcome(CommandContext& ctx, Outcome outcome, const std::string* response, int64_t ms) {
  ctx.reply.ArrayHeader(3);
  ctx.reply.Bulk(OutcomeName(outcome));
  if (response) {
    ctx.reply.Bulk(*response);
  } else {
    ctx.reply.Null();
  }
  ctx.reply.Integer(ms);
}

// IDEM.BEGIN key FINGERPRINT fp [TTL ms] [LOCK ms]
void CmdBegin(CommandContext& ctx) {
  std::optional<std::string_view> fingerprint;
  int64_t ttl = kDefaultTtlMs, lock = kDefaultLockMs;
  daemon::ArgReader r(ctx.args, 2);
  while (r.HasNext()) {
    if (r.Token("FINGERPRINT")) {
      fingerprint = r.Next();
    } else if (r.Token("TTL")) {
      ttl = r.Duration("TTL", 1);
    } else if (r.Token("LOCK")) {
      lock = r.Duration("LOCK", 1);
    } else {
      r.Fail(daemon::kErrSyntax);
    }
  }
  if (!r.Done(ctx)) return;
  if (!fingerprint) {
    ctx.reply.Error("ERR FINGERPRINT is required");
    return;
  }
  KeyRef ref;
  bool ok;
  IdempotencyValue* v = FindKey(ctx, Lookup::kWrite, &ref, &ok);
  if (!ok) return;
  Keyspace& ks = ctx.keyspace();
  const int64_t now = ks.now_ms();
  const BeginDecision d = DecideBegin(v ? &v->record : nullptr, *fingerprint, now);
  const int64_t key_ttl = ref.entry && ref.entry->has_expire() ? ref.entry->expire_ms() - now : -1;
  IdempotencyStats& s = ctx.family_state<IdempotencyStats>();
  switch (d.outcome) {
    case Outcome::kNew:
      s.new_requests++;
      s.lock_expired += d.lock_lapsed;
      ks.SetObject(ref, std::make_unique<IdempotencyValue>(Begin(*fingerprint, now, lock, ttl)),
                   daemon::Ttl::At(now + std::max(ttl, lock)));
      ReplyOutcome(ctx, d.outcome, nullptr, lock);
      return;
    case Outcome::kPending:
      s.pending++;
      ReplyOutcome(ctx, d.outcome, nullptr, v->record.lock_until_ms - now);
      return;
    case Outcome::kConflict:
      s.conflict++;
      ReplyOutcome(ctx, d.outcome, nullptr, key_ttl);
      return;
    case Outcome::kDone:
      s.done++;
      ReplyOutcome(ctx, d.outcome, &v->record.response, key_ttl);
      return;
  }
}

// IDEM.COMPLETE key response [FINGERPRINT fp]
void CmdComplete(CommandContext& ctx) {
  std::optional<std::string_view> fingerprint;
  if (ctx.args.size() > 3) {
    if (ctx.args.size() != 5 || !IsArg(ctx.args[3], "FINGERPRINT")) {
      ctx.reply.Error(daemon::kErrSyntax);
      return;
    }
    fingerprint = ctx.args[4];
  }
  KeyRef ref;
  bool ok;
  IdempotencyValue* v = FindKey(ctx, Lookup::kWrite, &ref, &ok);
  if (!ok) return;
  switch (Complete(v ? &v->record : nullptr, ctx.args[2], fingerprint)) {
    case CompleteStatus::kNotPending:
      ctx.reply.Error("ERR no request is pending under this idempotency key");
      return;
    case CompleteStatus::kAlreadyDone:
      ctx.reply.Error("ERR the request under this idempotency key is already complete");
      return;
    case CompleteStatus::kFingerprintMismatch:
      ctx.reply.Error("ERR the idempotency key was used with another fingerprint");
      return;
    case CompleteStatus::kOk:
      break;
  }
  Keyspace& ks = ctx.keyspace();
  ks.Modified(ref);
  ks.SetExpire(ref, ks.now_ms() + v->record.ttl_ms);
  ctx.family_state<IdempotencyStats>().completed++;
  ctx.reply.Ok();
}

// IDEM.ABORT key
void CmdAbort(CommandContext& ctx) {
  KeyRef ref;
  bool ok;
  IdempotencyValue* v = FindKey(ctx, Lookup::kWrite, &ref, &ok);
  if (!ok) return;
  // A stored response stays: aborting is for a request that ran nothing.
  if (!v || v->record.state != Record::State::kPending) {
    ctx.reply.Integer(0);
    return;
  }
  ctx.keyspace().Delete(ref);
  ctx.family_state<IdempotencyStats>().aborted++;
  ctx.reply.Integer(1);
}

}  // namespace

void RegisterIdempotencyCommands(daemon::Registry& registry) {
  daemon::CommandTable& t = registry.commands;
  using namespace daemon;
  daemon::CommandGroup group(t, "idempotency", "0.1.0");
  group.AddKeyed(
      {.name = "idem.begin",
       .arity = -4,
       .flags = kCmdWrite | kCmdDenyOom | kCmdFast,
       .handler = CmdBegin,
       .summary = "Start a request under an idempotency key: NEW, PENDING, CONFLICT or DONE",
       .complexity = "O(1)",
       .syntax = "key FINGERPRINT fingerprint:string [TTL milliseconds:integer] "
                 "[LOCK milliseconds:integer]"});
  group.AddKeyed({.name = "idem.complete",
                  .arity = -3,
                  .flags = kCmdWrite | kCmdDenyOom,
                  .handler = CmdComplete,
                  .summary = "Store the response of the request pending under an idempotency key",
                  .complexity = "O(N) for a response of N bytes",
                  .syntax = "key response:string [FINGERPRINT fingerprint:string]"});
  group.AddKeyed(
      {.name = "idem.abort",
       .arity = 2,
       .flags = kCmdWrite | kCmdFast,
       .handler = CmdAbort,
       .summary = "Release the request pending under an idempotency key, storing nothing",
       .complexity = "O(1)",
       .syntax = "key"});
}

}  // namespace pylon::idempotency
