// A semaphore in the keyspace (TYPE "semaphore"). Never evicted by maxmemory: a semaphore that
// vanished would hand out `limit` fresh slots on top of those still held, the one thing a load
// shedder must not do.
//
// The key's TTL is the end of the latest lease granted (see semaphore_commands.cc), so a
// semaphore that nobody holds goes by itself, crashed holders included.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/value.h"
#include "modules/semaphore/semaphore.h"

namespace pylon::semaphore {

extern const daemon::ValueType kSemaphoreType;

// INFO # Semaphores: the family's state in each server (daemon/family_state.h).
struct SemaphoreStats {
  uint64_t semaphores = 0;  // semaphores in the keyspace now
  uint64_t acquired = 0;
  uint64_t refused = 0;
  uint64_t released = 0;
  uint64_t expired = 0;  // leases that ended without a release
};
// A new token: never 0, never handed out twice by this process, and above every token a
// restored semaphore holds (so a restored holder's token is never handed out again).
uint64_t NewToken();

class SemaphoreValue final : public daemon::Value {
 public:
  // `stats`: its server's, which the semaphore books into for as long as it lives.
  explicit SemaphoreValue(SemaphoreStats& stats, Semaphore semaphore = {});
  ~SemaphoreValue() override;
  SemaphoreValue(const SemaphoreValue&) = delete;
  SemaphoreValue& operator=(const SemaphoreValue&) = delete;

  const daemon::ValueType& type() const override { return kSemaphoreType; }
  std::string_view Encoding() const override { return "leases"; }
  size_t MemoryUsage() const override { return sizeof(*this) + semaphore_.ExtraBytes(); }
  void Dump(std::string* out) const override { semaphore_.Serialize(out); }

  const Semaphore& semaphore() const { return semaphore_; }
  // The semaphore's operations, booked in the INFO totals; each expires ended leases first.
  size_t Expire(int64_t now_ms);
  bool Acquire(int64_t now_ms, int64_t limit, int64_t lease_ms, uint64_t token);
  bool Release(int64_t now_ms, uint64_t token);

 private:
  // Books what the semaphore's counters gained since the last call.
  void Book();

  SemaphoreStats* stats_;
  Semaphore semaphore_;
  Semaphore::Counters booked_;  // the counters as last added to *stats_
};

}  // namespace pylon::semaphore
