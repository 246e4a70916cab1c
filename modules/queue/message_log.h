// The common case of a queue, packed: messages pushed with a generated id and no delay, and not
// popped yet. They cost their payload plus ~4 bytes each, as Redis's listpacks do.
//
// Each priority has a MessageLog: an append-only chain of segments. A record is four varints
// (its seq, generated id and push time as deltas from the record before, 1, 1 and ~1 byte; its
// payload's length) and then the payload. A segment's header holds the values of its first
// record, whose deltas are zero, so it decodes on its own and segments can be binary-searched by
// id. Segments grow from 256 bytes, doubling, to 64 KB, and hold at most 1024 records so that a
// lookup by id decodes little; a record too large gets a segment of its own; a segment that is
// full is shrunk to its records. Pops and retention consume at the head, and a consumed segment
// is freed.
//
// Along a log, seq and id increase and push times never decrease, so the head is both the next
// to serve and the oldest. A push that would break this (a clock gone back) is not logged: the
// queue keeps that message one by one instead, as it does when there are already kMaxLevels
// priorities in logs (which bounds a lookup by id).
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

// A record as read back: its payload is a view into the log, valid until the log changes.
struct LogRecord {
  uint64_t seq = 0;  // push order, across the whole queue
  uint64_t id = 0;   // the generated id
  int64_t pushed_ms = 0;
  std::string_view payload;
};

// One priority's ready messages, in push order.
class MessageLog {
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
  MessageLog() = default;
  ~MessageLog();
  // Moves swap, so the log moved from is left with what the target held (empty, as vectors
  // shift and insert use it).
  MessageLog(MessageLog&& other) noexcept { Swap(other); }
  MessageLog& operator=(MessageLog&& other) noexcept {
    Swap(other);
    return *this;
  }
  MessageLog(const MessageLog&) = delete;
  MessageLog& operator=(const MessageLog&) = delete;

  bool empty() const { return count_ == 0; }
  size_t size() const { return count_; }
  // Bytes held: the segments at their allocated size, and the table of them. An empty log may
  // keep one small segment for its next appends.
  size_t bytes() const;
  bool holds_segment() const { return !segments_.empty(); }

  // Whether a record pushed at pushed_ms may go last (push times never decrease along a log).
  bool Accepts(int64_t pushed_ms) const { return empty() || pushed_ms >= last_.pushed_ms; }
  // Appends r: its seq and id above the last record's, and Accepts(r.pushed_ms).
  void Append(const LogRecord& r);
  LogRecord Front() const { return RecordAt(head_); }  // not empty
  void PopFront();                                     // not empty
  // Drops every record and frees every segment.
  void Clear();
  std::optional<LogRecord> Find(uint64_t id) const;

  // Reads the records in order without consuming them; valid until the log changes.
  class Cursor {
   public:
    Cursor() = default;
    bool done() const { return done_; }
    LogRecord record() const { return log_->RecordAt(at_); }
    void Next() { done_ = !log_->Step(&at_); }

   private:
    friend class MessageLog;
    Cursor(const MessageLog* log, const Position& at, bool done)
        : log_(log), at_(at), done_(done) {}
    const MessageLog* log_ = nullptr;
    Position at_;
    bool done_ = true;
  };
  Cursor Begin() const { return Cursor(this, head_, empty()); }

 private:
  void Swap(MessageLog& other) noexcept;
  LogRecord RecordAt(const Position& p) const;
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

// The logs of every priority: the packed part of a queue's ready messages.
class ReadyLogs {
 public:
  static constexpr size_t kMaxLevels = 16;
  struct Level {
    int64_t priority = 0;
    MessageLog log;
  };

  ReadyLogs() = default;
  ReadyLogs(ReadyLogs&& other) noexcept { Swap(other); }
  ReadyLogs& operator=(ReadyLogs&& other) noexcept {
    Swap(other);
    return *this;
  }

  bool empty() const { return count_ == 0; }
  size_t size() const { return count_; }
  size_t bytes() const { return log_bytes_ + levels_.capacity() * sizeof(Level); }

  // Appends r at its priority; false when it cannot be logged (kMaxLevels other priorities
  // already, or pushed earlier than the last of its priority): the caller keeps it elsewhere.
  bool Append(int64_t priority, const LogRecord& r);
  // The next to serve among the logs (highest priority, then oldest), when not empty.
  int64_t FrontPriority() const { return levels_.front().priority; }
  LogRecord Front() const { return levels_.front().log.Front(); }
  void PopFront() { PopFrom(0); }
  // Drops the records pushed retention_ms or longer before now_ms; returns how many.
  size_t Expire(int64_t now_ms, int64_t retention_ms);
  std::optional<int64_t> OldestPushedMs() const;
  std::optional<std::pair<int64_t, LogRecord>> Find(uint64_t id) const;  // (priority, record)
  // Drops every record and frees every segment; returns how many records.
  size_t Clear();

  const std::vector<Level>& levels() const { return levels_; }

  // Every record in serving order, without consuming; valid until the logs change.
  class Cursor {
   public:
    explicit Cursor(const ReadyLogs* logs) : logs_(logs) { Enter(0); }
    bool done() const { return level_ == logs_->levels_.size(); }
    int64_t priority() const { return logs_->levels_[level_].priority; }
    LogRecord record() const { return at_.record(); }
    void Next();

   private:
    void Enter(size_t level);
    const ReadyLogs* logs_;
    size_t level_ = 0;
    MessageLog::Cursor at_;
  };
  Cursor Begin() const { return Cursor(this); }

 private:
  void Swap(ReadyLogs& other) noexcept;
  // Pops level i's front; a level left empty goes (its log becoming the spare, if none is).
  void PopFrom(size_t i);

  std::vector<Level> levels_;  // highest priority first; none empty
  MessageLog spare_;           // empty, maybe with a small segment for the next new level
  size_t count_ = 0;
  size_t log_bytes_ = 0;  // the levels' logs and the spare
};

}  // namespace pylon::queue
