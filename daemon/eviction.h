// Eviction policies for maxmemory, as exact O(1) structures (Redis samples; these do not):
// LRU, LFU (Redis's logarithmic counter with decay, kept in one list per counter value), SIEVE
// (NSDI'24) and S3-FIFO (SOSP'23). Pure: no keyspace, no clock of their own; the
// keyspace keeps one policy over its evictable keys, and tests and the hit-ratio simulator
// (bench/cachesim.cc) drive them directly.
//
// Items live in slots: small stable integers that the owner stores with each item (4 bytes), so
// the policy holds no pointer into the item and the item may move (SetHandle). A slot costs the
// policy 24 bytes, and keeps the item's last access time (OBJECT IDLETIME) and, under LFU, its
// counter (OBJECT FREQ). Slots are allocated in chunks of 4096, so the policy grows with the
// keys by 96 KB at a time, never by doubling (a doubling at maxmemory would evict a burst of
// keys to pay for it). Every operation is O(1) (SIEVE's, S3-FIFO's eviction: amortized).
//
// S3-FIFO's ghost adds about 5 bytes per key; it keeps no key's hash, but asks the owner for it
// again (HashOf) when a key leaves.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace pylon::daemon::eviction {

using Handle = uint64_t;  // the owner's reference to an item (an Entry*, a test's key)
inline constexpr uint32_t kNoSlot = UINT32_MAX;
// The hash of an item's key, the same that Insert and Access are given.
using HashOf = std::function<uint64_t(Handle)>;

class Policy {
 public:
  virtual ~Policy() = default;
  virtual std::string_view name() const = 0;

  // A new item (hash: its key's hash, for policies that remember evicted keys).
  virtual uint32_t Insert(Handle handle, uint64_t hash) = 0;
  // The item was read or written.
  virtual void Access(uint32_t slot) = 0;
  // The item was deleted by its owner (DEL, expiry): forget it.
  virtual void Remove(uint32_t slot) = 0;
  // Chooses the item to evict next and forgets it; nullopt when there is none.
  virtual std::optional<Handle> Evict() = 0;
  // The clock, in seconds (never decreasing): stamps accesses; LFU decays by its minutes.
  void SetNow(uint32_t seconds) { now_seconds_ = seconds; }
  // Background upkeep on up to `budget` items (LFU: decays keys nobody touches).
  virtual void Age(size_t /*budget*/) {}
  // What a key of the slot counts for OBJECT FREQ (LFU), or 0.
  virtual uint8_t Frequency(uint32_t /*slot*/) const { return 0; }
  // Seconds since the item was inserted or last accessed (OBJECT IDLETIME).
  uint32_t IdleSeconds(uint32_t slot) const {
    const uint32_t at = node(slot).seconds;
    return now_seconds_ >= at ? now_seconds_ - at : 0;
  }

  // The item moved in memory: its handle changes, its place does not.
  void SetHandle(uint32_t slot, Handle handle) { node(slot).handle = handle; }
  Handle handle(uint32_t slot) const { return node(slot).handle; }
  size_t size() const { return size_; }
  // Bytes the policy itself holds (its slots and lists), for INFO memory.
  virtual size_t overhead_bytes() const {
    return chunks_.size() * kChunk * sizeof(Node) + chunks_.capacity() * sizeof(chunks_[0]);
  }

 protected:
  // One item: its list links (slots), when it was last accessed, and policy state.
  struct Node {
    Handle handle = 0;
    uint32_t prev = kNoSlot, next = kNoSlot;
    uint32_t seconds = 0;  // last access
    uint8_t list = 0;      // which of the policy's lists holds it; 0: a free slot
    uint8_t state = 0;     // LFU counter, SIEVE's visited bit, S3-FIFO's frequency
    uint16_t minutes = 0;  // LFU: when the counter was last decayed
  };
  static_assert(sizeof(Node) == 24);

  // A doubly linked list of slots: head is the newest.
  struct List {
    uint32_t head = kNoSlot, tail = kNoSlot;
    uint32_t count = 0;
  };

  static constexpr uint32_t kChunkBits = 12, kChunk = 1u << kChunkBits;

  Node& node(uint32_t slot) { return chunks_[slot >> kChunkBits][slot & (kChunk - 1)]; }
  const Node& node(uint32_t slot) const { return chunks_[slot >> kChunkBits][slot & (kChunk - 1)]; }
  // A slot for a new item, in list 1 (policies with several lists set their own).
  uint32_t NewSlot(Handle handle);
  void Stamp(uint32_t slot) { node(slot).seconds = now_seconds_; }
  uint32_t minutes() const { return now_seconds_ / 60; }
  void FreeSlot(uint32_t slot);
  void PushHead(List& list, uint32_t slot);
  void Unlink(List& list, uint32_t slot);

  std::vector<std::unique_ptr<Node[]>> chunks_;
  uint32_t slot_count_ = 0;       // slots ever handed out: the chunks' used prefix
  uint32_t free_head_ = kNoSlot;  // free slots, linked through their next field
  size_t size_ = 0;
  uint32_t now_seconds_ = 0;
};

// maxmemory-policy names: "lru", "lfu", "sieve", "s3fifo". LFU's counter grows as
// Redis's with lfu-log-factor and loses one per lfu-decay-time idle minutes (0: never).
struct LfuParams {
  int log_factor = 10;
  int decay_minutes = 1;
};
// nullptr for an unknown name. hash_of is needed by s3fifo only.
std::unique_ptr<Policy> MakePolicy(std::string_view name, LfuParams lfu = {},
                                   HashOf hash_of = nullptr);

}  // namespace pylon::daemon::eviction
