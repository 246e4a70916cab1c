// A queue as a keyspace value: it knows its key wherever the keyspace puts it (stored, renamed,
// restored from a dump), so the schedule of timed work finds it under its current name, and a
// deleted queue leaves the schedule and the INFO gauges. (Commands over sockets:
// tests/e2e/queue_test.cc.)
#include "modules/queue/queue_value.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "daemon/clock.h"
#include "daemon/family_state.h"
#include "daemon/keyspace.h"

namespace pylon::queue {
namespace {

using daemon::Clock;
using daemon::KeyRef;
using daemon::Keyspace;
using daemon::Lookup;
using daemon::Ttl;

constexpr int64_t T0 = 1'700'000'000'000;

// A queue with one message in flight (lease ends at T0 + 500) and one ready.
Queue BusyQueue() {
  Queue q;
  q.Push(T0, "leased", 0, 0);
  q.Push(T0, "waiting", 0, 0);
  REQUIRE(q.Pop(T0, 1, 500).size() == 1);
  return q;
}

QueueValue* Put(Keyspace& ks, QueueFamilyState& family, const std::string& key, Queue q) {
  KeyRef ref = ks.Locate(key, Lookup::kWrite);
  ks.SetObject(ref, std::make_unique<QueueValue>(family, std::move(q)), Ttl::Clear());
  return static_cast<QueueValue*>(ref.entry->object());
}

TEST_CASE("queue value: its key follows it, and the schedule finds it under that key",
          "[queue][keyspace]") {
  daemon::RegisterValueType(kQueueType);
  daemon::FamilyStates states;
  QueueFamilyState& family = states.Make<QueueFamilyState>();
  Clock clock(true);
  Keyspace ks(clock);
  QueueValue* q = Put(ks, family, "jobs", BusyQueue());
  CHECK(q->key() == "jobs");
  CHECK(family.totals.queues == 1);
  CHECK(family.NextDue() == T0 + 500);

  REQUIRE(ks.Rename("jobs", "work", false) == Keyspace::RenameResult::kRenamed);
  CHECK(q->key() == "work");  // the same object, under its new name
  CHECK(family.TakeDue(T0 + 499).empty());
  const auto due = family.TakeDue(T0 + 500);
  REQUIRE(due.size() == 1);
  CHECK(due[0] == q);
  CHECK(!family.NextDue());  // taken out until a change puts it back

  // A dump read back is a queue of its own, placed under its key.
  std::string dump;
  Keyspace::Dump(*ks.Find("work", Lookup::kPeek), &dump);
  daemon::RestoredValue restored;
  REQUIRE(Keyspace::Restore(dump, states, &restored));
  CHECK(restored.object->type().name == "queue");
  KeyRef copy = ks.Locate("copy", Lookup::kWrite);
  ks.SetRestored(copy, std::move(restored), Ttl::Clear());
  auto* back = static_cast<QueueValue*>(copy.entry->object());
  CHECK(back->key() == "copy");
  CHECK(back->queue().in_flight() == 1);
  CHECK(back->queue().ready() == 1);
  CHECK(family.NextDue() == T0 + 500);  // the copy's lease is scheduled
  // Real allocation sizes: equal up to what glibc's chunk reuse adds (heap history).
  const size_t original = ks.Find("work", Lookup::kPeek)->object()->MemoryUsage();
  CHECK(back->MemoryUsage() <= original + 64);
  CHECK(back->MemoryUsage() + 64 >= original);

  // Deleting a queue takes it out of the schedule and of the gauges.
  CHECK(ks.Delete(copy));
  CHECK(!family.NextDue());
  KeyRef work = ks.Locate("work", Lookup::kWrite);
  CHECK(ks.Delete(work));
  CHECK(family.totals.queues == 0);
}

}  // namespace
}  // namespace pylon::queue
