// The queue's state machine on a manual clock: serving order, delays, leases, nack backoff,
// MAXDELIVER and dead letters, redrive, dedup by id, retention; and a model-based test that
// runs random operations against a naive reference model of the contract and checks, after
// every step, that both agree and that every message pushed is in exactly one place.
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
  CHECK(back->bytes() == q.bytes());
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
  uint64_t acked = 0, expired = 0;

  M* Find(const std::string& id) {
    for (M& m : ms) {
      if (m.id == id) return &m;
    }
    return nullptr;
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
    const size_t before = ms.size();
    ms.erase(std::remove_if(ms.begin(), ms.end(),
                            [&](const M& m) {
                              return m.place != Place::kInFlight &&
                                     m.pushed + config.retention_ms <= now;
                            }),
             ms.end());
    expired += before - ms.size();
  }
  std::vector<std::string> Pop(int64_t now, size_t count, int64_t lease) {
    Advance(now);
    std::vector<std::string> out;
    while (out.size() < count) {
      M* best = nullptr;
      for (M& m : ms) {
        if (m.place != Place::kReady) continue;
        if (!best || m.priority > best->priority ||
            (m.priority == best->priority && m.seq < best->seq)) {
          best = &m;
        }
      }
      if (!best) break;
      best->deliveries++;
      best->place = Place::kInFlight;
      best->due = now + lease;
      out.push_back(best->id);
    }
    return out;
  }
  size_t Count(Place place) const {
    return static_cast<size_t>(
        std::count_if(ms.begin(), ms.end(), [&](const M& m) { return m.place == place; }));
  }
};

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
  constexpr int kSteps = 100000;
  for (int step = 0; step < kSteps; step++) {
    const int op = static_cast<int>(rng() % 100);
    if (op < 30) {  // push: a generated id, or one of a few named ids (dedup)
      const bool named = rng() % 3 == 0;
      const std::string id = named ? "job-" + std::to_string(rng() % 20) : "";
      const int64_t delay = rng() % 4 == 0 ? static_cast<int64_t>(rng() % 100) : 0;
      const int64_t priority = static_cast<int64_t>(rng() % 3);
      auto r = q.Push(now, "payload", delay, priority, id);
      std::string model_id = named ? id : std::to_string(model.next_id++);
      const bool model_added = model.Find(model_id) == nullptr;
      if (model_added) {
        Model::M m{model_id, "payload", priority, model.seq++, now, 0, 0, Place::kReady};
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
      std::vector<Model::M*> dead;
      for (Model::M& m : model.ms) {
        if (m.place == Place::kDead) dead.push_back(&m);
      }
      std::sort(dead.begin(), dead.end(), [](auto* a, auto* b) {
        return std::tie(a->due, a->seq) < std::tie(b->due, b->seq);
      });
      size_t moved = 0;
      for (Model::M* m : dead) {
        if (moved == count) break;
        m->place = Place::kReady;
        m->deliveries = 0;
        moved++;
      }
      expect(got == moved, "redrive", step);
    } else {  // time passes: a little, or past leases, or past retention
      const int r = static_cast<int>(rng() % 100);
      now += r < 90 ? static_cast<int64_t>(rng() % 20) : r < 99 ? 60 : 6000;
    }
    // After every step: the same messages in the same places, each in exactly one.
    q.Advance(now);
    model.Advance(now);
    expect(q.size() == model.ms.size(), "size", step);
    expect(q.ready() == model.Count(Place::kReady) && q.delayed() == model.Count(Place::kDelayed) &&
               q.in_flight() == model.Count(Place::kInFlight) &&
               q.dead() == model.Count(Place::kDead),
           "counts per place", step);
    expect(q.ready() + q.delayed() + q.in_flight() + q.dead() == q.size(),
           "every message in exactly one place", step);
    if (step % 97 == 0) {  // the full comparison now and then: O(n) per message
      for (const Model::M& m : model.ms) {
        const auto got = q.Find(m.id);
        expect(got && got->place == m.place && got->deliveries == m.deliveries &&
                   (m.place == Place::kReady || got->due_ms == m.due),
               "message " + m.id, step);
      }
    }
  }
  INFO(first_mismatch);
  CHECK(mismatches == 0);
  const auto& st = q.stats();
  INFO("pushed " << st.pushed << " acked " << st.acked << " dead " << st.dead_lettered
                 << " redelivered " << st.redelivered << " expired " << st.expired << " dedup "
                 << st.deduplicated << " redriven " << st.redriven);
  // The run exercised every path.
  CHECK(q.stats().acked > 1000);
  CHECK(q.stats().dead_lettered > 100);
  CHECK(q.stats().redelivered > 1000);
  CHECK(q.stats().expired > 100);
  CHECK(q.stats().deduplicated > 100);
  CHECK(q.stats().redriven > 10);
}
