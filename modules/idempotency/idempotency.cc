#include "modules/idempotency/idempotency.h"

#include "common/wire.h"

namespace pylon::idempotency {
namespace {

using common::wire::Get;
using common::wire::GetText;
using common::wire::Put;
using common::wire::PutText;

// [format 1][state u8][lock until i64][ttl i64][fingerprint: length u32, bytes][response...],
// host byte order.
constexpr uint8_t kFormat = 1;

}  // namespace

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kNew:
      return "NEW";
    case Outcome::kPending:
      return "PENDING";
    case Outcome::kConflict:
      return "CONFLICT";
    case Outcome::kDone:
      return "DONE";
  }
  return "?";
}

BeginDecision DecideBegin(const Record* record, std::string_view fingerprint, int64_t now_ms) {
  if (!record) return {Outcome::kNew};
  if (record->fingerprint != fingerprint) return {Outcome::kConflict};
  if (record->state == Record::State::kDone) return {Outcome::kDone};
  if (record->Locked(now_ms)) return {Outcome::kPending};
  return {Outcome::kNew, true};
}

Record Begin(std::string_view fingerprint, int64_t now_ms, int64_t lock_ms, int64_t ttl_ms) {
  Record r;
  r.state = Record::State::kPending;
  r.fingerprint.assign(fingerprint);
  r.lock_until_ms = now_ms + lock_ms;
  r.ttl_ms = ttl_ms;
  return r;
}

CompleteStatus Complete(Record* record, std::string_view response,
                        std::optional<std::string_view> fingerprint) {
  if (!record) return CompleteStatus::kNotPending;
  if (fingerprint && *fingerprint != record->fingerprint) {
    return CompleteStatus::kFingerprintMismatch;
  }
  if (record->state == Record::State::kDone) return CompleteStatus::kAlreadyDone;
  record->state = Record::State::kDone;
  record->lock_until_ms = 0;
  record->response.assign(response);
  return CompleteStatus::kOk;
}

void Record::Serialize(std::string* out) const {
  Put(out, kFormat);
  Put(out, static_cast<uint8_t>(state));
  Put(out, lock_until_ms);
  Put(out, ttl_ms);
  PutText(out, fingerprint);
  out->append(response);
}

// The longest TTL a command accepts (2^42 ms): a restored record with a longer one would make
// now + TTL overflow.
constexpr int64_t kMaxTtlMs = int64_t{1} << 42;

std::optional<Record> Record::Deserialize(std::string_view in) {
  Record r;
  uint8_t format, state;
  std::string_view fingerprint;
  if (!Get(&in, &format) || format != kFormat || !Get(&in, &state) || state > 1 ||
      !Get(&in, &r.lock_until_ms) || !Get(&in, &r.ttl_ms) || r.ttl_ms < 1 || r.ttl_ms > kMaxTtlMs ||
      !GetText(&in, &fingerprint)) {
    return std::nullopt;
  }
  r.state = static_cast<State>(state);
  if (r.state == State::kPending && !in.empty()) return std::nullopt;
  r.fingerprint.assign(fingerprint);
  r.response.assign(in);
  return r;
}

}  // namespace pylon::idempotency
