#include "modules/queue/queue.h"

#include <malloc.h>

#include <algorithm>
#include <charconv>

#include "modules/queue/side_records.h"

namespace pylon::queue {
namespace {

// Whether a backlog record at `priority` is served before the side's ready message at `side_key`.
bool BacklogFirst(int64_t priority, const PackedRecord& r, const SideRecords::Key& side_key) {
  return SideRecords::ReadyKey(priority, r.seq) < side_key;
}

}  // namespace

std::optional<std::string_view> ValidateConfig(const QueueConfig& c) {
  if (c.lease_ms < 1 || c.lease_ms > kMaxTimeMs) return "LEASE must be from 1 to 2^42 ms";
  if (c.max_deliver < 0 || c.max_deliver > UINT32_MAX) {
    return "MAXDELIVER must be from 0 (never dead-letter) to 4294967295";
  }
  if (c.backoff_base_ms < 0 || c.backoff_cap_ms < c.backoff_base_ms ||
      c.backoff_cap_ms > kMaxTimeMs) {
    return "BACKOFF wants 0 <= base <= cap <= 2^42 ms";
  }
  if (c.retention_ms < 1 || c.retention_ms > kMaxTimeMs)
    return "RETENTION must be from 1 to 2^42 ms";
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

Queue::Queue(const QueueConfig& config) : config_(config) {}
Queue::~Queue() = default;
Queue::Queue(Queue&&) noexcept = default;
Queue& Queue::operator=(Queue&&) noexcept = default;

const SideRecords& Queue::side() const { return side_ ? *side_ : SideRecords::None(); }

SideRecords& Queue::MutableSide() {
  if (!side_) side_ = std::make_unique<SideRecords>();
  return *side_;
}

MessageView Queue::ViewOf(const Message& m) {
  MessageView v;
  v.SetId(m.id());
  v.payload = m.payload();
  v.priority = m.priority;
  v.pushed_ms = m.pushed_ms;
  v.due_ms = m.due_ms;
  v.deliveries = m.deliveries;
  v.place = m.place;
  v.dead_reason = DeadReasonText(m.reason);
  return v;
}

MessageView Queue::ViewOf(int64_t priority, const PackedRecord& r) {
  MessageView v;
  v.SetGeneratedId(r.id);
  v.payload = r.payload;
  v.priority = priority;
  v.pushed_ms = r.pushed_ms;
  return v;  // ready, never delivered
}

bool Queue::Known(std::string_view id) const {
  if (side().Find(id)) return true;
  // Generated ids below next_id_ may still be in a backlog.
  const std::optional<uint64_t> n = ParseGeneratedId(id);
  return n && *n < next_id_ && backlogs_.Find(*n);
}

uint64_t Queue::NextGeneratedId() {
  // Numbers at or past next_id_ were never generated: one in use is a client's own id. Each is
  // skipped once, so this is O(1) amortized.
  char buf[20];
  while (side().Find(FormatGeneratedId(next_id_, buf))) next_id_++;
  return next_id_++;
}

Queue::PushResult Queue::Push(int64_t now_ms, std::string_view payload, int64_t delay_ms,
                              int64_t priority, std::string_view id) {
  Record(Op::kPush, {now_ms, delay_ms, priority}, id, payload);
  if (!id.empty() && Known(id)) {
    stats_.deduplicated++;
    return {std::string(id), false};
  }
  const uint64_t seq = next_seq_++;
  stats_.pushed++;
  char buf[20];
  if (id.empty()) {
    const uint64_t n = NextGeneratedId();
    id = FormatGeneratedId(n, buf);
    // The common case goes into a backlog (unless it cannot: see ReadyBacklogs::Append).
    if (delay_ms <= 0 && backlogs_.Append(priority, {seq, n, now_ms, payload})) {
      return {std::string(id), true};
    }
  }
  SideRecords& side = MutableSide();
  Message& m = *side.Add(id, payload, priority, seq, now_ms);
  if (delay_ms > 0) {
    side.MoveTo(m, Place::kDelayed, now_ms + delay_ms);
  } else {
    side.MoveTo(m, Place::kReady, 0);
  }
  return {std::string(id), true};
}

Queue::Source Queue::NextReady() const {
  const auto& ready = side().ready;
  if (backlogs_.empty()) return ready.empty() ? Source::kNone : Source::kSide;
  if (ready.empty()) return Source::kBacklog;
  return BacklogFirst(backlogs_.FrontPriority(), backlogs_.Front(), ready.begin()->first)
             ? Source::kBacklog
             : Source::kSide;
}

std::vector<MessageView> Queue::Pop(int64_t now_ms, size_t count, int64_t lease_ms) {
  Advance(now_ms);
  const int64_t lease = lease_ms > 0 ? lease_ms : config_.lease_ms;
  std::vector<MessageView> out;
  for (Source from = NextReady(); out.size() < count && from != Source::kNone; from = NextReady()) {
    SideRecords& side = MutableSide();
    Message* m;
    if (from == Source::kBacklog) {  // a backlog record becomes a message of its own, in flight
      const PackedRecord r = backlogs_.Front();
      char buf[20];
      m = side.Add(FormatGeneratedId(r.id, buf), r.payload, backlogs_.FrontPriority(), r.seq,
                   r.pushed_ms);
      backlogs_.PopFront();
    } else {
      m = side.ready.begin()->second;
      side.Unplace(*m);
    }
    m->deliveries++;
    side.MoveTo(*m, Place::kInFlight, now_ms + lease);
    stats_.delivered++;
    out.push_back(ViewOf(*m));
  }
  if (!out.empty()) Record(Op::kPop, {now_ms, static_cast<int64_t>(count), lease_ms});
  return out;
}

bool Queue::Ack(std::string_view id) {
  Message* m = side().Find(id);
  if (!m || m->place != Place::kInFlight) return false;
  Record(Op::kAck, {}, id);
  side_->Erase(*m);
  stats_.acked++;
  return true;
}

bool Queue::Fail(Message& m, int64_t now_ms, int64_t delay_ms, DeadReason reason) {
  SideRecords& side = *side_;  // m is one of its messages
  side.Unplace(m);
  if (config_.max_deliver > 0 && m.deliveries >= config_.max_deliver) {
    m.reason = reason;
    side.MoveTo(m, Place::kDead, now_ms);
    stats_.dead_lettered++;
    if (dead_letter_sink_) dead_letter_sink_->push_back(std::string(m.id()));
    return true;
  }
  if (delay_ms > 0) {
    side.MoveTo(m, Place::kDelayed, now_ms + delay_ms);
  } else {
    side.MoveTo(m, Place::kReady, 0);
  }
  stats_.redelivered++;
  return false;
}

Queue::NackResult Queue::Nack(int64_t now_ms, std::string_view id, std::optional<int64_t> delay_ms,
                              Jitter jitter, void* jitter_state) {
  Advance(now_ms);
  Message* m = side().Find(id);
  if (!m || m->place != Place::kInFlight) return NackResult::kNotInFlight;
  int64_t delay = delay_ms.value_or(0);
  if (!delay_ms) {
    // Full jitter: uniform in [0, min(cap, base * 2^(deliveries - 1))].
    const uint32_t doublings = std::min<uint32_t>(m->deliveries - 1, 62);
    int64_t ceiling = config_.backoff_cap_ms;
    if (config_.backoff_base_ms <= (config_.backoff_cap_ms >> doublings)) {
      ceiling = config_.backoff_base_ms << doublings;
    }
    delay = static_cast<int64_t>(jitter(jitter_state, static_cast<uint64_t>(ceiling)));
  }
  Record(Op::kNack, {now_ms, delay}, id);  // the draw, not the backoff: replay draws nothing
  return Fail(*m, now_ms, delay, DeadReason::kNack) ? NackResult::kDead : NackResult::kRequeued;
}

bool Queue::Extend(int64_t now_ms, std::string_view id, int64_t ms) {
  Advance(now_ms);
  Message* m = side().Find(id);
  if (!m || m->place != Place::kInFlight) return false;
  Record(Op::kExtend, {now_ms, ms}, id);
  side_->Unplace(*m);
  side_->MoveTo(*m, Place::kInFlight, now_ms + ms);
  return true;
}

void Queue::Advance(int64_t now_ms) {
  if (ops_) {
    const std::optional<int64_t> due = NextDueMs();
    if (!due || *due > now_ms) return;  // nothing to do (and nothing to record)
    Record(Op::kAdvance, {now_ms});
  }
  // A message is due once the clock reaches its time (a lease of 100 ms taken at t ends at
  // t + 100: the message is ready again then).
  if (side_) {
    SideRecords& side = *side_;
    while (!side.delayed.empty() && side.delayed.begin()->first.first <= now_ms) {
      Message& m = *side.delayed.begin()->second;
      side.Unplace(m);
      side.MoveTo(m, Place::kReady, 0);
    }
    while (!side.in_flight.empty() && side.in_flight.begin()->first.first <= now_ms) {
      Fail(*side.in_flight.begin()->second, now_ms, 0, DeadReason::kLeaseExpired);
    }
    while (!side.by_age.empty() &&
           side.by_age.begin()->first.first + config_.retention_ms <= now_ms) {
      side.Erase(*side.by_age.begin()->second);
      stats_.expired++;
    }
  }
  stats_.expired += backlogs_.Expire(now_ms, config_.retention_ms);
}

std::optional<int64_t> Queue::NextDueMs() const {
  std::optional<int64_t> next;
  auto consider = [&next](int64_t t) { next = next ? std::min(*next, t) : t; };
  const SideRecords& side = this->side();
  if (!side.delayed.empty()) consider(side.delayed.begin()->first.first);
  if (!side.in_flight.empty()) consider(side.in_flight.begin()->first.first);
  if (!side.by_age.empty()) consider(side.by_age.begin()->first.first + config_.retention_ms);
  if (const auto oldest = backlogs_.OldestPushedMs()) consider(*oldest + config_.retention_ms);
  return next;
}

std::vector<MessageView> Queue::Peek(size_t count) const {
  // Both forms, merged as NextReady would serve them.
  std::vector<MessageView> out;
  const auto& ready = side().ready;
  auto it = ready.begin();
  for (ReadyBacklogs::Cursor backlog = backlogs_.Begin(); out.size() < count;) {
    const bool from_backlog =
        !backlog.done() &&
        (it == ready.end() || BacklogFirst(backlog.priority(), backlog.record(), it->first));
    if (from_backlog) {
      out.push_back(ViewOf(backlog.priority(), backlog.record()));
      backlog.Next();
    } else if (it != ready.end()) {
      out.push_back(ViewOf(*it->second));
      ++it;
    } else {
      break;
    }
  }
  return out;
}

std::vector<MessageView> Queue::Dead(size_t count) const {
  std::vector<MessageView> out;
  const auto& dead = side().dead;
  for (auto it = dead.begin(); it != dead.end() && out.size() < count; ++it) {
    out.push_back(ViewOf(*it->second));
  }
  return out;
}

std::optional<MessageView> Queue::Find(std::string_view id) const {
  if (const Message* m = side().Find(id)) return ViewOf(*m);
  const std::optional<uint64_t> n = ParseGeneratedId(id);
  if (!n || *n >= next_id_) return std::nullopt;
  const auto found = backlogs_.Find(*n);
  if (!found) return std::nullopt;
  return ViewOf(found->first, found->second);
}

size_t Queue::Redrive(size_t count) {
  if (!side_) return 0;
  SideRecords& side = *side_;
  size_t moved = 0;
  while (moved < count && !side.dead.empty()) {
    Message& m = *side.dead.begin()->second;
    side.Unplace(m);
    m.deliveries = 0;
    m.reason = DeadReason::kNone;
    side.MoveTo(m, Place::kReady, 0);
    moved++;
  }
  stats_.redriven += moved;
  if (moved > 0) Record(Op::kRedrive, {static_cast<int64_t>(moved)});
  return moved;
}

size_t Queue::Purge(bool dead) {
  size_t dropped = dead ? 0 : backlogs_.Clear();
  if (side_) {
    for (Place place : dead
                           ? std::vector<Place>{Place::kDead}
                           : std::vector<Place>{Place::kReady, Place::kDelayed, Place::kInFlight}) {
      auto& index = side_->IndexOf(place);
      while (!index.empty()) {
        side_->Erase(*index.begin()->second);
        dropped++;
      }
    }
  }
  stats_.purged += dropped;
  if (dropped > 0) Record(Op::kPurge, {dead ? 1 : 0});
  return dropped;
}

size_t Queue::bytes() const {
  size_t total = sizeof(*this) + backlogs_.bytes();
  if (side_) total += malloc_usable_size(side_.get()) + side_->bytes;
  return total;
}

size_t Queue::ready() const { return backlogs_.size() + side().ready.size(); }
size_t Queue::delayed() const { return side().delayed.size(); }
size_t Queue::in_flight() const { return side().in_flight.size(); }
size_t Queue::dead() const { return side().dead.size(); }
size_t Queue::size() const { return backlogs_.size() + side().by_id.size(); }

}  // namespace pylon::queue
