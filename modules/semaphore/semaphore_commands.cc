// SEM.ACQUIRE, SEM.RELEASE and SEM.INFO: load-shedding semaphores (semaphore.h) in the keyspace.
//
// The key's lifetime. Its TTL is the end of the latest lease granted, set by every successful
// SEM.ACQUIRE and left alone by SEM.RELEASE. The other choice, deleting the key when its last
// holder releases, was rejected:
// - a holder that crashes never releases, so a semaphore would need a TTL anyway; one rule that
//   covers both is simpler than two;
// - under a steady acquire/release load the key would be deleted and created again all the
//   time, and SEM.INFO's counters and the LIMIT would start over at every empty moment;
// - the cost is bounded: an empty semaphore lingers at most one LEASE after its last grant.
#include <fmt/format.h>

#include <memory>
#include <optional>
#include <string>

#include "daemon/arg_reader.h"
#include "daemon/command_helpers.h"
#include "daemon/keyspace.h"
#include "daemon/registry.h"
#include "modules/semaphore/semaphore_value.h"
#include "protocol/text.h"

namespace pylon::semaphore {
namespace {

using daemon::CommandContext;
using daemon::KeyRef;
using daemon::Keyspace;
using daemon::Lookup;

constexpr int64_t kDefaultLeaseMs = 30000;
constexpr int64_t kMaxLimit = 1000000;

SemaphoreValue* FindSemaphore(CommandContext& ctx, Lookup how, KeyRef* ref, bool* ok) {
  return daemon::FindOrReply<SemaphoreValue>(ctx, kSemaphoreType, how, ref, ok);
}

// SEM.ACQUIRE name LIMIT n [LEASE ms]
void CmdAcquire(CommandContext& ctx) {
  std::optional<int64_t> limit;
  int64_t lease = kDefaultLeaseMs;
  daemon::ArgReader r(ctx.args, 2);
  while (r.HasNext()) {
    if (r.Token("LIMIT")) {
      limit = r.Bounded("LIMIT", 1, kMaxLimit);
    } else if (r.Token("LEASE")) {
      lease = r.Duration("LEASE", 1);
    } else {
      r.Fail(daemon::kErrSyntax);
    }
  }
  if (!r.Done(ctx)) return;
  if (!limit) {
    ctx.reply.Error("ERR LIMIT is required");
    return;
  }
  KeyRef ref;
  bool ok;
  SemaphoreValue* v = FindSemaphore(ctx, Lookup::kWrite, &ref, &ok);
  if (!ok) return;
  Keyspace& ks = ctx.keyspace();
  const int64_t now = ks.now_ms();
  const uint64_t token = NewToken();
  if (!v) {
    // A new semaphore always has a free slot (LIMIT is at least 1).
    auto fresh = std::make_unique<SemaphoreValue>(ctx.family_state<SemaphoreStats>());
    fresh->Acquire(now, *limit, lease, token);
    ks.SetObject(ref, std::move(fresh), daemon::Ttl::At(now + lease));
  } else {
    const bool granted = v->Acquire(now, *limit, lease, token);
    ks.Modified(ref);
    if (!granted) {
      ctx.reply.Null();
      return;
    }
    ks.SetExpire(ref, *v->semaphore().LatestLeaseEnd());
  }
  ctx.reply.Bulk(std::to_string(token));
}

// SEM.RELEASE name token
void CmdRelease(CommandContext& ctx) {
  KeyRef ref;
  bool ok;
  SemaphoreValue* v = FindSemaphore(ctx, Lookup::kWrite, &ref, &ok);
  if (!ok) return;
  int64_t token;
  // A token this server never handed out (not even a number) is simply not a holder.
  if (!v || !protocol::ParseInt64(ctx.args[2], &token) || token <= 0) {
    ctx.reply.Integer(0);
    return;
  }
  const bool released = v->Release(ctx.keyspace().now_ms(), static_cast<uint64_t>(token));
  ctx.keyspace().Modified(ref);
  ctx.reply.Integer(released ? 1 : 0);
}

// SEM.INFO name
void CmdInfo(CommandContext& ctx) {
  KeyRef ref;
  bool ok;
  SemaphoreValue* v = FindSemaphore(ctx, Lookup::kRead, &ref, &ok);
  if (!ok) return;
  if (!v) {
    ctx.reply.Null();
    return;
  }
  if (v->Expire(ctx.keyspace().now_ms()) > 0) ctx.keyspace().Modified(ref);
  const Semaphore& s = v->semaphore();
  const Semaphore::Counters& c = s.counters();
  const std::pair<std::string_view, int64_t> fields[] = {
      {"limit", s.limit()},
      {"holders", static_cast<int64_t>(s.holders())},
      {"available", s.available()},
      {"acquired", static_cast<int64_t>(c.acquired)},
      {"refused", static_cast<int64_t>(c.refused)},
      {"released", static_cast<int64_t>(c.released)},
      {"expired", static_cast<int64_t>(c.expired)},
  };
  ctx.reply.MapHeader(std::size(fields));
  for (const auto& [name, value] : fields) {
    ctx.reply.Bulk(name);
    ctx.reply.Integer(value);
  }
}

}  // namespace

void RegisterSemaphoreCommands(daemon::Registry& registry) {
  daemon::CommandTable& t = registry.commands;
  using namespace daemon;
  daemon::CommandGroup group(t, "semaphore", "0.1.0");
  group.AddKeyed(
      {.name = "sem.acquire",
       .arity = -4,
       .flags = kCmdWrite | kCmdDenyOom | kCmdFast,
       .handler = CmdAcquire,
       .summary = "Take a slot of a semaphore for a lease: a token, or null when it is full",
       .complexity = "O(log N + E) for N holders and E leases that ended",
       .syntax = "key LIMIT limit:integer [LEASE milliseconds:integer]",
       .tips = {"nondeterministic_output"}});
  group.AddKeyed({.name = "sem.release",
                  .arity = 3,
                  .flags = kCmdWrite | kCmdFast,
                  .handler = CmdRelease,
                  .summary = "Give back a semaphore slot by its token",
                  .complexity = "O(log N + E) for N holders and E leases that ended",
                  .syntax = "key token:string"});
  group.AddKeyed({.name = "sem.info",
                  .arity = 2,
                  .flags = kCmdReadonly | kCmdFast,
                  .handler = CmdInfo,
                  .summary = "A semaphore's limit, holders, free slots and counters",
                  .complexity = "O(1 + E log N) for E leases that ended",
                  .syntax = "key"});
}

}  // namespace pylon::semaphore
