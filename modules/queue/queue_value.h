// How queues live in the keyspace: one value of type "queue" per key, holding the whole queue
// (ready, delayed, in flight and dead letters), so DEL, RENAME, TTL and dumps treat it as one.
//
// Time acts on a queue even when nobody calls it: every queue with a delay, a lease or a
// retention end pending sits in its server's schedule, by its next due time, which the server's
// timed work drains (Advance, then the keyspace hears of the change, which wakes clients blocked
// on the key). The family's INFO totals (# Queues) are kept beside it, from each change's
// effect: both are the family's state in each server (daemon/family_state.h).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "daemon/change_recorder.h"
#include "daemon/value.h"
#include "modules/queue/queue.h"

namespace pylon::daemon {
struct HandlerServices;
struct KeyRef;
}  // namespace pylon::daemon

namespace pylon::queue {

// The type, registered at start-up; its id is written into dumps and may never change.
extern const daemon::ValueType kQueueType;

// Counts across every queue, for INFO: gauges of messages by place, and totals of events.
struct QueueTotals {
  int64_t queues = 0;
  int64_t ready = 0, delayed = 0, in_flight = 0, dead = 0;
  QueueStats events;            // summed over every queue, including deleted ones
  uint64_t blocked_served = 0;  // Q.POP BLOCK calls served after waiting
};

class QueueValue;

// The family's state in one server.
class QueueFamilyState {
 public:
  QueueTotals totals;

  // The queues whose next due time has come, taken out of the schedule (Change puts each back).
  std::vector<QueueValue*> TakeDue(int64_t now_ms);
  std::optional<int64_t> NextDue() const;

 private:
  friend class QueueValue;  // a queue keeps its own entry (Reschedule, its destructor)
  std::set<std::pair<int64_t, QueueValue*>> schedule_;
};

class QueueValue final : public daemon::Value {
 public:
  // `family`: its server's, whose totals and schedule hold the queue for as long as it lives.
  QueueValue(QueueFamilyState& family, Queue queue);
  ~QueueValue() override;
  QueueValue(const QueueValue&) = delete;
  QueueValue& operator=(const QueueValue&) = delete;

  const daemon::ValueType& type() const override { return kQueueType; }
  std::string_view Encoding() const override { return "queue"; }
  // bytes() counts the Queue object itself.
  size_t MemoryUsage() const override {
    return sizeof(*this) - sizeof(Queue) + queue_.bytes() + key_.capacity() + changes_.bytes();
  }
  void Dump(std::string* out) const override { queue_.Serialize(out); }
  void Placed(std::string_view key) override;
  daemon::ChangeRecorder* change_recorder() override { return &changes_; }
  bool ApplyChanges(std::string_view ops) override;

  const Queue& queue() const { return queue_; }
  const std::string& key() const { return key_; }

  // Every command goes through Change (or Read, which only reads): it brings the queue to now
  // first (what time made due is done, its dead letters announced), runs `fn` on the queue,
  // then books the effect (INFO totals, the schedule) and, when something changed, tells the
  // keyspace at ref (memory, WATCH, clients blocked on the key). A change shows in a counter
  // or a count by place, except a lease's or a setting's: those pass `always` to say so. (A
  // Q.POP that finds nothing must not count as a change: it would wake itself forever.)
  template <typename Fn>
  auto Change(daemon::HandlerServices& services, daemon::KeyRef& ref, Fn&& fn,
              bool always = false) {
    return Run(services, ref, always, std::forward<Fn>(fn));
  }
  template <typename Fn>
  auto Read(daemon::HandlerServices& services, daemon::KeyRef& ref, Fn&& fn) {
    return Run(services, ref, false, [&fn](const Queue& queue) { return fn(queue); });
  }

 private:
  friend class QueueFamilyState;  // takes a due queue out of the schedule

  template <typename Fn>
  auto Run(daemon::HandlerServices& services, daemon::KeyRef& ref, bool always, Fn&& fn) {
    Begin(services);
    if constexpr (std::is_void_v<decltype(fn(queue_))>) {
      fn(queue_);
      End(services, ref, always);
    } else {
      auto result = fn(queue_);
      End(services, ref, always);
      return result;
    }
  }
  void Begin(daemon::HandlerServices& services);
  // `always`: the keyspace hears of a change even if no count shows one.
  void End(daemon::HandlerServices& services, daemon::KeyRef& ref, bool always);
  // Puts the queue in the schedule at its next due time (or out of it).
  void Reschedule();
  void Book(int sign);  // adds (1) or removes (-1) this queue's gauges from the totals
  // Announces the messages that died since the last call on the dead-letter channel.
  void PublishDead(daemon::HandlerServices& services);

  QueueFamilyState* family_;
  Queue queue_;
  daemon::ChangeRecorder changes_;  // what Change did, for the append-only log
  std::string key_;
  std::optional<int64_t> scheduled_;
  QueueStats stats_before_;
  size_t places_before_[4] = {};   // ready, delayed, in flight, dead
  std::vector<std::string> died_;  // ids dead-lettered during a change
};

// The channel a dead letter is announced on: "__queue__:deadletter:<queue>", with the message's
// id as the message.
std::string DeadLetterChannel(std::string_view queue);

}  // namespace pylon::queue
