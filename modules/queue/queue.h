// A work queue with leases, as a pure state machine over a millisecond clock: no I/O, no
// keyspace. Commands (Q.*, a later step) keep one Queue per key; tests drive it with any clock.
//
// Every message is in exactly one place: ready (served by priority, highest first, then in push
// order), delayed (ready once its time comes), in flight (leased to a worker until its lease
// ends), or dead (it failed too often). Acked messages are gone, and so is their id.
//
// - Push: ready at once, or delayed; an id still known (in any place) is not pushed again.
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
// Costs: O(log n) per message moved; Advance does the work that time made due.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace pylon::queue {

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

struct Message {
  std::string id;
  std::string payload;
  int64_t priority = 0;
  uint64_t seq = 0;  // push order (FIFO among equal priorities)
  int64_t pushed_ms = 0;
  int64_t due_ms = 0;       // delayed: ready at; in flight: lease end; dead: when it died
  uint32_t deliveries = 0;  // pops of this message so far
  Place place = Place::kReady;
  std::string_view dead_reason;  // "lease expired" or "nack" (static strings)
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

class Queue {
 public:
  explicit Queue(const QueueConfig& config = {}) : config_(config) {}
  // The indexes point into the messages: a move keeps them valid, a copy would not.
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;
  Queue(Queue&&) = default;
  Queue& operator=(Queue&&) = default;

  const QueueConfig& config() const { return config_; }
  void set_config(const QueueConfig& config) { config_ = config; }

  struct PushResult {
    std::string id;  // the new message's id, or the existing one's
    bool added = false;
  };
  // id: empty for a generated one (decimal, increasing). delay_ms > 0 delays it.
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

  // Bytes held, O(1): ids and payloads, plus a fixed cost per message for its record and its
  // index entries (an estimate of the allocator's share, for MEMORY USAGE and used_memory).
  size_t bytes() const { return sizeof(*this) + text_bytes_ + messages_.size() * kPerMessage; }
  static constexpr size_t kPerMessage = sizeof(Message) + 64 + 2 * 48;

  // A compact binary form of the config, the counters and every message, and back; nullopt
  // when the bytes are corrupt or inconsistent.
  void Serialize(std::string* out) const;
  static std::optional<Queue> Deserialize(std::string_view bytes);

  size_t ready() const { return ready_.size(); }
  size_t delayed() const { return delayed_.size(); }
  size_t in_flight() const { return in_flight_.size(); }
  size_t dead() const { return dead_.size(); }
  size_t size() const { return messages_.size(); }
  const QueueStats& stats() const { return stats_; }

 private:
  using Key = std::pair<int64_t, uint64_t>;  // (order value, seq)

  static MessageView ViewOf(const Message& m);
  std::map<Key, Message*>& IndexOf(Place place);
  static Key KeyIn(const Message& m);
  // Puts m in `place` (and its index), due at due_ms; Unplace takes it out of its index.
  void MoveTo(Message& m, Place place, int64_t due_ms);
  void Unplace(Message& m);
  void Erase(Message& m);
  // A failed delivery (lease end or nack): dead past MAXDELIVER, else back after delay_ms.
  bool Fail(Message& m, int64_t now_ms, int64_t delay_ms, std::string_view reason);

  // Looks ids up by string_view without building a string.
  struct IdHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  QueueConfig config_;
  // By id: owns every message (nodes never move, so the indexes point into them).
  std::unordered_map<std::string, Message, IdHash, std::equal_to<>> messages_;
  std::map<Key, Message*> ready_;      // (~priority: highest first, seq)
  std::map<Key, Message*> delayed_;    // (ready at, seq)
  std::map<Key, Message*> in_flight_;  // (lease end, seq)
  std::map<Key, Message*> dead_;       // (died at, seq)
  std::map<Key, Message*> by_age_;     // (pushed at, seq): retention, for all but in flight
  size_t text_bytes_ = 0;              // ids and payloads
  uint64_t next_seq_ = 1;
  uint64_t next_id_ = 1;
  QueueStats stats_;
};

}  // namespace pylon::queue
