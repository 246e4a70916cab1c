// Change logs (daemon/change_recorder.h): a value that logs its operations instead of its dump must
// replay to the same state. A queue driven by random operations over a manual clock (pushes
// with and without ids, delays and priorities, pops, acks, nacks with a random backoff, lease
// ends, extends, redrives, purges, config changes), its operations applied batch by batch to a
// copy read back from its dump, is the original's equal in every field after every batch; a
// scaling Bloom filter dumps byte for byte as its original. Corrupt operations are refused, and the
// rules of when a change recorder records (Start, Stop, StartOver, its size bound) hold.
#include "daemon/change_recorder.h"

#include <catch2/catch.hpp>
#include <random>
#include <sstream>
#include <string>

#include "modules/bloom/bloom_value.h"
#include "modules/queue/queue.h"
#include "modules/queue/varint.h"

namespace pylon {
namespace {

using queue::Queue;
using queue::QueueConfig;

constexpr int64_t T0 = 4102444800000;  // 2100-01-01

uint64_t RngJitter(void* state, uint64_t bound) {
  auto* rng = static_cast<std::mt19937_64*>(state);
  return std::uniform_int_distribution<uint64_t>(0, bound)(*rng);
}

// Everything a queue's interface can tell of its state, as text: its config and counters, the
// ready messages in serving order, the dead letters in death order, and every message any id
// of the test's can name, with each of its fields. (Serialize's bytes are not comparable: the
// messages kept one by one are written in their hash set's order, which depends on history.)
std::string Described(const Queue& q) {
  std::ostringstream out;
  const QueueConfig& c = q.config();
  const queue::QueueStats& s = q.stats();
  out << c.lease_ms << ' ' << c.max_deliver << ' ' << c.backoff_base_ms << ' ' << c.backoff_cap_ms
      << ' ' << c.retention_ms << " | " << s.pushed << ' ' << s.deduplicated << ' ' << s.delivered
      << ' ' << s.acked << ' ' << s.redelivered << ' ' << s.dead_lettered << ' ' << s.redriven
      << ' ' << s.expired << ' ' << s.purged << " | next due " << q.NextDueMs().value_or(-1)
      << "\n";
  auto describe = [&out](const queue::MessageView& m) {
    out << m.id() << ' ' << m.payload << ' ' << m.priority << ' ' << m.pushed_ms << ' ' << m.due_ms
        << ' ' << m.deliveries << ' ' << queue::PlaceName(m.place) << ' ' << m.dead_reason << "\n";
  };
  out << "ready:\n";
  for (const auto& m : q.Peek(q.size())) describe(m);
  out << "dead:\n";
  for (const auto& m : q.Dead(q.size())) describe(m);
  out << "by id:\n";
  for (uint64_t n = 1; n <= s.pushed + 1; n++) {
    if (auto m = q.Find(std::to_string(n))) describe(*m);
  }
  for (int n = 0; n <= 40; n++) {
    if (auto m = q.Find("m" + std::to_string(n))) describe(*m);
  }
  return out.str();
}

// One random operation on q at *now, the clock moved on by a random step.
void RandomOperation(Queue& q, std::mt19937_64& rng, int64_t* now) {
  auto pick = [&rng](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  *now += pick(0, 3) == 0 ? pick(0, 5000) : 0;
  // An id among few, so that pushes collide and acks, nacks and extends find their message.
  const std::string id = pick(0, 2) == 0 ? "" : "m" + std::to_string(pick(0, 40));
  const std::string known = std::to_string(pick(1, 60));
  switch (pick(0, 11)) {
    case 0:
    case 1:
    case 2:
      q.Push(*now, "payload-" + std::to_string(pick(0, 1 << 20)),
             pick(0, 3) == 0 ? pick(1, 4000) : 0, pick(0, 4) == 0 ? pick(-2, 2) : 0, id);
      break;
    case 3:
    case 4:
      q.Pop(*now, static_cast<size_t>(pick(1, 4)), pick(0, 1) ? pick(1, 3000) : 0);
      break;
    case 5:
      q.Ack(pick(0, 1) ? id : known);
      break;
    case 6:
      q.Nack(*now, pick(0, 1) ? id : known,
             pick(0, 1) ? std::optional<int64_t>(pick(0, 2000)) : std::nullopt, RngJitter, &rng);
      break;
    case 7:
      q.Extend(*now, pick(0, 1) ? id : known, pick(1, 5000));
      break;
    case 8:
      q.Advance(*now);
      break;
    case 9:
      q.Redrive(static_cast<size_t>(pick(0, 3)));
      break;
    case 10:
      if (pick(0, 20) == 0) q.Purge(pick(0, 1) == 1);
      break;
    case 11: {
      QueueConfig c = q.config();
      c.lease_ms = pick(100, 3000);
      c.max_deliver = pick(0, 3);
      c.backoff_base_ms = pick(0, 100);
      c.backoff_cap_ms = c.backoff_base_ms + pick(0, 2000);
      c.retention_ms = pick(20000, 200000);
      q.set_config(c);
      break;
    }
  }
}

TEST_CASE("change recorder: a queue's operations replay to the same state, field by field",
          "[change_recorder]") {
  for (uint64_t seed = 1; seed <= 20; seed++) {
    INFO("seed " << seed);
    std::mt19937_64 rng(seed);
    Queue original(QueueConfig{.lease_ms = 1000,
                               .max_deliver = 3,
                               .backoff_base_ms = 10,
                               .backoff_cap_ms = 500,
                               .retention_ms = 60000});
    int64_t now = T0;
    // Some history before the log's base.
    for (int i = 0; i < 50; i++) RandomOperation(original, rng, &now);
    std::string base;
    original.Serialize(&base);
    std::optional<Queue> replica = Queue::Deserialize(base);
    REQUIRE(replica);
    std::string ops;
    for (int batch = 0; batch < 60; batch++) {
      original.set_change_recorder(&ops);
      const int operations = static_cast<int>(rng() % 12);
      for (int i = 0; i < operations; i++) RandomOperation(original, rng, &now);
      original.set_change_recorder(nullptr);
      INFO("batch " << batch << " ops " << ops.size());
      REQUIRE(replica->ApplyChanges(ops));
      ops.clear();
      REQUIRE(Described(*replica) == Described(original));
    }
    CHECK(original.stats().pushed > 0);
    CHECK(original.stats().delivered > 0);
  }
}

TEST_CASE("change recorder: corrupt queue operations are refused", "[change_recorder]") {
  Queue original;
  std::string ops;
  original.set_change_recorder(&ops);
  original.Push(T0, "a", 0, 0);
  original.Pop(T0, 1, 0);
  original.Nack(T0, "1", 50, nullptr, nullptr);
  original.set_change_recorder(nullptr);
  for (size_t cut = 1; cut < ops.size(); cut++) {
    INFO("cut at " << cut);
    Queue replica;
    // A cut inside an operation fails; a cut between operations may replay what came before.
    const bool ok = replica.ApplyChanges(std::string_view(ops).substr(0, cut));
    if (ok) CHECK(replica.stats().pushed == 1);
  }
  Queue fresh;
  CHECK_FALSE(fresh.ApplyChanges(std::string(1, '\x7f')));  // no such operation
  // An ack of a message that is not in flight: the state is not the one the ops came from.
  Queue other;
  std::string ack;
  other.Push(T0, "a", 0, 0);
  other.Pop(T0, 1, 0);
  other.set_change_recorder(&ack);
  REQUIRE(other.Ack("1"));
  other.set_change_recorder(nullptr);
  CHECK_FALSE(fresh.ApplyChanges(ack));
  Queue full;
  full.Push(T0, "a", 0, 0);
  full.Pop(T0, 1, 0);
  CHECK(full.ApplyChanges(ack));
  CHECK(full.size() == 0);
  // Times and durations past what a command can record (a damaged log) are refused before
  // any arithmetic on them: a push at 2^63 - 1, a lease of 2^62.
  for (const auto& [now, lease] :
       {std::pair<int64_t, int64_t>{INT64_MAX, 0}, {-1, 0}, {T0, int64_t{1} << 62}, {T0, -5}}) {
    INFO(now << " " << lease);
    Queue source;
    std::string bad;
    source.Push(T0, "a", 0, 0);
    source.set_change_recorder(&bad);
    source.Pop(now == INT64_MAX || now < 0 ? T0 : now, 1, 1000);
    source.set_change_recorder(nullptr);
    // Rewrite the pop's numbers: [op][now][count][lease] as zigzag varints.
    std::string forged(1, bad[0]);
    for (const int64_t v : {now, int64_t{1}, lease}) {
      queue::AppendVarint(&forged,
                          (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
    }
    Queue replica;
    replica.Push(T0, "a", 0, 0);
    CHECK_FALSE(replica.ApplyChanges(forged));
  }
}

TEST_CASE("change recorder: a Bloom filter's adds replay to the same bits, scaling included",
          "[change_recorder]") {
  daemon::ChangeRecorder::StartOver();
  bloom::BloomStats stats;
  bloom::BloomValue original(
      stats, bloom::BloomFilter({.error = 0.01, .capacity = 100, .expansion = 2, .scaling = true}));
  std::string dump;
  original.Dump(&dump);
  bloom::BloomValue replica(stats, *bloom::BloomFilter::Restore(dump));
  original.change_recorder()->Start();
  std::string ops;
  for (int batch = 0; batch < 20; batch++) {
    for (int i = 0; i < 50; i++) original.Add("item-" + std::to_string(batch * 50 + i % 40));
    ops.clear();
    REQUIRE(original.change_recorder()->Take(&ops));
    CHECK(ops.size() % 16 == 0);
    REQUIRE(replica.ApplyChanges(ops));
    std::string a, b;
    original.Dump(&a);
    replica.Dump(&b);
    REQUIRE(a == b);
  }
  CHECK(original.filter().filters().size() > 1);  // it scaled along the way
  CHECK_FALSE(replica.ApplyChanges("short"));
  CHECK_FALSE(replica.ApplyChanges(ops));  // already added: not the state the ops came from
}

TEST_CASE("change recorder: records from Start until Stop, StartOver or its size bound",
          "[change_recorder]") {
  daemon::ChangeRecorder log;
  std::string out;
  CHECK(log.recording() == nullptr);
  CHECK_FALSE(log.Take(&out));
  log.Start();
  REQUIRE(log.recording() != nullptr);
  log.recording()->append("ab");
  CHECK(log.Take(&out));
  CHECK(out == "ab");
  CHECK(log.Take(&out));  // nothing new: an empty change, still recording
  CHECK(out == "ab");
  log.recording()->append("c");
  log.Stop();
  CHECK(log.recording() == nullptr);
  CHECK(log.bytes() == 0);
  log.Start();
  daemon::ChangeRecorder::StartOver();  // a rewrite: every value logs its dump next
  CHECK(log.recording() == nullptr);
  log.Start();
  log.recording()->append(std::string(daemon::ChangeRecorder::kMaxBytes + 1, 'x'));
  CHECK(log.recording() == nullptr);  // past the bound: the dump is the smaller record
  CHECK_FALSE(log.Take(&out));

  // A value of 8 MB records up to its own size in one turn before its dump is the smaller.
  log.set_value_bytes(size_t{8} << 20);
  log.Start();
  log.recording()->append(std::string(size_t{4} << 20, 'x'));
  CHECK(log.recording() != nullptr);
  log.recording()->append(std::string(size_t{4} << 20, 'x'));
  CHECK(log.recording() != nullptr);  // exactly its size
  log.recording()->append("x");
  CHECK(log.recording() == nullptr);
  // A small value keeps the common bound.
  log.set_value_bytes(100);
  log.Start();
  log.recording()->append(std::string(daemon::ChangeRecorder::kMaxBytes, 'x'));
  CHECK(log.recording() != nullptr);
}

}  // namespace
}  // namespace pylon
