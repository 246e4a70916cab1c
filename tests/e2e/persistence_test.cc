// The append-only log over real restarts: every value type comes back after SHUTDOWN (and after
// SIGTERM), expired and deleted keys stay gone, a torn tail is cut and the rest loads, a corrupt
// middle refuses to start unless aof-load-corrupt yes, and CONFIG SET appendonly yes on a
// running server logs what it already holds.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "harness.h"

namespace pylon::e2e {
namespace {

ServerOptions Persistent(const TempDir& dir, std::vector<std::string> more = {}) {
  ServerOptions o;
  o.args = {"--appendonly", "yes", "--dir", dir.path(), "--appendfsync", "always"};
  o.args.insert(o.args.end(), more.begin(), more.end());
  o.wait_loaded = true;
  return o;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void AppendToFile(const std::string& path, std::string_view bytes) {
  std::ofstream(path, std::ios::binary | std::ios::app) << bytes;
}

int64_t InfoInt(const Connection& c, std::string_view field) {
  return std::stoll(InfoField(Command(c, {"INFO", "persistence"}).str, field).value_or("-1"));
}

// One value of every type, and a few deletions and expiries.
void Fill(const Connection& c) {
  REQUIRE(Command(c, {"SET", "str", "v1"}) == Reply::Ok());
  REQUIRE(Command(c, {"SET", "ttl", "v", "PX", "100000"}) == Reply::Ok());
  REQUIRE(Command(c, {"SET", "gone", "v"}) == Reply::Ok());
  REQUIRE(Command(c, {"DEL", "gone"}) == Reply::Int(1));
  REQUIRE(Command(c, {"SET", "short", "v", "PX", "10"}) == Reply::Ok());
  REQUIRE(Command(c, {"INCR", "counter"}) == Reply::Int(1));
  REQUIRE(Command(c, {"RL.ALLOW", "rl", "LIMIT", "10", "PERIOD", "60000"}).type ==
          Reply::Type::kArray);
  REQUIRE(Command(c, {"Q.PUSH", "jobs", "a"}) == Reply::Bulk("1"));
  REQUIRE(Command(c, {"Q.PUSH", "jobs", "b"}) == Reply::Bulk("2"));
  REQUIRE(Command(c, {"Q.POP", "jobs", "LEASE", "60000"}).type == Reply::Type::kArray);
  REQUIRE(Command(c, {"CACHE.SET", "page", "<html>", "TTL", "60000", "TAGS", "1", "pages"}) ==
          Reply::Ok());
  REQUIRE(Command(c, {"BF.ADD", "seen", "x"}) == Reply::Int(1));
  REQUIRE(Command(c, {"RING.ADD", "ring", "n1", "n2", "WEIGHT", "3"}) == Reply::Int(2));
  REQUIRE(Command(c, {"EXP.DEFINE", "exp", "VARIANTS", "a", "1", "b", "1"}) == Reply::Ok());
  REQUIRE(Command(c, {"CB.ALLOW", "cb"}).type == Reply::Type::kArray);
  REQUIRE(Command(c, {"CB.RECORD", "cb", "FAILURE"}).type == Reply::Type::kBulk);
  REQUIRE(Command(c, {"SEM.ACQUIRE", "sem", "LIMIT", "2"}).type == Reply::Type::kBulk);
  REQUIRE(Command(c, {"IDEM.BEGIN", "idem", "FINGERPRINT", "f"}).type == Reply::Type::kArray);
  REQUIRE(Command(c, {"IDEM.COMPLETE", "idem", "response"}) == Reply::Ok());
  REQUIRE(Command(c, {"RETRY.NEXT", "retry"}).type == Reply::Type::kArray);
  REQUIRE(Command(c, {"TESTCLOCK", "ADVANCE", "20"}).type == Reply::Type::kInteger);
  REQUIRE(Command(c, {"GET", "short"}) == Reply::Nil());  // expired, and deleted by this read
}

// What Fill left, as the restarted server must answer it.
void CheckFilled(const Connection& c) {
  CHECK(Command(c, {"GET", "str"}) == Reply::Bulk("v1"));
  CHECK(Command(c, {"PTTL", "ttl"}).integer > 0);
  CHECK(Command(c, {"EXISTS", "gone", "short"}) == Reply::Int(0));
  CHECK(Command(c, {"GET", "counter"}) == Reply::Bulk("1"));
  CHECK(Command(c, {"TYPE", "rl"}) == Reply::Status("ratelimit"));
  const Reply q = Command(c, {"Q.INFO", "jobs"});
  CHECK(*q.Field("ready") == Reply::Int(1));
  CHECK(*q.Field("inflight") == Reply::Int(1));  // the lease survives the restart
  CHECK(Command(c, {"CACHE.GET", "page"}) == Reply::Bulk("<html>"));
  CHECK(Command(c, {"CACHE.INVALIDATE", "pages"}) == Reply::Int(1));  // tags are indexed again
  CHECK(Command(c, {"BF.EXISTS", "seen", "x"}) == Reply::Int(1));
  CHECK(Command(c, {"RING.NODES", "ring"}).elements.size() == 2);
  CHECK(Command(c, {"TYPE", "exp"}) == Reply::Status("experiment"));
  CHECK(*Command(c, {"CB.STATE", "cb"}).Field("failed_calls") == Reply::Int(1));
  CHECK(*Command(c, {"SEM.INFO", "sem"}).Field("holders") == Reply::Int(1));
  CHECK(Command(c, {"IDEM.BEGIN", "idem", "FINGERPRINT", "f"}).elements.at(1) ==
        Reply::Bulk("response"));
  CHECK(Command(c, {"TYPE", "retry"}) == Reply::Status("retry"));
}

TEST_CASE("persistence: every type comes back after SHUTDOWN and after SIGTERM", "[persistence]") {
  TempDir dir;
  {
    PylonServer server(Persistent(dir));
    auto c = server.Connect();
    Fill(c);
    CHECK(InfoInt(c, "aof_enabled") == 1);
    CHECK(InfoInt(c, "aof_fsyncs") > 0);
    CHECK(server.Stop(SIGTERM) == 0);
  }
  {
    PylonServer server(Persistent(dir));
    auto c = server.Connect();
    CheckFilled(c);
    CHECK(InfoInt(c, "aof_loaded_records") > 0);
    // Changes after the restart are logged after the replayed ones.
    REQUIRE(Command(c, {"SET", "str", "v2"}) == Reply::Ok());
    REQUIRE(Command(c, {"FLUSHALL"}) == Reply::Ok());
    REQUIRE(Command(c, {"SET", "after", "flush"}) == Reply::Ok());
    Command(c, {"SHUTDOWN"});
    REQUIRE(server.WaitForExit() == 0);
  }
  PylonServer server(Persistent(dir));
  auto c = server.Connect();
  CHECK(Command(c, {"DBSIZE"}) == Reply::Int(1));
  CHECK(Command(c, {"GET", "after"}) == Reply::Bulk("flush"));
}

TEST_CASE("persistence: a torn tail is cut with one log line; the rest loads", "[persistence]") {
  TempDir dir;
  {
    PylonServer server(Persistent(dir));
    auto c = server.Connect();
    REQUIRE(Command(c, {"SET", "k", "v"}) == Reply::Ok());
    REQUIRE(server.Stop(SIGTERM) == 0);
  }
  const std::string log = dir.File("appendonly.aof");
  const size_t good = ReadFile(log).size();
  AppendToFile(log, std::string("\x40\x00\x00\x00partial", 11));  // a batch cut short
  PylonServer server(Persistent(dir));
  auto c = server.Connect();
  CHECK(Command(c, {"GET", "k"}) == Reply::Bulk("v"));
  CHECK(InfoInt(c, "aof_loaded_truncated_bytes") == 11);
  REQUIRE(Command(c, {"SET", "k2", "v2"}) == Reply::Ok());
  CHECK(ReadFile(log).size() > good);  // appended right after the valid part
  REQUIRE(server.Stop(SIGTERM) == 0);
  CHECK(ReadFile(server.Path("pylond.log")).find("cut a torn write of 11 bytes") !=
        std::string::npos);
  PylonServer again(Persistent(dir));
  CHECK(Command(again.Connect(), {"MGET", "k", "k2"}) ==
        Reply::Array({Reply::Bulk("v"), Reply::Bulk("v2")}));
}

TEST_CASE("persistence: a corrupt middle refuses to start unless aof-load-corrupt yes",
          "[persistence]") {
  TempDir dir;
  {
    PylonServer server(Persistent(dir));
    auto c = server.Connect();
    REQUIRE(Command(c, {"SET", "first", "1"}) == Reply::Ok());
    REQUIRE(Command(c, {"SET", "second", "2"}) == Reply::Ok());
    REQUIRE(Command(c, {"SET", "third", "3"}) == Reply::Ok());
    REQUIRE(server.Stop(SIGTERM) == 0);
  }
  const std::string path = dir.File("appendonly.aof");
  std::string log = ReadFile(path);
  const size_t second = log.find("second");
  REQUIRE(second != std::string::npos);
  log[second] = 'S';  // the second batch's checksum no longer matches
  std::ofstream(path, std::ios::binary | std::ios::trunc) << log;

  const RunResult refused =
      RunPylond({"--port", std::to_string(FreePort()), "--appendonly", "yes", "--dir", dir.path()});
  CHECK(refused.exit_code == 1);
  CHECK((refused.out + refused.err).find("is corrupt at byte") != std::string::npos);
  CHECK((refused.out + refused.err).find("aof-load-corrupt yes") != std::string::npos);

  PylonServer server(Persistent(dir, {"--aof-load-corrupt", "yes"}));
  auto c = server.Connect();
  CHECK(Command(c, {"GET", "first"}) == Reply::Bulk("1"));
  CHECK(Command(c, {"EXISTS", "second", "third"}) == Reply::Int(0));
}

TEST_CASE("persistence: CONFIG SET appendonly yes logs what the server already holds",
          "[persistence]") {
  TempDir dir;
  {
    ServerOptions o;
    o.args = {"--dir", dir.path()};
    PylonServer server(o);
    auto c = server.Connect();
    REQUIRE(Command(c, {"SET", "before", "1"}) == Reply::Ok());
    REQUIRE(Command(c, {"BF.ADD", "bf", "x"}) == Reply::Int(1));
    CHECK(InfoInt(c, "aof_enabled") == 0);
    REQUIRE(Command(c, {"CONFIG", "SET", "appendonly", "yes"}) == Reply::Ok());
    CHECK(InfoInt(c, "aof_enabled") == 1);
    REQUIRE(Command(c, {"SET", "after", "2"}) == Reply::Ok());
    REQUIRE(Command(c, {"CONFIG", "SET", "appendfsync", "no"}) == Reply::Ok());
    CHECK(*Command(c, {"CONFIG", "GET", "appendfsync"}).Field("appendfsync") == Reply::Bulk("no"));
    REQUIRE(server.Stop(SIGTERM) == 0);
  }
  PylonServer server(Persistent(dir));
  auto c = server.Connect();
  CHECK(Command(c, {"MGET", "before", "after"}) ==
        Reply::Array({Reply::Bulk("1"), Reply::Bulk("2")}));
  CHECK(Command(c, {"BF.EXISTS", "bf", "x"}) == Reply::Int(1));
  CHECK(Command(c, {"CONFIG", "SET", "appendfsync", "sometimes"}).is_error());
}

namespace pylon::e2e {
namespace {

// The crash test. Each run restarts the server on the same log (appendfsync always), checks
// what the runs before left, acks a few queue messages (acknowledged, so they must stay acked),
// then pipelines groups of writes (a MULTI of two SETs, a Q.PUSH, a BF.ADD, an INCR) and kills
// the server with SIGKILL after a random number of replies, with more requests in flight. A
// group whose replies all came back is acknowledged: after the restart all of it must be there.
// Nothing half-applied: a transaction's two keys exist together or not at all.
struct CrashBook {
  int sent = 0;             // groups sent, over every run
  std::vector<bool> acked;  // by group
  int64_t incr_acked = 0;   // INCRs acknowledged
  int64_t acks_acked = 0;   // Q.ACKs acknowledged (each acked 1)
  int64_t acked_groups = 0, found_groups = 0;
};

constexpr int kGroupCommands = 7;  // MULTI SET SET EXEC Q.PUSH BF.ADD INCR

void SendGroup(const Connection& c, int i) {
  const std::string n = std::to_string(i);
  Append(c, {"MULTI"});
  Append(c, {"SET", "a:" + n, n});
  Append(c, {"SET", "b:" + n, n});
  Append(c, {"EXEC"});
  Append(c, {"Q.PUSH", "jobs", "m" + n, "ID", "p" + n});
  Append(c, {"BF.ADD", "seen", n});
  Append(c, {"INCR", "counter"});
}

void CheckAfterCrash(const Connection& c, CrashBook& book) {
  int64_t found = 0;
  for (int i = 0; i < book.sent; i++) {
    const std::string n = std::to_string(i);
    const Reply both = Command(c, {"EXISTS", "a:" + n, "b:" + n});
    INFO("group " << i << (book.acked[i] ? " (acknowledged)" : " (not acknowledged)"));
    REQUIRE((both == Reply::Int(0) || both == Reply::Int(2)));  // never one SET of the two
    if (!book.acked[i]) continue;
    REQUIRE(both == Reply::Int(2));
    REQUIRE(Command(c, {"BF.EXISTS", "seen", n}) == Reply::Int(1));
    found++;
  }
  const int64_t counter = Command(c, {"GET", "counter"}).str.empty()
                              ? 0
                              : std::stoll(Command(c, {"GET", "counter"}).str);
  CHECK(counter >= book.incr_acked);
  CHECK(counter <= book.sent);
  const Reply q = Command(c, {"Q.INFO", "jobs"});
  if (q.type == Reply::Type::kArray) {
    CHECK(q.Field("acked")->integer >= book.acks_acked);
    CHECK(q.Field("pushed")->integer >= std::count(book.acked.begin(), book.acked.end(), true));
    CHECK(q.Field("pushed")->integer <= book.sent);
  }
  book.found_groups = found;
}

TEST_CASE("persistence: SIGKILL at random moments loses no acknowledged write",
          "[persistence][crash]") {
  // always: the turn's batch is on disk before its replies leave. everysec: it is in the page
  // cache before its replies leave, which a killed process cannot lose (a machine that loses
  // power can: the writes since the last fsync, about a second's worth; docs/commands.md).
  const std::string policy = GENERATE(std::string("always"), std::string("everysec"));
  INFO("appendfsync " << policy);
  TempDir dir;
  CrashBook book;
  std::mt19937 rng(20261123);
  constexpr int kRuns = 20;
  for (int run = 0; run < kRuns; run++) {
    INFO("run " << run);
    PylonServer server(Persistent(dir, {"--appendfsync", policy}));
    auto c = server.Connect();
    CheckAfterCrash(c, book);
    // Acknowledged acks: pop two messages, ack them, one round trip each.
    const Reply popped = Command(c, {"Q.POP", "jobs", "COUNT", "2", "LEASE", "600000"});
    if (popped.type == Reply::Type::kArray) {
      for (const Reply& m : popped.elements) {
        REQUIRE(Command(c, {"Q.ACK", "jobs", m.elements.at(0).str}) == Reply::Int(1));
        book.acks_acked++;
      }
    }
    // The burst: 40 groups in flight, killed after a random number of replies.
    const int first = book.sent;
    constexpr int kGroups = 40;
    for (int g = 0; g < kGroups; g++) SendGroup(c, first + g);
    book.sent += kGroups;
    book.acked.resize(static_cast<size_t>(book.sent), false);
    const int kill_after = static_cast<int>(rng() % (kGroups * kGroupCommands));
    for (int r = 0; r < kill_after; r++) {
      const Reply reply = GetReply(c);
      REQUIRE(!reply.is_none());
      REQUIRE(!reply.is_error());
      const int g = r / kGroupCommands, in_group = r % kGroupCommands;
      if (in_group == kGroupCommands - 1) {  // the group's last reply: all of it acknowledged
        book.acked[static_cast<size_t>(first + g)] = true;
        book.incr_acked++;
      }
    }
    CHECK(server.Stop(SIGKILL) == 128 + SIGKILL);
    book.acked_groups = std::count(book.acked.begin(), book.acked.end(), true);
  }
  PylonServer server(Persistent(dir));
  CheckAfterCrash(server.Connect(), book);
  // The tally docs and the README report.
  WARN("crash test, appendfsync " << policy << ": " << kRuns << " SIGKILLs, " << book.sent
                                  << " groups sent, " << book.acked_groups << " acknowledged, "
                                  << book.found_groups << " of them found after restart; "
                                  << book.acks_acked << " queue acks acknowledged");
  CHECK(book.found_groups == book.acked_groups);
}

}  // namespace
}  // namespace pylon::e2e

namespace pylon::e2e {
namespace {

// Every string key and its value, by SCAN and MGET-free GETs (pipelined).
std::map<std::string, std::string> Strings(const Connection& c) {
  std::vector<std::string> keys;
  std::string cursor = "0";
  do {
    const Reply r = Command(c, {"SCAN", cursor, "COUNT", "1000", "TYPE", "string"});
    cursor = r.elements.at(0).str;
    for (const Reply& k : r.elements.at(1).elements) keys.push_back(k.str);
  } while (cursor != "0");
  for (const std::string& k : keys) Append(c, {"GET", k});
  std::map<std::string, std::string> out;
  for (const std::string& k : keys) out[k] = GetReply(c).str;
  return out;
}

TEST_CASE("persistence: BGREWRITEAOF while writes continue loses nothing and compacts",
          "[persistence]") {
  TempDir dir;
  std::map<std::string, std::string> before;
  int64_t size_before_rewrite = 0, size_after_rewrite = 0;
  {
    PylonServer server(Persistent(dir, {"--appendfsync", "everysec"}));
    auto c = server.Connect();
    for (int i = 0; i < 20000; i++) Append(c, {"SET", "k" + std::to_string(i), "v"});
    for (int i = 0; i < 20000; i++) REQUIRE(GetReply(c) == Reply::Ok());
    // 1,000 writes of one 1 KB key, a turn each: 1 MB of log that compaction makes 1 KB.
    const std::string kilobyte(1000, 'h');
    for (int i = 0; i < 1000; i++) {
      REQUIRE(Command(c, {"SET", "hot", kilobyte + std::to_string(i)}) == Reply::Ok());
    }
    REQUIRE(Command(c, {"Q.PUSH", "jobs", "a"}).type == Reply::Type::kBulk);
    size_before_rewrite = InfoInt(c, "aof_current_size");
    // The rewrite and, in the same batch of requests, writes that land while the child works:
    // the loop handles them in the turn of the fork, before any cron can reap the child.
    Append(c, {"BGREWRITEAOF"});
    // One at a time: a second, in the same turn (the cron that reaps a child runs between
    // turns), is refused.
    Append(c, {"BGREWRITEAOF"});
    for (int i = 0; i < 1000; i++) Append(c, {"SET", "k" + std::to_string(i), "during"});
    for (int i = 1000; i < 1500; i++) Append(c, {"DEL", "k" + std::to_string(i)});
    Append(c, {"SET", "new-during", "x"});
    Append(c, {"Q.PUSH", "jobs", "b"});
    REQUIRE(GetReply(c) == Reply::Status("Background append only file rewriting started"));
    CHECK(GetReply(c) ==
          Reply::Error("ERR Background append only file rewriting already in progress"));
    for (int i = 0; i < 1502; i++) REQUIRE(!GetReply(c).is_error());
    // The rewrite ends (bounded wait: a background process, not a timing assertion).
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (InfoInt(c, "aof_rewrites") < 1 && std::chrono::steady_clock::now() < give_up) {
      usleep(10 * 1000);
    }
    REQUIRE(InfoInt(c, "aof_rewrites") == 1);
    CHECK(InfoInt(c, "aof_rewrite_in_progress") == 0);
    size_after_rewrite = InfoInt(c, "aof_base_size");
    REQUIRE(Command(c, {"SET", "after", "rewrite"}) == Reply::Ok());  // into the new log
    before = Strings(c);
    REQUIRE(server.Stop(SIGTERM) == 0);
  }
  CHECK(size_after_rewrite < size_before_rewrite / 2);  // 1,000 writes of "hot" became one
  PylonServer server(Persistent(dir));
  auto c = server.Connect();
  const std::map<std::string, std::string> after = Strings(c);
  CHECK(after.size() == before.size());
  CHECK(after == before);
  CHECK(after.at("k0") == "during");
  CHECK(after.count("k1000") == 0);
  CHECK(after.at("hot") == std::string(1000, 'h') + "999");
  CHECK(*Command(c, {"Q.INFO", "jobs"}).Field("ready") == Reply::Int(2));
}

TEST_CASE("persistence: a change to a large hash is logged as the field, not the hash",
          "[persistence][hash]") {
  TempDir dir;
  {
    PylonServer server(Persistent(dir));
    auto c = server.Connect();
    std::vector<std::string> hset = {"HSET", "big"};
    for (int i = 0; i < 20000; i++) {
      hset.push_back("field-" + std::to_string(i));
      hset.push_back("value-" + std::to_string(i));
    }
    REQUIRE(Command(c, hset) == Reply::Int(20000));
    const int64_t log_size = InfoInt(c, "aof_current_size");
    // 100 changes: as dumps they would be 100 x ~500 KB; as fields, about 40 bytes each.
    for (int i = 0; i < 25; i++) {
      REQUIRE(Command(c, {"HSET", "big", "new-" + std::to_string(i), "x"}) == Reply::Int(1));
      REQUIRE(Command(c, {"HINCRBY", "big", "counter", "2"}) == Reply::Int(2 * (i + 1)));
      REQUIRE(Command(c, {"HINCRBYFLOAT", "big", "float", "0.5"}).type == Reply::Type::kBulk);
      REQUIRE(Command(c, {"HDEL", "big", "field-" + std::to_string(i)}) == Reply::Int(1));
    }
    CHECK(InfoInt(c, "aof_current_size") - log_size < 100 * 100);
    // A logged field that converted the hash converts it on replay, whatever the config is then.
    REQUIRE(Command(c, {"CONFIG", "SET", "hash-max-listpack-entries", "2"}) == Reply::Ok());
    for (const char* f : {"a", "b", "c"}) {
      REQUIRE(Command(c, {"HSET", "small", f, "1"}) == Reply::Int(1));
    }
    REQUIRE(Command(c, {"OBJECT", "ENCODING", "small"}) == Reply::Bulk("hashtable"));
    REQUIRE(server.Stop() == 0);
  }
  PylonServer server(Persistent(dir));
  auto c = server.Connect();
  CHECK(Command(c, {"OBJECT", "ENCODING", "small"}) == Reply::Bulk("hashtable"));
  CHECK(Command(c, {"HLEN", "small"}) == Reply::Int(3));
  CHECK(Command(c, {"HLEN", "big"}) == Reply::Int(20000 + 25 + 2 - 25));
  CHECK(Command(c, {"HGET", "big", "counter"}) == Reply::Bulk("50"));
  CHECK(Command(c, {"HGET", "big", "float"}) == Reply::Bulk("12.5"));
  CHECK(Command(c, {"HGET", "big", "new-24"}) == Reply::Bulk("x"));
  CHECK(Command(c, {"HEXISTS", "big", "field-24"}) == Reply::Int(0));
  CHECK(Command(c, {"HGET", "big", "field-25"}) == Reply::Bulk("value-25"));
  CHECK(Command(c, {"OBJECT", "ENCODING", "big"}) == Reply::Bulk("hashtable"));
}

TEST_CASE("persistence: a Bloom filter of 120 MB is logged by its parameters and its items",
          "[persistence]") {
  TempDir dir;
  Reply info_before, card_before;
  {
    PylonServer server(Persistent(dir));
    auto c = server.Connect();
    auto memory = [&c](std::string_view field) {
      return std::stoll(InfoField(Command(c, {"INFO", "memory"}).str, field).value_or("-1"));
    };
    const int64_t used = memory("used_memory");
    const int64_t log_size = InfoInt(c, "aof_current_size");
    REQUIRE(Command(c, {"BF.RESERVE", "big", "0.01", "100000000", "NONSCALING"}) == Reply::Ok());
    const int64_t filter_bytes = Command(c, {"BF.INFO", "big", "SIZE"}).elements.at(0).integer;
    REQUIRE(filter_bytes > 100000000);
    CHECK(InfoInt(c, "aof_current_size") - log_size < 1000);  // its parameters, not its zeros
    std::vector<std::string> madd = {"BF.MADD", "big"};
    for (int i = 0; i < 1000; i++) madd.push_back("item-" + std::to_string(i));
    REQUIRE(Command(c, madd).elements.size() == 1000);
    CHECK(InfoInt(c, "aof_current_size") - log_size < 1000 + 1000 * 40);  // 16 bytes an item

    // A rewrite writes the filter whole, in the child; the loop's changes during and after it
    // stay operations (no dump of 120 MB in the loop).
    REQUIRE(Command(c, {"BGREWRITEAOF"}).type == Reply::Type::kStatus);
    REQUIRE(Command(c, {"BF.ADD", "big", "during-rewrite"}) == Reply::Int(1));
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (InfoInt(c, "aof_rewrites") < 1 && std::chrono::steady_clock::now() < give_up) {
      usleep(10 * 1000);
    }
    REQUIRE(InfoInt(c, "aof_rewrites") == 1);
    const int64_t rewritten = InfoInt(c, "aof_current_size");
    CHECK(rewritten > filter_bytes);  // the bits the items set, whole
    REQUIRE(Command(c, {"BF.ADD", "big", "after-rewrite"}) == Reply::Int(1));
    CHECK(InfoInt(c, "aof_current_size") - rewritten < 1000);
    // Memory never held the filter twice: not while it was created, logged or rewritten.
    CHECK(memory("used_memory_peak") < used + filter_bytes + (16 << 20));
    info_before = Command(c, {"BF.INFO", "big"});
    card_before = Command(c, {"BF.CARD", "big"});
    server.Stop(SIGKILL);
  }
  PylonServer server(Persistent(dir));
  auto c = server.Connect();
  CHECK(Command(c, {"BF.INFO", "big"}) == info_before);
  CHECK(Command(c, {"BF.CARD", "big"}) == card_before);
  for (const std::string item : {"item-0", "item-999", "during-rewrite", "after-rewrite"}) {
    CHECK(Command(c, {"BF.EXISTS", "big", item}) == Reply::Int(1));
  }
  const int64_t log_size = InfoInt(c, "aof_current_size");
  CHECK(Command(c, {"DEL", "big"}) == Reply::Int(1));
  CHECK(InfoInt(c, "aof_current_size") - log_size < 100);
}

}  // namespace
}  // namespace pylon::e2e

// What a restart must give back of queues and Bloom filters, as their commands answer.
std::vector<Reply> QueueAndBloomState(const Connection& c) {
  return {Command(c, {"Q.INFO", "jobs2"}),
          Command(c, {"Q.PEEK", "jobs2", "COUNT", "100000"}),
          Command(c, {"Q.DEAD", "jobs2", "COUNT", "100000"}),
          Command(c, {"BF.INFO", "seen"}),
          Command(c, {"BF.CARD", "seen"}),
          Command(c, {"BF.EXISTS", "seen", "item-77"}),
          Command(c, {"TYPE", "jobs"})};
}

TEST_CASE("persistence: queues and Bloom filters are logged by their operations, not whole",
          "[persistence]") {
  TempDir dir;
  std::vector<Reply> before;
  int64_t clock_ms = 0;
  {
    PylonServer server(Persistent(dir));
    auto c = server.Connect();
    for (int i = 0; i < 5000; i++) Append(c, {"Q.PUSH", "jobs", "payload-" + std::to_string(i)});
    for (int i = 0; i < 5000; i++) REQUIRE(GetReply(c).type == Reply::Type::kBulk);
    // Each push below is a turn of its own: logged as its operation (~30 bytes), where the
    // queue's dump is ~70 KB.
    const int64_t size = InfoInt(c, "aof_current_size");
    for (int i = 0; i < 100; i++) {
      REQUIRE(Command(c, {"Q.PUSH", "jobs", "one-" + std::to_string(i)}).type ==
              Reply::Type::kBulk);
    }
    CHECK(InfoInt(c, "aof_current_size") - size < 100 * 100);
    // Every kind of change, over many turns: leases, acks, nacks with the random backoff and
    // with a delay, lease ends that dead-letter, extends, a config change, a rename (the queue's
    // next record is its dump), a redrive, and a rewrite in the middle.
    REQUIRE(Command(c, {"Q.CONFIG", "jobs", "MAXDELIVER", "2", "BACKOFF", "10", "2000"}) ==
            Reply::Ok());
    for (int round = 0; round < 6; round++) {
      const Reply popped = Command(c, {"Q.POP", "jobs", "COUNT", "40", "LEASE", "1000"});
      REQUIRE(popped.elements.size() == 40);
      for (size_t i = 0; i < popped.elements.size(); i++) {
        const std::string& id = popped.elements[i].elements.at(0).str;
        switch (i % 5) {
          case 0:
            REQUIRE(Command(c, {"Q.ACK", "jobs", id}) == Reply::Int(1));
            break;
          case 1:
            REQUIRE(Command(c, {"Q.NACK", "jobs", id}) == Reply::Int(1));
            break;
          case 2:
            REQUIRE(Command(c, {"Q.NACK", "jobs", id, "DELAY", "300"}) == Reply::Int(1));
            break;
          case 3:
            REQUIRE(Command(c, {"Q.EXTEND", "jobs", id, "5000"}).type == Reply::Type::kInteger);
            break;
          default:
            break;  // its lease ends
        }
      }
      REQUIRE(Command(c, {"TESTCLOCK", "ADVANCE", "1500"}).type == Reply::Type::kInteger);
      for (int i = 0; i < 200; i++) {
        Append(c, {"BF.ADD", "seen", "item-" + std::to_string(round * 200 + i)});
      }
      for (int i = 0; i < 200; i++) REQUIRE(GetReply(c).type == Reply::Type::kInteger);
      if (round == 2) {
        REQUIRE(Command(c, {"BGREWRITEAOF"}).type == Reply::Type::kStatus);
        REQUIRE(Command(c, {"Q.PUSH", "jobs", "during-rewrite"}).type == Reply::Type::kBulk);
      }
      if (round >= 3) {
        REQUIRE(Command(c, {"RENAME", "jobs", "jobs2"}) == Reply::Ok());
        REQUIRE(Command(c, {"Q.PUSH", "jobs2", "renamed-" + std::to_string(round)}).type ==
                Reply::Type::kBulk);
        REQUIRE(Command(c, {"RENAME", "jobs2", "jobs"}) == Reply::Ok());
      }
    }
    REQUIRE(Command(c, {"RENAME", "jobs", "jobs2"}) == Reply::Ok());
    // Backoffs still running at the crash (after the rename's dump: logged as operations): the
    // drawn delays must come back as they were drawn.
    REQUIRE(Command(c, {"Q.CONFIG", "jobs2", "MAXDELIVER", "0", "BACKOFF", "100000", "200000"}) ==
            Reply::Ok());
    for (const Reply& m : Command(c, {"Q.POP", "jobs2", "COUNT", "5"}).elements) {
      REQUIRE(Command(c, {"Q.NACK", "jobs2", m.elements.at(0).str}) == Reply::Int(1));
    }
    REQUIRE(Command(c, {"Q.REDRIVE", "jobs2", "COUNT", "3"}) == Reply::Int(3));
    const Reply info = Command(c, {"Q.INFO", "jobs2"});
    CHECK(info.Field("dead")->integer > 0);
    CHECK(info.Field("delayed")->integer + info.Field("inflight")->integer > 0);
    CHECK(Command(c, {"BF.INFO", "seen", "FILTERS"}).elements.at(0).integer > 1);  // it scaled
    REQUIRE(InfoInt(c, "aof_rewrites") <= 1);
    clock_ms = Command(c, {"TESTCLOCK", "GET"}).integer;
    before = QueueAndBloomState(c);
    server.Stop(SIGKILL);
  }
  PylonServer server(Persistent(dir));
  auto c = server.Connect();
  REQUIRE(Command(c, {"TESTCLOCK", "SET", std::to_string(clock_ms)}).type == Reply::Type::kInteger);
  CHECK(QueueAndBloomState(c) == before);
}

TEST_CASE("persistence: while the log loads, INFO says loading:1 and commands answer -LOADING",
          "[persistence]") {
  TempDir dir;
  {
    PylonServer server(Persistent(dir));
    auto c = server.Connect();
    for (int i = 0; i < 3000; i++) Append(c, {"SET", "k" + std::to_string(i), "v"});
    for (int i = 0; i < 3000; i++) REQUIRE(GetReply(c) == Reply::Ok());
    REQUIRE(server.Stop(SIGTERM) == 0);
  }
  const std::string log = ReadFile(dir.File("appendonly.aof"));
  // key-load-delay (as Redis's, for tests): 3,000 records take 1.5 s to load, in slices of
  // 1 KB between which clients are answered.
  ServerOptions slow = Persistent(
      dir, {"--key-load-delay", "500", "--loading-process-events-interval-bytes", "1024"});
  slow.wait_loaded = false;
  {
    PylonServer server(slow);
    auto c = server.Connect();
    CHECK(Command(c, {"GET", "k1"}) ==
          Reply::Error("LOADING Redis is loading the dataset in memory"));
    CHECK(Command(c, {"PING"}).is_error());
    const std::string info = Command(c, {"INFO", "persistence"}).str;
    CHECK(InfoField(info, "loading") == "1");
    CHECK(InfoField(info, "loading_total_bytes") == std::to_string(log.size()));
    CHECK(InfoField(info, "aof_enabled") == "1");
    CHECK(Command(c, {"CONFIG", "SET", "appendonly", "no"}).is_error());
    CHECK(Command(c, {"BGREWRITEAOF"}).is_error());
    // The load ends (bounded wait: the server's own pace, not a timing assertion).
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (InfoInt(c, "loading") == 1 && std::chrono::steady_clock::now() < give_up) {
      usleep(20 * 1000);
    }
    REQUIRE(InfoInt(c, "loading") == 0);
    CHECK(Command(c, {"DBSIZE"}) == Reply::Int(3000));
    CHECK(Command(c, {"GET", "k2999"}) == Reply::Bulk("v"));
    CHECK(InfoInt(c, "aof_loaded_records") == 3000);
    REQUIRE(server.Stop(SIGTERM) == 0);
  }
  {
    // SHUTDOWN while loading: the server stops, and the log is as it was.
    PylonServer server(slow);
    auto c = server.Connect();
    REQUIRE(Command(c, {"GET", "k1"}).is_error());
    Command(c, {"SHUTDOWN"});
    REQUIRE(server.WaitForExit() == 0);
  }
  CHECK(ReadFile(dir.File("appendonly.aof")) == log);
  PylonServer server(Persistent(dir));
  CHECK(Command(server.Connect(), {"DBSIZE"}) == Reply::Int(3000));
}

TEST_CASE("persistence: a log that cannot be written refuses writes (everysec) or stops (always)",
          "[persistence]") {
  // /dev/full: every write fails with ENOSPC, as on a full disk.
  if (access("/dev/full", W_OK) != 0) {
    WARN("no /dev/full here: skipped");
    return;
  }
  auto full_disk = [](const std::string& policy) {
    ServerOptions o;
    o.args = {"--appendonly",     "yes",  "--dir",         "/dev",
              "--appendfilename", "full", "--appendfsync", policy};
    o.wait_loaded = true;
    return o;
  };
  {
    // everysec: the write of the turn that failed is acknowledged (it is in memory, and tried
    // again every turn); the writes after it are refused, as Redis's MISCONF; reads go on.
    PylonServer server(full_disk("everysec"));
    auto c = server.Connect();
    REQUIRE(Command(c, {"SET", "a", "1"}) == Reply::Ok());
    CHECK(Command(c, {"SET", "b", "2"}) ==
          Reply::Error("MISCONF Errors writing to the AOF file: No space left on device"));
    CHECK(Command(c, {"Q.PUSH", "jobs", "x"}).is_error());
    CHECK(Command(c, {"GET", "a"}) == Reply::Bulk("1"));
    CHECK(Command(c, {"EXISTS", "b"}) == Reply::Int(0));
    CHECK(InfoField(Command(c, {"INFO", "persistence"}).str, "aof_last_write_status") == "err");
    REQUIRE(server.Stop(SIGTERM) == 0);
    CHECK(ReadFile(server.Path("pylond.log")).find("acknowledged writes could not be written") !=
          std::string::npos);
  }
  // always: no reply may promise what the disk does not have: the server exits, the write
  // unacknowledged.
  PylonServer server(full_disk("always"));
  auto c = server.Connect();
  CHECK(Command(c, {"SET", "a", "1"}).is_none());
  CHECK(server.WaitForExit() == 1);
  CHECK(ReadFile(server.Path("pylond.log")).find("exiting without acknowledging") !=
        std::string::npos);
}

}  // namespace
}  // namespace pylon::e2e
