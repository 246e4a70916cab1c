#include "modules/queue/queue.h"

#include <algorithm>

namespace pylon::queue {
namespace {

constexpr std::string_view kLeaseExpired = "lease expired";
constexpr std::string_view kNacked = "nack";
// Times and counts stay far from overflow: no delay, lease or retention beyond ~100 years.
constexpr int64_t kMaxMs = int64_t{1} << 42;

}  // namespace

std::optional<std::string_view> ValidateConfig(const QueueConfig& c) {
  if (c.lease_ms < 1 || c.lease_ms > kMaxMs) return "LEASE must be from 1 to 2^42 ms";
  if (c.max_deliver < 0 || c.max_deliver > UINT32_MAX) {
    return "MAXDELIVER must be from 0 (never dead-letter) to 4294967295";
  }
  if (c.backoff_base_ms < 0 || c.backoff_cap_ms < c.backoff_base_ms || c.backoff_cap_ms > kMaxMs) {
    return "BACKOFF wants 0 <= base <= cap <= 2^42 ms";
  }
  if (c.retention_ms < 1 || c.retention_ms > kMaxMs) return "RETENTION must be from 1 to 2^42 ms";
  return std::nullopt;
}

std::string_view PlaceName(Place place) {
  switch (place) {
    case Place::kReady:
      return "ready";
    case Place::kDelayed:
      return "delayed";
    case Place::kInFlight:
      return "inflight";
    case Place::kDead:
      break;
  }
  return "dead";
}

std::map<Queue::Key, Message*>& Queue::IndexOf(Place place) {
  switch (place) {
    case Place::kReady:
      return ready_;
    case Place::kDelayed:
      return delayed_;
    case Place::kInFlight:
      return in_flight_;
    case Place::kDead:
      break;
  }
  return dead_;
}

Queue::Key Queue::KeyIn(const Message& m) {
  // ~priority orders the highest priority first without overflowing at either end.
  return m.place == Place::kReady ? Key{~m.priority, m.seq} : Key{m.due_ms, m.seq};
}

void Queue::MoveTo(Message& m, Place place, int64_t due_ms) {
  m.place = place;
  m.due_ms = due_ms;
  IndexOf(place).emplace(KeyIn(m), &m);
  if (place != Place::kInFlight) by_age_.emplace(Key{m.pushed_ms, m.seq}, &m);
}

void Queue::Unplace(Message& m) {
  IndexOf(m.place).erase(KeyIn(m));
  if (m.place != Place::kInFlight) by_age_.erase(Key{m.pushed_ms, m.seq});
}

void Queue::Erase(Message& m) {
  Unplace(m);
  messages_.erase(messages_.find(m.id));  // by iterator: the key lives in the node erased
}

Queue::PushResult Queue::Push(int64_t now_ms, std::string_view payload, int64_t delay_ms,
                              int64_t priority, std::string_view id) {
  std::string key = id.empty() ? std::to_string(next_id_++) : std::string(id);
  auto [it, inserted] = messages_.try_emplace(key);
  if (!inserted) {
    stats_.deduplicated++;
    return {std::move(key), false};
  }
  Message& m = it->second;
  m.id = std::move(key);
  m.payload.assign(payload);
  m.priority = priority;
  m.seq = next_seq_++;
  m.pushed_ms = now_ms;
  if (delay_ms > 0) {
    MoveTo(m, Place::kDelayed, now_ms + delay_ms);
  } else {
    MoveTo(m, Place::kReady, 0);
  }
  stats_.pushed++;
  return {m.id, true};
}

std::vector<const Message*> Queue::Pop(int64_t now_ms, size_t count, int64_t lease_ms) {
  Advance(now_ms);
  const int64_t lease = lease_ms > 0 ? lease_ms : config_.lease_ms;
  std::vector<const Message*> out;
  while (out.size() < count && !ready_.empty()) {
    Message& m = *ready_.begin()->second;
    Unplace(m);
    m.deliveries++;
    MoveTo(m, Place::kInFlight, now_ms + lease);
    stats_.delivered++;
    out.push_back(&m);
  }
  return out;
}

bool Queue::Ack(std::string_view id) {
  auto it = messages_.find(id);
  if (it == messages_.end() || it->second.place != Place::kInFlight) return false;
  Erase(it->second);
  stats_.acked++;
  return true;
}

bool Queue::Fail(Message& m, int64_t now_ms, int64_t delay_ms, std::string_view reason) {
  Unplace(m);
  if (config_.max_deliver > 0 && m.deliveries >= config_.max_deliver) {
    m.dead_reason = reason;
    MoveTo(m, Place::kDead, now_ms);
    stats_.dead_lettered++;
    return true;
  }
  if (delay_ms > 0) {
    MoveTo(m, Place::kDelayed, now_ms + delay_ms);
  } else {
    MoveTo(m, Place::kReady, 0);
  }
  stats_.redelivered++;
  return false;
}

Queue::NackResult Queue::Nack(int64_t now_ms, std::string_view id, std::optional<int64_t> delay_ms,
                              Jitter jitter, void* jitter_state) {
  Advance(now_ms);
  auto it = messages_.find(id);
  if (it == messages_.end() || it->second.place != Place::kInFlight) {
    return NackResult::kNotInFlight;
  }
  Message& m = it->second;
  int64_t delay = delay_ms.value_or(0);
  if (!delay_ms) {
    // Full jitter: uniform in [0, min(cap, base * 2^(deliveries - 1))].
    const uint32_t doublings = std::min<uint32_t>(m.deliveries - 1, 62);
    int64_t ceiling = config_.backoff_cap_ms;
    if (config_.backoff_base_ms <= (config_.backoff_cap_ms >> doublings)) {
      ceiling = config_.backoff_base_ms << doublings;
    }
    delay = static_cast<int64_t>(jitter(jitter_state, static_cast<uint64_t>(ceiling)));
  }
  return Fail(m, now_ms, delay, kNacked) ? NackResult::kDead : NackResult::kRequeued;
}

bool Queue::Extend(int64_t now_ms, std::string_view id, int64_t ms) {
  Advance(now_ms);
  auto it = messages_.find(id);
  if (it == messages_.end() || it->second.place != Place::kInFlight) return false;
  Message& m = it->second;
  Unplace(m);
  MoveTo(m, Place::kInFlight, now_ms + ms);
  return true;
}

void Queue::Advance(int64_t now_ms) {
  // A message is due once the clock reaches its time (a lease of 100 ms taken at t ends at
  // t + 100: the message is ready again then).
  while (!delayed_.empty() && delayed_.begin()->first.first <= now_ms) {
    Message& m = *delayed_.begin()->second;
    Unplace(m);
    MoveTo(m, Place::kReady, 0);
  }
  while (!in_flight_.empty() && in_flight_.begin()->first.first <= now_ms) {
    Fail(*in_flight_.begin()->second, now_ms, 0, kLeaseExpired);
  }
  while (!by_age_.empty() && by_age_.begin()->first.first + config_.retention_ms <= now_ms) {
    Erase(*by_age_.begin()->second);
    stats_.expired++;
  }
}

std::optional<int64_t> Queue::NextDueMs() const {
  std::optional<int64_t> next;
  auto consider = [&next](int64_t t) { next = next ? std::min(*next, t) : t; };
  if (!delayed_.empty()) consider(delayed_.begin()->first.first);
  if (!in_flight_.empty()) consider(in_flight_.begin()->first.first);
  if (!by_age_.empty()) consider(by_age_.begin()->first.first + config_.retention_ms);
  return next;
}

std::vector<const Message*> Queue::Peek(size_t count) const {
  std::vector<const Message*> out;
  for (auto it = ready_.begin(); it != ready_.end() && out.size() < count; ++it) {
    out.push_back(it->second);
  }
  return out;
}

std::vector<const Message*> Queue::Dead(size_t count) const {
  std::vector<const Message*> out;
  for (auto it = dead_.begin(); it != dead_.end() && out.size() < count; ++it) {
    out.push_back(it->second);
  }
  return out;
}

const Message* Queue::Find(std::string_view id) const {
  auto it = messages_.find(id);
  return it == messages_.end() ? nullptr : &it->second;
}

size_t Queue::Redrive(size_t count) {
  size_t moved = 0;
  while (moved < count && !dead_.empty()) {
    Message& m = *dead_.begin()->second;
    Unplace(m);
    m.deliveries = 0;
    m.dead_reason = {};
    MoveTo(m, Place::kReady, 0);
    moved++;
  }
  stats_.redriven += moved;
  return moved;
}

size_t Queue::Purge(bool dead) {
  size_t dropped = 0;
  for (Place place : dead ? std::vector<Place>{Place::kDead}
                          : std::vector<Place>{Place::kReady, Place::kDelayed, Place::kInFlight}) {
    auto& index = IndexOf(place);
    while (!index.empty()) {
      Erase(*index.begin()->second);
      dropped++;
    }
  }
  stats_.purged += dropped;
  return dropped;
}

}  // namespace pylon::queue
