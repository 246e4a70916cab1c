// A work queue with leases, as a pure state machine over a millisecond clock: no I/O, no
// keyspace. Commands (Q.*) keep one Queue per key; tests drive it with any clock.
//
// Every message is in exactly one place: ready (served by priority, highest first, then in push
// order), delayed (ready once its time comes), in flight (leased to a worker until its lease
// ends), or dead (it failed too often). Acked messages are gone, and so is their id.
//
// - Push: ready at once, or delayed; an id still known (in any place) is not pushed again. A
//   generated id is the next number not in use as a message's id.
// - Pop: leases ready messages for LEASE ms and counts a delivery. A lease that ends without an
//   ack puts the message back as ready, its deliveries kept.
// - Nack: back now, after a given delay, or after the queue's backoff: exponential with full
//   jitter, a delay drawn uniformly in [0, min(cap, base * 2^(deliveries - 1))] (AWS's "Full
//   Jitter").
// - A message that fails (lease end or nack) after MAXDELIVER deliveries goes to the dead
//   letters instead, with the reason and the time; Redrive brings dead letters back as ready
//   with their deliveries reset.
// - Retention: a message not in flight that was pushed more than RETENTION ms ago is dropped
//   (dead letters included).
//
// Storage, in two forms. The backlog is the common case: messages pushed with a generated id
// and no delay, never popped. Those are packed in one append-only chain of segments per priority
// (packed_backlog.h): a record is ~4 bytes of varints and the payload, so a message with a 100-byte
// payload costs ~105 bytes (Redis Streams: ~115). Every other message (an id of its own, a
// delay, or popped at least once: in flight, back after a failure, dead) is kept one by one
// (side_records.h): one allocation with its id and payload, in a hash set by id and ordered
// indexes, ~205 bytes beyond id and payload (~155 in flight); those follow the activity, not
// the backlog. Pop, Peek and retention merge both forms in one order.
//
// Costs: O(log n) per message moved; a lookup by a generated id that is still in a backlog decodes
// part of one segment (at most 1024 records). Advance does the work that time made due.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modules/queue/packed_backlog.h"

namespace pylon::queue {

// The longest delay, lease, backoff or retention (~139 years): times stay far from overflow.
inline constexpr int64_t kMaxTimeMs = int64_t{1} << 42;
// The latest point in time a stored queue may name (a push, a due time): far past any clock,
// and far enough below 2^63 that adding a duration to it cannot overflow. Dumps and packed
// operations that name a later one are refused.
inline constexpr int64_t kMaxStoredTimeMs = int64_t{1} << 62;

struct QueueConfig {
  int64_t lease_ms = 30000;        // how long a pop leases a message
  int64_t max_deliver = 5;         // deliveries before a failure dead-letters; 0: never
  int64_t backoff_base_ms = 1000;  // the NACK backoff's first step
  int64_t backoff_cap_ms = 60000;  // and its ceiling
  int64_t retention_ms = int64_t{4} * 24 * 3600 * 1000;  // 4 days, as SQS

  bool operator==(const QueueConfig&) const = default;
};

// Why a config cannot be used (the text after "ERR "); nullopt when it is valid.
std::optional<std::string_view> ValidateConfig(const QueueConfig& config);

enum class Place : uint8_t { kReady, kDelayed, kInFlight, kDead };
std::string_view PlaceName(Place place);

// A message as readers see it: views into the queue, valid until the queue next changes.
// Copies are safe (a generated id is kept inside the view).
class MessageView {
 public:
  std::string_view id() const {
    return id_ptr_ ? std::string_view(id_ptr_, id_len_) : std::string_view(id_buf_, id_len_);
  }
  std::string_view payload;
  int64_t priority = 0;
  int64_t pushed_ms = 0;
  int64_t due_ms = 0;       // delayed: ready at; in flight: lease end; dead: when it died
  uint32_t deliveries = 0;  // pops of this message so far
  Place place = Place::kReady;
  std::string_view dead_reason;  // "lease expired" or "nack"; empty unless dead

  // The id as stored bytes (kept by the queue), or as a number written into the view.
  void SetId(std::string_view id) {
    id_ptr_ = id.data();
    id_len_ = static_cast<uint32_t>(id.size());
  }
  void SetGeneratedId(uint64_t n);

 private:
  const char* id_ptr_ = nullptr;
  uint32_t id_len_ = 0;
  char id_buf_[20] = {};
};

struct QueueStats {
  uint64_t pushed = 0;
  uint64_t deduplicated = 0;  // pushes of an id already present
  uint64_t delivered = 0;     // pops, redeliveries included
  uint64_t acked = 0;
  uint64_t redelivered = 0;  // back to ready or delayed after a lease end or a nack
  uint64_t dead_lettered = 0;
  uint64_t redriven = 0;
  uint64_t expired = 0;  // dropped by retention
  uint64_t purged = 0;
};

// A source of randomness for the backoff's jitter: returns a value in [0, bound] (inclusive).
using Jitter = uint64_t (*)(void* state, uint64_t bound);

// Internal (side_records.h): messages kept one by one.
struct Message;
struct SideRecords;
enum class DeadReason : uint8_t;

class Queue {
 public:
  explicit Queue(const QueueConfig& config = {});
  ~Queue();
  // The indexes point into the messages: a move keeps them valid, a copy would not.
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;
  Queue(Queue&&) noexcept;
  Queue& operator=(Queue&&) noexcept;

  const QueueConfig& config() const { return config_; }
  void set_config(const QueueConfig& config);
  // While set, the id of every message that goes to the dead letters is appended to *ids (the
  // server announces them).
  void set_dead_letter_sink(std::vector<std::string>* ids) { dead_letter_sink_ = ids; }
  // While set, every change is appended to *ops as an operation that ApplyChanges replays to
  // the same state: the time it ran at and the backoff's random draw are written in it
  // (daemon/change_recorder.h: the append-only log writes these instead of the whole queue).
  void set_change_recorder(std::string* ops) { ops_ = ops; }
  // Replays operations recorded from a queue in this one's state; false when they are corrupt.
  bool ApplyChanges(std::string_view ops);

  struct PushResult {
    std::string id;  // the new message's id, or the existing one's
    bool added = false;
  };
  // id: empty for a generated one (decimal, increasing, skipping numbers that are ids of
  // messages pushed with their own). delay_ms > 0 delays it.
  PushResult Push(int64_t now_ms, std::string_view payload, int64_t delay_ms, int64_t priority,
                  std::string_view id = {});

  // Leases up to `count` ready messages (highest priority first, FIFO among equals) for
  // lease_ms (the config's when 0); returns them, their delivery counted.
  std::vector<MessageView> Pop(int64_t now_ms, size_t count, int64_t lease_ms = 0);

  // Removes an in-flight message; false if `id` is not in flight.
  bool Ack(std::string_view id);

  enum class NackResult { kNotInFlight, kRequeued, kDead };
  // Requeues an in-flight message: after delay_ms if given (0: ready now), else after the
  // backoff (jitter draws its random part). Past MAXDELIVER it goes to the dead letters.
  NackResult Nack(int64_t now_ms, std::string_view id, std::optional<int64_t> delay_ms,
                  Jitter jitter, void* jitter_state);

  // Sets an in-flight message's lease to end ms from now; false if it is not in flight.
  bool Extend(int64_t now_ms, std::string_view id, int64_t ms);

  // Moves what time made due: delayed messages to ready, ended leases to ready or dead, and
  // drops what retention expired. Call before reading state at now_ms.
  void Advance(int64_t now_ms);
  // When Advance next has something to do (the earliest delay, lease or retention end);
  // nullopt when nothing waits on time.
  std::optional<int64_t> NextDueMs() const;

  // Reading, in serving order for ready messages and in death order for dead letters.
  std::vector<MessageView> Peek(size_t count) const;
  std::vector<MessageView> Dead(size_t count) const;
  std::optional<MessageView> Find(std::string_view id) const;

  // Dead letters back to ready, oldest death first, deliveries reset; returns how many.
  size_t Redrive(size_t count);
  // Drops every ready, delayed and in-flight message (dead: the dead letters instead);
  // returns how many.
  size_t Purge(bool dead);

  // Bytes held, O(1), as allocated (malloc's usable size of every block: backlog segments,
  // messages kept one by one, index nodes and buckets; containers at their capacity), for
  // MEMORY USAGE and used_memory. sizeof(*this) included.
  size_t bytes() const;

  // A compact binary form of the config, the counters and every message, and back; nullopt
  // when the bytes are corrupt or inconsistent.
  void Serialize(std::string* out) const;
  static std::optional<Queue> Deserialize(std::string_view bytes);

  size_t ready() const;
  size_t delayed() const;
  size_t in_flight() const;
  size_t dead() const;
  size_t size() const;
  const QueueStats& stats() const { return stats_; }

 private:
  static MessageView ViewOf(const Message& m);
  static MessageView ViewOf(int64_t priority, const PackedRecord& r);
  // The side records, made on first need; a queue without any (new, or moved from) reads None.
  const SideRecords& side() const;
  SideRecords& MutableSide();
  // Whether id is a message's, in either form.
  bool Known(std::string_view id) const;
  // The next generated id: a number no message has as its id.
  uint64_t NextGeneratedId();
  // Which form holds the next ready message to serve (compared by priority, then seq).
  enum class Source { kNone, kBacklog, kSide };
  Source NextReady() const;
  // A failed delivery (lease end or nack): dead past MAXDELIVER, else back after delay_ms.
  bool Fail(Message& m, int64_t now_ms, int64_t delay_ms, DeadReason reason);
  // The operations of a change recorder (queue_changes.cc has their encoding), and Record, which
  // appends one to ops_ when set.
  enum class Op : uint8_t {
    kAdvance,  // now
    kPush,     // now, delay, priority; id, payload
    kPop,      // now, count, lease
    kAck,      // ; id
    kNack,     // now, delay; id
    kExtend,   // now, ms; id
    kRedrive,  // count
    kPurge,    // dead (0 or 1)
    kConfig,   // lease, max_deliver, backoff base, backoff cap, retention
    kCount
  };
  void Record(Op op, std::initializer_list<int64_t> numbers, std::string_view id = {},
              std::string_view payload = {});

  QueueConfig config_;
  ReadyBacklogs backlogs_;             // ready messages with generated ids, never popped
  std::unique_ptr<SideRecords> side_;  // every other message
  uint64_t next_seq_ = 1;
  uint64_t next_id_ = 1;
  QueueStats stats_;
  std::vector<std::string>* dead_letter_sink_ = nullptr;  // not serialized: set per command
  std::string* ops_ = nullptr;                            // likewise
};

}  // namespace pylon::queue
