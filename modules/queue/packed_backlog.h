// The common case of a queue, packed: messages pushed with a generated id and no delay, and not
// popped yet. They cost their payload plus ~4 bytes each, as Redis's listpacks do.
//
// Each priority has a PackedBacklog: an append-only chain of segments. A record is four varints
// (its seq, generated id and push time as deltas from the record before, 1, 1 and ~1 byte; its
// payload's length) and then the payload. A segment's header holds the values of its first
// record, whose deltas are zero, so it decodes on its own and segments can be binary-searched by
// id. Segments grow from 256 bytes, doubling, to 64 KB, and hold at most 1024 records so that a
// lookup by id decodes little; a record too large gets a segment of its own; a segment that is
// full is shrunk to its records. Pops and retention consume at the head, and a consumed segment
// is freed.
//
// Along a backlog, seq and id increase and push times never decrease, so the head is both the next
// to serve and the oldest. A push that would break this (a clock gone back) is not packed: the
// queue keeps that message one by one instead, as it does when there are already kMaxLevels
// priorities in backlogs (which bounds a lookup by id).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace pylon::queue {

// A generated id as text (decimal, from 1), and back; nullopt for any other text ("007" is not
// the generated id 7, it is an id of its own).
std::string_view FormatGeneratedId(uint64_t n, char (&buf)[20]);
std::optional<uint64_t> ParseGeneratedId(std::string_view id);

// A record as read back: its payload is a view into the backlog, valid until the backlog changes.
struct PackedRecord {
  uint64_t seq = 0;  // push order, across the whole queue
  uint64_t id = 0;   // the generated id
  int64_t pushed_ms = 0;
  std::string_view payload;
};

// One priority's ready messages, in push order.
class PackedBacklog {
  struct Segment;
  // The values of a record, decoded, and where it lies: deltas are added record by record.
  struct Position {
    size_t segment = 0;     // index in segments_
    size_t payload_at = 0;  // offsets within the segment's records
    size_t payload_len = 0;
    size_t next = 0;  // where the next record starts
    uint64_t seq = 0;
    uint64_t id = 0;
    int64_t pushed_ms = 0;
  };

 public:
  PackedBacklog() = default;
  ~PackedBacklog();
  // Moves swap, so the backlog moved from is left with what the target held (empty, as vectors
  // shift and insert use it).
  PackedBacklog(PackedBacklog&& other) noexcept { Swap(other); }
  PackedBacklog& operator=(PackedBacklog&& other) noexcept {
    Swap(other);
    return *this;
  }
  PackedBacklog(const PackedBacklog&) = delete;
  PackedBacklog& operator=(const PackedBacklog&) = delete;

  bool empty() const { return count_ == 0; }
  size_t size() const { return count_; }
  // Bytes held: the segments at their allocated size, and the table of them. An empty backlog may
  // keep one small segment for its next appends.
  size_t bytes() const;
  bool holds_segment() const { return !segments_.empty(); }

  // Whether a record pushed at pushed_ms may go last (push times never decrease along a backlog).
  bool Accepts(int64_t pushed_ms) const { return empty() || pushed_ms >= last_.pushed_ms; }
  // Appends r: its seq and id above the last record's, and Accepts(r.pushed_ms).
  void Append(const PackedRecord& r);
  PackedRecord Front() const { return RecordAt(head_); }  // not empty
  void PopFront();                                        // not empty
  // Drops every record and frees every segment.
  void Clear();
  std::optional<PackedRecord> Find(uint64_t id) const;

  // Reads the records in order without consuming them; valid until the backlog changes.
  class Cursor {
   public:
    Cursor() = default;
    bool done() const { return done_; }
    PackedRecord record() const { return backlog_->RecordAt(at_); }
    void Next() { done_ = !backlog_->Step(&at_); }

   private:
    friend class PackedBacklog;
    Cursor(const PackedBacklog* backlog, const Position& at, bool done)
        : backlog_(backlog), at_(at), done_(done) {}
    const PackedBacklog* backlog_ = nullptr;
    Position at_;
    bool done_ = true;
  };
  Cursor Begin() const { return Cursor(this, head_, empty()); }

 private:
  void Swap(PackedBacklog& other) noexcept;
  PackedRecord RecordAt(const Position& p) const;
  // Moves p to the first record of segment i, or on by one record; Step is false past the end.
  void Enter(Position* p, size_t i) const;
  void DecodeNext(Position* p) const;
  bool Step(Position* p) const;
  // A segment for a record of record_bytes at the end, the tail before it sealed.
  Segment* StartSegment(size_t record_bytes);
  void Seal(Segment*& s);
  void Free(Segment* s);
  // The head moved into the next segment: the one it left is freed.
  void DropFirstSegment();
  // Every record consumed: frees the segments, but keeps a small one to refill.
  void Emptied();

  std::vector<Segment*> segments_;  // those before first_ are freed (and compacted away)
  size_t first_ = 0;
  Position head_;  // the first record not consumed, when not empty
  Position last_;  // the values of the last record appended
  size_t count_ = 0;
  size_t segment_bytes_ = 0;  // malloc's usable size of each segment
};

// The backlogs of every priority: the packed part of a queue's ready messages.
class ReadyBacklogs {
 public:
  static constexpr size_t kMaxLevels = 16;
  struct Level {
    int64_t priority = 0;
    PackedBacklog backlog;
  };

  ReadyBacklogs() = default;
  ReadyBacklogs(ReadyBacklogs&& other) noexcept { Swap(other); }
  ReadyBacklogs& operator=(ReadyBacklogs&& other) noexcept {
    Swap(other);
    return *this;
  }

  bool empty() const { return count_ == 0; }
  size_t size() const { return count_; }
  size_t bytes() const { return backlog_bytes_ + levels_.capacity() * sizeof(Level); }

  // Appends r at its priority; false when it cannot be packed (kMaxLevels other priorities
  // already, or pushed earlier than the last of its priority): the caller keeps it elsewhere.
  bool Append(int64_t priority, const PackedRecord& r);
  // The next to serve among the backlogs (highest priority, then oldest), when not empty.
  int64_t FrontPriority() const { return levels_.front().priority; }
  PackedRecord Front() const { return levels_.front().backlog.Front(); }
  void PopFront() { PopFrom(0); }
  // Drops the records pushed retention_ms or longer before now_ms; returns how many.
  size_t Expire(int64_t now_ms, int64_t retention_ms);
  std::optional<int64_t> OldestPushedMs() const;
  std::optional<std::pair<int64_t, PackedRecord>> Find(uint64_t id) const;  // (priority, record)
  // Drops every record and frees every segment; returns how many records.
  size_t Clear();

  const std::vector<Level>& levels() const { return levels_; }

  // Every record in serving order, without consuming; valid until the backlogs change.
  class Cursor {
   public:
    explicit Cursor(const ReadyBacklogs* backlogs) : backlogs_(backlogs) { Enter(0); }
    bool done() const { return level_ == backlogs_->levels_.size(); }
    int64_t priority() const { return backlogs_->levels_[level_].priority; }
    PackedRecord record() const { return at_.record(); }
    void Next();

   private:
    void Enter(size_t level);
    const ReadyBacklogs* backlogs_;
    size_t level_ = 0;
    PackedBacklog::Cursor at_;
  };
  Cursor Begin() const { return Cursor(this); }

 private:
  void Swap(ReadyBacklogs& other) noexcept;
  // Pops level i's front; a level left empty goes (its backlog becoming the spare, if none is).
  void PopFrom(size_t i);

  std::vector<Level> levels_;  // highest priority first; none empty
  PackedBacklog spare_;        // empty, maybe with a small segment for the next new level
  size_t count_ = 0;
  size_t backlog_bytes_ = 0;  // the levels' backlogs and the spare
};

}  // namespace pylon::queue
