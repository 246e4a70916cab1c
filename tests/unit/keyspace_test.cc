// The keyspace with a manual clock: expiry (lazy and the active cycle), typed values, memory
// accounting, rename, dump/restore, the listener WATCH relies on, and LFU counters.
#include "daemon/keyspace.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "daemon/clock.h"
#include "daemon/family_state.h"

using pylon::daemon::Clock;
using pylon::daemon::Entry;
using pylon::daemon::FamilyStates;
using pylon::daemon::KeyRef;
using pylon::daemon::Keyspace;
using pylon::daemon::KeyspaceListener;
using pylon::daemon::Lookup;
using pylon::daemon::RestoredValue;
using pylon::daemon::Ttl;
using pylon::daemon::Value;
using pylon::daemon::ValueType;

namespace {

// A stand-in for a family's type: a counter with a payload of its decimal digits.
class Counter final : public Value {
 public:
  static const ValueType kType;
  explicit Counter(int64_t n) : n(n) {}
  const ValueType& type() const override { return kType; }
  std::string_view Encoding() const override { return "counter"; }
  size_t MemoryUsage() const override { return sizeof(*this) + extra; }
  void Dump(std::string* out) const override { out->append(std::to_string(n)); }
  int64_t n;
  size_t extra = 0;
};
const ValueType Counter::kType = {
    200, "counter", [](std::string_view payload, FamilyStates&, RestoredValue* out) {
      if (payload.empty()) return false;
      out->object = std::make_unique<Counter>(std::stoll(std::string(payload)));
      return true;
    }};

// A stand-in for a type kept as bytes inside its entry: exactly 8 bytes; its dump is the bytes
// reversed (so a test sees that the type's functions ran).
const ValueType kEightBytes = {
    201, "eight",
    [](std::string_view payload, FamilyStates&, RestoredValue* out) {
      if (payload.size() != 8) return false;
      out->bytes.assign(payload.rbegin(), payload.rend());
      return true;
    },
    [](std::string_view bytes) -> std::string_view { return bytes[0] == 'x' ? "x-form" : "other"; },
    [](std::string_view bytes, std::string* out) { out->append(bytes.rbegin(), bytes.rend()); }};

void Set(Keyspace& ks, std::string_view key, std::string_view value, Ttl ttl = Ttl::Clear()) {
  KeyRef ref = ks.Locate(key, Lookup::kWrite);
  ks.SetString(ref, value, pylon::daemon::EncodingFor(value), ttl);
}

struct Recorder : KeyspaceListener {
  std::vector<std::string> modified;
  int flushes = 0;
  void KeyModified(std::string_view key) override { modified.emplace_back(key); }
  void BeforeFlush() override { flushes++; }
};

}  // namespace

TEST_CASE("a key with PX 100 is there at 100 ms and gone at 101", "[keyspace][expiry]") {
  Clock clock(true);
  Keyspace ks(clock);
  Set(ks, "k", "v", Ttl::At(clock.NowMs() + 100));
  CHECK(ks.volatile_count() == 1);
  clock.Advance(99'000);
  REQUIRE(ks.Find("k", Lookup::kRead));
  clock.Advance(1'000);
  REQUIRE(ks.Find("k", Lookup::kRead));  // expired only once the clock is past its time
  clock.Advance(1'000);
  CHECK(ks.Find("k", Lookup::kRead) == nullptr);
  CHECK(ks.size() == 0);
  CHECK(ks.volatile_count() == 0);
  CHECK(ks.stats().expired_keys == 1);
  CHECK(ks.stats().hits == 2);
  CHECK(ks.stats().misses == 1);
}

TEST_CASE("a peek sees an expired key without deleting it", "[keyspace][expiry]") {
  Clock clock(true);
  Keyspace ks(clock);
  Set(ks, "k", "v", Ttl::At(clock.NowMs() + 5));
  clock.Advance(6'000);
  const Entry* e = ks.Find("k", Lookup::kPeek);
  REQUIRE(e);
  CHECK(e->ExpiredAt(clock.NowMs()));
  CHECK(ks.size() == 1);
  CHECK(ks.Find("k", Lookup::kExpire) == nullptr);
  CHECK(ks.size() == 0);
}

TEST_CASE("the active cycle deletes expired keys nobody reads, and only those",
          "[keyspace][expiry]") {
  Clock clock(true);
  Keyspace ks(clock);
  for (int i = 0; i < 1000; i++) Set(ks, "t" + std::to_string(i), "v", Ttl::At(clock.NowMs() + i));
  for (int i = 0; i < 1000; i++) Set(ks, "p" + std::to_string(i), "v");
  CHECK(ks.AverageTtlMs() == 499);  // mean of 0..999 ms
  ks.ActiveExpireCycle(1'000'000);
  CHECK(ks.size() == 2000);  // nothing has expired yet: one sample, then it stops
  clock.Advance(1'000'000);
  ks.ActiveExpireCycle(10'000'000);
  CHECK(ks.size() == 1000);
  CHECK(ks.volatile_count() == 0);
  CHECK(ks.stats().expired_keys == 1000);
  CHECK(ks.stats().expired_stale_perc > 0);
  for (int i = 0; i < 1000; i += 37) CHECK(ks.Find("p" + std::to_string(i), Lookup::kPeek));
}

TEST_CASE("the active cycle stops early when few sampled keys are expired", "[keyspace][expiry]") {
  Clock clock(true);
  Keyspace ks(clock);
  for (int i = 0; i < 10000; i++) {
    Set(ks, "k" + std::to_string(i), "v", Ttl::At(clock.NowMs() + (i < 10 ? 1 : 1000000)));
  }
  clock.Advance(2'000);
  ks.ActiveExpireCycle(10'000'000);
  // Ten expired among 10000: a sample of 20 finds at most a few, under the 10% that
  // justifies another round, so most stay for lazy expiry or a later cycle.
  CHECK(ks.size() > 9990);
}

TEST_CASE("expiry can be set, changed and removed without touching the value",
          "[keyspace][expiry]") {
  Clock clock(true);
  Keyspace ks(clock);
  const std::string value(100, 'x');
  Set(ks, "key", value);
  KeyRef ref = ks.Locate("key", Lookup::kWrite);
  ks.SetExpire(ref, clock.NowMs() + 1000);
  CHECK(ref.entry->expire_ms() == clock.NowMs() + 1000);
  CHECK(ref.entry->key() == "key");
  CHECK(ref.entry->string() == value);
  ks.SetExpire(ref, clock.NowMs() + 5);
  CHECK(ks.volatile_count() == 1);
  CHECK(ks.Persist(ref));
  CHECK_FALSE(ks.Persist(ref));
  CHECK(ref.entry->expire_ms() == -1);
  CHECK(ref.entry->string() == value);
  CHECK(ks.volatile_count() == 0);
  clock.Advance(10'000);
  CHECK(ks.Find("key", Lookup::kRead));
  // KEEPTTL keeps it, a plain SET clears it.
  ref = ks.Locate("key", Lookup::kWrite);
  ks.SetExpire(ref, clock.NowMs() + 50);
  Set(ks, "key", "short", Ttl::Keep());
  CHECK(ks.Find("key", Lookup::kPeek)->expire_ms() == clock.NowMs() + 50);
  Set(ks, "key", "other");
  CHECK(ks.Find("key", Lookup::kPeek)->expire_ms() == -1);
  CHECK(ks.volatile_count() == 0);
}

TEST_CASE("strings grow in place with zero fill and report Redis's encodings", "[keyspace]") {
  Clock clock(true);
  Keyspace ks(clock);
  CHECK(pylon::daemon::EncodingFor("12345") == Entry::Encoding::kInt);
  CHECK(pylon::daemon::EncodingFor("-9223372036854775808") == Entry::Encoding::kInt);
  CHECK(pylon::daemon::EncodingFor("012") == Entry::Encoding::kEmbstr);
  CHECK(pylon::daemon::EncodingFor(std::string(44, 'a')) == Entry::Encoding::kEmbstr);
  CHECK(pylon::daemon::EncodingFor(std::string(45, 'a')) == Entry::Encoding::kRaw);
  KeyRef ref = ks.Locate("s", Lookup::kWrite);
  char* bytes = ks.ResizeString(ref, 3);
  std::memcpy(bytes, "abc", 3);
  CHECK(ref.entry->encoding() == Entry::Encoding::kRaw);
  for (int i = 0; i < 1000; i++) bytes = ks.ResizeString(ref, ref.entry->string().size() + 10);
  CHECK(ref.entry->string().size() == 10003);
  CHECK(ref.entry->string().substr(0, 4) == std::string_view("abc\0", 4));
  CHECK(ks.Find("s", Lookup::kPeek)->string() == ref.entry->string());
}

TEST_CASE("memory is accounted per entry and value, and returns to zero", "[keyspace][memory]") {
  Clock clock(true);
  Keyspace ks(clock);
  CHECK(ks.dataset_bytes() == 0);
  Set(ks, "key:000000000001", "0123456789abcdef");
  const size_t one = ks.dataset_bytes();
  CHECK(one >= 24 + 16 + 16);
  CHECK(one <= 64);  // one allocation: header, key and value together
  CHECK(ks.MemoryUsage(*ks.Find("key:000000000001", Lookup::kPeek)) == one + sizeof(void*));
  KeyRef ref = ks.Locate("c", Lookup::kWrite);
  auto counter = std::make_unique<Counter>(7);
  Counter* raw = counter.get();
  ks.SetObject(ref, std::move(counter), Ttl::Clear());
  const size_t with_object = ks.dataset_bytes();
  raw->extra = 1000;
  ref = ks.Locate("c", Lookup::kWrite);
  ks.Modified(ref);
  CHECK(ks.dataset_bytes() == with_object + 1000);
  ref = ks.Locate("k2", Lookup::kWrite);
  ks.SetExpire(ref = ks.Locate("key:000000000001", Lookup::kWrite), clock.NowMs() + 10);
  ks.Persist(ref);
  CHECK(ks.Clear() == 2);
  CHECK(ks.dataset_bytes() == 0);
}

TEST_CASE("typed values: TYPE names, rename moves them with their TTL", "[keyspace]") {
  Clock clock(true);
  Keyspace ks(clock);
  KeyRef ref = ks.Locate("a", Lookup::kWrite);
  ks.SetObject(ref, std::make_unique<Counter>(42), Ttl::At(clock.NowMs() + 500));
  CHECK(ref.entry->type().name == "counter");
  CHECK_FALSE(ref.entry->is_string());
  Set(ks, "b", "old");
  CHECK(ks.Rename("a", "b", true) == Keyspace::RenameResult::kTargetExists);
  CHECK(ks.Rename("a", "b", false) == Keyspace::RenameResult::kRenamed);
  CHECK(ks.Rename("a", "c", false) == Keyspace::RenameResult::kNoSuchKey);
  const Entry* b = ks.Find("b", Lookup::kPeek);
  REQUIRE(b);
  CHECK(static_cast<Counter*>(b->object())->n == 42);
  CHECK(b->expire_ms() == clock.NowMs() + 500);
  CHECK(ks.size() == 1);
  CHECK(ks.volatile_count() == 1);
  // Replacing an object with a string frees the object (ASan would see a leak otherwise).
  Set(ks, "b", "now a string");
  CHECK(ks.Find("b", Lookup::kPeek)->type().name == "string");
}

TEST_CASE("dump and restore round-trip strings and registered types", "[keyspace][dump]") {
  FamilyStates states;
  Clock clock(true);
  Keyspace ks(clock);
  pylon::daemon::RegisterValueType(Counter::kType);
  Set(ks, "s", std::string("bin\0ary", 7));
  KeyRef ref = ks.Locate("c", Lookup::kWrite);
  ks.SetObject(ref, std::make_unique<Counter>(-5), Ttl::Clear());
  for (const char* key : {"s", "c"}) {
    std::string dump;
    Keyspace::Dump(*ks.Find(key, Lookup::kPeek), &dump);
    RestoredValue restored;
    REQUIRE(Keyspace::Restore(dump, states, &restored));
    const std::string copy_name = std::string(key) + "2";  // a KeyRef views its key
    KeyRef copy = ks.Locate(copy_name, Lookup::kWrite);
    ks.SetRestored(copy, std::move(restored), Ttl::Clear());
  }
  CHECK(ks.Find("s2", Lookup::kPeek)->bytes() == std::string("bin\0ary", 7));
  CHECK(static_cast<Counter*>(ks.Find("c2", Lookup::kPeek)->object())->n == -5);
  RestoredValue bad;
  CHECK_FALSE(Keyspace::Restore("", states, &bad));
  CHECK_FALSE(Keyspace::Restore(std::string("\x02\x00", 2), states, &bad));  // unknown version
  CHECK_FALSE(Keyspace::Restore(std::string("\x01\x63", 2), states, &bad));  // unknown type
  CHECK_FALSE(Keyspace::Restore(std::string("\x01\xc8", 2), states, &bad));  // corrupt payload
}

TEST_CASE("the listener hears of every change, expiry included, and of flushes",
          "[keyspace][watch]") {
  Clock clock(true);
  Keyspace ks(clock);
  Recorder rec;
  ks.set_listener(&rec);
  Set(ks, "a", "1", Ttl::At(clock.NowMs() + 10));
  Set(ks, "b", "2");
  CHECK(ks.Rename("b", "c", false) == Keyspace::RenameResult::kRenamed);
  KeyRef ref = ks.Locate("c", Lookup::kWrite);
  ks.Delete(ref);
  CHECK(ks.Find("missing", Lookup::kRead) == nullptr);  // a miss changes nothing
  clock.Advance(11'000);
  ks.Find("a", Lookup::kRead);
  CHECK(rec.modified == std::vector<std::string>{"a", "b", "c", "b", "c", "a"});
  ks.Clear();
  CHECK(rec.flushes == 1);
}

TEST_CASE("LFU counters start at 5, grow logarithmically and decay per idle minute",
          "[keyspace][lfu]") {
  Clock clock(true);
  Keyspace ks(clock);
  ks.SetLfu(true, 10, 1);
  Set(ks, "k", "v");
  CHECK(ks.Frequency(*ks.Find("k", Lookup::kPeek)) == 5);
  for (int i = 0; i < 1000; i++) ks.Find("k", Lookup::kRead);
  const uint8_t hot = ks.Frequency(*ks.Find("k", Lookup::kPeek));
  CHECK(hot > 5);
  CHECK(hot < 40);  // log factor 10: a thousand hits are worth a few dozen at most
  clock.Advance(int64_t{3} * 60'000'000);
  CHECK(ks.Frequency(*ks.Find("k", Lookup::kPeek)) == hot - 3);
  ks.SetLfu(false, 10, 1);
  ks.Find("k", Lookup::kRead);
  clock.Advance(int64_t{42} * 1'000'000);
  CHECK(ks.IdleSeconds(*ks.Find("k", Lookup::kPeek)) == 42);
}

TEST_CASE("bytes values: typed, rewritten in place, renamed, dumped", "[keyspace][bytes]") {
  FamilyStates states;
  Clock clock(true);
  Keyspace ks(clock);
  pylon::daemon::RegisterValueType(kEightBytes);
  KeyRef ref = ks.Locate("b", Lookup::kWrite);
  Entry* first = ks.SetBytes(ref, kEightBytes, "x1234567", Ttl::At(clock.NowMs() + 100));
  CHECK(first->kind() == Entry::Kind::kBytes);
  CHECK(first->type().name == "eight");
  CHECK(pylon::daemon::ObjectEncoding(*first) == "x-form");
  CHECK(first->bytes() == "x1234567");
  CHECK(first->expire_ms() == clock.NowMs() + 100);
  const size_t bytes_one = ks.dataset_bytes();
  CHECK(ks.MemoryUsage(*first) == bytes_one + sizeof(void*));  // no object beside the entry

  // Same size, same TTL state: the entry is rewritten where it is, and the TTL moves.
  ref = ks.Locate("b", Lookup::kWrite);
  Entry* second = ks.SetBytes(ref, kEightBytes, "y7654321", Ttl::At(clock.NowMs() + 300));
  CHECK(second == first);
  CHECK(second->bytes() == "y7654321");
  CHECK(pylon::daemon::ObjectEncoding(*second) == "other");
  CHECK(second->expire_ms() == clock.NowMs() + 300);
  CHECK(ks.volatile_count() == 1);
  CHECK(ks.dataset_bytes() == bytes_one);

  CHECK(ks.Rename("b", "c", false) == Keyspace::RenameResult::kRenamed);
  const Entry* c = ks.Find("c", Lookup::kPeek);
  REQUIRE(c);
  CHECK(c->type().name == "eight");
  CHECK(c->bytes() == "y7654321");
  CHECK(c->expire_ms() == clock.NowMs() + 300);

  std::string dump;
  Keyspace::Dump(*c, &dump);
  CHECK(dump.substr(2) == "1234567y");  // the type's dump_bytes wrote it
  RestoredValue restored;
  REQUIRE(Keyspace::Restore(dump, states, &restored));
  CHECK(restored.type == &kEightBytes);
  CHECK(restored.object == nullptr);
  KeyRef d = ks.Locate("d", Lookup::kWrite);
  ks.SetRestored(d, std::move(restored), Ttl::Clear());
  CHECK(ks.Find("d", Lookup::kPeek)->bytes() == "y7654321");
  CHECK(ks.Find("d", Lookup::kPeek)->type().name == "eight");
  CHECK_FALSE(
      Keyspace::Restore(dump.substr(0, 5), states, &restored));  // a short payload is corrupt

  // A string over a bytes value and back: the kind follows the write.
  Set(ks, "d", "12345678");
  CHECK(ks.Find("d", Lookup::kPeek)->type().name == "string");
  CHECK(pylon::daemon::ObjectEncoding(*ks.Find("d", Lookup::kPeek)) == "int");
  d = ks.Locate("d", Lookup::kWrite);
  ks.SetBytes(d, kEightBytes, "x0000000", Ttl::Clear());
  CHECK(ks.Find("d", Lookup::kPeek)->type().name == "eight");
  CHECK(ks.Clear() == 2);
  CHECK(ks.dataset_bytes() == 0);
}

TEST_CASE(
    "eviction: the policy follows keys that move (overwrite, expiry added or removed, "
    "rename) and evicts the right one",
    "[keyspace][eviction]") {
  Clock clock(true);
  Keyspace ks(clock);
  ks.SetEvictionPolicy("allkeys-lru", true);
  for (const char* k : {"a", "b", "c", "d"}) Set(ks, k, "v");
  ks.Find("a", Lookup::kRead);  // a is now the most recently used
  // b gains an expiry: its entry is reallocated; the policy must follow it.
  KeyRef b = ks.Locate("b", Lookup::kWrite);
  ks.SetExpire(b, clock.NowMs() + 100000);
  Set(ks, "c", "a longer value than before, so the entry is replaced");  // an access
  CHECK(ks.Rename("d", "e", false) == Keyspace::RenameResult::kRenamed);
  // Least recently used first: every lookup for a write is an access (as Redis's lookupKeyWrite),
  // so after a's read come b's expiry, c's overwrite and d's rename, each under its new place.
  std::vector<std::string> order;
  while (ks.size() > 0) {
    std::vector<std::string> before;
    ks.ForEach([&](Entry* e) { before.emplace_back(e->key()); });
    REQUIRE(ks.EvictOne());
    for (const std::string& k : before) {
      if (!ks.Find(k, Lookup::kPeek)) order.push_back(k);
    }
  }
  CHECK(order == std::vector<std::string>{"a", "b", "c", "e"});
  CHECK_FALSE(ks.EvictOne());
  CHECK(ks.stats().evicted_keys == 4);

  // volatile-*: only keys with a TTL are candidates.
  ks.SetEvictionPolicy("volatile-lru", true);
  Set(ks, "keep", "v");
  Set(ks, "tmp", "v", Ttl::At(clock.NowMs() + 100000));
  KeyRef keep = ks.Locate("keep", Lookup::kWrite);
  ks.SetExpire(keep, clock.NowMs() + 100000);  // now a candidate
  KeyRef tmp = ks.Locate("tmp", Lookup::kWrite);
  CHECK(ks.Persist(tmp));  // no longer one
  REQUIRE(ks.EvictOne());
  CHECK(ks.Find("keep", Lookup::kPeek) == nullptr);
  CHECK_FALSE(ks.EvictOne());
  CHECK(ks.Find("tmp", Lookup::kPeek) != nullptr);
  // Switching policies keeps every key tracked by the new one.
  ks.SetEvictionPolicy("allkeys-s3fifo", true);
  CHECK(ks.EvictOne());
  CHECK(ks.size() == 0);
}
