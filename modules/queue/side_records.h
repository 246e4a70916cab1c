// The messages a queue keeps one by one, beside its packed backlogs (packed_backlog.h): those
// pushed with an id of their own or a delay, or that could not be packed, and every message once it
// has been popped (in flight, back after a failure, dead, redriven). Their number follows activity
// (leases, failures, ids chosen by clients), not the backlog.
//
// A message is one allocation (its fields, then its id and payload bytes), known by id, and in
// one index by what orders its place (plus one by push time for retention, unless in flight).
// Every byte is counted: each message at malloc's usable size, the indexes' nodes and buckets
// through the allocator they use: ~205 bytes beyond the id and payload (~155 in flight, with one
// index entry fewer).
#pragma once

#include <malloc.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <map>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "common/counting_allocator.h"
#include "modules/queue/queue.h"

namespace pylon::queue {

enum class DeadReason : uint8_t { kNone, kLeaseExpired, kNack };
std::string_view DeadReasonText(DeadReason reason);

struct Message {
  uint64_t seq = 0;  // push order (FIFO among equal priorities)
  int64_t priority = 0;
  int64_t pushed_ms = 0;
  int64_t due_ms = 0;       // delayed: ready at; in flight: lease end; dead: when it died
  uint32_t deliveries = 0;  // pops of this message so far
  uint32_t id_len = 0;
  uint32_t payload_len = 0;
  Place place = Place::kReady;
  DeadReason reason = DeadReason::kNone;

  std::string_view id() const { return {text(), id_len}; }
  std::string_view payload() const { return {text() + id_len, payload_len}; }

 private:
  const char* text() const { return reinterpret_cast<const char*>(this + 1); }
};

struct SideRecords {
  using Key = std::pair<int64_t, uint64_t>;  // (order value, seq)
  using Index = std::map<Key, Message*, std::less<Key>,
                         common::CountingAllocator<std::pair<const Key, Message*>>>;
  // Messages by id, looked up by string_view without building a string.
  struct IdHash {
    using is_transparent = void;
    size_t operator()(std::string_view id) const { return std::hash<std::string_view>{}(id); }
    size_t operator()(const Message* m) const { return (*this)(m->id()); }
  };
  struct IdEqual {
    using is_transparent = void;
    static std::string_view IdOf(std::string_view id) { return id; }
    static std::string_view IdOf(const Message* m) { return m->id(); }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return IdOf(a) == IdOf(b);
    }
  };
  using IdSet = std::unordered_set<Message*, IdHash, IdEqual, common::CountingAllocator<Message*>>;

  SideRecords();
  ~SideRecords();  // frees the messages
  SideRecords(const SideRecords&) = delete;
  SideRecords& operator=(const SideRecords&) = delete;

  // None at all: what a queue reads before it first needs its own.
  static const SideRecords& None();

  // Ready messages in serving order: highest priority first (~priority does not overflow at
  // either end), then push order. Log records compare by the same key.
  static Key ReadyKey(int64_t priority, uint64_t seq) { return {~priority, seq}; }

  Message* Find(std::string_view id) const;
  // A new message, known by id but in no index yet: MoveTo places it.
  Message* Add(std::string_view id, std::string_view payload, int64_t priority, uint64_t seq,
               int64_t pushed_ms);
  // Puts m in `place` (and its index), due at due_ms; Unplace takes it out of its indexes.
  void MoveTo(Message& m, Place place, int64_t due_ms);
  void Unplace(Message& m);
  // Unplaces m and frees it.
  void Erase(Message& m);
  Index& IndexOf(Place place);
  const Index& IndexOf(Place place) const;

  // Declared first so that it is destroyed last: the indexes give their bytes back into it.
  size_t bytes = 0;  // the messages and the indexes (not this struct)
  IdSet by_id;
  Index ready;      // (~priority, seq)
  Index delayed;    // (ready at, seq)
  Index in_flight;  // (lease end, seq)
  Index dead;       // (died at, seq)
  Index by_age;     // (pushed at, seq): retention, for all but in flight
};

}  // namespace pylon::queue
