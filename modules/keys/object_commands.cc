// OBJECT ENCODING|FREQ|IDLETIME|REFCOUNT and MEMORY USAGE|PURGE (Redis 7.0 object.c).
#include <malloc.h>

#include <climits>

#include "daemon/arg_reader.h"
#include "daemon/command_helpers.h"
#include "daemon/config.h"
#include "daemon/keyspace.h"
#include "modules/keys/family.h"
#include "protocol/text.h"

namespace pylon::keys {
namespace {

using daemon::CommandContext;
using daemon::Entry;
using daemon::Lookup;

// OBJECT's lookup: a missing key answers null.
const Entry* ObjectLookupOrReply(CommandContext& ctx) {
  const Entry* e = ctx.keyspace().Find(ctx.args[2], Lookup::kReadNoTouch);
  if (!e) ctx.reply.Null();
  return e;
}

// OBJECT ENCODING key
void CmdObjectEncoding(CommandContext& ctx) {
  const Entry* e = ObjectLookupOrReply(ctx);
  if (!e) return;
  ctx.reply.Bulk(daemon::ObjectEncoding(*e));
}

// OBJECT REFCOUNT key: Redis shares one object for each small integer (0..9999) unless an LRU
// or LFU policy needs per-key access data; clients see that as a huge reference count.
void CmdObjectRefcount(CommandContext& ctx) {
  const Entry* e = ObjectLookupOrReply(ctx);
  if (!e) return;
  const daemon::Config& config = ctx.config();
  const bool per_key_access =
      config.maxmemory != 0 && (config.maxmemory_policy.find("lru") != std::string::npos ||
                                config.maxmemory_policy.find("lfu") != std::string::npos);
  int64_t value;
  const bool shared = e->is_string() && e->encoding() == Entry::Encoding::kInt &&
                      protocol::ParseInt64(e->string(), &value) && value >= 0 && value < 10000 &&
                      !per_key_access;
  ctx.reply.Integer(shared ? INT_MAX : 1);
}

// OBJECT IDLETIME key
void CmdObjectIdletime(CommandContext& ctx) {
  const Entry* e = ObjectLookupOrReply(ctx);
  if (!e) return;
  if (ctx.keyspace().lfu()) {
    ctx.reply.Error(
        "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
        "switching between policies at runtime LRU and LFU data will take some time to adjust.");
    return;
  }
  ctx.reply.Integer(static_cast<int64_t>(ctx.keyspace().IdleSeconds(*e)));
}

// OBJECT FREQ key
void CmdObjectFreq(CommandContext& ctx) {
  const Entry* e = ObjectLookupOrReply(ctx);
  if (!e) return;
  if (!ctx.keyspace().lfu()) {
    ctx.reply.Error(
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
        "that when switching between policies at runtime LRU and LFU data will take some time "
        "to adjust.");
    return;
  }
  ctx.reply.Integer(ctx.keyspace().Frequency(*e));
}

// OBJECT HELP
void CmdObjectHelp(CommandContext& ctx) {
  daemon::ReplyHelp(
      ctx, {"ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.", "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.", "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>."});
}

// MEMORY USAGE key [SAMPLES count]: the key's bytes (its entry, its value, its bucket share).
// Values here are measured whole, so SAMPLES is validated and otherwise not needed.
void CmdMemoryUsage(CommandContext& ctx) {
  daemon::ArgReader r(ctx.args, 3);
  while (r.HasNext()) {
    if (r.Token("SAMPLES")) {
      r.Int(0, INT64_MAX, daemon::kErrSyntax);  // as Redis: a negative count is a syntax error
    } else {
      r.Fail(daemon::kErrSyntax);
    }
  }
  if (!r.Done(ctx)) return;
  const Entry* e = ctx.keyspace().Find(ctx.args[2], Lookup::kPeek);
  if (!e) {
    ctx.reply.Null();
    return;
  }
  ctx.reply.Integer(static_cast<int64_t>(ctx.keyspace().MemoryUsage(*e)));
}

// MEMORY PURGE: gives free memory back to the system (glibc's malloc_trim).
void CmdMemoryPurge(CommandContext& ctx) {
  malloc_trim(0);
  ctx.reply.Ok();
}

// MEMORY HELP
void CmdMemoryHelp(CommandContext& ctx) {
  daemon::ReplyHelp(ctx,
                    {"PURGE", "    Attempt to purge dirty pages for reclamation by the allocator.",
                     "USAGE <key> [SAMPLES <count>]",
                     "    Return memory in bytes used by <key> and its value. Nested values are",
                     "    sampled up to <count> times (default: 5, 0 means sample all)."});
}

}  // namespace

void RegisterObjectCommands(daemon::Registry& registry) {
  using namespace daemon;
  CommandTable& t = registry.commands;
  t.Add({.name = "object",
         .arity = -2,
         .group = "generic",
         .since = "2.2.3",
         .summary = "A container for object introspection commands",
         .complexity = "Depends on subcommand."});
  auto object = [&t](CommandSpec spec) {
    spec.arity = 3;
    spec.flags = kCmdReadonly;
    spec.first_key = spec.last_key = 2;
    spec.key_step = 1;
    spec.complexity = "O(1)";
    spec.syntax = "key";
    t.AddSubcommand("object", std::move(spec));
  };
  object({.name = "encoding",
          .handler = CmdObjectEncoding,
          .since = "2.2.3",
          .summary = "Inspect the internal encoding of a Redis object"});
  object({.name = "freq",
          .handler = CmdObjectFreq,
          .since = "4.0.0",
          .summary = "Get the logarithmic access frequency counter of a Redis object"});
  object({.name = "idletime",
          .handler = CmdObjectIdletime,
          .since = "2.2.3",
          .summary = "Get the time since a Redis object was last accessed"});
  object({.name = "refcount",
          .handler = CmdObjectRefcount,
          .since = "2.2.3",
          .summary = "Get the number of references to the value of the key"});
  t.AddSubcommand("object", {.name = "help",
                             .arity = 2,
                             .flags = kCmdLoading | kCmdStale,
                             .handler = CmdObjectHelp,
                             .since = "6.2.0",
                             .summary = "Show helpful text about the different subcommands",
                             .complexity = "O(1)"});
  t.Add({.name = "memory",
         .arity = -2,
         .group = "server",
         .since = "4.0.0",
         .summary = "A container for memory diagnostics commands",
         .complexity = "Depends on subcommand."});
  t.AddSubcommand("memory", {.name = "usage",
                             .arity = -3,
                             .flags = kCmdReadonly,
                             .first_key = 2,
                             .last_key = 2,
                             .key_step = 1,
                             .handler = CmdMemoryUsage,
                             .since = "4.0.0",
                             .summary = "Estimate the memory usage of a key",
                             .complexity = "O(N) where N is the number of samples.",
                             .syntax = "key [SAMPLES count:integer]"});
  t.AddSubcommand("memory", {.name = "purge",
                             .arity = 2,
                             .handler = CmdMemoryPurge,
                             .since = "4.0.0",
                             .summary = "Ask the allocator to release memory",
                             .complexity = "Depends on how much memory is allocated, could be "
                                           "slow"});
  t.AddSubcommand("memory", {.name = "help",
                             .arity = 2,
                             .flags = kCmdLoading | kCmdStale,
                             .handler = CmdMemoryHelp,
                             .since = "4.0.0",
                             .summary = "Show helpful text about the different subcommands",
                             .complexity = "O(1)"});
}

}  // namespace pylon::keys
