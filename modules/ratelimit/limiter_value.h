// How limiters live in the keyspace, as values of the type "ratelimit" (OBJECT ENCODING names
// the algorithm). Every algorithm but the sliding log keeps its rule and state as bytes inside
// the key's entry (Limiter::Pack: 33 or 41 bytes, no allocation of its own); a sliding log,
// whose size follows its calls, is a LimiterValue object. Dumps carry Limiter::Serialize's form
// either way, so a dump does not depend on how the value was kept.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/keyspace.h"
#include "daemon/value.h"
#include "modules/ratelimit/limiter.h"

namespace pylon::ratelimit {

// The type, registered at start-up; its id is written into dumps and may never change.
extern const daemon::ValueType kLimiterType;

// A sliding log in the keyspace.
class LimiterValue final : public daemon::Value {
 public:
  explicit LimiterValue(Limiter limiter) : limiter(std::move(limiter)) {}

  const daemon::ValueType& type() const override { return kLimiterType; }
  std::string_view Encoding() const override { return AlgorithmName(limiter.rule().algorithm); }
  size_t MemoryUsage() const override { return sizeof(*this) + limiter.ExtraBytes(); }
  void Dump(std::string* out) const override { limiter.Serialize(out); }

  Limiter limiter;
};

// The limiter at a key, for one command: a working copy of a packed limiter, the sliding log's
// object in place, or a new (full) limiter when the key has none.
class StoredLimiter {
 public:
  // `entry` holds a limiter (the caller checked its type), or is nullptr: then the limiter is a
  // new one with `rule`.
  StoredLimiter(const daemon::Entry* entry, const Rule& rule);
  // `entry` holds a limiter.
  explicit StoredLimiter(const daemon::Entry& entry);

  bool exists() const { return exists_; }
  Limiter& limiter() { return object_ ? *object_ : *copy_; }

  // After a call consumed from the limiter: stores its state at ref, with the key's TTL at the
  // moment it is full again (reset_after_ms from now), so a one-off client's key goes by itself.
  void Keep(daemon::Keyspace& ks, daemon::KeyRef& ref, int64_t reset_after_ms);

 private:
  Limiter* object_ = nullptr;  // a stored sliding log
  std::optional<Limiter> copy_;
  bool exists_ = false;
};

}  // namespace pylon::ratelimit
