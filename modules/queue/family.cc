#include "modules/queue/family.h"

#include <string>

#include "daemon/keyspace.h"
#include "daemon/registry.h"
#include "modules/queue/queue_value.h"

namespace pylon::queue {

void RegisterQueueCommands(daemon::Registry& registry);

namespace {

void WriteInfo(daemon::HandlerServices& services, std::string& out) {
  const QueueTotals& t = services.family_states.Get<QueueFamilyState>().totals;
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

// CONFIG RESETSTAT clears the event totals, not the gauges of what the keyspace holds.
void ResetInfo(daemon::HandlerServices& services) {
  QueueTotals& t = services.family_states.Get<QueueFamilyState>().totals;
  t.events = QueueStats{};
  t.blocked_served = 0;
}

std::optional<int64_t> NextDue(daemon::HandlerServices& services) {
  return services.family_states.Get<QueueFamilyState>().NextDue();
}

// Brings every queue whose time has come to now: delays end, leases end (their messages come
// back or die), retention drops; the keyspace then wakes the clients blocked on them.
void RunDue(daemon::HandlerServices& services, int64_t now_ms) {
  for (QueueValue* q : services.family_states.Get<QueueFamilyState>().TakeDue(now_ms)) {
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
  registry.states.Make<QueueFamilyState>();
  RegisterQueueCommands(registry);
  registry.info.Add({.name = "Queues", .in_default = true, .write = WriteInfo, .reset = ResetInfo});
  registry.timed_work.push_back({.next_due = NextDue, .run = RunDue});
}

}  // namespace pylon::queue
