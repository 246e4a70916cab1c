// Every value type's id: the byte that tags its dumps in the append-only log and in keys moved
// between nodes. Stable forever (a log written today is read by the next build) and unique: they
// are listed here, in one place, so a new type takes the next free number, and a number given
// twice fails the build (below) instead of the server's start-up.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pylon::daemon::type_id {

inline constexpr uint8_t kString = 0;
inline constexpr uint8_t kRateLimit = 1;
inline constexpr uint8_t kQueue = 2;
inline constexpr uint8_t kCache = 3;
inline constexpr uint8_t kBloom = 4;
inline constexpr uint8_t kRing = 5;
inline constexpr uint8_t kBreaker = 6;
inline constexpr uint8_t kSemaphore = 7;
inline constexpr uint8_t kRetry = 8;
inline constexpr uint8_t kExperiment = 9;
inline constexpr uint8_t kIdempotency = 10;
inline constexpr uint8_t kHash = 11;
inline constexpr uint8_t kList = 12;
inline constexpr uint8_t kSet = 13;
inline constexpr uint8_t kZset = 14;

// Every id above; a new one goes here too.
inline constexpr uint8_t kAll[] = {kString,      kRateLimit, kQueue,     kCache, kBloom,
                                   kRing,        kBreaker,   kSemaphore, kRetry, kExperiment,
                                   kIdempotency, kHash,      kList,      kSet,   kZset};

constexpr bool AllDistinct() {
  for (size_t i = 0; i < std::size(kAll); i++) {
    for (size_t j = i + 1; j < std::size(kAll); j++) {
      if (kAll[i] == kAll[j]) return false;
    }
  }
  return true;
}
static_assert(AllDistinct(), "two value types share an id: each needs its own, forever");

}  // namespace pylon::daemon::type_id
