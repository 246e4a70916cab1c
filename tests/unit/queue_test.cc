// The queue's state machine on a manual clock: serving order, delays, leases, nack backoff,
// MAXDELIVER and dead letters, redrive, dedup by id, retention; its two storage forms (packed
// backlogs and messages kept one by one) served as one, read back from the serialized form, and
// what they cost in memory; and a model-based test that runs random operations against a
// naive reference model of the contract and checks, after every step, that both agree and that
// every message pushed is in exactly one place.
#include "modules/queue/queue.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <string>
#include <vector>

using pylon::queue::MessageView;
using pylon::queue::Place;
using pylon::queue::Queue;
using pylon::queue::QueueConfig;

namespace {

constexpr int64_t T0 = 4102444800000;  // 2100-01-01

std::vector<std::string> Ids(const std::vector<MessageView>& messages) {
  std::vector<std::string> out;
  for (const MessageView& m : messages) out.push_back(std::string(m.id()));
  return out;
}

// Jitter that always draws the bound (the longest backoff) or zero.
uint64_t MaxJitter(void*, uint64_t bound) { return bound; }
uint64_t ZeroJitter(void*, uint64_t) { return 0; }
uint64_t RngJitter(void* state, uint64_t bound) {
  auto* rng = static_cast<std::mt19937_64*>(state);
  return std::uniform_int_distribution<uint64_t>(0, bound)(*rng);
}

}  // namespace

TEST_CASE("queue: highest priority first, FIFO among equals", "[queue]") {
  Queue q;
  q.Push(T0, "a", 0, 0, "a");
  q.Push(T0, "b", 0, 5, "b");
  q.Push(T0, "c", 0, 0, "c");
  q.Push(T0, "d", 0, 5, "d");
  q.Push(T0, "e", 0, INT64_MIN, "e");
  q.Push(T0, "f", 0, INT64_MAX, "f");
  CHECK(Ids(q.Peek(10)) == std::vector<std::string>{"f", "b", "d", "a", "c", "e"});
  CHECK(Ids(q.Pop(T0, 2)) == std::vector<std::string>{"f", "b"});
  CHECK(Ids(q.Pop(T0, 10)) == std::vector<std::string>{"d", "a", "c", "e"});
  CHECK(q.Pop(T0, 1).empty());
  CHECK(q.in_flight() == 6);
}

TEST_CASE("queue: generated ids increase; a known id is not pushed twice", "[queue]") {
  Queue q;
  CHECK(q.Push(T0, "x", 0, 0).id == "1");
  CHECK(q.Push(T0, "y", 0, 0).id == "2");
  auto first = q.Push(T0, "job", 0, 0, "order-7");
  CHECK(first.added);
  // Ready, in flight, delayed or dead: the id is known and nothing is added.
  for (int step = 0; step < 2; step++) {
    auto again = q.Push(T0, "other payload", 0, 0, "order-7");
    CHECK_FALSE(again.added);
    CHECK(again.id == "order-7");
    CHECK(q.size() == 3);
    q.Pop(T0, 3);
  }
  CHECK(q.Find("order-7")->payload == "job");
  CHECK(q.stats().deduplicated == 2);
  // Acked, the id is free again.
  CHECK(q.Ack("order-7"));
  CHECK(q.Push(T0, "new", 0, 0, "order-7").added);
}

TEST_CASE("queue: a delayed message is ready at its time, not a ms before", "[queue]") {
  Queue q;
  q.Push(T0, "later", 500, 0, "d");
  q.Push(T0, "now", 0, 0, "n");
  CHECK(q.delayed() == 1);
  CHECK(Ids(q.Pop(T0 + 499, 10)) == std::vector<std::string>{"n"});
  CHECK(q.Pop(T0 + 499, 10).empty());
  CHECK(q.NextDueMs() == T0 + 500);
  CHECK(Ids(q.Pop(T0 + 500, 10)) == std::vector<std::string>{"d"});
}

TEST_CASE("queue: a lease that ends comes back with its deliveries kept; ack ends it", "[queue]") {
  QueueConfig config;
  config.lease_ms = 100;
  config.max_deliver = 0;
  Queue q(config);
  q.Push(T0, "p", 0, 0, "m");
  auto popped = q.Pop(T0, 1);
  REQUIRE(popped.size() == 1);
  CHECK(popped[0].deliveries == 1);
  CHECK(q.NextDueMs() == T0 + 100);
  q.Advance(T0 + 99);
  CHECK(q.in_flight() == 1);
  q.Advance(T0 + 100);
  CHECK(q.ready() == 1);
  CHECK(q.stats().redelivered == 1);
  popped = q.Pop(T0 + 100, 1, 1000);  // a lease of its own
  CHECK(popped[0].deliveries == 2);
  CHECK(q.Extend(T0 + 500, "m", 1000));  // now ends at T0 + 1500
  q.Advance(T0 + 1499);
  CHECK(q.in_flight() == 1);
  CHECK(q.Ack("m"));
  CHECK_FALSE(q.Ack("m"));  // twice: nothing
  CHECK_FALSE(q.Extend(T0 + 1499, "m", 10));
  CHECK(q.size() == 0);
  CHECK(q.stats().acked == 1);
}

TEST_CASE("queue: nack backoff is full jitter within [0, min(cap, base * 2^(n-1))]", "[queue]") {
  QueueConfig config;
  config.backoff_base_ms = 100;
  config.backoff_cap_ms = 1000;
  config.max_deliver = 0;
  Queue q(config);
  q.Push(T0, "p", 0, 0, "m");
  int64_t now = T0;
  // The longest draw each time: 100, 200, 400, 800, then the cap.
  for (int64_t expected : {100, 200, 400, 800, 1000, 1000}) {
    REQUIRE(q.Pop(now, 1).size() == 1);
    CHECK(q.Nack(now, "m", std::nullopt, MaxJitter, nullptr) == Queue::NackResult::kRequeued);
    CHECK(q.Find("m")->place == Place::kDelayed);
    CHECK(q.Find("m")->due_ms == now + expected);
    now += expected;
  }
  // A zero draw, and an explicit delay of 0: ready at once.
  q.Pop(now, 1);
  q.Nack(now, "m", std::nullopt, ZeroJitter, nullptr);
  CHECK(q.Find("m")->place == Place::kReady);
  q.Pop(now, 1);
  q.Nack(now, "m", int64_t{0}, MaxJitter, nullptr);
  CHECK(q.Find("m")->place == Place::kReady);
  q.Pop(now, 1);
  q.Nack(now, "m", int64_t{250}, MaxJitter, nullptr);
  CHECK(q.Find("m")->due_ms == now + 250);
  CHECK(q.Nack(now, "m", std::nullopt, MaxJitter, nullptr) == Queue::NackResult::kNotInFlight);
  CHECK(q.Nack(now, "nope", std::nullopt, MaxJitter, nullptr) == Queue::NackResult::kNotInFlight);
}

TEST_CASE("queue: past MAXDELIVER a failure dead-letters; redrive brings it back", "[queue]") {
  QueueConfig config;
  config.max_deliver = 2;
  config.lease_ms = 10;
  Queue q(config);
  q.Push(T0, "p", 0, 0, "m");
  q.Pop(T0, 1);
  q.Advance(T0 + 10);  // first failure: the lease ended
  CHECK(q.ready() == 1);
  q.Pop(T0 + 10, 1);
  CHECK(q.Nack(T0 + 15, "m", int64_t{0}, ZeroJitter, nullptr) == Queue::NackResult::kDead);
  const auto m = q.Find("m");
  CHECK(m->place == Place::kDead);
  CHECK(m->dead_reason == "nack");
  CHECK(m->due_ms == T0 + 15);
  CHECK(m->deliveries == 2);
  CHECK(Ids(q.Dead(10)) == std::vector<std::string>{"m"});
  CHECK(q.stats().dead_lettered == 1);
  CHECK_FALSE(q.Push(T0 + 20, "again", 0, 0, "m").added);  // a dead id is still known

  // A lease end past MAXDELIVER says so.
  q.Push(T0, "p", 0, 0, "n");
  q.Pop(T0 + 20, 1);
  q.Advance(T0 + 30);
  q.Pop(T0 + 30, 1);
  q.Advance(T0 + 40);
  CHECK(q.Find("n")->dead_reason == "lease expired");
  CHECK(Ids(q.Dead(10)) == std::vector<std::string>{"m", "n"});  // in death order

  CHECK(q.Redrive(1) == 1);
  CHECK(q.Find("m")->place == Place::kReady);
  CHECK(q.Find("m")->deliveries == 0);
  CHECK(q.Redrive(10) == 1);
  CHECK(q.dead() == 0);
  CHECK(q.stats().redriven == 2);
}

TEST_CASE("queue: retention drops old messages, but not one in flight", "[queue]") {
  QueueConfig config;
  config.retention_ms = 1000;
  config.lease_ms = 5000;
  Queue q(config);
  q.Push(T0, "old", 0, 0, "old");
  q.Push(T0, "leased", 0, 0, "leased");
  q.Push(T0 + 500, "young", 0, 0, "young");
  q.Pop(T0, 1);  // "old" is first: leased now, until T0 + 5000
  CHECK(q.NextDueMs() == T0 + 1000);
  q.Advance(T0 + 1000);
  CHECK(!q.Find("leased"));  // ready and 1000 ms old: dropped
  CHECK(q.Find("old"));      // in flight: kept
  CHECK(q.Find("young"));
  CHECK(q.stats().expired == 1);
  q.Advance(T0 + 5000);  // the lease ends: back as ready, and older than the retention
  CHECK(!q.Find("old"));
  q.Advance(T0 + 1500);  // the clock never runs backwards in use; nothing breaks if it does
  CHECK(!q.Find("young"));
}

TEST_CASE("queue: purge drops everything but the dead letters, or only them", "[queue]") {
  QueueConfig config;
  config.max_deliver = 1;
  Queue q(config);
  q.Push(T0, "r", 0, 0, "r");
  q.Push(T0, "d", 100, 0, "d");
  q.Push(T0, "f", 0, 1, "f");
  q.Push(T0, "x", 0, 2, "x");
  q.Pop(T0, 2);                                      // x, f
  q.Nack(T0, "x", int64_t{0}, ZeroJitter, nullptr);  // dead
  CHECK(q.Purge(false) == 3);                        // r, d, f
  CHECK(q.size() == 1);
  CHECK(q.Purge(true) == 1);
  CHECK(q.size() == 0);
}

TEST_CASE("queue: config validation", "[queue]") {
  CHECK_FALSE(pylon::queue::ValidateConfig(QueueConfig{}));
  QueueConfig c;
  c.lease_ms = 0;
  CHECK(pylon::queue::ValidateConfig(c));
  c = {};
  c.backoff_base_ms = 10;
  c.backoff_cap_ms = 5;
  CHECK(pylon::queue::ValidateConfig(c));
  c = {};
  c.max_deliver = -1;
  CHECK(pylon::queue::ValidateConfig(c));
}

TEST_CASE("queue: serialized, it reads back the same; every truncation is refused", "[queue]") {
  QueueConfig config;
  config.max_deliver = 1;
  config.lease_ms = 100;
  Queue q(config);
  q.Push(T0, "ready", 0, 3, "r");
  q.Push(T0, "later", 500, 0, "d");
  q.Push(T0, std::string("bin\0ary", 7), 0, 9, "f");
  q.Push(T0, "dead", 0, 5, "x");
  q.Pop(T0, 2);                                      // f, x in flight
  q.Nack(T0, "x", int64_t{0}, ZeroJitter, nullptr);  // x dead
  q.Push(T0, "", 0, 0);                              // a generated id, an empty payload
  std::string bytes;
  q.Serialize(&bytes);
  std::optional<Queue> back = Queue::Deserialize(bytes);
  REQUIRE(back);
  std::string again;
  back->Serialize(&again);
  CHECK(again.size() == bytes.size());
  CHECK(back->config() == config);
  CHECK(back->size() == q.size());
  // bytes() counts real allocations (malloc_usable_size), and a chunk glibc reuses may be a few
  // bytes larger than asked, depending on the heap's history: equal within that.
  CHECK(back->bytes() <= q.bytes() + 64);
  CHECK(back->bytes() + 64 >= q.bytes());
  for (const char* id : {"r", "d", "f", "x", "1"}) {
    const auto a = q.Find(id);
    const auto b = back->Find(id);
    REQUIRE(b);
    CHECK(b->payload == a->payload);
    CHECK(b->place == a->place);
    CHECK(b->due_ms == a->due_ms);
    CHECK(b->deliveries == a->deliveries);
    CHECK(b->dead_reason == a->dead_reason);
  }
  // It keeps working: the next generated id, the serving order, the lease end.
  CHECK(back->Push(T0, "n", 0, 0).id == "2");
  CHECK(Ids(back->Pop(T0, 10)) == std::vector<std::string>{"r", "1", "2"});
  back->Advance(T0 + 100);
  CHECK(back->Find("f")->place == Place::kDead);  // MAXDELIVER 1: its lease ended
  for (size_t n = 0; n < bytes.size(); n++) {
    INFO("truncated to " << n << " bytes");
    CHECK_FALSE(Queue::Deserialize(std::string_view(bytes).substr(0, n)));
  }
  CHECK_FALSE(Queue::Deserialize(bytes + "x"));
}

// --- the two forms: packed backlogs (generated ids, never popped) and messages kept one by one ---

TEST_CASE("queue: a generated id skips numbers in use as ids; one still queued is known",
          "[queue]") {
  Queue q;
  // A client's own id that looks generated: the generator passes over it.
  CHECK(q.Push(T0, "mine", 0, 0, "1").added);
  CHECK(q.Push(T0, "mine too", 0, 0, "3").added);
  CHECK(q.Push(T0, "a", 0, 0).id == "2");
  CHECK(q.Push(T0, "b", 0, 0).id == "4");
  CHECK(q.Find("1")->payload == "mine");
  CHECK(q.Find("2")->payload == "a");
  // A generated id still queued (ready, then in flight) is a duplicate when a client gives it.
  for (int step = 0; step < 2; step++) {
    const auto again = q.Push(T0, "other", 0, 0, "4");
    CHECK_FALSE(again.added);
    CHECK(again.id == "4");
    q.Pop(T0, 4);
  }
  CHECK(q.Find("4")->place == Place::kInFlight);
  // Written otherwise, a number is an id of its own.
  CHECK(q.Push(T0, "zero-led", 0, 0, "04").added);
  CHECK(q.Push(T0, "zero", 0, 0, "0").added);
  CHECK(q.stats().deduplicated == 2);
  // Acked, a generated id is free for a client; the generator never goes back.
  CHECK(q.Ack("4"));
  CHECK(q.Push(T0, "reused", 0, 0, "4").added);
  CHECK(q.Push(T0, "c", 0, 0).id == "5");
  CHECK(q.Push(T0, "big", 0, 0, "18446744073709551615").added);  // 2^64 - 1: its own id too
  CHECK_FALSE(q.Find("6"));
}

TEST_CASE("queue: the packed backlog and messages kept one by one are served in one order",
          "[queue]") {
  QueueConfig config;
  config.max_deliver = 0;
  Queue q(config);
  q.Push(T0, "g1", 0, 1);          // "1": packed
  q.Push(T0, "own", 0, 1, "own");  // an id of its own: kept one by one
  q.Push(T0, "g2", 0, 1);          // "2": packed
  q.Push(T0, "late", 5, 1);        // "3": delayed, kept one by one, ready at T0 + 5
  q.Push(T0, "g4", 0, 0);          // "4": a lower priority
  q.Push(T0, "g5", 0, 2);          // "5": a higher one
  CHECK(Ids(q.Peek(10)) == std::vector<std::string>{"5", "1", "own", "2", "4"});
  // Popped and failed, a message comes back one by one, in its place by priority and push order.
  CHECK(Ids(q.Pop(T0, 2)) == std::vector<std::string>{"5", "1"});
  CHECK(q.Nack(T0, "1", int64_t{0}, ZeroJitter, nullptr) == Queue::NackResult::kRequeued);
  q.Advance(T0 + 5);
  CHECK(Ids(q.Peek(10)) == std::vector<std::string>{"1", "own", "2", "3", "4"});
  CHECK(q.Find("3")->place == Place::kReady);
  CHECK(q.Find("2")->payload == "g2");
  CHECK(q.Find("2")->deliveries == 0);
  CHECK(Ids(q.Pop(T0 + 5, 10)) == std::vector<std::string>{"1", "own", "2", "3", "4"});
  CHECK(q.Find("1")->deliveries == 2);
  CHECK(q.ready() == 0);
  CHECK(q.in_flight() == 6);
}

TEST_CASE("queue: a clock that goes back, and more priorities than backlogs, keep the order",
          "[queue]") {
  QueueConfig config;
  config.retention_ms = 1000;
  Queue q(config);
  q.Push(T0 + 100, "first", 0, 0);
  q.Push(T0, "pushed earlier", 0, 0);  // the clock went back: it cannot go after "first"
  q.Push(T0 + 200, "third", 0, 0);
  CHECK(Ids(q.Peek(10)) == std::vector<std::string>{"1", "2", "3"});
  // Retention still goes by each message's own push time.
  CHECK(q.NextDueMs() == T0 + 1000);
  q.Advance(T0 + 1000);
  CHECK(Ids(q.Peek(10)) == std::vector<std::string>{"1", "3"});
  q.Advance(T0 + 1100);
  CHECK(Ids(q.Peek(10)) == std::vector<std::string>{"3"});

  // 40 priorities, pushed lowest first: served highest first whatever form holds them.
  Queue wide;
  for (int64_t p = -20; p < 20; p++) wide.Push(T0, "x", 0, p);
  std::vector<int64_t> priorities;
  for (const MessageView& m : wide.Peek(100)) priorities.push_back(m.priority);
  CHECK(priorities.size() == 40);
  CHECK(std::is_sorted(priorities.rbegin(), priorities.rend()));
  CHECK(wide.Find("40")->priority == 19);
  CHECK(wide.Pop(T0, 1)[0].priority == 19);
}

TEST_CASE("queue: retention drops packed messages at their time, not a ms before", "[queue]") {
  QueueConfig config;
  config.retention_ms = 1000;
  Queue q(config);
  for (int i = 0; i < 3000; i++) q.Push(T0 + i / 1000, "payload", 0, i % 2);
  CHECK(q.NextDueMs() == T0 + 1000);
  q.Advance(T0 + 999);
  CHECK(q.size() == 3000);
  q.Advance(T0 + 1000);
  CHECK(q.size() == 2000);
  CHECK(q.stats().expired == 1000);
  CHECK(q.NextDueMs() == T0 + 1001);
  CHECK(q.Peek(1)[0].id() == "1002");  // priority 1, the oldest left
  q.Advance(T0 + 1002);
  CHECK(q.size() == 0);
  CHECK_FALSE(q.NextDueMs());
}

TEST_CASE("queue: a round trip keeps packed backlogs exactly, partly consumed ones too",
          "[queue]") {
  QueueConfig config;
  config.max_deliver = 2;
  Queue q(config);
  std::vector<std::string> payloads;
  for (int i = 0; i < 5000; i++) {
    // Sizes from empty to past a segment's largest (a record of its own).
    const size_t length = i % 1000 == 7 ? 70000 : static_cast<size_t>(i % 150);
    payloads.push_back(std::string(length, static_cast<char>('a' + i % 26)));
    q.Push(T0 + i, payloads.back(), 0, i % 3);
  }
  q.Push(T0, "own", 0, 1, "own");
  q.Pop(T0 + 5000, 2100);  // all of priority 2, and some of 1
  q.Nack(T0 + 5000, "3", int64_t{0}, ZeroJitter, nullptr);
  std::string bytes;
  q.Serialize(&bytes);
  std::optional<Queue> back = Queue::Deserialize(bytes);
  REQUIRE(back);
  CHECK(back->size() == q.size());
  CHECK(back->ready() == q.ready());
  for (int i = 1; i <= 5000; i++) {
    const auto m = back->Find(std::to_string(i));
    REQUIRE(m);
    CHECK(m->payload == payloads[i - 1]);
    CHECK(m->pushed_ms == T0 + i - 1);
    CHECK(m->place == q.Find(std::to_string(i))->place);
  }
  // It goes on alike: the same serving order, the same next id.
  CHECK(Ids(back->Peek(5000)) == Ids(q.Peek(5000)));
  CHECK(Ids(back->Pop(T0 + 5000, 5000)) == Ids(q.Pop(T0 + 5000, 5000)));
  CHECK(back->Push(T0, "next", 0, 0).id == q.Push(T0, "next", 0, 0).id);
}

namespace {

// The serialized form's parts, for the tests that splice them (see queue_serialize.cc): a
// fixed header of 129 bytes, the messages kept one by one, then the backlogs; an empty part is a
// count of 0 (8 bytes).
constexpr size_t kHeaderBytes = 1 + 5 * 8 + 2 * 8 + 9 * 8;

std::string Serialized(const Queue& q) {
  std::string bytes;
  q.Serialize(&bytes);
  return bytes;
}

}  // namespace

TEST_CASE("queue: a serialized form with one message in both forms is refused", "[queue]") {
  // Both end with next seq 3 and next id 2. `packed` has generated id 1 (seq 2) in a backlog and
  // nothing kept one by one; `popped` has id 1 (seq 1) in flight and no backlogs.
  Queue packed;
  packed.Push(T0, "x", 0, 0, "x");
  packed.Push(T0, "g", 0, 0);
  packed.Pop(T0, 1);
  REQUIRE(packed.Ack("x"));
  Queue popped;
  popped.Push(T0, "g", 0, 0);
  popped.Push(T0, "y", 0, 0, "y");
  popped.Pop(T0, 2);
  REQUIRE(popped.Ack("y"));
  const std::string a = Serialized(popped), b = Serialized(packed);
  REQUIRE(Queue::Deserialize(a));
  REQUIRE(Queue::Deserialize(b));
  // popped's header and messages, then packed's backlogs: id 1 twice.
  const std::string spliced = a.substr(0, a.size() - 8) + b.substr(kHeaderBytes + 8);
  CHECK_FALSE(Queue::Deserialize(spliced));
  // The same splice with the in-flight message acked is whole and consistent.
  REQUIRE(popped.Ack("1"));
  const std::string c = Serialized(popped);
  const auto fine = Queue::Deserialize(c.substr(0, c.size() - 8) + b.substr(kHeaderBytes + 8));
  REQUIRE(fine);
  CHECK(fine->Find("1")->place == Place::kReady);
}

TEST_CASE("queue: a serialized form with any byte changed is refused or consistent", "[queue]") {
  QueueConfig config;
  config.max_deliver = 1;
  Queue q(config);
  for (int i = 0; i < 6; i++) q.Push(T0 + i, "p" + std::to_string(i), 0, i % 2);
  q.Push(T0, "own", 0, 0, "own");
  q.Push(T0, "later", 50, 0, "later");
  q.Pop(T0, 2);
  q.Nack(T0, "2", int64_t{0}, ZeroJitter, nullptr);  // dead
  const std::string bytes = Serialized(q);
  size_t refused = 0;
  for (size_t i = 0; i < bytes.size(); i++) {
    for (int delta : {1, 0x80}) {
      std::string changed = bytes;
      changed[i] = static_cast<char>(changed[i] + delta);
      const std::optional<Queue> back = Queue::Deserialize(changed);
      if (!back) {
        refused++;
        continue;
      }
      // Accepted: every message in exactly one place, the ready ones all served, and it reads
      // back from its own form.
      INFO("byte " << i << " + " << delta);
      CHECK(back->ready() + back->delayed() + back->in_flight() + back->dead() == back->size());
      CHECK(back->Peek(back->size() + 1).size() == back->ready());
      CHECK(back->Dead(back->size() + 1).size() == back->dead());
      for (const MessageView& m : back->Peek(back->size())) CHECK(back->Find(m.id()));
      CHECK(Queue::Deserialize(Serialized(*back)));
    }
  }
  CHECK(refused > bytes.size() / 4);
}

TEST_CASE("queue: a backlog costs at most Redis's bytes per message, and gives them back",
          "[queue]") {
  // Redis Streams keep XADD q * d <100 bytes> in ~115 bytes a message (measured).
  Queue q;
  const size_t empty = q.bytes();
  const std::string payload(100, 'x');
  constexpr size_t kCount = 100000;
  for (size_t i = 0; i < kCount; i++) q.Push(T0 + static_cast<int64_t>(i / 64), payload, 0, 0);
  const double per_message = static_cast<double>(q.bytes()) / kCount;
  INFO("bytes per message: " << per_message);
  CHECK(per_message <= 110);
  CHECK(q.bytes() >= kCount * payload.size());  // honest: every payload byte is held
  // Served and acked, the segments are freed.
  for (std::vector<MessageView> popped; !(popped = q.Pop(T0, 1000)).empty();) {
    for (const MessageView& m : popped) REQUIRE(q.Ack(m.id()));
  }
  CHECK(q.size() == 0);
  INFO("empty " << empty << ", after " << q.bytes());
  CHECK(q.bytes() <= empty + 2048);
}

// --- model-based ---------------------------------------------------------------------------

namespace {

// The contract written the naive way: a list of messages, scanned linearly.
struct Model {
  struct M {
    std::string id, payload;
    int64_t priority;
    uint64_t seq;
    int64_t pushed, due;
    uint32_t deliveries = 0;
    Place place;
  };
  QueueConfig config;
  std::vector<M> ms;  // every message still known
  uint64_t seq = 1, next_id = 1;

  M* Find(const std::string& id) {
    for (M& m : ms) {
      if (m.id == id) return &m;
    }
    return nullptr;
  }
  // The next number that is no message's id.
  std::string GenerateId() {
    while (Find(std::to_string(next_id))) next_id++;
    return std::to_string(next_id++);
  }
  void Remove(const std::string& id) {
    ms.erase(std::remove_if(ms.begin(), ms.end(), [&](const M& m) { return m.id == id; }),
             ms.end());
  }
  void Fail(M& m, int64_t now, int64_t delay) {
    if (config.max_deliver > 0 && m.deliveries >= config.max_deliver) {
      m.place = Place::kDead;
      m.due = now;
    } else if (delay > 0) {
      m.place = Place::kDelayed;
      m.due = now + delay;
    } else {
      m.place = Place::kReady;
    }
  }
  void Advance(int64_t now) {
    // In the queue's order: delays, then leases (by end, then push order), then retention.
    for (M& m : ms) {
      if (m.place == Place::kDelayed && m.due <= now) m.place = Place::kReady;
    }
    std::vector<M*> ended;
    for (M& m : ms) {
      if (m.place == Place::kInFlight && m.due <= now) ended.push_back(&m);
    }
    std::sort(ended.begin(), ended.end(),
              [](M* a, M* b) { return std::tie(a->due, a->seq) < std::tie(b->due, b->seq); });
    for (M* m : ended) Fail(*m, now, 0);
    ms.erase(std::remove_if(ms.begin(), ms.end(),
                            [&](const M& m) {
                              return m.place != Place::kInFlight &&
                                     m.pushed + config.retention_ms <= now;
                            }),
             ms.end());
  }
  // Ready messages in serving order (highest priority, then push order); dead ones by death.
  std::vector<M*> Ready() {
    std::vector<M*> out;
    for (M& m : ms) {
      if (m.place == Place::kReady) out.push_back(&m);
    }
    std::sort(out.begin(), out.end(), [](M* a, M* b) {
      return a->priority != b->priority ? a->priority > b->priority : a->seq < b->seq;
    });
    return out;
  }
  std::vector<M*> DeadLetters() {
    std::vector<M*> out;
    for (M& m : ms) {
      if (m.place == Place::kDead) out.push_back(&m);
    }
    std::sort(out.begin(), out.end(),
              [](M* a, M* b) { return std::tie(a->due, a->seq) < std::tie(b->due, b->seq); });
    return out;
  }
  std::vector<std::string> Pop(int64_t now, size_t count, int64_t lease) {
    Advance(now);
    std::vector<std::string> out;
    for (M* m : Ready()) {
      if (out.size() == count) break;
      m->deliveries++;
      m->place = Place::kInFlight;
      m->due = now + lease;
      out.push_back(m->id);
    }
    return out;
  }
  size_t Purge(bool dead) {
    const size_t before = ms.size();
    ms.erase(std::remove_if(ms.begin(), ms.end(),
                            [&](const M& m) { return (m.place == Place::kDead) == dead; }),
             ms.end());
    return before - ms.size();
  }
  // When something is next due: a delay or a lease end, or a retention end (not in flight).
  std::optional<int64_t> NextDue() const {
    std::optional<int64_t> next;
    auto consider = [&next](int64_t t) { next = next ? std::min(*next, t) : t; };
    for (const M& m : ms) {
      if (m.place == Place::kDelayed || m.place == Place::kInFlight) consider(m.due);
      if (m.place != Place::kInFlight) consider(m.pushed + config.retention_ms);
    }
    return next;
  }
  size_t Count(Place place) const {
    return static_cast<size_t>(
        std::count_if(ms.begin(), ms.end(), [&](const M& m) { return m.place == place; }));
  }
};

bool Same(const MessageView& v, const Model::M& m) {
  return v.id() == m.id && v.payload == m.payload && v.priority == m.priority &&
         v.pushed_ms == m.pushed && v.deliveries == m.deliveries && v.place == m.place &&
         (m.place == Place::kReady || v.due_ms == m.due);
}

bool Same(const std::vector<MessageView>& got, const std::vector<Model::M*>& want) {
  if (got.size() != want.size()) return false;
  for (size_t i = 0; i < got.size(); i++) {
    if (!Same(got[i], *want[i])) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("queue: 100,000 random steps agree with a naive model; every message in one place",
          "[queue][model]") {
  std::mt19937_64 rng(20261123);
  QueueConfig config;
  config.lease_ms = 50;
  config.max_deliver = 3;
  config.backoff_base_ms = 5;
  config.backoff_cap_ms = 40;
  config.retention_ms = 5000;
  Queue q(config);
  Model model{config};
  // The backoff draws from one generator per side, seeded alike, so both draw the same delays.
  std::mt19937_64 jitter_q(7), jitter_m(7);
  int64_t now = T0;
  std::vector<std::string> known;  // ids ever pushed (acked ones included, to test misses)
  int mismatches = 0;
  std::string first_mismatch;
  size_t generated = 0, numeric = 0, round_trips = 0, purges = 0, most = 0;
  auto expect = [&](bool ok, const std::string& what, int step) {
    if (ok) return;
    if (mismatches++ == 0) first_mismatch = "step " + std::to_string(step) + ": " + what;
  };
  // An id to ack, nack or extend: mostly one in flight, else any id ever pushed (maybe acked,
  // dead or ready: a miss), or one never pushed.
  auto pick = [&]() -> std::string {
    std::vector<const std::string*> leased;
    for (const Model::M& m : model.ms) {
      if (m.place == Place::kInFlight) leased.push_back(&m.id);
    }
    const int r = static_cast<int>(rng() % 10);
    if (r < 7 && !leased.empty()) return *leased[rng() % leased.size()];
    if (r < 9 && !known.empty()) return known[rng() % known.size()];
    return "never-pushed";
  };
  // An id to push with: half generated (empty); else named, or a number near the next generated
  // one (below: maybe a generated id still queued, a duplicate; above: one to skip later), or a
  // number written otherwise ("0", "07": ids of their own).
  auto push_id = [&]() -> std::string {
    switch (rng() % 8) {
      case 0:
      case 1:
        return "job-" + std::to_string(rng() % 20);
      case 2: {
        numeric++;
        const int64_t n = static_cast<int64_t>(model.next_id) + static_cast<int64_t>(rng() % 16);
        return std::to_string(std::max<int64_t>(1, n - 10));
      }
      case 3:
        return rng() % 4 ? "0" + std::to_string(rng() % 30) : "0";
      default:
        return "";
    }
  };
  // Mostly a few priorities; sometimes more than the packed backlogs take, or an extreme.
  auto push_priority = [&]() -> int64_t {
    const int r = static_cast<int>(rng() % 100);
    if (r < 80) return static_cast<int64_t>(rng() % 3);
    if (r < 99) return static_cast<int64_t>(rng() % 41) - 20;
    return rng() % 2 ? INT64_MAX : INT64_MIN;
  };
  // Payloads of every size: mostly small, some of a few hundred bytes, a few over 64 KB.
  auto payload_for = [&](uint64_t seq) {
    const int r = static_cast<int>(rng() % 1000);
    const size_t length = r < 700 ? rng() % 20 : r < 998 ? 20 + rng() % 300 : 60000 + rng() % 20000;
    return std::to_string(seq) + std::string(length, static_cast<char>('a' + seq % 26));
  };
  constexpr int kSteps = 100000;
  for (int step = 0; step < kSteps; step++) {
    const int op = static_cast<int>(rng() % 100);
    if (op < 30) {  // push
      const std::string id = push_id();
      const int64_t delay = rng() % 5 == 0 ? static_cast<int64_t>(rng() % 100) : 0;
      const int64_t priority = push_priority();
      const std::string payload = payload_for(model.seq);
      auto r = q.Push(now, payload, delay, priority, id);
      const std::string model_id = id.empty() ? model.GenerateId() : id;
      generated += id.empty();
      const bool model_added = model.Find(model_id) == nullptr;
      if (model_added) {
        Model::M m{model_id, payload, priority, model.seq++, now, 0, 0, Place::kReady};
        if (delay > 0) {
          m.place = Place::kDelayed;
          m.due = now + delay;
        }
        model.ms.push_back(m);
      }
      expect(r.added == model_added && r.id == model_id, "push " + model_id, step);
      if (r.added) known.push_back(r.id);
    } else if (op < 55) {  // pop
      const size_t count = 1 + rng() % 3;
      const int64_t lease = rng() % 2 ? 0 : static_cast<int64_t>(1 + rng() % 100);
      const auto got = Ids(q.Pop(now, count, lease));
      const auto want = model.Pop(now, count, lease ? lease : config.lease_ms);
      expect(got == want, "pop", step);
    } else if (op < 70) {  // ack
      const std::string id = pick();
      model.Advance(now);
      q.Advance(now);
      Model::M* m = model.Find(id);
      const bool want = m && m->place == Place::kInFlight;
      if (want) model.Remove(id);
      expect(q.Ack(id) == want, "ack " + id, step);
    } else if (op < 80) {  // nack: backoff, or an explicit delay
      const std::string id = pick();
      std::optional<int64_t> delay;
      if (rng() % 2) delay = static_cast<int64_t>(rng() % 30);
      const auto got = q.Nack(now, id, delay, RngJitter, &jitter_q);
      model.Advance(now);
      Model::M* m = model.Find(id);
      Queue::NackResult want = Queue::NackResult::kNotInFlight;
      if (m && m->place == Place::kInFlight) {
        int64_t d = delay.value_or(0);
        if (!delay) {
          const int64_t ceiling = std::min<int64_t>(
              config.backoff_cap_ms,
              config.backoff_base_ms << std::min<uint32_t>(m->deliveries - 1, 20));
          d = static_cast<int64_t>(RngJitter(&jitter_m, static_cast<uint64_t>(ceiling)));
        }
        model.Fail(*m, now, d);
        want = m->place == Place::kDead ? Queue::NackResult::kDead : Queue::NackResult::kRequeued;
      }
      expect(got == want, "nack " + id, step);
    } else if (op < 85) {  // extend
      const std::string id = pick();
      const int64_t ms = 1 + static_cast<int64_t>(rng() % 100);
      const bool got = q.Extend(now, id, ms);
      model.Advance(now);
      Model::M* m = model.Find(id);
      const bool want = m && m->place == Place::kInFlight;
      if (want) m->due = now + ms;
      expect(got == want, "extend " + id, step);
    } else if (op < 87) {  // redrive one or all
      const size_t count = rng() % 2 ? 1 : 1000;
      const size_t got = q.Redrive(count);
      size_t moved = 0;
      for (Model::M* m : model.DeadLetters()) {
        if (moved == count) break;
        m->place = Place::kReady;
        m->deliveries = 0;
        moved++;
      }
      expect(got == moved, "redrive", step);
    } else if (op == 87 && rng() % 10 == 0) {  // purge, now and then
      const bool dead = rng() % 2;
      expect(q.Purge(dead) == model.Purge(dead), "purge", step);
      purges++;
    } else {  // time passes: a little, to exactly when something is due, past leases, past
              // retention; or it goes back a bit
      const int r = static_cast<int>(rng() % 100);
      const std::optional<int64_t> due = model.NextDue();
      if (r < 20 && due && *due > now) {
        now = *due;
      } else {
        now += r < 89   ? static_cast<int64_t>(rng() % 20)
               : r < 90 ? -static_cast<int64_t>(rng() % 30)
               : r < 99 ? 60
                        : 6000;
      }
    }
    if (step % 1000 == 999) {  // read back from its serialized form, it goes on the same
      std::string bytes;
      q.Serialize(&bytes);
      std::optional<Queue> back = Queue::Deserialize(bytes);
      expect(back.has_value(), "round trip", step);
      if (back) q = std::move(*back);
      round_trips++;
    }
    // After every step: the same messages, each in its place and only there (the counts per
    // place add up, and each is found where the model has it), the ready ones in serving
    // order, the dead letters in death order.
    q.Advance(now);
    model.Advance(now);
    most = std::max(most, model.ms.size());
    expect(q.size() == model.ms.size(), "size", step);
    expect(q.NextDueMs() == model.NextDue(), "next due", step);
    expect(q.ready() == model.Count(Place::kReady) && q.delayed() == model.Count(Place::kDelayed) &&
               q.in_flight() == model.Count(Place::kInFlight) &&
               q.dead() == model.Count(Place::kDead),
           "counts per place", step);
    expect(q.ready() + q.delayed() + q.in_flight() + q.dead() == q.size(),
           "every message in exactly one place", step);
    for (const Model::M& m : model.ms) {
      const auto got = q.Find(m.id);
      expect(got && Same(*got, m), "message " + m.id, step);
    }
    const auto ready = model.Ready();
    expect(Same(q.Peek(ready.size() + 1), ready), "ready order", step);
    const auto dead = model.DeadLetters();
    expect(Same(q.Dead(dead.size() + 1), dead), "dead letter order", step);
  }
  INFO(first_mismatch);
  CHECK(mismatches == 0);
  const auto& st = q.stats();
  INFO("pushed " << st.pushed << " (generated ids " << generated << ", numeric ids " << numeric
                 << ") acked " << st.acked << " dead " << st.dead_lettered << " redelivered "
                 << st.redelivered << " expired " << st.expired << " dedup " << st.deduplicated
                 << " redriven " << st.redriven << " purged " << st.purged << " round trips "
                 << round_trips << " most messages " << most);
  // The run exercised every path.
  CHECK(generated > 10000);
  CHECK(numeric > 1000);
  CHECK(q.stats().acked > 1000);
  CHECK(q.stats().dead_lettered > 100);
  CHECK(q.stats().redelivered > 1000);
  CHECK(q.stats().expired > 100);
  CHECK(q.stats().deduplicated > 100);
  CHECK(q.stats().redriven > 10);
  CHECK(purges > 10);
  CHECK(round_trips == 100);
}
