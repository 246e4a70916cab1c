#include "modules/queue/family.h"

#include <fmt/format.h>

#include <iterator>
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
  fmt::format_to(std::back_inserter(out),
                 "queues:{}\r\nqueue_messages_ready:{}\r\nqueue_messages_delayed:{}\r\n"
                 "queue_messages_inflight:{}\r\nqueue_messages_dead:{}\r\n"
                 "queue_pushed:{}\r\nqueue_deduplicated:{}\r\nqueue_delivered:{}\r\n"
                 "queue_acked:{}\r\nqueue_redelivered:{}\r\nqueue_dead_lettered:{}\r\n"
                 "queue_redriven:{}\r\nqueue_expired:{}\r\nqueue_purged:{}\r\n"
                 "queue_blocked_pops_served:{}\r\n",
                 t.queues, t.ready, t.delayed, t.in_flight, t.dead, e.pushed, e.deduplicated,
                 e.delivered, e.acked, e.redelivered, e.dead_lettered, e.redriven, e.expired,
                 e.purged, t.blocked_served);
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
