#include "modules/queue/queue.h"

#include <algorithm>
#include <charconv>
#include <cstring>

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

void MessageView::SetGeneratedId(uint64_t n) {
  id_ptr_ = nullptr;
  const auto [end, ec] = std::to_chars(id_buf_, id_buf_ + sizeof(id_buf_), n);
  id_len_ = static_cast<uint32_t>(end - id_buf_);
}

MessageView Queue::ViewOf(const Message& m) {
  MessageView v;
  v.SetId(m.id);
  v.payload = m.payload;
  v.priority = m.priority;
  v.pushed_ms = m.pushed_ms;
  v.due_ms = m.due_ms;
  v.deliveries = m.deliveries;
  v.place = m.place;
  v.dead_reason = m.dead_reason;
  return v;
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
  text_bytes_ -= m.id.size() + m.payload.size();
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
  text_bytes_ += m.id.size() + m.payload.size();
  if (delay_ms > 0) {
    MoveTo(m, Place::kDelayed, now_ms + delay_ms);
  } else {
    MoveTo(m, Place::kReady, 0);
  }
  stats_.pushed++;
  return {m.id, true};
}

std::vector<MessageView> Queue::Pop(int64_t now_ms, size_t count, int64_t lease_ms) {
  Advance(now_ms);
  const int64_t lease = lease_ms > 0 ? lease_ms : config_.lease_ms;
  std::vector<MessageView> out;
  while (out.size() < count && !ready_.empty()) {
    Message& m = *ready_.begin()->second;
    Unplace(m);
    m.deliveries++;
    MoveTo(m, Place::kInFlight, now_ms + lease);
    stats_.delivered++;
    out.push_back(ViewOf(m));
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

std::vector<MessageView> Queue::Peek(size_t count) const {
  std::vector<MessageView> out;
  for (auto it = ready_.begin(); it != ready_.end() && out.size() < count; ++it) {
    out.push_back(ViewOf(*it->second));
  }
  return out;
}

std::vector<MessageView> Queue::Dead(size_t count) const {
  std::vector<MessageView> out;
  for (auto it = dead_.begin(); it != dead_.end() && out.size() < count; ++it) {
    out.push_back(ViewOf(*it->second));
  }
  return out;
}

std::optional<MessageView> Queue::Find(std::string_view id) const {
  auto it = messages_.find(id);
  if (it == messages_.end()) return std::nullopt;
  return ViewOf(it->second);
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

// --- serialization: [version 1][config: 5 x i64][next_seq, next_id: u64][stats: 9 x u64]
// [count: u64] then per message [place u8][reason u8][priority, seq, pushed, due: i64]
// [deliveries u32][id: u32 length + bytes][payload: u32 length + bytes]; host byte order.

namespace {

template <typename T>
void Put(std::string* out, T v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof(v));
}

template <typename T>
bool Get(std::string_view* in, T* v) {
  if (in->size() < sizeof(T)) return false;
  std::memcpy(v, in->data(), sizeof(T));
  in->remove_prefix(sizeof(T));
  return true;
}

void PutText(std::string* out, std::string_view s) {
  Put(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}

bool GetText(std::string_view* in, std::string* s) {
  uint32_t n;
  if (!Get(in, &n) || in->size() < n) return false;
  s->assign(in->substr(0, n));
  in->remove_prefix(n);
  return true;
}

constexpr uint8_t kFormat = 1;

}  // namespace

void Queue::Serialize(std::string* out) const {
  Put(out, kFormat);
  for (int64_t v : {config_.lease_ms, config_.max_deliver, config_.backoff_base_ms,
                    config_.backoff_cap_ms, config_.retention_ms}) {
    Put(out, v);
  }
  Put(out, next_seq_);
  Put(out, next_id_);
  for (uint64_t v :
       {stats_.pushed, stats_.deduplicated, stats_.delivered, stats_.acked, stats_.redelivered,
        stats_.dead_lettered, stats_.redriven, stats_.expired, stats_.purged}) {
    Put(out, v);
  }
  Put(out, static_cast<uint64_t>(messages_.size()));
  for (const auto& [id, m] : messages_) {
    Put(out, static_cast<uint8_t>(m.place));
    Put(out, static_cast<uint8_t>(m.dead_reason == kLeaseExpired ? 1
                                  : m.dead_reason == kNacked     ? 2
                                                                 : 0));
    for (int64_t v : {m.priority, static_cast<int64_t>(m.seq), m.pushed_ms, m.due_ms}) Put(out, v);
    Put(out, m.deliveries);
    PutText(out, m.id);
    PutText(out, m.payload);
  }
}

std::optional<Queue> Queue::Deserialize(std::string_view in) {
  uint8_t format;
  if (!Get(&in, &format) || format != kFormat) return std::nullopt;
  QueueConfig c;
  if (!Get(&in, &c.lease_ms) || !Get(&in, &c.max_deliver) || !Get(&in, &c.backoff_base_ms) ||
      !Get(&in, &c.backoff_cap_ms) || !Get(&in, &c.retention_ms) || ValidateConfig(c)) {
    return std::nullopt;
  }
  Queue q(c);
  QueueStats& st = q.stats_;
  uint64_t count;
  if (!Get(&in, &q.next_seq_) || !Get(&in, &q.next_id_)) return std::nullopt;
  for (uint64_t* v : {&st.pushed, &st.deduplicated, &st.delivered, &st.acked, &st.redelivered,
                      &st.dead_lettered, &st.redriven, &st.expired, &st.purged}) {
    if (!Get(&in, v)) return std::nullopt;
  }
  if (!Get(&in, &count)) return std::nullopt;
  for (uint64_t i = 0; i < count; i++) {
    uint8_t place, reason;
    int64_t seq;
    Message m;
    if (!Get(&in, &place) || !Get(&in, &reason) || !Get(&in, &m.priority) || !Get(&in, &seq) ||
        !Get(&in, &m.pushed_ms) || !Get(&in, &m.due_ms) || !Get(&in, &m.deliveries) ||
        !GetText(&in, &m.id) || !GetText(&in, &m.payload)) {
      return std::nullopt;
    }
    // Consistent with what the queue can reach: a known place and reason, a sequence number it
    // handed out, an id used once.
    if (place > static_cast<uint8_t>(Place::kDead) || reason > 2 || seq < 1 ||
        static_cast<uint64_t>(seq) >= q.next_seq_ || m.id.empty() || q.messages_.count(m.id) != 0) {
      return std::nullopt;
    }
    m.seq = static_cast<uint64_t>(seq);
    m.dead_reason = reason == 1 ? kLeaseExpired : reason == 2 ? kNacked : std::string_view();
    const Place where = static_cast<Place>(place);
    auto [it, inserted] = q.messages_.try_emplace(m.id, std::move(m));
    Message& stored = it->second;
    q.text_bytes_ += stored.id.size() + stored.payload.size();
    // Two messages with one seq would collide in the indexes.
    const size_t before = q.IndexOf(where).size();
    q.MoveTo(stored, where, stored.due_ms);
    if (q.IndexOf(where).size() == before) return std::nullopt;
  }
  if (!in.empty()) return std::nullopt;
  return q;
}

}  // namespace pylon::queue
