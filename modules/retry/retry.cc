#include "modules/retry/retry.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace pylon::retry {
namespace {

constexpr std::array<std::string_view, 4> kNames = {"none", "full", "equal", "decorrelated"};

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::string_view JitterName(Jitter jitter) { return kNames[static_cast<size_t>(jitter)]; }

std::optional<Jitter> ParseJitter(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); i++) {
    if (EqualsNoCase(name, kNames[i])) return static_cast<Jitter>(i);
  }
  return std::nullopt;
}

int64_t ExponentialMs(int64_t base_ms, int64_t cap_ms, int64_t n) {
  // base * 2^n > cap exactly when base > floor(cap / 2^n).
  if (n >= 62 || base_ms > (cap_ms >> n)) return cap_ms;
  return base_ms << n;
}

Step Next(State* state, const Policy& policy, RandomSource& random) {
  if (policy.max_attempts > 0 && state->attempt >= policy.max_attempts) {
    return {.attempt = state->attempt + 1, .delay_ms = -1};
  }
  const int64_t n = state->attempt + 1;
  const int64_t temp = ExponentialMs(policy.base_ms, policy.cap_ms, n - 1);
  int64_t delay = 0;
  switch (policy.jitter) {
    case Jitter::kNone:
      delay = temp;
      break;
    case Jitter::kFull:
      delay = random.Between(0, temp);
      break;
    case Jitter::kEqual:
      delay = temp / 2 + random.Between(0, temp - temp / 2);
      break;
    case Jitter::kDecorrelated: {
      const int64_t sleep = state->attempt == 0 ? policy.base_ms : state->last_delay_ms;
      const int64_t hi = std::max(policy.base_ms, sleep * 3);
      delay = std::min(policy.cap_ms, random.Between(policy.base_ms, hi));
      break;
    }
  }
  state->attempt = n;
  state->last_delay_ms = delay;
  return {.attempt = n, .delay_ms = delay};
}

}  // namespace pylon::retry
