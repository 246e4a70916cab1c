// A counting semaphore with leases, as a pure structure (no server, no clock of its own: every
// call is given the time). Load shedding: at most `limit` holders at once; a holder that crashes
// without releasing loses its slot when its lease ends, so a dead client cannot shrink the pool
// for ever.
//
// Holders are kept ordered by lease end, so the expiry that every call applies first costs
// O(log n) per lease that ended and nothing for those still running. A lease acquired at t for
// L ms holds through t + L - 1 and is free at t + L.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace pylon::semaphore {

class Semaphore {
 public:
  // Per semaphore, for SEM.INFO.
  struct Counters {
    uint64_t acquired = 0;  // slots granted
    uint64_t refused = 0;   // acquisitions refused: the semaphore was full
    uint64_t released = 0;  // slots given back by SEM.RELEASE
    uint64_t expired = 0;   // leases that ended without a release
  };

  Semaphore() = default;

  // Drops the holders whose lease ended at or before now_ms; returns how many.
  size_t Expire(int64_t now_ms);

  // Expires, then takes a slot for `token` (lease until now_ms + lease_ms) when fewer than
  // `limit` holders hold one; false (and counted as refused) otherwise. The newest limit applies
  // from this call on: a lower one revokes nobody, it refuses newcomers until enough holders
  // have gone. `token` must be new to this semaphore.
  bool Acquire(int64_t now_ms, int64_t limit, int64_t lease_ms, uint64_t token);

  // Expires, then gives back the slot of `token`: false when the token holds none (unknown, or
  // its lease already ended).
  bool Release(int64_t now_ms, uint64_t token);

  int64_t limit() const { return limit_; }
  size_t holders() const { return by_token_.size(); }
  int64_t available() const {
    const auto held = static_cast<int64_t>(holders());
    return held < limit_ ? limit_ - held : 0;
  }
  const Counters& counters() const { return counters_; }
  // The latest lease end among the holders (nullopt when there are none).
  std::optional<int64_t> LatestLeaseEnd() const;
  // The holders by lease end: (lease end, token).
  const std::set<std::pair<int64_t, uint64_t>>& by_lease_end() const { return by_end_; }

  // A compact binary form, and reading it back (nullopt when corrupt).
  void Serialize(std::string* out) const;
  static std::optional<Semaphore> Deserialize(std::string_view in);

  // Heap bytes beyond the object itself (approximate: node sizes of the two indexes).
  size_t ExtraBytes() const;

 private:
  int64_t limit_ = 1;
  Counters counters_;
  std::set<std::pair<int64_t, uint64_t>> by_end_;
  std::unordered_map<uint64_t, int64_t> by_token_;  // token -> lease end
};

}  // namespace pylon::semaphore
