// maxmemory over real sockets: writing three times the limit keeps used_memory at the limit
// (within one write: eviction runs before each command, as Redis's) under every policy; the exact
// LRU keeps exactly the keys used last; noeviction refuses writes with Redis's -OOM error and
// still serves reads; volatile-* evicts only keys with a TTL; queues are never evicted.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "harness.h"

namespace pylon::e2e {
namespace {

constexpr int64_t kMaxmemory = 8 * 1024 * 1024;
constexpr size_t kValue = 1000;
const std::string kOom = "OOM command not allowed when used memory > 'maxmemory'.";

int64_t Info(const Connection& c, const char* section, std::string_view field) {
  Reply info = Command(c, {"INFO", section});
  REQUIRE(info.type == Reply::Type::kBulk);
  return std::stoll(InfoField(info.str, field).value_or("-1"));
}

// SETs `count` keys prefix0.. of kValue bytes, pipelined; returns how many were refused (OOM).
int WriteKeys(const Connection& c, const std::string& prefix, int count, bool ttl = false) {
  const std::string value(kValue, 'v');
  int refused = 0;
  for (int base = 0; base < count; base += 500) {
    const int n = std::min(500, count - base);
    for (int i = 0; i < n; i++) {
      std::vector<std::string> cmd = {"SET", prefix + std::to_string(base + i), value};
      if (ttl) cmd.insert(cmd.end(), {"PX", "100000000"});
      Append(c, cmd);
    }
    for (int i = 0; i < n; i++) {
      Reply r = GetReply(c);
      if (r.is_error()) {
        REQUIRE(r.str == kOom);
        refused++;
      }
    }
  }
  return refused;
}

TEST_CASE(
    "maxmemory: three times the limit written, used_memory stays at the limit, by every "
    "policy",
    "[maxmemory]") {
  for (const char* policy :
       {"allkeys-lru", "allkeys-lfu", "allkeys-sieve", "allkeys-s3fifo", "allkeys-random",
        "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "volatile-s3fifo"}) {
    INFO(policy);
    PylonServer server({"--maxmemory", std::to_string(kMaxmemory), "--maxmemory-policy", policy});
    auto c = server.Connect();
    const bool ttl = std::string_view(policy).starts_with("volatile-");
    // A queue is never evicted, whatever the policy.
    REQUIRE(Command(c, {"Q.PUSH", "jobs", "keep me"}).type == Reply::Type::kBulk);
    CHECK(WriteKeys(c, "k", static_cast<int>(3 * kMaxmemory / kValue), ttl) == 0);
    const int64_t used = Info(c, "memory", "used_memory");
    // The slack: eviction runs before a command, so the last write may stand over the limit.
    CHECK(used <= kMaxmemory + 2 * static_cast<int64_t>(kValue) + 512);
    CHECK(used > kMaxmemory / 2);  // the limit is used, not emptied
    CHECK(Info(c, "stats", "evicted_keys") > 0);
    CHECK(Command(c, {"Q.LEN", "jobs"}) == Reply::Int(1));
    CHECK(Info(c, "memory", "maxmemory") == kMaxmemory);
  }
}

TEST_CASE("maxmemory: hashes, lists, sets and sorted sets are evicted by every allkeys policy",
          "[maxmemory]") {
  for (const char* policy :
       {"allkeys-lru", "allkeys-lfu", "allkeys-sieve", "allkeys-s3fifo", "allkeys-random"}) {
    INFO(policy);
    PylonServer server({"--maxmemory", std::to_string(kMaxmemory), "--maxmemory-policy", policy});
    auto c = server.Connect();
    // Three times the limit in collections of ~1 KB, each grown by several writes, so that the
    // accounting follows a value as it changes, not only when it is made.
    const std::string member(100, 'm');
    const int keys = static_cast<int>(3 * kMaxmemory / 1000);
    const char* kinds[][2] = {{"HSET", "h"}, {"RPUSH", "l"}, {"SADD", "s"}, {"ZADD", "z"}};
    for (int i = 0; i < keys; i++) {
      const auto& [command, prefix] = kinds[i % 4];
      const std::string key = prefix + std::to_string(i);
      for (int j = 0; j < 8; j++) {
        const std::string element = member + std::to_string(j);
        std::vector<std::string> args = {command, key};
        if (prefix[0] == 'h') args.push_back(element);
        if (prefix[0] == 'z') args.push_back(std::to_string(j));
        args.push_back(element);
        Append(c, args);
      }
    }
    for (int i = 0; i < keys * 8; i++) {
      const Reply r = GetReply(c);
      REQUIRE(r.type == Reply::Type::kInteger);
    }
    const int64_t used = Info(c, "memory", "used_memory");
    CHECK(used <= kMaxmemory + 64 * 1024);
    CHECK(used > kMaxmemory / 2);
    CHECK(Info(c, "stats", "evicted_keys") > 0);
    // Every type is still there and some of each went.
    for (const auto& kind : kinds) {
      int present = 0;
      for (int i = 0; i < keys; i++) {
        if (std::string(kinds[i % 4][1]) != kind[1]) continue;
        present += Command(c, {"EXISTS", kind[1] + std::to_string(i)}).integer;
      }
      CHECK(present > 0);
      CHECK(present < keys / 4);
    }
  }
}

TEST_CASE("maxmemory: the exact LRU keeps the keys read last", "[maxmemory]") {
  PylonServer server(
      {"--maxmemory", std::to_string(kMaxmemory), "--maxmemory-policy", "allkeys-lru"});
  auto c = server.Connect();
  WriteKeys(c, "old", 4000);
  // Read 200 of the old keys: they become the most recently used.
  for (int i = 0; i < 200; i++) {
    REQUIRE(Command(c, {"GET", "old" + std::to_string(i * 7)}).type == Reply::Type::kBulk);
  }
  WriteKeys(c, "new", 5000);  // evicts about 5000 keys: all unread old ones go first
  int kept = 0;
  for (int i = 0; i < 200; i++) {
    kept += Command(c, {"EXISTS", "old" + std::to_string(i * 7)}).integer;
  }
  CHECK(kept == 200);
  CHECK(Command(c, {"EXISTS", "old1"}) == Reply::Int(0));  // never read: evicted
  // OBJECT IDLETIME reads the policy's clock for the keys it tracks.
  Command(c, {"GET", "new4999"});
  Command(c, {"TESTCLOCK", "ADVANCE", "42000"});
  CHECK(Command(c, {"OBJECT", "IDLETIME", "new4999"}) == Reply::Int(42));
}

TEST_CASE("maxmemory: noeviction refuses writes with -OOM, serves reads and deletes",
          "[maxmemory]") {
  PylonServer server(
      {"--maxmemory", std::to_string(kMaxmemory), "--maxmemory-policy", "noeviction"});
  auto c = server.Connect();
  const int refused = WriteKeys(c, "k", static_cast<int>(2 * kMaxmemory / kValue));
  CHECK(refused > 0);
  CHECK(Info(c, "stats", "evicted_keys") == 0);
  CHECK(Command(c, {"GET", "k0"}).type == Reply::Type::kBulk);
  CHECK(Command(c, {"SET", "one", "more"}) == Reply::Error(kOom));
  CHECK(Command(c, {"Q.PUSH", "jobs", "x"}) == Reply::Error(kOom));
  CHECK(Command(c, {"DEL", "k0", "k1", "k2"}) == Reply::Int(3));  // not denyoom
  // Raising the limit lets writes in again.
  CHECK(Command(c, {"CONFIG", "SET", "maxmemory", "0"}) == Reply::Ok());
  CHECK(Command(c, {"SET", "one", "more"}) == Reply::Ok());
}

TEST_CASE("maxmemory: volatile-* evicts only keys with a TTL, then refuses", "[maxmemory]") {
  PylonServer server(
      {"--maxmemory", std::to_string(kMaxmemory), "--maxmemory-policy", "volatile-lru"});
  auto c = server.Connect();
  WriteKeys(c, "keep", 2000);                   // no TTL: never evicted
  CHECK(WriteKeys(c, "tmp", 8000, true) == 0);  // with a TTL: evicted as needed
  CHECK(Info(c, "stats", "evicted_keys") > 0);
  CHECK(Command(c, {"EXISTS", "keep0"}) == Reply::Int(1));
  CHECK(Command(c, {"EXISTS", "keep1999"}) == Reply::Int(1));
  // Once no key with a TTL is left to evict, writes are refused.
  CHECK(WriteKeys(c, "more", 10000) > 0);
  CHECK(Command(c, {"EXISTS", "keep1999"}) == Reply::Int(1));
  // CONFIG SET switches policy at run time: the keys are tracked by the new one.
  CHECK(Command(c, {"CONFIG", "SET", "maxmemory-policy", "allkeys-s3fifo"}) == Reply::Ok());
  CHECK(WriteKeys(c, "after", 2000) == 0);
}

}  // namespace
}  // namespace pylon::e2e
