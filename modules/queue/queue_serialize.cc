// Queue::Serialize and Deserialize. Host byte order:
//
// [format u8 = 2][config: 5 x i64][next_seq, next_id: u64][stats: 9 x u64]
// [messages kept one by one: u64] each [place u8][reason u8][priority, seq, pushed, due: i64]
//   [deliveries u32][id: u32 length + bytes][payload: u32 length + bytes]
// [backlogs: u64], highest priority first, each [priority i64][records u64][first pushed_ms i64]
//   then per record the varints [seq][id][pushed_ms] as deltas from the record before (the
//   first from seq 0, id 0 and the first pushed_ms), [payload length], and the payload bytes.
#include <algorithm>
#include <cstring>

#include "common/wire.h"
#include "modules/queue/queue.h"
#include "modules/queue/side_records.h"
#include "modules/queue/varint.h"

namespace pylon::queue {
namespace {

constexpr uint8_t kFormat = 2;

using common::wire::Get;
using common::wire::GetText;
using common::wire::Put;
using common::wire::PutText;

void PutBacklog(std::string* out, int64_t priority, const PackedBacklog& backlog) {
  Put(out, priority);
  Put(out, static_cast<uint64_t>(backlog.size()));
  PackedRecord before{0, 0, backlog.Front().pushed_ms, {}};
  Put(out, before.pushed_ms);
  for (PackedBacklog::Cursor c = backlog.Begin(); !c.done(); c.Next()) {
    const PackedRecord r = c.record();
    AppendVarint(out, r.seq - before.seq);
    AppendVarint(out, r.id - before.id);
    AppendVarint(out, static_cast<uint64_t>(r.pushed_ms) - static_cast<uint64_t>(before.pushed_ms));
    AppendVarint(out, r.payload.size());
    out->append(r.payload);
    before = r;
  }
}

// The record after `before` in a backlog, checked: seq and id increase and stay below the queue's
// next ones, push times do not decrease (nor overflow).
bool GetPackedRecord(std::string_view* in, uint64_t next_seq, uint64_t next_id, PackedRecord* r) {
  uint64_t seq, id, ms, length;
  if (!GetVarint(in, &seq) || !GetVarint(in, &id) || !GetVarint(in, &ms) ||
      !GetVarint(in, &length) || length > in->size()) {
    return false;
  }
  // Push times stay within [0, kMaxStoredTimeMs]: the deltas cannot overflow.
  const uint64_t pushed = static_cast<uint64_t>(r->pushed_ms);
  if (seq == 0 || seq >= next_seq - r->seq || id == 0 || id >= next_id - r->id ||
      ms > static_cast<uint64_t>(kMaxStoredTimeMs) - pushed) {
    return false;
  }
  r->seq += seq;
  r->id += id;
  r->pushed_ms = static_cast<int64_t>(pushed + ms);
  r->payload = in->substr(0, length);
  in->remove_prefix(length);
  return true;
}

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
  const SideRecords& side = this->side();
  Put(out, static_cast<uint64_t>(side.by_id.size()));
  for (const Message* m : side.by_id) {
    Put(out, static_cast<uint8_t>(m->place));
    Put(out, static_cast<uint8_t>(m->reason));
    for (int64_t v : {m->priority, static_cast<int64_t>(m->seq), m->pushed_ms, m->due_ms}) {
      Put(out, v);
    }
    Put(out, m->deliveries);
    PutText(out, m->id());
    PutText(out, m->payload());
  }
  Put(out, static_cast<uint64_t>(backlogs_.levels().size()));
  for (const ReadyBacklogs::Level& level : backlogs_.levels())
    PutBacklog(out, level.priority, level.backlog);
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
  if (!Get(&in, &q.next_seq_) || !Get(&in, &q.next_id_)) return std::nullopt;
  for (uint64_t* v : {&st.pushed, &st.deduplicated, &st.delivered, &st.acked, &st.redelivered,
                      &st.dead_lettered, &st.redriven, &st.expired, &st.purged}) {
    if (!Get(&in, v)) return std::nullopt;
  }
  // Every message's seq, to refuse two alike (they would collide in the indexes and the order).
  std::vector<uint64_t> seqs;

  uint64_t count;
  if (!Get(&in, &count)) return std::nullopt;
  for (uint64_t i = 0; i < count; i++) {
    uint8_t place, reason;
    int64_t priority, seq, pushed_ms, due_ms;
    uint32_t deliveries;
    std::string_view id, payload;
    if (!Get(&in, &place) || !Get(&in, &reason) || !Get(&in, &priority) || !Get(&in, &seq) ||
        !Get(&in, &pushed_ms) || !Get(&in, &due_ms) || !Get(&in, &deliveries) ||
        !GetText(&in, &id) || !GetText(&in, &payload)) {
      return std::nullopt;
    }
    // Consistent with what the queue can reach: a known place and reason, a sequence number it
    // handed out, an id used once.
    if (place > static_cast<uint8_t>(Place::kDead) ||
        reason > static_cast<uint8_t>(DeadReason::kNack) || seq < 1 || pushed_ms < 0 ||
        pushed_ms > kMaxStoredTimeMs || due_ms < 0 || due_ms > kMaxStoredTimeMs ||
        static_cast<uint64_t>(seq) >= q.next_seq_ || id.empty() || q.side().Find(id)) {
      return std::nullopt;
    }
    SideRecords& side = q.MutableSide();
    Message& m = *side.Add(id, payload, priority, static_cast<uint64_t>(seq), pushed_ms);
    m.deliveries = deliveries;
    m.reason = static_cast<DeadReason>(reason);
    side.MoveTo(m, static_cast<Place>(place), due_ms);
    seqs.push_back(m.seq);
  }

  uint64_t levels;
  if (!Get(&in, &levels) || levels > ReadyBacklogs::kMaxLevels) return std::nullopt;
  for (uint64_t i = 0; i < levels; i++) {
    int64_t priority;
    PackedRecord r;
    if (!Get(&in, &priority) || !Get(&in, &count) || !Get(&in, &r.pushed_ms) || count == 0 ||
        r.pushed_ms < 0 || r.pushed_ms > kMaxStoredTimeMs) {
      return std::nullopt;
    }
    // Highest priority first, each once: every level is new when its first record comes.
    if (i > 0 && priority >= q.backlogs_.levels().back().priority) return std::nullopt;
    for (uint64_t j = 0; j < count; j++) {
      if (!GetPackedRecord(&in, q.next_seq_, q.next_id_, &r) || !q.backlogs_.Append(priority, r)) {
        return std::nullopt;
      }
      seqs.push_back(r.seq);
    }
  }
  if (!in.empty()) return std::nullopt;

  std::sort(seqs.begin(), seqs.end());
  if (std::adjacent_find(seqs.begin(), seqs.end()) != seqs.end()) return std::nullopt;
  // A generated id in a backlog and also kept one by one would be one message in two places.
  for (const Message* m : q.side().by_id) {
    const std::optional<uint64_t> n = ParseGeneratedId(m->id());
    if (n && q.backlogs_.Find(*n)) return std::nullopt;
  }
  return q;
}

}  // namespace pylon::queue
