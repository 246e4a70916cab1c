// IDEM.* over real sockets on the test clock: NEW, PENDING (with the lock's remaining ms),
// CONFLICT, DONE with the stored response, ABORT then NEW, a lapsed lock taken over, the
// result's TTL from completion, RESP2 and RESP3 replies, INFO, and bad input.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "harness.h"

namespace pylon::e2e {
namespace {

void Advance(const Connection& c, int64_t ms) {
  REQUIRE(Command(c, {"TESTCLOCK", "ADVANCE", std::to_string(ms)}).type == Reply::Type::kInteger);
}

Reply Outcome(const std::string& status, int64_t ms) {
  return Reply::Array({Reply::Bulk(status), Reply::Nil(), Reply::Int(ms)});
}

Reply Done(const std::string& response, int64_t ms) {
  return Reply::Array({Reply::Bulk("DONE"), Reply::Bulk(response), Reply::Int(ms)});
}

std::vector<std::string> Begin(const std::string& key, const std::string& fp) {
  return {"IDEM.BEGIN", key, "FINGERPRINT", fp, "TTL", "5000", "LOCK", "1000"};
}

TEST_CASE("idempotency: NEW, PENDING, CONFLICT, DONE, and the result's TTL", "[idempotency]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, Begin("charge:1", "fp-a")) == Outcome("NEW", 1000));
  CHECK(Command(c, {"TYPE", "charge:1"}) == Reply::Status("idempotency"));
  CHECK(Command(c, {"PTTL", "charge:1"}) == Reply::Int(5000));  // max(TTL, LOCK) while pending
  CHECK(Command(c, Begin("charge:1", "fp-a")) == Outcome("PENDING", 1000));
  Advance(c, 400);
  CHECK(Command(c, Begin("charge:1", "fp-a")) == Outcome("PENDING", 600));
  CHECK(Command(c, Begin("charge:1", "fp-b")) == Outcome("CONFLICT", 4600));
  CHECK(Command(c, {"IDEM.COMPLETE", "charge:1", "{\"id\":42}", "FINGERPRINT", "fp-a"}) ==
        Reply::Ok());
  // Kept for TTL from completion.
  CHECK(Command(c, {"PTTL", "charge:1"}) == Reply::Int(5000));
  CHECK(Command(c, Begin("charge:1", "fp-a")) == Done("{\"id\":42}", 5000));
  CHECK(Command(c, Begin("charge:1", "fp-b")) == Outcome("CONFLICT", 5000));
  CHECK(Command(c, {"IDEM.COMPLETE", "charge:1", "again"}) ==
        Reply::Error("ERR the request under this idempotency key is already complete"));
  CHECK(Command(c, {"IDEM.ABORT", "charge:1"}) == Reply::Int(0));  // a result stays
  Advance(c, 5000);
  CHECK(Command(c, Begin("charge:1", "fp-a")) == Done("{\"id\":42}", 0));
  Advance(c, 1);
  CHECK(Command(c, Begin("charge:1", "fp-b")) == Outcome("NEW", 1000));

  // Defaults: LOCK 60 s, TTL 24 h.
  CHECK(Command(c, {"IDEM.BEGIN", "d", "FINGERPRINT", "x"}) == Outcome("NEW", 60000));
  CHECK(Command(c, {"PTTL", "d"}) == Reply::Int(86400000));
  CHECK(Command(c, {"IDEM.COMPLETE", "d", ""}) == Reply::Ok());
  CHECK(Command(c, {"IDEM.BEGIN", "d", "FINGERPRINT", "x"}) == Done("", 86400000));
}

TEST_CASE("idempotency: ABORT then NEW; a lapsed lock lets a retry take over", "[idempotency]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, Begin("k", "fp")) == Outcome("NEW", 1000));
  CHECK(Command(c, {"IDEM.ABORT", "k"}) == Reply::Int(1));
  CHECK(Command(c, {"IDEM.ABORT", "k"}) == Reply::Int(0));
  CHECK(Command(c, {"EXISTS", "k"}) == Reply::Int(0));
  CHECK(Command(c, Begin("k", "fp")) == Outcome("NEW", 1000));

  // The owner dies: at the lock's end the same request is NEW again; another is a conflict.
  Advance(c, 999);
  CHECK(Command(c, Begin("k", "fp")) == Outcome("PENDING", 1));
  Advance(c, 1);
  CHECK(Command(c, Begin("k", "other")) == Outcome("CONFLICT", 4000));
  CHECK(Command(c, Begin("k", "fp")) == Outcome("NEW", 1000));
  CHECK(Command(c, {"IDEM.COMPLETE", "k", "r", "FINGERPRINT", "other"}) ==
        Reply::Error("ERR the idempotency key was used with another fingerprint"));
  CHECK(Command(c, {"IDEM.COMPLETE", "k", "r"}) == Reply::Ok());

  RawClient r3 = server.Raw();
  REQUIRE(r3.Call({"HELLO", "3"}).type == Reply::Type::kMap);
  CHECK(r3.Call(Begin("k", "fp")) == Done("r", 5000));
  CHECK(r3.Call(Begin("k3", "fp")) == Outcome("NEW", 1000));  // RESP3 null: _

  const Reply info = Command(c, {"INFO", "idempotency"});
  CHECK(InfoField(info.str, "idem_new") == "4");
  CHECK(InfoField(info.str, "idem_pending") == "1");
  CHECK(InfoField(info.str, "idem_conflict") == "1");
  CHECK(InfoField(info.str, "idem_done") == "1");
  CHECK(InfoField(info.str, "idem_aborted") == "1");
  CHECK(InfoField(info.str, "idem_lock_expired") == "1");
  CHECK(InfoField(info.str, "idem_completed") == "1");
}

TEST_CASE("idempotency: bad input answers clear errors and changes nothing", "[idempotency]") {
  PylonServer server;
  auto c = server.Connect();
  REQUIRE(Command(c, {"SET", "str", "v"}) == Reply::Ok());
  const std::string kWrongType =
      "WRONGTYPE Operation against a key holding the wrong kind of value";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"IDEM.BEGIN", "k", "FINGERPRINT"},
       "ERR wrong number of arguments for 'idem.begin' command"},
      {{"IDEM.BEGIN", "k", "TTL", "100"}, "ERR FINGERPRINT is required"},
      {{"IDEM.BEGIN", "k", "FINGERPRINT", "f", "TTL"}, "ERR syntax error"},
      {{"IDEM.BEGIN", "k", "FINGERPRINT", "f", "BOGUS", "1"}, "ERR syntax error"},
      {{"IDEM.BEGIN", "k", "FINGERPRINT", "f", "TTL", "0"},
       "ERR TTL must be from 1 to 4398046511104 ms"},
      {{"IDEM.BEGIN", "k", "FINGERPRINT", "f", "LOCK", "0"},
       "ERR LOCK must be from 1 to 4398046511104 ms"},
      {{"IDEM.BEGIN", "k", "FINGERPRINT", "f", "LOCK", "x"},
       "ERR value is not an integer or out of range"},
      {{"IDEM.BEGIN", "str", "FINGERPRINT", "f"}, kWrongType},
      {{"IDEM.COMPLETE", "k", "r"}, "ERR no request is pending under this idempotency key"},
      {{"IDEM.COMPLETE", "k", "r", "FINGERPRINT"}, "ERR syntax error"},
      {{"IDEM.COMPLETE", "k", "r", "BOGUS", "f"}, "ERR syntax error"},
      {{"IDEM.COMPLETE", "str", "r"}, kWrongType},
      {{"IDEM.COMPLETE", "k"}, "ERR wrong number of arguments for 'idem.complete' command"},
      {{"IDEM.ABORT", "str"}, kWrongType},
      {{"IDEM.ABORT"}, "ERR wrong number of arguments for 'idem.abort' command"},
  };
  for (const auto& [args, error] : cases) {
    INFO(Encode(args));
    CHECK(Command(c, args) == Reply::Error(error));
  }
  CHECK(Command(c, {"EXISTS", "k"}) == Reply::Int(0));
  CHECK(Command(c, {"GET", "str"}) == Reply::Bulk("v"));
  CHECK(Command(c, {"IDEM.ABORT", "k"}) == Reply::Int(0));
}

}  // namespace
}  // namespace pylon::e2e
