// KEYS SCAN RANDOMKEY (Redis 7.0 db.c).
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "daemon/arg_reader.h"
#include "daemon/clock.h"
#include "daemon/command_helpers.h"
#include "daemon/keyspace.h"
#include "modules/keys/family.h"
#include "protocol/text.h"

namespace pylon::keys {
namespace {

using daemon::CommandContext;
using daemon::Entry;
using daemon::Keyspace;
using daemon::Lookup;

Keyspace& Keys(CommandContext& ctx) { return ctx.keyspace(); }

// A lone "*" matches every key, the empty one included (the glob matcher alone would not).
bool MatchesAll(std::string_view pattern) { return pattern == "*"; }

// KEYS pattern
void CmdKeys(CommandContext& ctx) {
  const std::string_view pattern = ctx.args[1];
  const bool all = MatchesAll(pattern);
  const int64_t now = ctx.clock().NowMs();
  auto mark = ctx.reply.BeginDeferred();
  int64_t count = 0;
  Keys(ctx).ForEach([&](const Entry* e) {
    if (e->ExpiredAt(now)) return;
    if (!all && !protocol::GlobMatch(pattern, e->key())) return;
    ctx.reply.Bulk(e->key());
    count++;
  });
  ctx.reply.EndDeferredArray(mark, count);
}

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
void CmdScan(CommandContext& ctx) {
  uint64_t cursor;
  if (!daemon::ParseScanCursorOrReply(ctx, ctx.args[1], &cursor)) return;
  int64_t count = 10;
  std::string_view pattern, type;
  bool use_pattern = false, use_type = false;
  daemon::ArgReader r(ctx.args, 2);
  while (r.HasNext()) {
    if (r.Option("COUNT")) {
      count = r.Int(1, INT64_MAX, daemon::kErrSyntax);  // as Redis: COUNT below 1 is a syntax error
    } else if (r.Option("MATCH")) {
      pattern = r.Next();
      use_pattern = !MatchesAll(pattern);
    } else if (r.Option("TYPE")) {
      type = r.Next();
      use_type = true;
    } else {
      r.Fail(daemon::kErrSyntax);
    }
  }
  if (!r.Done(ctx)) return;
  // Collect first (copies: checking expiry below may delete entries), at most ten buckets per
  // requested element so a sparse table cannot make one call slow.
  std::vector<std::string> found;
  // Saturated: COUNT may be any positive 64-bit integer.
  int64_t steps = count > INT64_MAX / 10 ? INT64_MAX : count * 10;
  do {
    cursor = Keys(ctx).Scan(cursor, [&found](const Entry* e) { found.emplace_back(e->key()); });
  } while (cursor != 0 && steps-- > 0 && static_cast<int64_t>(found.size()) < count);

  size_t kept = 0;
  for (size_t i = 0; i < found.size(); i++) {
    const std::string& key = found[i];
    if (use_pattern && !protocol::GlobMatch(pattern, key)) continue;
    const Entry* e = Keys(ctx).Find(key, use_type ? Lookup::kReadNoTouch : Lookup::kExpire);
    if (!e) continue;  // expired (and now deleted)
    if (use_type && !protocol::EqualsIgnoreCase(type, e->type().name)) continue;
    if (kept != i) found[kept] = std::move(found[i]);
    kept++;
  }
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(cursor));
  ctx.reply.ArrayHeader(static_cast<int64_t>(kept));
  for (size_t i = 0; i < kept; i++) ctx.reply.Bulk(found[i]);
}

// RANDOMKEY
void CmdRandomkey(CommandContext& ctx) {
  const Entry* e = Keys(ctx).RandomKey();
  if (e) {
    ctx.reply.Bulk(e->key());
  } else {
    ctx.reply.Null();
  }
}

}  // namespace

void RegisterScanCommands(daemon::Registry& registry) {
  using namespace daemon;
  CommandTable& t = registry.commands;
  t.Add({.name = "keys",
         .arity = 2,
         .flags = kCmdReadonly,
         .handler = CmdKeys,
         .group = "generic",
         .since = "1.0.0",
         .summary = "Find all keys matching the given pattern",
         .complexity = "O(N) with N being the number of keys in the database, under the "
                       "assumption that the key names in the database and the given pattern "
                       "have limited length.",
         .syntax = "pattern:pattern",
         .tips = {"request_policy:all_shards", "nondeterministic_output_order"}});
  t.Add({.name = "scan",
         .arity = -2,
         .flags = kCmdReadonly,
         .handler = CmdScan,
         .group = "generic",
         .since = "2.8.0",
         .summary = "Incrementally iterate the keys space",
         .complexity = "O(1) for every call. O(N) for a complete iteration, including enough "
                       "command calls for the cursor to return back to 0. N is the number of "
                       "elements inside the collection.",
         .syntax = "cursor:integer [MATCH pattern:pattern] [COUNT count:integer] [TYPE type]",
         .tips = {"nondeterministic_output", "request_policy:special"}});
  t.Add({.name = "randomkey",
         .arity = 1,
         .flags = kCmdReadonly,
         .handler = CmdRandomkey,
         .group = "generic",
         .since = "1.0.0",
         .summary = "Return a random key from the keyspace",
         .complexity = "O(1)",
         .syntax = "",
         .tips = {"request_policy:all_shards", "nondeterministic_output"}});
}

}  // namespace pylon::keys
