#include "modules/queue/queue_value.h"

#include <set>
#include <utility>

#include "daemon/family_state.h"
#include "daemon/keyspace.h"
#include "daemon/pubsub.h"
#include "daemon/type_ids.h"

namespace pylon::queue {
namespace {

bool RestoreQueue(std::string_view payload, daemon::FamilyStates& states,
                  daemon::RestoredValue* out) {
  std::optional<Queue> queue = Queue::Deserialize(payload);
  if (!queue) return false;
  out->object = std::make_unique<QueueValue>(states.Get<QueueFamilyState>(), std::move(*queue));
  return true;
}

// The counters of QueueStats, in one list so adding them up cannot miss one.
constexpr uint64_t QueueStats::*kCounters[] = {
    &QueueStats::pushed,   &QueueStats::deduplicated, &QueueStats::delivered,
    &QueueStats::acked,    &QueueStats::redelivered,  &QueueStats::dead_lettered,
    &QueueStats::redriven, &QueueStats::expired,      &QueueStats::purged};

}  // namespace

// Queues are never evicted: a message accepted is a promise (at-least-once).
const daemon::ValueType kQueueType = {
    .id = daemon::type_id::kQueue, .name = "queue", .restore = RestoreQueue, .evictable = false};

std::string DeadLetterChannel(std::string_view queue) {
  std::string channel = "__queue__:deadletter:";
  channel.append(queue);
  return channel;
}

QueueValue::QueueValue(QueueFamilyState& family, Queue queue)
    : family_(&family), queue_(std::move(queue)) {
  family_->totals.queues++;
  Book(1);
}

QueueValue::~QueueValue() {
  if (scheduled_) family_->schedule_.erase({*scheduled_, this});
  family_->totals.queues--;
  Book(-1);
}

void QueueValue::Placed(std::string_view key) {
  key_.assign(key);
  Reschedule();
}

bool QueueValue::ApplyChanges(std::string_view ops) {
  Book(-1);
  const bool ok = queue_.ApplyChanges(ops);
  Book(1);
  Reschedule();
  return ok;
}

void QueueValue::Book(int sign) {
  QueueTotals& totals = family_->totals;
  totals.ready += sign * static_cast<int64_t>(queue_.ready());
  totals.delayed += sign * static_cast<int64_t>(queue_.delayed());
  totals.in_flight += sign * static_cast<int64_t>(queue_.in_flight());
  totals.dead += sign * static_cast<int64_t>(queue_.dead());
}

void QueueValue::Begin(daemon::HandlerServices& services) {
  Book(-1);
  stats_before_ = queue_.stats();
  places_before_[0] = queue_.ready();
  places_before_[1] = queue_.delayed();
  places_before_[2] = queue_.in_flight();
  places_before_[3] = queue_.dead();
  queue_.set_dead_letter_sink(&died_);
  queue_.set_change_recorder(changes_.recording());
  queue_.Advance(services.keyspace.now_ms());
}

void QueueValue::End(daemon::HandlerServices& services, daemon::KeyRef& ref, bool always) {
  queue_.set_dead_letter_sink(nullptr);
  queue_.set_change_recorder(nullptr);
  Book(1);
  bool changed = always || places_before_[0] != queue_.ready() ||
                 places_before_[1] != queue_.delayed() || places_before_[2] != queue_.in_flight() ||
                 places_before_[3] != queue_.dead();
  for (auto counter : kCounters) {
    const uint64_t delta = queue_.stats().*counter - stats_before_.*counter;
    family_->totals.events.*counter += delta;
    changed = changed || delta != 0;
  }
  PublishDead(services);
  Reschedule();
  if (changed) services.keyspace.Modified(ref);
}

void QueueValue::PublishDead(daemon::HandlerServices& services) {
  if (died_.empty()) return;
  const std::string channel = DeadLetterChannel(key_);
  for (const std::string& id : died_) {
    services.pubsub.Publish(daemon::SubscriptionKind::kChannel, channel, id);
  }
  died_.clear();
}

void QueueValue::Reschedule() {
  const std::optional<int64_t> due = queue_.NextDueMs();
  if (due == scheduled_) return;
  std::set<std::pair<int64_t, QueueValue*>>& schedule = family_->schedule_;
  if (scheduled_) schedule.erase({*scheduled_, this});
  scheduled_ = due;
  if (due) schedule.emplace(*due, this);
}

std::vector<QueueValue*> QueueFamilyState::TakeDue(int64_t now_ms) {
  std::vector<QueueValue*> due;
  while (!schedule_.empty() && schedule_.begin()->first <= now_ms) {
    QueueValue* q = schedule_.begin()->second;
    schedule_.erase(schedule_.begin());
    q->scheduled_.reset();
    due.push_back(q);
  }
  return due;
}

std::optional<int64_t> QueueFamilyState::NextDue() const {
  if (schedule_.empty()) return std::nullopt;
  return schedule_.begin()->first;
}

}  // namespace pylon::queue
