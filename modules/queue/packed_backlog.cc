#include "modules/queue/packed_backlog.h"

#include <malloc.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <new>

#include "modules/queue/varint.h"

namespace pylon::queue {
namespace {

constexpr size_t kMinSegmentBytes = 256;  // a small queue stays small
constexpr size_t kMaxSegmentBytes = 64 * 1024;
constexpr uint32_t kMaxRecordsPerSegment = 1024;  // bounds what a lookup by id decodes
// Slack below this is not worth a realloc when a segment is sealed.
constexpr size_t kShrinkSlack = 64;

}  // namespace

std::string_view FormatGeneratedId(uint64_t n, char (&buf)[20]) {
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), n);
  return {buf, static_cast<size_t>(end - buf)};
}

std::optional<uint64_t> ParseGeneratedId(std::string_view id) {
  if (id.empty() || id.size() > 20 || id[0] < '1' || id[0] > '9') return std::nullopt;
  uint64_t n = 0;
  const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), n);
  if (ec != std::errc() || end != id.data() + id.size()) return std::nullopt;
  return n;
}

// --- PackedBacklog ----------------------------------------------------------------------------

struct PackedBacklog::Segment {
  uint64_t first_seq = 0;  // the first record's values
  uint64_t first_id = 0;
  int64_t first_ms = 0;
  size_t used = 0;      // bytes of records
  size_t capacity = 0;  // bytes of records it has room for
  uint32_t count = 0;   // records

  char* records() { return reinterpret_cast<char*>(this + 1); }
  const char* records() const { return reinterpret_cast<const char*>(this + 1); }
};

PackedBacklog::~PackedBacklog() {
  for (size_t i = first_; i < segments_.size(); i++) std::free(segments_[i]);
}

void PackedBacklog::Swap(PackedBacklog& other) noexcept {
  segments_.swap(other.segments_);
  std::swap(first_, other.first_);
  std::swap(head_, other.head_);
  std::swap(last_, other.last_);
  std::swap(count_, other.count_);
  std::swap(segment_bytes_, other.segment_bytes_);
}

size_t PackedBacklog::bytes() const {
  return segment_bytes_ + segments_.capacity() * sizeof(Segment*);
}

PackedRecord PackedBacklog::RecordAt(const Position& p) const {
  const Segment* s = segments_[p.segment];
  return {p.seq, p.id, p.pushed_ms, std::string_view(s->records() + p.payload_at, p.payload_len)};
}

void PackedBacklog::Enter(Position* p, size_t i) const {
  const Segment* s = segments_[i];
  p->segment = i;
  p->next = 0;
  p->seq = s->first_seq;
  p->id = s->first_id;
  p->pushed_ms = s->first_ms;
}

void PackedBacklog::DecodeNext(Position* p) const {
  const Segment* s = segments_[p->segment];
  const char* at = s->records() + p->next;
  p->seq += ReadVarint(&at);
  p->id += ReadVarint(&at);
  // Unsigned arithmetic: the delta is never negative, and no sum can overflow into UB.
  p->pushed_ms = static_cast<int64_t>(static_cast<uint64_t>(p->pushed_ms) + ReadVarint(&at));
  p->payload_len = ReadVarint(&at);
  p->payload_at = static_cast<size_t>(at - s->records());
  p->next = p->payload_at + p->payload_len;
}

bool PackedBacklog::Step(Position* p) const {
  if (p->next == segments_[p->segment]->used) {
    if (p->segment + 1 == segments_.size()) return false;
    Enter(p, p->segment + 1);
  }
  DecodeNext(p);
  return true;
}

void PackedBacklog::Append(const PackedRecord& r) {
  // The varints: deltas from the record before, or zeros when the record starts its segment
  // (whose header then holds its values).
  auto encode = [&](bool starts, char* out) {
    size_t n = PutVarint(out, starts ? 0 : r.seq - last_.seq);
    n += PutVarint(out + n, starts ? 0 : r.id - last_.id);
    n += PutVarint(
        out + n,
        starts ? 0 : static_cast<uint64_t>(r.pushed_ms) - static_cast<uint64_t>(last_.pushed_ms));
    return n + PutVarint(out + n, r.payload.size());
  };
  char head[4 * kMaxVarint];
  Segment* s = segments_.empty() ? nullptr : segments_.back();
  bool starts = !s || s->count == 0;
  size_t n = encode(starts, head);
  if (!s || s->count == kMaxRecordsPerSegment || s->used + n + r.payload.size() > s->capacity) {
    s = StartSegment(n + r.payload.size());
    starts = true;
    n = encode(true, head);
  }
  if (starts) {
    s->first_seq = r.seq;
    s->first_id = r.id;
    s->first_ms = r.pushed_ms;
  }
  char* at = s->records() + s->used;
  std::memcpy(at, head, n);
  if (!r.payload.empty()) std::memcpy(at + n, r.payload.data(), r.payload.size());
  s->used += n + r.payload.size();
  s->count++;
  last_.seq = r.seq;
  last_.id = r.id;
  last_.pushed_ms = r.pushed_ms;
  if (count_++ == 0) {  // the only segment holds the new head
    Enter(&head_, first_);
    DecodeNext(&head_);
  }
}

PackedBacklog::Segment* PackedBacklog::StartSegment(size_t record_bytes) {
  size_t want = kMinSegmentBytes;
  if (!segments_.empty()) {
    Segment*& tail = segments_.back();
    if (tail->count == 0) {  // the small segment an empty backlog kept: too small for this record
      Free(tail);
      segments_.pop_back();
    } else {
      want = std::clamp(2 * (sizeof(Segment) + tail->used), kMinSegmentBytes, kMaxSegmentBytes);
      Seal(tail);
    }
  }
  want = std::max(want, sizeof(Segment) + record_bytes);
  void* memory = std::malloc(want);
  if (!memory) std::abort();  // as Redis: out of memory is fatal
  const size_t usable = malloc_usable_size(memory);
  Segment* s = new (memory) Segment();
  s->capacity = usable - sizeof(Segment);
  segment_bytes_ += usable;
  segments_.push_back(s);
  return s;
}

void PackedBacklog::Seal(Segment*& s) {
  if (s->capacity - s->used < kShrinkSlack) return;
  const size_t before = malloc_usable_size(s);
  // Shrinking in place is the usual case; positions hold offsets, so a move is fine too.
  void* memory = std::realloc(s, sizeof(Segment) + s->used);
  if (!memory) return;  // it stays as it was
  s = static_cast<Segment*>(memory);
  const size_t usable = malloc_usable_size(memory);
  s->capacity = usable - sizeof(Segment);
  segment_bytes_ = segment_bytes_ - before + usable;
}

void PackedBacklog::Free(Segment* s) {
  segment_bytes_ -= malloc_usable_size(s);
  std::free(s);
}

void PackedBacklog::PopFront() {
  if (--count_ == 0) {
    Emptied();
    return;
  }
  const size_t at = head_.segment;
  Step(&head_);  // there is a next record
  if (head_.segment != at) DropFirstSegment();
}

void PackedBacklog::DropFirstSegment() {
  Free(segments_[first_]);
  segments_[first_++] = nullptr;
  // Compacting once half the table is freed keeps each pop O(1), amortized.
  if (2 * first_ >= segments_.size()) {
    segments_.erase(segments_.begin(), segments_.begin() + static_cast<ptrdiff_t>(first_));
    head_.segment -= first_;
    first_ = 0;
  }
}

void PackedBacklog::Emptied() {
  // The head was the last record: only the last segment is left.
  Segment* last = segments_.back();
  segments_.clear();
  first_ = 0;
  if (segments_.capacity() > 4) segments_.shrink_to_fit();
  if (sizeof(Segment) + last->capacity >= 2 * kMinSegmentBytes) {
    Free(last);
    return;
  }
  // Small: kept, so that a queue which keeps emptying and refilling does not allocate per push.
  last->used = 0;
  last->count = 0;
  segments_.push_back(last);
}

void PackedBacklog::Clear() {
  for (size_t i = first_; i < segments_.size(); i++) Free(segments_[i]);
  std::vector<Segment*>().swap(segments_);
  first_ = 0;
  count_ = 0;
}

std::optional<PackedRecord> PackedBacklog::Find(uint64_t id) const {
  if (empty() || id < head_.id || id > last_.id) return std::nullopt;
  // The last segment starting at or below id (the head's starts below it).
  const auto it =
      std::upper_bound(segments_.begin() + static_cast<ptrdiff_t>(first_), segments_.end(), id,
                       [](uint64_t v, const Segment* s) { return v < s->first_id; });
  Position p;
  Enter(&p, static_cast<size_t>(it - segments_.begin()) - 1);
  // Ids increase along the backlog, and every record from the head on is live.
  while (p.next < segments_[p.segment]->used) {
    DecodeNext(&p);
    if (p.id >= id) return p.id == id ? std::optional(RecordAt(p)) : std::nullopt;
  }
  return std::nullopt;
}

// --- ReadyBacklogs -----------------------------------------------------------------------------

void ReadyBacklogs::Swap(ReadyBacklogs& other) noexcept {
  levels_.swap(other.levels_);
  std::swap(spare_, other.spare_);
  std::swap(count_, other.count_);
  std::swap(backlog_bytes_, other.backlog_bytes_);
}

bool ReadyBacklogs::Append(int64_t priority, const PackedRecord& r) {
  auto it = std::lower_bound(levels_.begin(), levels_.end(), priority,
                             [](const Level& level, int64_t p) { return level.priority > p; });
  if (it == levels_.end() || it->priority != priority) {
    if (levels_.size() == kMaxLevels) return false;
    it = levels_.insert(it, Level{priority, std::move(spare_)});  // the spare is left empty
  } else if (!it->backlog.Accepts(r.pushed_ms)) {
    return false;
  }
  const size_t before = it->backlog.bytes();
  it->backlog.Append(r);
  backlog_bytes_ += it->backlog.bytes() - before;
  count_++;
  return true;
}

void ReadyBacklogs::PopFrom(size_t i) {
  PackedBacklog& backlog = levels_[i].backlog;
  const size_t before = backlog.bytes();
  backlog.PopFront();
  backlog_bytes_ = backlog_bytes_ - before + backlog.bytes();
  count_--;
  if (!backlog.empty()) return;
  if (!spare_.holds_segment()) spare_ = std::move(backlog);  // backlog now holds the old spare
  backlog_bytes_ -= backlog.bytes();
  levels_.erase(levels_.begin() + static_cast<ptrdiff_t>(i));
}

size_t ReadyBacklogs::Expire(int64_t now_ms, int64_t retention_ms) {
  size_t dropped = 0;
  size_t i = 0;
  while (i < levels_.size()) {  // each level's head is its oldest
    if (levels_[i].backlog.Front().pushed_ms + retention_ms > now_ms) {
      i++;
      continue;
    }
    PopFrom(i);  // if that emptied level i, the next one slides into i
    dropped++;
  }
  return dropped;
}

std::optional<int64_t> ReadyBacklogs::OldestPushedMs() const {
  std::optional<int64_t> oldest;
  for (const Level& level : levels_) {
    const int64_t t = level.backlog.Front().pushed_ms;
    if (!oldest || t < *oldest) oldest = t;
  }
  return oldest;
}

std::optional<std::pair<int64_t, PackedRecord>> ReadyBacklogs::Find(uint64_t id) const {
  for (const Level& level : levels_) {
    if (auto r = level.backlog.Find(id)) return std::pair(level.priority, *r);
  }
  return std::nullopt;
}

size_t ReadyBacklogs::Clear() {
  const size_t dropped = count_;
  std::vector<Level>().swap(levels_);
  spare_.Clear();
  count_ = 0;
  backlog_bytes_ = 0;
  return dropped;
}

void ReadyBacklogs::Cursor::Enter(size_t level) {
  level_ = level;
  if (!done()) at_ = backlogs_->levels_[level].backlog.Begin();
}

void ReadyBacklogs::Cursor::Next() {
  at_.Next();
  if (at_.done()) Enter(level_ + 1);
}

}  // namespace pylon::queue
