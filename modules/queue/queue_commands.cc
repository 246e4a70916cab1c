// Q.*: the queues of queue.h in the keyspace, over RESP. Each command finds the queue at its key
// (Q.PUSH and Q.CONFIG create it with the server's queue-* defaults), and changes it through
// QueueValue::Change, which first does what time made due. Q.POP BLOCK waits as BLPOP does
// (daemon/blocking.h): the keyspace wakes it when the queue changes.
#include <fmt/format.h>

#include <random>
#include <string>
#include <vector>

#include "daemon/arg_reader.h"
#include "daemon/blocking.h"
#include "daemon/command_helpers.h"
#include "daemon/config.h"
#include "daemon/connection.h"
#include "daemon/keyspace.h"
#include "daemon/registry.h"
#include "modules/queue/queue_value.h"

namespace pylon::queue {
namespace {

using daemon::CommandContext;
using daemon::IsArg;
using daemon::KeyRef;
using daemon::Lookup;

constexpr int64_t kDefaultListCount = 10;  // Q.PEEK and Q.DEAD without COUNT
// The command helpers' duration bound is the queue's own.
static_assert(daemon::kMaxDurationMs == kMaxTimeMs);

constexpr std::string_view kErrCountPositive = "ERR COUNT must be positive";

// "[COUNT n]" as the only option from args[pos]; *count keeps its default when absent.
bool ParseOnlyCountOrReply(CommandContext& ctx, size_t pos, int64_t* count) {
  daemon::ArgReader r(ctx.args, pos);
  if (r.remaining() == 2 && r.Token("COUNT")) {
    *count = r.Int(1, INT64_MAX, kErrCountPositive);
  } else if (r.HasNext()) {
    r.Fail(daemon::kErrSyntax);
  }
  return r.Done(ctx);
}

// The queue at args[1] (daemon::FindObjectOrReply).
QueueValue* FindQueue(CommandContext& ctx, Lookup how, KeyRef* ref, bool* ok) {
  return daemon::FindOrReply<QueueValue>(ctx, kQueueType, how, ref, ok);
}

QueueConfig DefaultConfig(const daemon::Config& c) {
  return {.lease_ms = c.queue_lease_ms,
          .max_deliver = c.queue_max_deliver,
          .backoff_base_ms = c.queue_backoff_base_ms,
          .backoff_cap_ms = c.queue_backoff_cap_ms,
          .retention_ms = c.queue_retention_ms};
}

// The queue at args[1], created with the server's defaults when absent; nullptr after an error.
QueueValue* FindOrCreateQueue(CommandContext& ctx, KeyRef* ref) {
  bool ok;
  QueueValue* q = FindQueue(ctx, Lookup::kWrite, ref, &ok);
  if (q || !ok) return q;
  const QueueConfig config = DefaultConfig(ctx.config());
  if (auto error = ValidateConfig(config)) {
    ctx.reply.Error(fmt::format("ERR the server's queue-* defaults are inconsistent: {}", *error));
    return nullptr;
  }
  ctx.keyspace().SetObject(
      *ref, std::make_unique<QueueValue>(ctx.family_state<QueueFamilyState>(), Queue(config)),
      daemon::Ttl::Clear());
  return static_cast<QueueValue*>(ref->entry->object());
}

void ReplyMessages(CommandContext& ctx, const std::vector<MessageView>& messages) {
  ctx.reply.ArrayHeader(static_cast<int64_t>(messages.size()));
  for (const MessageView& m : messages) {
    ctx.reply.ArrayHeader(3);
    ctx.reply.Bulk(m.id());
    ctx.reply.Bulk(m.payload);
    ctx.reply.Integer(m.deliveries);
  }
}

// The NACK backoff's random part: uniform in [0, bound].
uint64_t DrawJitter(void*, uint64_t bound) {
  static std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_int_distribution<uint64_t>(0, bound)(rng);
}

// Q.PUSH queue payload [DELAY ms] [PRIORITY p] [ID id]
void CmdPush(CommandContext& ctx) {
  int64_t delay = 0, priority = 0;
  std::string_view id;
  daemon::ArgReader r(ctx.args, 3);
  while (r.HasNext()) {
    if (r.Option("DELAY")) {
      delay = r.Duration("DELAY", 0);
    } else if (r.Option("PRIORITY")) {
      priority = r.Int();
    } else if (r.Option("ID")) {
      id = r.Next();
      if (id.empty()) r.Fail("ERR ID must not be empty");
    } else {
      r.Fail(daemon::kErrSyntax);
    }
  }
  if (!r.Done(ctx)) return;
  KeyRef ref;
  QueueValue* q = FindOrCreateQueue(ctx, &ref);
  if (!q) return;
  const int64_t now = ctx.keyspace().now_ms();
  const Queue::PushResult pushed = q->Change(ctx.services, ref, [&](Queue& queue) {
    return queue.Push(now, ctx.args[2], delay, priority, id);
  });
  ctx.reply.Bulk(pushed.id);
}

// Q.POP queue [COUNT n] [LEASE ms] [BLOCK ms]
void CmdPop(CommandContext& ctx) {
  int64_t count = 1, lease = 0, block = -1;
  daemon::ArgReader r(ctx.args, 2);
  while (r.HasNext()) {
    if (r.Option("COUNT")) {
      count = r.Int(1, INT64_MAX, kErrCountPositive);
    } else if (r.Option("LEASE")) {
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
  QueueValue* q = FindQueue(ctx, Lookup::kWrite, &ref, &ok);
  if (!ok) return;
  const int64_t now = ctx.keyspace().now_ms();
  if (q) {
    const std::vector<MessageView> popped = q->Change(ctx.services, ref, [&](Queue& queue) {
      return queue.Pop(now, static_cast<size_t>(count), lease);
    });
    if (!popped.empty()) {
      if (ctx.conn.blocked) ctx.family_state<QueueFamilyState>().totals.blocked_served++;
      ReplyMessages(ctx, popped);
      return;
    }
  }
  if (block >= 0 && daemon::BlockedClients::CanBlock(ctx)) {
    ctx.blocking().Block(ctx, ctx.args[1], block == 0 ? 0 : now + block);
    return;
  }
  ctx.reply.NullArray();
}

// Q.ACK queue id [id ...]
void CmdAck(CommandContext& ctx) {
  KeyRef ref;
  bool ok;
  QueueValue* q = FindQueue(ctx, Lookup::kWrite, &ref, &ok);
  if (!ok) return;
  int64_t acked = 0;
  if (q) {
    q->Change(ctx.services, ref, [&](Queue& queue) {
      for (size_t i = 2; i < ctx.args.size(); i++) acked += queue.Ack(ctx.args[i]) ? 1 : 0;
    });
  }
  ctx.reply.Integer(acked);
}

// Q.NACK queue id [DELAY ms]
void CmdNack(CommandContext& ctx) {
  std::optional<int64_t> delay;
  if (ctx.args.size() != 3) {
    int64_t ms;
    if (ctx.args.size() != 5 || !IsArg(ctx.args[3], "DELAY")) {
      ctx.reply.Error(daemon::kErrSyntax);
      return;
    }
    if (!daemon::ParseDurationOrReply(ctx, "DELAY", ctx.args[4], 0, &ms)) return;
    delay = ms;
  }
  KeyRef ref;
  bool ok;
  QueueValue* q = FindQueue(ctx, Lookup::kWrite, &ref, &ok);
  if (!ok) return;
  const int64_t now = ctx.keyspace().now_ms();
  bool nacked = false;
  if (q) {
    nacked = q->Change(ctx.services, ref, [&](Queue& queue) {
      return queue.Nack(now, ctx.args[2], delay, DrawJitter, nullptr);
    }) != Queue::NackResult::kNotInFlight;
  }
  ctx.reply.Integer(nacked ? 1 : 0);
}

// Q.EXTEND queue id ms
void CmdExtend(CommandContext& ctx) {
  int64_t ms;
  if (!daemon::ParseDurationOrReply(ctx, "the lease", ctx.args[3], 1, &ms)) return;
  KeyRef ref;
  bool ok;
  QueueValue* q = FindQueue(ctx, Lookup::kWrite, &ref, &ok);
  if (!ok) return;
  const int64_t now = ctx.keyspace().now_ms();
  const bool extended =
      q && q->Change(
               ctx.services, ref, [&](Queue& queue) { return queue.Extend(now, ctx.args[2], ms); },
               /*always=*/true);
  if (!extended) {
    ctx.reply.Error(
        "ERR the message is not in flight (acked, nacked, its lease ended, or unknown)");
    return;
  }
  ctx.reply.Integer(now + ms);
}

void ReplyConfig(CommandContext& ctx, const QueueConfig& c) {
  ctx.reply.MapHeader(5);
  ctx.reply.Bulk("lease_ms");
  ctx.reply.Integer(c.lease_ms);
  ctx.reply.Bulk("max_deliver");
  ctx.reply.Integer(c.max_deliver);
  ctx.reply.Bulk("backoff_base_ms");
  ctx.reply.Integer(c.backoff_base_ms);
  ctx.reply.Bulk("backoff_cap_ms");
  ctx.reply.Integer(c.backoff_cap_ms);
  ctx.reply.Bulk("retention_ms");
  ctx.reply.Integer(c.retention_ms);
}

// Q.CONFIG queue [LEASE ms] [MAXDELIVER n] [BACKOFF base-ms cap-ms] [RETENTION ms]
void CmdConfig(CommandContext& ctx) {
  KeyRef ref;
  if (ctx.args.size() == 2) {
    bool ok;
    const QueueValue* q = FindQueue(ctx, Lookup::kRead, &ref, &ok);
    if (ok) ReplyConfig(ctx, q ? q->queue().config() : DefaultConfig(ctx.config()));
    return;
  }
  // The settings apply on top of the queue's (or the defaults for a new queue), all or none.
  bool ok;
  const QueueValue* existing = FindQueue(ctx, Lookup::kWrite, &ref, &ok);
  if (!ok) return;
  QueueConfig c = existing ? existing->queue().config() : DefaultConfig(ctx.config());
  daemon::ArgReader r(ctx.args, 2);
  while (r.HasNext()) {
    if (r.remaining() < (IsArg(r.Peek(), "BACKOFF") ? 3 : 2)) {
      r.Fail(daemon::kErrSyntax);  // an option without its value(s)
    } else if (r.Token("LEASE")) {
      c.lease_ms = r.Duration("LEASE", 1);
    } else if (r.Token("MAXDELIVER")) {
      constexpr std::string_view kErrMaxDeliver =
          "ERR MAXDELIVER must be from 0 (never) to 4294967295";
      c.max_deliver = r.Int(0, UINT32_MAX, kErrMaxDeliver, kErrMaxDeliver);
    } else if (r.Token("BACKOFF")) {
      c.backoff_base_ms = r.Duration("BACKOFF base", 0);
      c.backoff_cap_ms = r.Duration("BACKOFF cap", 0);
    } else if (r.Token("RETENTION")) {
      c.retention_ms = r.Duration("RETENTION", 1);
    } else {
      r.Fail(daemon::kErrSyntax);
    }
  }
  if (!r.Done(ctx)) return;
  if (auto error = ValidateConfig(c)) {
    ctx.reply.Error(fmt::format("ERR {}", *error));
    return;
  }
  QueueValue* q = FindOrCreateQueue(ctx, &ref);
  if (!q) return;
  q->Change(
      ctx.services, ref, [&](Queue& queue) { queue.set_config(c); }, /*always=*/true);
  ctx.reply.Ok();
}

// Q.LEN queue
void CmdLen(CommandContext& ctx) {
  KeyRef ref;
  bool ok;
  QueueValue* q = FindQueue(ctx, Lookup::kRead, &ref, &ok);
  if (!ok) return;
  ctx.reply.Integer(q ? static_cast<int64_t>(q->Read(
                            ctx.services, ref, [](const Queue& queue) { return queue.ready(); }))
                      : 0);
}

// Q.INFO queue
void CmdInfo(CommandContext& ctx) {
  KeyRef ref;
  bool ok;
  QueueValue* q = FindQueue(ctx, Lookup::kRead, &ref, &ok);
  if (!ok) return;
  if (!q) {
    ctx.reply.Null();
    return;
  }
  q->Read(ctx.services, ref, [&](const Queue& queue) {
    const QueueStats& s = queue.stats();
    const QueueConfig& c = queue.config();
    const std::pair<std::string_view, uint64_t> fields[] = {
        {"ready", queue.ready()},
        {"delayed", queue.delayed()},
        {"inflight", queue.in_flight()},
        {"dead", queue.dead()},
        {"pushed", s.pushed},
        {"deduplicated", s.deduplicated},
        {"delivered", s.delivered},
        {"acked", s.acked},
        {"redelivered", s.redelivered},
        {"dead_lettered", s.dead_lettered},
        {"redriven", s.redriven},
        {"expired", s.expired},
        {"purged", s.purged},
        {"lease_ms", static_cast<uint64_t>(c.lease_ms)},
        {"max_deliver", static_cast<uint64_t>(c.max_deliver)},
        {"backoff_base_ms", static_cast<uint64_t>(c.backoff_base_ms)},
        {"backoff_cap_ms", static_cast<uint64_t>(c.backoff_cap_ms)},
        {"retention_ms", static_cast<uint64_t>(c.retention_ms)},
    };
    ctx.reply.MapHeader(std::size(fields));
    for (const auto& [name, value] : fields) {
      ctx.reply.Bulk(name);
      ctx.reply.Integer(static_cast<int64_t>(value));
    }
  });
}

// Q.PEEK queue [COUNT n]
void CmdPeek(CommandContext& ctx) {
  int64_t count = kDefaultListCount;
  if (!ParseOnlyCountOrReply(ctx, 2, &count)) return;
  KeyRef ref;
  bool ok;
  QueueValue* q = FindQueue(ctx, Lookup::kRead, &ref, &ok);
  if (!ok) return;
  if (!q) {
    ReplyMessages(ctx, {});
    return;
  }
  ReplyMessages(ctx, q->Read(ctx.services, ref, [&](const Queue& queue) {
    return queue.Peek(static_cast<size_t>(count));
  }));
}

// Q.DEAD queue [COUNT n]
void CmdDead(CommandContext& ctx) {
  int64_t count = kDefaultListCount;
  if (!ParseOnlyCountOrReply(ctx, 2, &count)) return;
  KeyRef ref;
  bool ok;
  QueueValue* q = FindQueue(ctx, Lookup::kRead, &ref, &ok);
  if (!ok) return;
  std::vector<MessageView> dead;
  if (q) {
    dead = q->Read(ctx.services, ref,
                   [&](const Queue& queue) { return queue.Dead(static_cast<size_t>(count)); });
  }
  ctx.reply.ArrayHeader(static_cast<int64_t>(dead.size()));
  for (const MessageView& m : dead) {
    ctx.reply.ArrayHeader(5);
    ctx.reply.Bulk(m.id());
    ctx.reply.Bulk(m.payload);
    ctx.reply.Integer(m.deliveries);
    ctx.reply.Bulk(m.dead_reason);
    ctx.reply.Integer(m.due_ms);
  }
}

// Q.REDRIVE queue [COUNT n]
void CmdRedrive(CommandContext& ctx) {
  int64_t count = INT64_MAX;
  if (!ParseOnlyCountOrReply(ctx, 2, &count)) return;
  KeyRef ref;
  bool ok;
  QueueValue* q = FindQueue(ctx, Lookup::kWrite, &ref, &ok);
  if (!ok) return;
  size_t moved = 0;
  if (q) {
    moved = q->Change(ctx.services, ref,
                      [&](Queue& queue) { return queue.Redrive(static_cast<size_t>(count)); });
  }
  ctx.reply.Integer(static_cast<int64_t>(moved));
}

// Q.PURGE queue [DEAD]
void CmdPurge(CommandContext& ctx) {
  const bool dead = ctx.args.size() == 3;
  if (ctx.args.size() > 3 || (dead && !IsArg(ctx.args[2], "DEAD"))) {
    ctx.reply.Error(daemon::kErrSyntax);
    return;
  }
  KeyRef ref;
  bool ok;
  QueueValue* q = FindQueue(ctx, Lookup::kWrite, &ref, &ok);
  if (!ok) return;
  size_t dropped = 0;
  if (q) dropped = q->Change(ctx.services, ref, [&](Queue& queue) { return queue.Purge(dead); });
  ctx.reply.Integer(static_cast<int64_t>(dropped));
}

}  // namespace

void RegisterQueueCommands(daemon::Registry& registry) {
  daemon::CommandTable& t = registry.commands;
  using namespace daemon;
  daemon::CommandGroup group(t, "queue", "0.1.0");
  group.AddKeyed(
      {.name = "q.push",
       .arity = -3,
       .flags = kCmdWrite | kCmdDenyOom | kCmdFast,
       .handler = CmdPush,
       .summary = "Add a message to a queue, now or after a delay, with a priority and an id",
       .complexity = "O(log N)",
       .syntax = "key payload [DELAY milliseconds:integer] [PRIORITY priority:integer] "
                 "[ID id:string]"});
  group.AddKeyed(
      {.name = "q.pop",
       .arity = -2,
       .flags = kCmdWrite | kCmdBlocking,
       .handler = CmdPop,
       .summary = "Lease ready messages, highest priority first, waiting for one if asked",
       .complexity = "O(M log N) for M messages leased",
       .syntax = "key [COUNT count:integer] [LEASE milliseconds:integer] "
                 "[BLOCK milliseconds:integer]"});
  group.AddKeyed({.name = "q.ack",
                  .arity = -3,
                  .flags = kCmdWrite | kCmdFast,
                  .handler = CmdAck,
                  .summary = "Remove messages that were handled",
                  .complexity = "O(M log N) for M ids",
                  .syntax = "key id:string [id:string ...]"});
  group.AddKeyed({.name = "q.nack",
                  .arity = -3,
                  .flags = kCmdWrite | kCmdFast,
                  .handler = CmdNack,
                  .summary = "Give a leased message back, now, after a delay, or after the backoff",
                  .complexity = "O(log N)",
                  .syntax = "key id:string [DELAY milliseconds:integer]"});
  group.AddKeyed({.name = "q.extend",
                  .arity = 4,
                  .flags = kCmdWrite | kCmdFast,
                  .handler = CmdExtend,
                  .summary = "Extend the lease of a message in flight",
                  .complexity = "O(log N)",
                  .syntax = "key id:string milliseconds:integer"});
  group.AddKeyed(
      {.name = "q.config",
       .arity = -2,
       .flags = kCmdWrite | kCmdDenyOom,
       .handler = CmdConfig,
       .summary = "Show or set a queue's lease, dead-letter threshold, backoff and retention",
       .complexity = "O(1)",
       .syntax = "key [LEASE milliseconds:integer] [MAXDELIVER count:integer] "
                 "[BACKOFF base:integer cap:integer] [RETENTION milliseconds:integer]"});
  group.AddKeyed({.name = "q.len",
                  .arity = 2,
                  .flags = kCmdReadonly | kCmdFast,
                  .handler = CmdLen,
                  .summary = "Count a queue's ready messages",
                  .complexity = "O(1)",
                  .syntax = "key"});
  group.AddKeyed({.name = "q.info",
                  .arity = 2,
                  .flags = kCmdReadonly,
                  .handler = CmdInfo,
                  .summary = "Show a queue's counts by state, totals and settings",
                  .complexity = "O(1)",
                  .syntax = "key"});
  group.AddKeyed({.name = "q.peek",
                  .arity = -2,
                  .flags = kCmdReadonly,
                  .handler = CmdPeek,
                  .summary = "Show the next ready messages without leasing them",
                  .complexity = "O(M) for M messages shown",
                  .syntax = "key [COUNT count:integer]"});
  group.AddKeyed(
      {.name = "q.dead",
       .arity = -2,
       .flags = kCmdReadonly,
       .handler = CmdDead,
       .summary = "Show a queue's dead letters, oldest first, with why and when they died",
       .complexity = "O(M) for M messages shown",
       .syntax = "key [COUNT count:integer]"});
  group.AddKeyed({.name = "q.redrive",
                  .arity = -2,
                  .flags = kCmdWrite | kCmdDenyOom,
                  .handler = CmdRedrive,
                  .summary = "Send dead letters back to the ready messages, deliveries reset",
                  .complexity = "O(M log N) for M messages moved",
                  .syntax = "key [COUNT count:integer]"});
  group.AddKeyed({.name = "q.purge",
                  .arity = -2,
                  .flags = kCmdWrite,
                  .handler = CmdPurge,
                  .summary = "Drop every message of a queue, or its dead letters",
                  .complexity = "O(N)",
                  .syntax = "key [DEAD]"});
}

}  // namespace pylon::queue
