// Idempotency keys, as a pure state machine: Stripe's semantics ("Idempotent requests": the
// first request under a key runs, later ones with the same key get its saved result; a reuse
// with other parameters is an error; keys go after 24 hours) with the locking of Brandur
// Leach's "Implementing Stripe-like Idempotency Keys in Postgres" (a request holds the key's
// lock while it runs; a concurrent one is told to come back (409); a lock whose owner died
// lapses, and the next retry takes the request over).
//
// A record is either pending (a request runs under it, locked until lock_until_ms) or done (the
// response is stored). The fingerprint (a digest of the request's parameters, chosen by the
// caller) is fixed by the request that created the record. No clock: every call is given the
// time. A lock taken at t for L ms holds through t + L - 1 and has lapsed at t + L.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pylon::idempotency {

struct Record {
  enum class State : uint8_t { kPending, kDone };
  State state = State::kPending;
  std::string fingerprint;
  int64_t lock_until_ms = 0;  // pending: the lock's end
  int64_t ttl_ms = 0;         // how long a response is kept, from completion
  std::string response;       // done: the stored response

  bool Locked(int64_t now_ms) const { return state == State::kPending && now_ms < lock_until_ms; }

  void Serialize(std::string* out) const;
  static std::optional<Record> Deserialize(std::string_view in);
};

enum class Outcome : uint8_t {
  kNew,       // the caller owns the request: no record (or a lapsed lock with its fingerprint)
  kPending,   // another caller holds the lock
  kConflict,  // the key was used with another fingerprint
  kDone,      // the stored response
};
std::string_view OutcomeName(Outcome outcome);  // "NEW", "PENDING", "CONFLICT", "DONE"

struct BeginDecision {
  Outcome outcome;
  bool lock_lapsed = false;  // kNew over a pending record whose lock ended (its owner died)
};

// What IDEM.BEGIN with `fingerprint` finds in `record` (nullptr: none) at now_ms. The fingerprint
// is compared first: another request's key is a conflict whatever its state.
BeginDecision DecideBegin(const Record* record, std::string_view fingerprint, int64_t now_ms);

// A pending record for a request that starts now (kNew).
Record Begin(std::string_view fingerprint, int64_t now_ms, int64_t lock_ms, int64_t ttl_ms);

enum class CompleteStatus : uint8_t { kOk, kNotPending, kAlreadyDone, kFingerprintMismatch };
// Stores `response` in a pending record (fingerprint: when given, it must match). A pending
// record whose lock lapsed may still be completed: nobody took the request over, and its result
// is what a retry should get.
CompleteStatus Complete(Record* record, std::string_view response,
                        std::optional<std::string_view> fingerprint);

}  // namespace pylon::idempotency
