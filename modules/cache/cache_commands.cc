// CACHE.SET, CACHE.GET, CACHE.FETCH (leases against stampedes), CACHE.FILL, CACHE.DEL,
// CACHE.INVALIDATE (tags) and CACHE.STATS over the cache entries of cache_value.h. An entry's
// key expires at the end of its stale-while-revalidate window (TTL + SWR); a placeholder's, when
// its lease ends.
#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

#include "daemon/arg_reader.h"
#include "daemon/blocking.h"
#include "daemon/command_helpers.h"
#include "daemon/connection.h"
#include "daemon/keyspace.h"
#include "daemon/registry.h"
#include "modules/cache/cache_value.h"
#include "protocol/text.h"

namespace pylon::cache {
namespace {

using daemon::CommandContext;
using daemon::KeyRef;
using daemon::Lookup;
using daemon::Ttl;

constexpr int64_t kDefaultLeaseMs = 10000;  // how long a filler has before another gets a token

// What a store says: the value's TTL and SWR windows (0: none) and its tags.
struct StoreOptions {
  int64_t ttl_ms = 0;
  int64_t swr_ms = 0;
  std::vector<std::string> tags;
};

// "[TTL ms] [SWR ms] [TAGS n tag ...]" from args[pos..].
bool ParseStoreOptionsOrReply(CommandContext& ctx, size_t pos, StoreOptions* out) {
  daemon::ArgReader r(ctx.args, pos);
  while (r.HasNext()) {
    if (r.Option("TTL")) {
      out->ttl_ms = r.Duration("TTL", 1);
    } else if (r.Option("SWR")) {
      out->swr_ms = r.Duration("SWR", 0);
    } else if (r.Option("TAGS")) {
      const int64_t n = r.Int();
      if (r.ok() && (n < 1 || static_cast<size_t>(n) > r.remaining())) {
        r.Fail("ERR TAGS wants a count of 1 or more, then that many tags");
      }
      out->tags.clear();
      for (int64_t i = 0; r.ok() && i < n; i++) out->tags.emplace_back(r.Next());
    } else {
      r.Fail(daemon::kErrSyntax);
    }
  }
  if (!r.Done(ctx)) return false;
  if (out->swr_ms > 0 && out->ttl_ms == 0) {
    ctx.reply.Error("ERR SWR needs a TTL (the value is stale after its TTL)");
    return false;
  }
  return true;
}

// The cache entry at args[1] (daemon::FindObjectOrReply).
CacheValue* FindEntry(CommandContext& ctx, Lookup how, KeyRef* ref, bool* ok) {
  return daemon::FindOrReply<CacheValue>(ctx, kCacheType, how, ref, ok);
}

// Stores `data` at ref as a fresh entry (any lease on it ends: a later fill with it is refused).
void Store(CommandContext& ctx, KeyRef& ref, std::string_view data, StoreOptions options) {
  const int64_t now = ctx.keyspace().now_ms();
  auto v = std::make_unique<CacheValue>(ctx.family_state<CacheFamilyState>());
  v->has_data = true;
  v->data.assign(data);
  v->fresh_until_ms = options.ttl_ms > 0 ? now + options.ttl_ms : 0;
  v->SetTags(std::move(options.tags));
  const Ttl ttl =
      options.ttl_ms > 0 ? Ttl::At(now + options.ttl_ms + options.swr_ms) : Ttl::Clear();
  ctx.keyspace().SetObject(ref, std::move(v), ttl);
}

// CACHE.SET key value [TTL ms] [SWR ms] [TAGS n tag ...]
void CmdSet(CommandContext& ctx) {
  StoreOptions options;
  if (!ParseStoreOptionsOrReply(ctx, 3, &options)) return;
  KeyRef ref = ctx.keyspace().Locate(ctx.args[1], Lookup::kWrite);
  Store(ctx, ref, ctx.args[2], std::move(options));
  ctx.reply.Ok();
}

// CACHE.GET key
void CmdGet(CommandContext& ctx) {
  KeyRef ref;
  bool ok;
  const CacheValue* v = FindEntry(ctx, Lookup::kRead, &ref, &ok);
  if (!ok) return;
  CacheStats& stats = ctx.family_state<CacheFamilyState>().stats;
  if (!v || !v->has_data) {
    stats.misses++;
    ctx.reply.Null();
    return;
  }
  (v->Fresh(ctx.keyspace().now_ms()) ? stats.hits : stats.stale_hits)++;
  ctx.reply.Bulk(v->data);
}

void ReplyWithToken(CommandContext& ctx, std::string_view kind, const CacheValue* v,
                    uint64_t token) {
  ctx.reply.ArrayHeader(v ? 3 : 2);
  ctx.reply.Bulk(kind);
  if (v) ctx.reply.Bulk(v->data);
  ctx.reply.Bulk(std::to_string(token));
}

// CACHE.FETCH key [LEASE ms] [BLOCK ms]
void CmdFetch(CommandContext& ctx) {
  int64_t lease = kDefaultLeaseMs, block = -1;
  daemon::ArgReader r(ctx.args, 2);
  while (r.HasNext()) {
    if (r.Option("LEASE")) {
      lease = r.Duration("LEASE", 1);
    } else if (r.Option("BLOCK")) {
      block = r.Duration("BLOCK", 0);
    } else {
      r.Fail(daemon::kErrSyntax);
    }
  }
  if (!r.Done(ctx)) return;
  KeyRef ref;
  bool ok;
  CacheValue* v = FindEntry(ctx, Lookup::kRead, &ref, &ok);
  if (!ok) return;
  daemon::Keyspace& ks = ctx.keyspace();
  const int64_t now = ks.now_ms();
  CacheFamilyState& family = ctx.family_state<CacheFamilyState>();
  CacheStats& stats = family.stats;
  switch (DecideFetch(v, now)) {
    case FetchOutcome::kHit:
      stats.hits++;
      ctx.reply.ArrayHeader(2);
      ctx.reply.Bulk("HIT");
      ctx.reply.Bulk(v->data);
      return;
    case FetchOutcome::kStale:
      stats.stale_hits++;
      ctx.reply.ArrayHeader(2);
      ctx.reply.Bulk("STALE");
      ctx.reply.Bulk(v->data);
      return;
    case FetchOutcome::kStaleRefresh:
      stats.stale_hits++;
      v->lease_token = NewLeaseToken();
      v->lease_until_ms = now + lease;
      ks.Modified(ref);
      ReplyWithToken(ctx, "STALE", v, v->lease_token);
      return;
    case FetchOutcome::kWait:
      if (block >= 0 && daemon::BlockedClients::CanBlock(ctx)) {
        if (!ctx.conn.blocked) stats.lease_waits++;
        ctx.blocking().Block(ctx, ctx.args[1], block == 0 ? 0 : now + block);
        return;
      }
      stats.lease_waits++;
      ctx.reply.ArrayHeader(1);
      ctx.reply.Bulk("WAIT");
      return;
    case FetchOutcome::kMiss:
      break;
  }
  // A miss (or an abandoned lease): this caller fills it. The placeholder expires with the lease.
  stats.misses++;
  auto placeholder = std::make_unique<CacheValue>(family);
  placeholder->lease_token = NewLeaseToken();
  placeholder->lease_until_ms = now + lease;
  const uint64_t token = placeholder->lease_token;
  ks.SetObject(ref, std::move(placeholder), Ttl::At(now + lease));
  ReplyWithToken(ctx, "MISS", nullptr, token);
}

// CACHE.FILL key token value [TTL ms] [SWR ms] [TAGS n tag ...]
void CmdFill(CommandContext& ctx) {
  StoreOptions options;
  if (!ParseStoreOptionsOrReply(ctx, 4, &options)) return;
  int64_t token = 0;
  if (!protocol::ParseInt64(ctx.args[2], &token) || token <= 0) {
    ctx.reply.Error("ERR the lease token is not valid");
    return;
  }
  KeyRef ref;
  bool ok;
  const CacheValue* v = FindEntry(ctx, Lookup::kWrite, &ref, &ok);
  if (!ok) return;
  CacheStats& stats = ctx.family_state<CacheFamilyState>().stats;
  if (!FillAllowed(v, static_cast<uint64_t>(token), ctx.keyspace().now_ms())) {
    stats.fills_refused++;
    ctx.reply.Error(
        "ERR stale lease token: the key was stored, invalidated or deleted since, or the lease "
        "ended");
    return;
  }
  Store(ctx, ref, ctx.args[3], std::move(options));
  stats.fills++;
  ctx.reply.Ok();
}

// CACHE.DEL key [key ...]
void CmdDel(CommandContext& ctx) {
  int64_t deleted = 0;
  for (size_t i = 1; i < ctx.args.size(); i++) {
    KeyRef ref = ctx.keyspace().Locate(ctx.args[i], Lookup::kExpire);
    if (ref.entry && &ref.entry->type() == &kCacheType) deleted += ctx.keyspace().Delete(ref);
  }
  ctx.reply.Integer(deleted);
}

// CACHE.INVALIDATE tag [tag ...]
void CmdInvalidate(CommandContext& ctx) {
  CacheFamilyState& family = ctx.family_state<CacheFamilyState>();
  int64_t dropped = 0;
  for (size_t i = 1; i < ctx.args.size(); i++) {
    for (const std::string& key : family.KeysTagged(ctx.args[i])) {
      KeyRef ref = ctx.keyspace().Locate(key, Lookup::kExpire);
      if (ref.entry && &ref.entry->type() == &kCacheType) dropped += ctx.keyspace().Delete(ref);
    }
  }
  family.stats.invalidated += static_cast<uint64_t>(dropped);
  ctx.reply.Integer(dropped);
}

// CACHE.STATS
void CmdStats(CommandContext& ctx) {
  const CacheStats& s = ctx.family_state<CacheFamilyState>().stats;
  const auto& ks = ctx.keyspace().stats();
  const uint64_t served = s.hits + s.stale_hits;
  ctx.reply.MapHeader(10);
  const std::pair<std::string_view, uint64_t> fields[] = {
      {"hits", s.hits},
      {"stale_hits", s.stale_hits},
      {"misses", s.misses},
      {"fills", s.fills},
      {"fills_refused", s.fills_refused},
      {"lease_waits", s.lease_waits},
      {"invalidated", s.invalidated},
      {"evictions", ks.evicted_keys},
      {"expirations", ks.expired_keys},
  };
  for (const auto& [name, value] : fields) {
    ctx.reply.Bulk(name);
    ctx.reply.Integer(static_cast<int64_t>(value));
  }
  ctx.reply.Bulk("hit_ratio");
  ctx.reply.Double(served + s.misses ? static_cast<double>(served) / (served + s.misses) : 0.0);
}

}  // namespace

void RegisterCacheCommands(daemon::Registry& registry) {
  daemon::CommandTable& t = registry.commands;
  using namespace daemon;
  CommandGroup group(t, "cache", "0.1.0");
  group.AddKeyed(
      {.name = "cache.set",
       .arity = -3,
       .flags = kCmdWrite | kCmdDenyOom,
       .handler = CmdSet,
       .summary = "Store a cache entry with a TTL, a stale-while-revalidate window and tags",
       .complexity = "O(1 + T) for T tags",
       .syntax = "key value [TTL milliseconds:integer] [SWR milliseconds:integer] "
                 "[TAGS numtags:integer tag [tag ...]]"});
  group.AddKeyed({.name = "cache.get",
                  .arity = 2,
                  .flags = kCmdReadonly | kCmdFast,
                  .handler = CmdGet,
                  .summary = "Read a cache entry, fresh or stale",
                  .complexity = "O(1)",
                  .syntax = "key"});
  group.AddKeyed(
      {.name = "cache.fetch",
       .arity = -2,
       .flags = kCmdWrite | kCmdDenyOom | kCmdBlocking,
       .handler = CmdFetch,
       .summary = "Read a cache entry, or get the lease to fill it (one caller per miss)",
       .complexity = "O(1)",
       .syntax = "key [LEASE milliseconds:integer] [BLOCK milliseconds:integer]"});
  group.AddKeyed({.name = "cache.fill",
                  .arity = -4,
                  .flags = kCmdWrite | kCmdDenyOom,
                  .handler = CmdFill,
                  .summary = "Store the value a lease was for; refused when the lease is stale",
                  .complexity = "O(1 + T) for T tags",
                  .syntax = "key token:string value [TTL milliseconds:integer] "
                            "[SWR milliseconds:integer] [TAGS numtags:integer tag [tag ...]]"});
  CommandSpec del = {.name = "cache.del",
                     .arity = -2,
                     .flags = kCmdWrite,
                     .handler = CmdDel,
                     .summary = "Delete cache entries",
                     .complexity = "O(N) for N keys",
                     .syntax = "key [key ...]"};
  del.first_key = 1;
  del.last_key = -1;
  del.key_step = 1;
  group.Add(std::move(del));
  group.Add({.name = "cache.invalidate",
             .arity = -2,
             .flags = kCmdWrite,
             .handler = CmdInvalidate,
             .summary = "Drop every cache entry stored with any of the tags",
             .complexity = "O(N) for N keys dropped",
             .syntax = "tag [tag ...]"});
  group.Add({.name = "cache.stats",
             .arity = 1,
             .flags = kCmdReadonly | kCmdFast,
             .handler = CmdStats,
             .summary = "Hits, misses, stale hits, fills, lease waits, evictions, expirations",
             .complexity = "O(1)",
             .syntax = ""});
}

}  // namespace pylon::cache
