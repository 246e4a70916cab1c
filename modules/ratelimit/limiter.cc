#include "modules/ratelimit/limiter.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "protocol/text.h"

namespace pylon::ratelimit {
namespace {

// Every intermediate product of a count, a period and a rate fits here; stored values are
// bounded by the rule (kMaxScaled) and fit in 64 bits.
using i128 = __int128;

// ceil(n / d) for d > 0; 0 when n <= 0 (nothing to wait for).
int64_t CeilDiv(i128 n, i128 d) { return n <= 0 ? 0 : static_cast<int64_t>((n + d - 1) / d); }

struct Name {
  std::string_view name;
  Algorithm algorithm;
};
constexpr std::array<Name, 6> kNames = {{{"token", Algorithm::kToken},
                                         {"leaky", Algorithm::kLeaky},
                                         {"fixed", Algorithm::kFixed},
                                         {"sliding", Algorithm::kSliding},
                                         {"sliding-log", Algorithm::kSlidingLog},
                                         {"gcra", Algorithm::kGcra}}};

}  // namespace

std::optional<Algorithm> ParseAlgorithm(std::string_view name) {
  for (const Name& n : kNames) {
    if (protocol::EqualsIgnoreCase(name, n.name)) return n.algorithm;
  }
  return std::nullopt;
}

std::string_view AlgorithmName(Algorithm algorithm) {
  for (const Name& n : kNames) {
    if (n.algorithm == algorithm) return n.name;
  }
  return "unknown";
}

bool IsWindowed(Algorithm algorithm) {
  return algorithm == Algorithm::kFixed || algorithm == Algorithm::kSliding ||
         algorithm == Algorithm::kSlidingLog;
}

std::optional<std::string_view> ValidateRule(const Rule& rule) {
  if (rule.limit < 1 || rule.limit > kMaxLimit) {
    return "LIMIT must be an integer from 1 to 4294967296";
  }
  if (rule.period_ms < 1 || rule.period_ms > kMaxPeriodMs) {
    return "PERIOD must be an integer from 1 to 1099511627776 (milliseconds)";
  }
  if (rule.burst < 1 || rule.burst > kMaxLimit) {
    return "BURST must be an integer from 1 to 4294967296";
  }
  if (IsWindowed(rule.algorithm) && rule.burst != rule.limit) {
    return "BURST applies to the token, leaky and gcra algorithms only";
  }
  if (static_cast<i128>(std::max(rule.limit, rule.burst)) * rule.period_ms > kMaxScaled) {
    return "LIMIT or BURST times PERIOD is too large (at most 2^62)";
  }
  if (rule.algorithm == Algorithm::kSlidingLog && rule.limit > kMaxSlidingLogLimit) {
    return "sliding-log keeps one entry per call: LIMIT may be at most 100000";
  }
  return std::nullopt;
}

struct Limiter::Outcome {
  Decision decision;
  // The state after an admitted call (kept only when the call consumed something).
  State state;
};

Limiter::State Limiter::FromWords(Algorithm algorithm, const Words& w) {
  switch (algorithm) {
    case Algorithm::kToken:
    case Algorithm::kLeaky:
      return Bucket{w[0], w[1]};
    case Algorithm::kFixed:
    case Algorithm::kSliding:
      return Window{w[0], w[1], w[2]};
    case Algorithm::kGcra:
      return Gcra{w[0], w[1]};
    case Algorithm::kSlidingLog:
      break;
  }
  return Log{w[0], w[1], w[2]};
}

Limiter::Words Limiter::ToWords() const {
  return std::visit(
      [](const auto& v) -> Words {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, Bucket>) return {v.level, v.at_ms, 0};
        if constexpr (std::is_same_v<T, Window>) return {v.count, v.start_ms, v.previous};
        if constexpr (std::is_same_v<T, Gcra>) return {v.fraction, v.whole_ms, 0};
        if constexpr (std::is_same_v<T, Log>) return {v.remembered, v.at_ms, v.first};
      },
      state_);
}

int64_t Limiter::LastSeenMs() const {
  // A bucket and a log were last looked at then; a window started then, which is no later.
  return std::visit(
      [](const auto& v) -> int64_t {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, Window>) return v.start_ms;
        if constexpr (std::is_same_v<T, Gcra>) return v.whole_ms;
        if constexpr (std::is_same_v<T, Bucket> || std::is_same_v<T, Log>) return v.at_ms;
      },
      state_);
}

Limiter::Limiter(const Rule& rule) : rule_(rule), state_(FromWords(rule.algorithm, {})) {
  // Every limiter starts full: a token bucket with all its tokens, the others empty.
  if (rule.algorithm == Algorithm::kToken) state_ = Bucket{rule.burst * rule.period_ms, 0};
}

Decision Limiter::Allow(int64_t now_ms, int64_t cost) {
  Outcome out = Evaluate(now_ms, cost);
  if (!out.decision.allowed || cost == 0) return out.decision;
  state_ = out.state;
  if (Log* log = std::get_if<Log>(&state_)) {
    log_.push_back({log->at_ms, cost});
    // Forgotten entries are dropped in bulk, once they are half of the vector: O(1) amortized.
    if (static_cast<size_t>(log->first) * 2 >= log_.size()) {
      log_.erase(log_.begin(), log_.begin() + log->first);
      log->first = 0;
    }
  }
  return out.decision;
}

Decision Limiter::Check(int64_t now_ms, int64_t cost) const {
  return Evaluate(now_ms, cost).decision;
}

int64_t Limiter::ResetAfter(int64_t now_ms) const {
  return Evaluate(now_ms, 0).decision.reset_after_ms;
}

size_t Limiter::ExtraBytes() const { return log_.capacity() * sizeof(LogEntry); }

Limiter::Outcome Limiter::Evaluate(int64_t now_ms, int64_t cost) const {
  const int64_t L = rule_.limit;
  const int64_t P = rule_.period_ms;
  const int64_t B = rule_.burst;
  // The clock never goes back as far as a limiter is concerned.
  const int64_t now = std::max(now_ms, rule_.algorithm == Algorithm::kGcra ? now_ms : LastSeenMs());
  const int64_t capacity = IsWindowed(rule_.algorithm) ? L : B;
  const bool fits_ever = cost <= capacity;
  Outcome out;
  Decision& d = out.decision;
  d.limit = capacity;
  bool ok = false;

  switch (rule_.algorithm) {
    case Algorithm::kToken: {
      const i128 full = static_cast<i128>(B) * P;
      const Bucket& bucket = std::get<Bucket>(state_);
      const i128 tokens =
          std::min<i128>(full, bucket.level + static_cast<i128>(now - bucket.at_ms) * L);
      const i128 need = static_cast<i128>(cost) * P;
      ok = fits_ever && tokens >= need;
      const i128 after = ok ? tokens - need : tokens;
      d.remaining = static_cast<int64_t>(after / P);
      d.retry_after_ms = ok || !fits_ever ? -1 : CeilDiv(need - tokens, L);
      d.reset_after_ms = CeilDiv(full - after, L);
      out.state = Bucket{static_cast<int64_t>(after), now};
      break;
    }
    case Algorithm::kLeaky: {
      const i128 full = static_cast<i128>(B) * P;
      const Bucket& bucket = std::get<Bucket>(state_);
      const i128 water =
          std::max<i128>(0, bucket.level - static_cast<i128>(now - bucket.at_ms) * L);
      const i128 pour = static_cast<i128>(cost) * P;
      ok = fits_ever && water + pour <= full;
      const i128 after = ok ? water + pour : water;
      d.remaining = static_cast<int64_t>((full - after) / P);
      d.retry_after_ms = ok || !fits_ever ? -1 : CeilDiv(water + pour - full, L);
      d.reset_after_ms = CeilDiv(after, L);
      out.state = Bucket{static_cast<int64_t>(after), now};
      break;
    }
    case Algorithm::kFixed: {
      const int64_t start = now - now % P;
      const Window& window = std::get<Window>(state_);
      const int64_t count = start == window.start_ms ? window.count : 0;
      ok = fits_ever && count + cost <= L;
      const int64_t after = ok ? count + cost : count;
      d.remaining = L - after;
      d.retry_after_ms = ok || !fits_ever ? -1 : start + P - now;
      d.reset_after_ms = after > 0 ? start + P - now : 0;
      out.state = Window{after, start, 0};
      break;
    }
    case Algorithm::kSliding: {
      // Two counters: this window's, and the previous window's weighted by how much of it
      // still overlaps the last PERIOD. In units of 1/P: estimate = prev * (P - e) + curr * P.
      const int64_t start = now - now % P;
      const int64_t e = now - start;
      const Window& window = std::get<Window>(state_);
      int64_t curr = 0, prev = 0;
      if (start == window.start_ms) {
        curr = window.count;
        prev = window.previous;
      } else if (start == window.start_ms + P) {
        prev = window.count;
      }
      const i128 estimate = static_cast<i128>(prev) * (P - e) + static_cast<i128>(curr) * P;
      const i128 most = static_cast<i128>(L) * P;
      ok = fits_ever && estimate + static_cast<i128>(cost) * P <= most;
      const int64_t curr_after = ok ? curr + cost : curr;
      const i128 estimate_after = estimate + (ok ? static_cast<i128>(cost) * P : 0);
      d.remaining = static_cast<int64_t>(std::max<i128>(0, (most - estimate_after) / P));
      if (ok || !fits_ever) {
        d.retry_after_ms = -1;
      } else {
        // Later in this window, as the previous one weighs less: prev * (P - e') fits in room.
        const i128 room = static_cast<i128>(L - cost - curr) * P;
        const i128 e_this = room >= 0 && prev > 0 ? P - room / prev : P;
        if (e_this < P) {
          d.retry_after_ms = static_cast<int64_t>(start + e_this - now);
        } else {
          // In the next window, where this one's count is the previous.
          const i128 e_next =
              curr > 0 ? std::max<i128>(0, P - static_cast<i128>(L - cost) * P / curr) : 0;
          d.retry_after_ms = static_cast<int64_t>(start + P + e_next - now);
        }
      }
      d.reset_after_ms = curr_after > 0 ? start + 2 * P - now : prev > 0 ? start + P - now : 0;
      out.state = Window{curr_after, start, prev};
      break;
    }
    case Algorithm::kSlidingLog: {
      // Calls at or before now - P are forgotten: a call counts for exactly P ms.
      const Log& log = std::get<Log>(state_);
      size_t first = static_cast<size_t>(log.first);
      int64_t sum = log.remembered;
      while (first < log_.size() && log_[first].at_ms <= now - P) sum -= log_[first++].cost;
      ok = fits_ever && sum + cost <= L;
      const int64_t after = ok ? sum + cost : sum;
      d.remaining = L - after;
      if (ok || !fits_ever) {
        d.retry_after_ms = -1;
      } else {
        // Wait until enough of the oldest calls are forgotten.
        size_t i = first;
        int64_t left = sum;
        while (left + cost > L) left -= log_[i++].cost;
        d.retry_after_ms = log_[i - 1].at_ms + P - now;
      }
      const int64_t newest = ok && cost > 0 ? now : first < log_.size() ? log_.back().at_ms : now;
      d.reset_after_ms = after > 0 ? newest + P - now : 0;
      out.state = Log{after, now, static_cast<int64_t>(first)};
      break;
    }
    case Algorithm::kGcra: {
      // The theoretical arrival time, in units of 1/L ms: each unit of cost moves it P units
      // (P / L ms, the emission interval); a call fits while it stays within B * P of now.
      const i128 full = static_cast<i128>(B) * P;
      const i128 now_s = static_cast<i128>(now) * L;
      const Gcra& gcra = std::get<Gcra>(state_);
      const i128 base = std::max<i128>(static_cast<i128>(gcra.whole_ms) * L + gcra.fraction, now_s);
      const i128 tat = base + static_cast<i128>(cost) * P;
      ok = fits_ever && tat - now_s <= full;
      const i128 after = ok ? tat : base;
      // Clamped: a clock earlier than the last call (a restored key) must not read negative.
      d.remaining = static_cast<int64_t>(std::max<i128>(0, (full - (after - now_s)) / P));
      d.retry_after_ms = ok || !fits_ever ? -1 : CeilDiv(tat - now_s - full, L);
      d.reset_after_ms = CeilDiv(after - now_s, L);
      out.state = Gcra{static_cast<int64_t>(after % L), static_cast<int64_t>(after / L)};
      break;
    }
  }
  d.allowed = ok;
  return out;
}

// --- serialization: [algorithm][limit][period][burst][three state words] then, for a sliding log,
// the remembered entries (at, cost) oldest first; integers are 8 bytes, little-endian (the host's).

namespace {

void PutInt(std::string* out, int64_t v) { out->append(reinterpret_cast<const char*>(&v), 8); }

bool GetInt(std::string_view* in, int64_t* v) {
  if (in->size() < 8) return false;
  std::memcpy(v, in->data(), 8);
  in->remove_prefix(8);
  return true;
}

}  // namespace

void Limiter::Serialize(std::string* out) const {
  out->push_back(static_cast<char>(rule_.algorithm));
  PutInt(out, rule_.limit);
  PutInt(out, rule_.period_ms);
  PutInt(out, rule_.burst);
  const Words words = ToWords();
  PutInt(out, words[0]);
  PutInt(out, words[1]);
  const Log* log = std::get_if<Log>(&state_);
  if (!log) {
    PutInt(out, words[2]);
    return;
  }
  // A log's third word in a dump is the number of entries that follow.
  PutInt(out, static_cast<int64_t>(log_.size()) - log->first);
  for (size_t i = static_cast<size_t>(log->first); i < log_.size(); i++) {
    PutInt(out, log_[i].at_ms);
    PutInt(out, log_[i].cost);
  }
}

std::optional<Limiter> Limiter::Deserialize(std::string_view in) {
  if (in.empty() || static_cast<uint8_t>(in[0]) > static_cast<uint8_t>(Algorithm::kGcra)) {
    return std::nullopt;
  }
  Rule rule;
  rule.algorithm = static_cast<Algorithm>(in[0]);
  in.remove_prefix(1);
  int64_t a, b, c;
  if (!GetInt(&in, &rule.limit) || !GetInt(&in, &rule.period_ms) || !GetInt(&in, &rule.burst) ||
      ValidateRule(rule) || !GetInt(&in, &a) || !GetInt(&in, &b) || !GetInt(&in, &c)) {
    return std::nullopt;
  }
  // The state must be one the algorithm can reach, so that no later arithmetic overflows.
  const int64_t L = rule.limit, P = rule.period_ms;
  const int64_t full = rule.burst * P;  // a bucket's size, scaled
  bool sane = b >= 0 && b <= kMaxClockMs;
  switch (rule.algorithm) {
    case Algorithm::kToken:
    case Algorithm::kLeaky:
      sane = sane && a >= 0 && a <= full && c == 0;
      break;
    case Algorithm::kFixed:
      sane = sane && a >= 0 && a <= L && b % P == 0 && c == 0;
      break;
    case Algorithm::kSliding:
      sane = sane && a >= 0 && a <= L && c >= 0 && c <= L && b % P == 0;
      break;
    case Algorithm::kGcra:
      sane = sane && a >= 0 && a < L && c == 0;
      break;
    case Algorithm::kSlidingLog:
      break;
  }
  if (!sane) return std::nullopt;
  Limiter limiter(rule);
  if (rule.algorithm != Algorithm::kSlidingLog) {
    limiter.state_ = FromWords(rule.algorithm, {a, b, c});
    return in.empty() ? std::optional<Limiter>(limiter) : std::nullopt;
  }
  // c is the number of entries; their costs must add up to a (the remembered sum).
  if (c < 0 || c > rule.limit || in.size() != static_cast<size_t>(c) * 16) return std::nullopt;
  int64_t sum = 0;
  for (int64_t i = 0; i < c; i++) {
    LogEntry e;
    GetInt(&in, &e.at_ms);
    GetInt(&in, &e.cost);
    const int64_t previous = limiter.log_.empty() ? 0 : limiter.log_.back().at_ms;
    if (e.cost < 1 || e.cost > rule.limit || e.at_ms < previous || e.at_ms > b) {
      return std::nullopt;
    }
    sum += e.cost;
    limiter.log_.push_back(e);
  }
  if (sum != a || sum > rule.limit) return std::nullopt;
  limiter.state_ = Log{a, b, 0};
  return limiter;
}

// --- packed: [algorithm 1][limit - 1: 4][burst - 1: 4][period 8][two state words 8 + 8]
// then, for sliding, [the third 8]; host byte order. LIMIT and BURST go up to 2^32, so they are
// kept minus one.

namespace {

constexpr size_t kPackedBase = 1 + 4 + 4 + 8 + 8 + 8;
static_assert(Limiter::kMaxPackedSize == kPackedBase + 8);

template <typename T>
char* Put(char* out, T v) {
  std::memcpy(out, &v, sizeof(v));
  return out + sizeof(v);
}

template <typename T>
const char* Get(const char* in, T* v) {
  std::memcpy(v, in, sizeof(*v));
  return in + sizeof(*v);
}

}  // namespace

size_t Limiter::PackedSize() const {
  return rule_.algorithm == Algorithm::kSliding ? kMaxPackedSize : kPackedBase;
}

void Limiter::Pack(char* out) const {
  out = Put(out, static_cast<uint8_t>(rule_.algorithm));
  out = Put(out, static_cast<uint32_t>(rule_.limit - 1));
  out = Put(out, static_cast<uint32_t>(rule_.burst - 1));
  out = Put(out, rule_.period_ms);
  const Words words = ToWords();
  out = Put(out, words[0]);
  out = Put(out, words[1]);
  if (rule_.algorithm == Algorithm::kSliding) Put(out, words[2]);
}

Limiter Limiter::Unpack(std::string_view bytes) {
  const char* in = bytes.data();
  uint8_t algorithm;
  uint32_t limit_minus_1, burst_minus_1;
  Rule rule;
  in = Get(in, &algorithm);
  in = Get(in, &limit_minus_1);
  in = Get(in, &burst_minus_1);
  in = Get(in, &rule.period_ms);
  rule.algorithm = static_cast<Algorithm>(algorithm);
  rule.limit = int64_t{limit_minus_1} + 1;
  rule.burst = int64_t{burst_minus_1} + 1;
  Limiter limiter(rule);
  Words words{};
  in = Get(in, &words[0]);
  in = Get(in, &words[1]);
  if (rule.algorithm == Algorithm::kSliding) Get(in, &words[2]);
  limiter.state_ = FromWords(rule.algorithm, words);
  return limiter;
}

}  // namespace pylon::ratelimit
