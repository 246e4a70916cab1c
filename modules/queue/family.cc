#include "modules/queue/family.h"

#include <string>

#include "daemon/keyspace.h"
#include "daemon/registry.h"
#include "modules/queue/queue_value.h"

namespace pylon::queue {

void RegisterQueueCommands(daemon::CommandTable& table);

namespace {

void WriteInfo(daemon::Server&, std::string& out) {
  const QueueTotals& t = Totals();
  const QueueStats& e = t.events;
  daemon::InfoWriter(out)
      .Field("queues", t.queues)
      .Field("queue_messages_ready", t.ready)
      .Field("queue_messages_delayed", t.delayed)
      .Field("queue_messages_inflight", t.in_flight)
      .Field("queue_messages_dead", t.dead)
      .Field("queue_pushed", e.pushed)
      .Field("queue_deduplicated", e.deduplicated)
      .Field("queue_delivered", e.delivered)
      .Field("queue_acked", e.acked)
      .Field("queue_redelivered", e.redelivered)
      .Field("queue_dead_lettered", e.dead_lettered)
      .Field("queue_redriven", e.redriven)
      .Field("queue_expired", e.expired)
      .Field("queue_purged", e.purged)
      .Field("queue_blocked_pops_served", t.blocked_served);
}

std::optional<int64_t> NextDue(daemon::HandlerServices&) { return QueueValue::NextDue(); }

// Brings every queue whose time has come to now: delays end, leases end (their messages come
// back or die), retention drops; the keyspace then wakes the clients blocked on them.
void RunDue(daemon::HandlerServices& services, int64_t now_ms) {
  for (QueueValue* q : QueueValue::TakeDue(now_ms)) {
    const std::string key = q->key();
    daemon::KeyRef ref = services.keyspace.Locate(key, daemon::Lookup::kExpire);
    // The lookup may have expired the key (and freed the queue): compare before touching it.
    if (!ref.entry || !ref.entry->is_object() || ref.entry->object() != q) continue;
    q->Read(services, ref, [](const Queue&) {});
  }
}

}  // namespace

void RegisterQueues(daemon::Registry& registry) {
  daemon::RegisterValueType(kQueueType);
  RegisterQueueCommands(registry.commands);
  registry.info.Add(
      {.name = "Queues", .in_default = true, .write = WriteInfo, .reset = ResetEventTotals});
  registry.timed_work.push_back({.next_due = NextDue, .run = RunDue});
}

}  // namespace pylon::queue
