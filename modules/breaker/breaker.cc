#include "modules/breaker/breaker.h"

#include <algorithm>
#include <cstring>

#include "common/wire.h"

namespace pylon::breaker {

namespace {

// The longest duration an option takes, as daemon::kMaxDurationMs (no server include here).
constexpr int64_t kMaxMs = int64_t{1} << 42;
// The latest point in time a restored breaker may name: past any clock, and far enough below
// 2^63 that adding a duration (at most kMaxMs) cannot overflow.
constexpr int64_t kMaxStoredMs = int64_t{1} << 62;
constexpr uint8_t kDumpVersion = 1;

bool Between(int64_t v, int64_t lo, int64_t hi) { return v >= lo && v <= hi; }

using common::wire::Get;
using common::wire::Put;

}  // namespace

std::string_view StateName(State state) {
  switch (state) {
    case State::kClosed:
      return "CLOSED";
    case State::kOpen:
      return "OPEN";
    case State::kHalfOpen:
      return "HALF_OPEN";
    case State::kDisabled:
      return "DISABLED";
    case State::kForcedOpen:
      return "FORCED_OPEN";
  }
  return "?";
}

std::optional<std::string> Invalid(const Config& c) {
  const int64_t max_window =
      c.window_type == WindowType::kCount ? kMaxCountWindow : kMaxTimeWindowSeconds;
  if (!Between(c.window_size, 1, max_window)) return "window size out of range";
  if (!Between(c.failure_rate, 1, 100)) return "failure rate must be from 1 to 100";
  if (!Between(c.slow_rate, 1, 100)) return "slow rate must be from 1 to 100";
  if (!Between(c.slow_ms, 1, kMaxMs)) return "slow duration out of range";
  if (!Between(c.min_calls, 1, kMaxMinCalls)) return "minimum calls out of range";
  if (!Between(c.consecutive, 0, kMaxMinCalls)) return "consecutive failures out of range";
  if (!Between(c.open_ms, 1, kMaxMs)) return "open duration out of range";
  if (!Between(c.half_open_calls, 1, kMaxHalfOpenCalls)) return "half-open calls out of range";
  if (!Between(c.trial_ms, 0, kMaxMs)) return "trial duration out of range";
  return std::nullopt;
}

// --- Window ----------------------------------------------------------------------------------

Window Window::ForClosed(const Config& config) {
  Window w;
  w.type_ = config.window_type;
  w.size_ = config.window_size;
  w.min_calls_ = config.EffectiveMinCalls();
  return w;
}

Window Window::ForTrials(int64_t n) {
  Window w;
  w.trial_ = true;
  w.size_ = n;
  w.min_calls_ = n;
  return w;
}

void Window::Add(uint8_t outcome, bool add) {
  const uint64_t failed = (outcome & kFailed) ? 1 : 0, slow = (outcome & kSlow) ? 1 : 0;
  if (add) {
    calls_++, failed_ += failed, slow_ += slow;
  } else {
    calls_--, failed_ -= failed, slow_ -= slow;
  }
}

void Window::Trim(int64_t now_ms) {
  if (type_ != WindowType::kTime) return;
  const int64_t first_second = now_ms / 1000 - size_ + 1;
  while (!buckets_.empty() && buckets_.front().second < first_second) {
    const Bucket& b = buckets_.front();
    calls_ -= b.calls;
    failed_ -= b.failed;
    slow_ -= b.slow;
    buckets_.pop_front();
  }
}

void Window::Record(bool failed, bool slow, int64_t now_ms) {
  const uint8_t outcome = (failed ? kFailed : 0) | (slow ? kSlow : 0);
  if (type_ == WindowType::kCount) {
    if (ring_.size() < static_cast<size_t>(size_)) {
      ring_.push_back(outcome);
    } else {
      Add(ring_[head_], false);  // the oldest call slides out
      ring_[head_] = outcome;
      head_ = (head_ + 1) % ring_.size();
    }
  } else {
    Trim(now_ms);
    const int64_t second = now_ms / 1000;
    // The clock never goes backwards; were it set back, the newest second takes the call.
    if (buckets_.empty() || buckets_.back().second < second) buckets_.push_back({second, 0, 0, 0});
    Bucket& b = buckets_.back();
    b.calls++;
    b.failed += failed;
    b.slow += slow;
  }
  Add(outcome, true);
}

bool Window::Exceeds(const Config& config) const {
  // Integer comparisons: "rate >= threshold" exactly, with no float rounding at the edge.
  return full() && (failed_ * 100 >= static_cast<uint64_t>(config.failure_rate) * calls_ ||
                    slow_ * 100 >= static_cast<uint64_t>(config.slow_rate) * calls_);
}

size_t Window::bytes() const { return ring_.capacity() + buckets_.size() * sizeof(Bucket); }

void Window::Dump(std::string* out) const {
  Put<uint8_t>(out, static_cast<uint8_t>(type_));
  Put<uint8_t>(out, trial_);
  Put<int64_t>(out, size_);
  Put<int64_t>(out, min_calls_);
  if (type_ == WindowType::kCount) {
    Put<uint32_t>(out, static_cast<uint32_t>(ring_.size()));
    // Oldest first, so a restore is a replay.
    for (size_t i = 0; i < ring_.size(); i++) out->push_back(ring_[(head_ + i) % ring_.size()]);
  } else {
    Put<uint32_t>(out, static_cast<uint32_t>(buckets_.size()));
    for (const Bucket& b : buckets_) {
      Put(out, b.second);
      Put(out, b.calls);
      Put(out, b.failed);
      Put(out, b.slow);
    }
  }
}

std::optional<Window> Window::Restore(std::string_view* in) {
  Window w;
  uint8_t type, trial;
  uint32_t n;
  if (!Get(in, &type) || !Get(in, &trial) || !Get(in, &w.size_) || !Get(in, &w.min_calls_) ||
      !Get(in, &n) || type > 1 || trial > 1) {
    return std::nullopt;
  }
  w.type_ = static_cast<WindowType>(type);
  w.trial_ = trial;
  const int64_t max_size = w.type_ == WindowType::kTime
                               ? kMaxTimeWindowSeconds
                               : std::max(kMaxCountWindow, kMaxHalfOpenCalls);
  if ((w.trial_ && w.type_ != WindowType::kCount) || !Between(w.size_, 1, max_size) ||
      !Between(w.min_calls_, 1, kMaxMinCalls) || n > w.size_) {
    return std::nullopt;
  }
  if (w.type_ == WindowType::kCount) {
    if (in->size() < n) return std::nullopt;
    for (uint32_t i = 0; i < n; i++) {
      const uint8_t outcome = static_cast<uint8_t>((*in)[i]);
      if (outcome > (kFailed | kSlow)) return std::nullopt;
      w.ring_.push_back(outcome);
      w.Add(outcome, true);
    }
    in->remove_prefix(n);
    return w;
  }
  for (uint32_t i = 0; i < n; i++) {
    Bucket b;
    if (!Get(in, &b.second) || !Get(in, &b.calls) || !Get(in, &b.failed) || !Get(in, &b.slow) ||
        b.calls == 0 || b.failed > b.calls || b.slow > b.calls ||
        !Between(b.second, 0, kMaxStoredMs / 1000) ||
        (!w.buckets_.empty() && b.second <= w.buckets_.back().second)) {
      return std::nullopt;
    }
    w.buckets_.push_back(b);
    w.calls_ += b.calls;
    w.failed_ += b.failed;
    w.slow_ += b.slow;
  }
  return w;
}

// --- Breaker ---------------------------------------------------------------------------------

Breaker::Breaker(const Config& config, int64_t now_ms)
    : config_(config), since_ms_(now_ms), window_(Window::ForClosed(config)) {}

void Breaker::MoveTo(State to, int64_t at_ms, Transitions* out) {
  if (to == state_) return;
  out->push_back({state_, to, at_ms});
  state_ = to;
  since_ms_ = at_ms;
  consecutive_failures_ = 0;
  trials_.clear();
  // Each state starts its own metrics, as Resilience4j's states do, except OPEN: it keeps the
  // window that tripped it, so CB.STATE shows why it opened.
  if (to == State::kHalfOpen) {
    window_ = Window::ForTrials(config_.half_open_calls);
  } else if (to != State::kOpen) {
    window_ = Window::ForClosed(config_);
  }
}

void Breaker::SettleTrial(bool failed, bool slow, int64_t at_ms, Transitions* out) {
  window_.Record(failed, slow, at_ms);
  if (window_.full()) MoveTo(window_.Exceeds(config_) ? State::kOpen : State::kClosed, at_ms, out);
}

void Breaker::Advance(int64_t now_ms, Transitions* out) {
  for (;;) {
    if (state_ == State::kOpen && now_ms >= since_ms_ + config_.open_ms) {
      MoveTo(State::kHalfOpen, since_ms_ + config_.open_ms, out);
      continue;
    }
    // Resilience4j issue #903: a permit handed out in HALF_OPEN whose call never reports back
    // holds its slot forever ("the half open state has no rolling time window", as the
    // maintainer answered there), and the breaker refuses everything from then on. Here such a
    // trial expires after TRIAL-MS and counts as what an unanswered call is to its caller: a
    // failure (slow too, when TRIAL-MS exceeds SLOW-MS). The round then always completes.
    if (state_ == State::kHalfOpen && !trials_.empty() &&
        now_ms >= trials_.front() + config_.TrialMs()) {
      const int64_t expired_at = trials_.front() + config_.TrialMs();
      trials_.pop_front();
      SettleTrial(true, config_.TrialMs() > config_.slow_ms, expired_at, out);
      continue;
    }
    break;
  }
  window_.Trim(now_ms);
}

Decision Breaker::Allow(int64_t now_ms, Transitions* out) {
  Advance(now_ms, out);
  switch (state_) {
    case State::kClosed:
    case State::kDisabled:
      return {true, state_, 0};
    case State::kOpen:
      not_permitted_++;
      return {false, state_, since_ms_ + config_.open_ms - now_ms};
    case State::kForcedOpen:
      not_permitted_++;
      return {false, state_, -1};
    case State::kHalfOpen:
      break;
  }
  if (window_.calls() + trials_.size() < static_cast<uint64_t>(config_.half_open_calls)) {
    trials_.push_back(now_ms);
    return {true, state_, 0};
  }
  not_permitted_++;
  // Every permit is out: one frees (by report or expiry) at the latest when the oldest expires.
  const int64_t retry = trials_.empty() ? 1 : trials_.front() + config_.TrialMs() - now_ms;
  return {false, state_, std::max<int64_t>(retry, 1)};
}

State Breaker::Record(bool success, int64_t latency_ms, int64_t now_ms, Transitions* out) {
  Advance(now_ms, out);
  const bool failed = !success;
  // Resilience4j: slow when the duration is *greater than* slowCallDurationThreshold.
  const bool slow = latency_ms > config_.slow_ms;
  switch (state_) {
    case State::kDisabled:
      break;  // records nothing
    case State::kClosed:
      window_.Record(failed, slow, now_ms);
      consecutive_failures_ = failed ? consecutive_failures_ + 1 : 0;
      if ((config_.consecutive > 0 &&
           consecutive_failures_ >= static_cast<uint64_t>(config_.consecutive)) ||
          window_.Exceeds(config_)) {
        MoveTo(State::kOpen, now_ms, out);
      }
      break;
    case State::kOpen:
    case State::kForcedOpen:
      // A late outcome of a call permitted before: kept in the metrics (as Resilience4j's open
      // states do) but it decides nothing.
      window_.Record(failed, slow, now_ms);
      break;
    case State::kHalfOpen:
      // Only outcomes that answer a trial permit take part in the round; any other (a call
      // permitted while CLOSED, or a trial that already expired) did not test the recovered
      // upstream. The oldest trial is settled: it is the one closest to expiring.
      if (!trials_.empty()) {
        trials_.pop_front();
        SettleTrial(failed, slow, now_ms, out);
      }
      break;
  }
  return state_;
}

void Breaker::ForceState(Force force, int64_t now_ms, Transitions* out) {
  Advance(now_ms, out);
  const State to = force == Force::kOpen       ? State::kForcedOpen
                   : force == Force::kDisabled ? State::kDisabled
                                               : State::kClosed;
  MoveTo(to, now_ms, out);
  // Forcing the state it already has still starts it afresh.
  window_ = Window::ForClosed(config_);
  trials_.clear();
  consecutive_failures_ = 0;
  if (force == Force::kReset) {
    not_permitted_ = 0;
    since_ms_ = now_ms;
  }
}

void Breaker::Reconfigure(const Config& config, int64_t now_ms, Transitions* out) {
  Advance(now_ms, out);
  const Config old = config_;
  config_ = config;
  if (!window_.trial()) {
    if (old.window_type != config.window_type || old.window_size != config.window_size) {
      window_ = Window::ForClosed(config_);
    } else {
      window_.set_min_calls(config_.EffectiveMinCalls());
    }
  } else if (state_ == State::kHalfOpen && old.half_open_calls != config.half_open_calls) {
    window_ = Window::ForTrials(config_.half_open_calls);  // a new round, of the new size
    trials_.clear();
  }
  Advance(now_ms, out);  // a shorter OPEN-MS or TRIAL-MS may have passed already
}

void Breaker::Dump(std::string* out) const {
  Put<uint8_t>(out, kDumpVersion);
  Put<uint8_t>(out, static_cast<uint8_t>(config_.window_type));
  for (int64_t v : {config_.window_size, config_.failure_rate, config_.slow_rate, config_.slow_ms,
                    config_.min_calls, config_.consecutive, config_.open_ms,
                    config_.half_open_calls, config_.trial_ms}) {
    Put(out, v);
  }
  Put<uint8_t>(out, static_cast<uint8_t>(state_));
  Put(out, since_ms_);
  Put(out, consecutive_failures_);
  Put(out, not_permitted_);
  window_.Dump(out);
  Put<uint32_t>(out, static_cast<uint32_t>(trials_.size()));
  for (int64_t t : trials_) Put(out, t);
}

std::optional<Breaker> Breaker::Restore(std::string_view in) {
  Breaker b;
  Config& c = b.config_;
  uint8_t version, type, state;
  if (!Get(&in, &version) || version != kDumpVersion || !Get(&in, &type) || type > 1) {
    return std::nullopt;
  }
  c.window_type = static_cast<WindowType>(type);
  for (int64_t* v : {&c.window_size, &c.failure_rate, &c.slow_rate, &c.slow_ms, &c.min_calls,
                     &c.consecutive, &c.open_ms, &c.half_open_calls, &c.trial_ms}) {
    if (!Get(&in, v)) return std::nullopt;
  }
  if (Invalid(c) || !Get(&in, &state) || state > static_cast<uint8_t>(State::kForcedOpen) ||
      !Get(&in, &b.since_ms_) || !Between(b.since_ms_, 0, kMaxStoredMs) ||
      !Get(&in, &b.consecutive_failures_) || !Get(&in, &b.not_permitted_)) {
    return std::nullopt;
  }
  b.state_ = static_cast<State>(state);
  std::optional<Window> window = Window::Restore(&in);
  uint32_t trials;
  if (!window || !Get(&in, &trials)) return std::nullopt;
  b.window_ = std::move(*window);
  for (uint32_t i = 0; i < trials; i++) {
    int64_t t;
    if (!Get(&in, &t) || !Between(t, 0, kMaxStoredMs) ||
        (!b.trials_.empty() && t < b.trials_.back())) {
      return std::nullopt;
    }
    b.trials_.push_back(t);
  }
  // The window must be the one its state keeps: a trial round (not yet decided) in HALF_OPEN,
  // the configured window in CLOSED, DISABLED and FORCED_OPEN; either in OPEN.
  const Window& w = b.window_;
  const bool closed_shape = !w.trial() && w.type() == c.window_type && w.size() == c.window_size;
  bool ok = in.empty();
  if (b.state_ == State::kHalfOpen) {
    ok = ok && w.trial() && w.size() == c.half_open_calls &&
         w.calls() + trials <= static_cast<uint64_t>(c.half_open_calls) && !w.full();
  } else {
    ok = ok && trials == 0 && (b.state_ == State::kOpen || closed_shape);
  }
  if (!ok) return std::nullopt;
  return b;
}

}  // namespace pylon::breaker
