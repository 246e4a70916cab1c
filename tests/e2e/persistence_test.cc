// The append-only log over real restarts: every value type comes back after SHUTDOWN (and after
// SIGTERM), expired and deleted keys stay gone, a torn tail is cut and the rest loads, a corrupt
// middle refuses to start unless aof-load-corrupt yes, and CONFIG SET appendonly yes on a
// running server logs what it already holds.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
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

}  // namespace
}  // namespace pylon::e2e
