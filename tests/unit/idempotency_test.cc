// Idempotency keys without a server: every IDEM.BEGIN outcome (NEW, PENDING, CONFLICT, DONE),
// a lapsed lock taken over, completion rules, and the key's TTL ending a stored result (on a
// keyspace with a manual clock), and the record's dump.
#include "modules/idempotency/idempotency.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "daemon/clock.h"
#include "daemon/family_state.h"
#include "daemon/keyspace.h"
#include "modules/idempotency/idempotency_value.h"

namespace pylon::idempotency {
namespace {

constexpr int64_t T0 = 1'700'000'000'000;

TEST_CASE("idempotency: NEW, PENDING, CONFLICT, DONE", "[idempotency]") {
  CHECK(DecideBegin(nullptr, "fp", T0).outcome == Outcome::kNew);
  Record r = Begin("fp", T0, 1000, 5000);
  CHECK(r.state == Record::State::kPending);
  CHECK(DecideBegin(&r, "fp", T0 + 999).outcome == Outcome::kPending);
  CHECK(DecideBegin(&r, "other", T0 + 1).outcome == Outcome::kConflict);
  REQUIRE(Complete(&r, "resp", std::nullopt) == CompleteStatus::kOk);
  CHECK(r.state == Record::State::kDone);
  CHECK(r.response == "resp");
  CHECK(DecideBegin(&r, "fp", T0 + 2).outcome == Outcome::kDone);
  CHECK(DecideBegin(&r, "other", T0 + 2).outcome == Outcome::kConflict);
  CHECK(OutcomeName(Outcome::kNew) == "NEW");
  CHECK(OutcomeName(Outcome::kPending) == "PENDING");
  CHECK(OutcomeName(Outcome::kConflict) == "CONFLICT");
  CHECK(OutcomeName(Outcome::kDone) == "DONE");
}

TEST_CASE("idempotency: a lapsed lock lets the same fingerprint take over", "[idempotency]") {
  Record r = Begin("fp", T0, 1000, 5000);
  CHECK(DecideBegin(&r, "fp", T0 + 999).outcome == Outcome::kPending);
  const BeginDecision d = DecideBegin(&r, "fp", T0 + 1000);
  CHECK(d.outcome == Outcome::kNew);
  CHECK(d.lock_lapsed);
  // Another fingerprint is still a conflict: the key keeps its request's parameters.
  CHECK(DecideBegin(&r, "other", T0 + 1000).outcome == Outcome::kConflict);
  // The late owner may still complete it: nobody took it over.
  CHECK(Complete(&r, "late", std::nullopt) == CompleteStatus::kOk);
}

TEST_CASE("idempotency: COMPLETE wants a pending request with its fingerprint", "[idempotency]") {
  CHECK(Complete(nullptr, "x", std::nullopt) == CompleteStatus::kNotPending);
  Record r = Begin("fp", T0, 1000, 5000);
  CHECK(Complete(&r, "x", std::string_view("other")) == CompleteStatus::kFingerprintMismatch);
  CHECK(r.state == Record::State::kPending);
  CHECK(Complete(&r, "x", std::string_view("fp")) == CompleteStatus::kOk);
  CHECK(Complete(&r, "y", std::nullopt) == CompleteStatus::kAlreadyDone);
  CHECK(r.response == "x");
}

TEST_CASE("idempotency: records serialize, pending and done", "[idempotency]") {
  Record pending = Begin(std::string_view("fp\0x", 4), T0, 1000, 5000);
  std::string form;
  pending.Serialize(&form);
  std::optional<Record> back = Record::Deserialize(form);
  REQUIRE(back);
  CHECK(back->state == Record::State::kPending);
  CHECK(back->fingerprint == pending.fingerprint);
  CHECK(back->lock_until_ms == T0 + 1000);
  CHECK(back->ttl_ms == 5000);
  CHECK_FALSE(Record::Deserialize(form + "x"));  // a pending record has no response
  CHECK_FALSE(Record::Deserialize(form.substr(0, 10)));

  Record done = pending;
  REQUIRE(Complete(&done, std::string("bin\0ary", 7), std::nullopt) == CompleteStatus::kOk);
  form.clear();
  done.Serialize(&form);
  back = Record::Deserialize(form);
  REQUIRE(back);
  CHECK(back->state == Record::State::kDone);
  CHECK(back->response == std::string("bin\0ary", 7));
}

TEST_CASE("idempotency: in the keyspace, the result goes with the key's TTL; dump/restore",
          "[idempotency]") {
  daemon::RegisterValueType(kIdempotencyType);
  daemon::FamilyStates states;
  daemon::Clock clock(true);
  daemon::Keyspace ks(clock);
  const int64_t t = clock.NowMs();
  // Completed at t with TTL 5000, as IDEM.COMPLETE stores it.
  Record r = Begin("fp", t, 1000, 5000);
  REQUIRE(Complete(&r, "resp", std::nullopt) == CompleteStatus::kOk);
  daemon::KeyRef ref = ks.Locate("idem", daemon::Lookup::kWrite);
  ks.SetObject(ref, std::make_unique<IdempotencyValue>(r), daemon::Ttl::At(t + r.ttl_ms));
  std::string dump;
  daemon::Keyspace::Dump(*ks.Find("idem", daemon::Lookup::kPeek), &dump);
  daemon::RestoredValue restored;
  REQUIRE(daemon::Keyspace::Restore(dump, states, &restored));
  auto* copy = static_cast<IdempotencyValue*>(restored.object.get());
  CHECK(copy->record.response == "resp");
  CHECK(copy->Encoding() == "done");
  REQUIRE(clock.Advance(5000 * 1000));
  auto* v = static_cast<IdempotencyValue*>(ks.Find("idem", daemon::Lookup::kRead)->object());
  CHECK(DecideBegin(&v->record, "fp", clock.NowMs()).outcome == Outcome::kDone);
  REQUIRE(clock.Advance(1000));  // 1 ms past its time: gone, so the next BEGIN is NEW
  CHECK(ks.Find("idem", daemon::Lookup::kRead) == nullptr);
  CHECK_FALSE(kIdempotencyType.evictable);
}

}  // namespace
}  // namespace pylon::idempotency
