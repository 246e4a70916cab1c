// The keyspace: one table of typed values, as in Redis. Strings live inside their entries; any
// other type is a Value (see value.h). Expiry is lazy on access (every lookup but a peek deletes
// an expired key) plus an active, time-bounded sampling cycle that the server's cron runs, so
// expired keys nobody reads do not pile up. Time comes from the server's Clock, so tests drive
// expiry with the test clock instead of sleeping.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/clock.h"
#include "daemon/entry.h"
#include "daemon/eviction.h"
#include "daemon/key_table.h"
#include "daemon/lazy_free.h"
#include "daemon/value.h"

namespace pylon::daemon {

// How a command looks a key up (Redis's lookupKey flags).
enum class Lookup : uint8_t {
  kRead,         // reads: expire lazily, count a hit or a miss, refresh the LRU/LFU data
  kReadNoTouch,  // EXISTS, TYPE, TTL: expire lazily, count a hit or a miss
  kWrite,        // writes: expire lazily, refresh the LRU/LFU data
  kExpire,       // DEL, SCAN: expire lazily, nothing else
  kPeek,         // no side effect at all (MEMORY USAGE, WATCH's checks): may be expired
};

// A key's place in the table, found by Keyspace::Locate for one command: its entry (nullptr
// when absent) and where it sits. Valid until the next keyspace call that is not given this
// ref; the calls that take it keep it up to date. The key is a view: the caller keeps its bytes
// alive for as long as it uses the ref (a command's arguments always are).
struct KeyRef {
  std::string_view key;
  uint64_t hash = 0;
  KeyTable::Slot slot;
  Entry* entry = nullptr;
};

// What a write does to the key's time to live.
struct Ttl {
  enum class Mode : uint8_t { kClear, kKeep, kSet };
  Mode mode = Mode::kClear;
  int64_t at_ms = 0;  // kSet: unix time in ms
  static Ttl Clear() { return {}; }
  static Ttl Keep() { return {Mode::kKeep, 0}; }
  static Ttl At(int64_t ms) { return {Mode::kSet, ms}; }
};

// Told about changes, e.g. by WATCH.
class KeyspaceListener {
 public:
  virtual ~KeyspaceListener() = default;
  // After a key was written, deleted or expired (the key view is valid during the call).
  virtual void KeyModified(std::string_view key) = 0;
  // Before every key is removed (FLUSHALL).
  virtual void BeforeFlush() = 0;
  // What the keyspace itself did to a key, for keyspace notifications (the key view is valid
  // during the call; an expired or evicted key is already out of the table).
  enum class Event : uint8_t { kNew, kExpired, kEvicted, kMiss };
  virtual void KeyEvent(Event /*event*/, std::string_view /*key*/) {}
};

struct KeyspaceStats {
  uint64_t evicted_keys = 0;
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t expired_keys = 0;
  uint64_t expire_cycle_time_cap_reached = 0;
  double expired_stale_perc = 0;  // running average of expired keys among those sampled
};

// Redis's choice of string encoding for a value a client stored: int when it is a canonical
// 64-bit integer, embstr up to 44 bytes, raw beyond.
Entry::Encoding EncodingFor(std::string_view value);
std::string_view EncodingName(Entry::Encoding encoding);
// What OBJECT ENCODING answers for the value at entry, whatever its kind.
std::string_view ObjectEncoding(const Entry& entry);

class Keyspace {
 public:
  explicit Keyspace(const Clock& clock);
  ~Keyspace();
  Keyspace(const Keyspace&) = delete;
  Keyspace& operator=(const Keyspace&) = delete;

  void set_listener(KeyspaceListener* listener) { listener_ = listener; }
  // Whether `bytes` more may be allocated within maxmemory: the table asks before it grows
  // (see KeyTable::set_growth_check), and a command asks before one large allocation (a Bloom
  // filter of megabytes), so that it is refused before it allocates rather than after.
  void set_growth_check(std::function<bool(size_t bytes)> check) {
    growth_check_ = check;
    table_.set_growth_check(std::move(check));
  }
  bool MayAllocate(size_t bytes) const { return !growth_check_ || growth_check_(bytes); }
  // maxmemory-policy *-lfu keeps an access-frequency counter per key instead of a last-access
  // time (OBJECT FREQ / IDLETIME answer accordingly).
  void SetLfu(bool lfu, int log_factor, int decay_minutes);
  bool lfu() const { return lfu_; }
  // The maxmemory-policy: for lru, lfu, sieve and s3fifo (allkeys- or volatile-) with `active`
  // (maxmemory set), every evictable key (with a TTL, for volatile-) is tracked by an exact
  // policy (daemon/eviction.h); random, ttl and noeviction need no tracking. A change rebuilds
  // the tracking: O(keys), once.
  void SetEvictionPolicy(std::string_view maxmemory_policy, bool active);
  // Evicts one key by the policy; false when there is none to evict (noeviction, or nothing
  // evictable left).
  bool EvictOne();
  // Ages the policy's keys nobody touches (LFU's decay), a few at a time (the cron).
  void AgeEvictionPolicy(size_t budget);

  // --- lookups --------------------------------------------------------------------------------
  KeyRef Locate(std::string_view key, Lookup how);
  Entry* Find(std::string_view key, Lookup how) { return Locate(key, how).entry; }

  // --- writes (each tells the listener) -------------------------------------------------------
  // Stores a string, replacing whatever the key held.
  Entry* SetString(KeyRef& ref, std::string_view value, Entry::Encoding encoding, Ttl ttl);
  // Resizes the string at ref to `length` bytes (new bytes are zero; creates the key if absent)
  // and returns its bytes for the caller to write. The encoding becomes raw, as Redis's
  // in-place edits (APPEND, SETRANGE) make it. The key must hold a string if present.
  char* ResizeString(KeyRef& ref, size_t length);
  // Stores a bytes value of `type` (one with bytes_encoding and dump_bytes), replacing whatever
  // the key held. Rewriting a key's value of the same size and TTL state costs no allocation.
  Entry* SetBytes(KeyRef& ref, const ValueType& type, std::string_view bytes, Ttl ttl);
  // Stores an object, replacing whatever the key held.
  Entry* SetObject(KeyRef& ref, std::unique_ptr<Value> value, Ttl ttl);
  // A family changed the object at ref in place: recount its memory, tell the listener.
  void Modified(KeyRef& ref);
  // Removes the key at ref; false if it was absent.
  bool Delete(KeyRef& ref);
  // UNLINK: as Delete, but a large value of a type that allows it is freed on the background
  // thread (daemon/lazy_free.h).
  bool Unlink(KeyRef& ref);
  // Sets (at_ms >= 0) the key's expiry time; the key must be present.
  void SetExpire(KeyRef& ref, int64_t at_ms);
  // Removes the key's expiry; false if it had none.
  bool Persist(KeyRef& ref);
  enum class RenameResult { kRenamed, kNoSuchKey, kTargetExists };
  // RENAME / RENAMENX: moves the value and its expiry. src == dst is the caller's case.
  RenameResult Rename(std::string_view src, std::string_view dst, bool only_if_absent);
  // Removes every key; returns how many there were. With `lazy` (FLUSHALL ASYNC), the large
  // values go to the background thread.
  size_t Clear(bool lazy = false);
  const LazyFree& lazy_free() const { return lazy_free_; }
  LazyFree& lazy_free() { return lazy_free_; }

  // --- iteration ------------------------------------------------------------------------------
  // One SCAN step: calls fn(Entry*) for the entries under cursor (expired ones included) and
  // returns the next cursor.
  template <typename Fn>
  uint64_t Scan(uint64_t cursor, Fn&& fn) const {
    return table_.Scan(cursor, std::forward<Fn>(fn));
  }
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    table_.ForEach(std::forward<Fn>(fn));
  }
  // A random live key (expired ones met on the way are deleted); nullptr when empty.
  Entry* RandomKey();

  // --- upkeep (the server's cron) -------------------------------------------------------------
  // Deletes expired keys by sampling those with a TTL, for at most budget_us microseconds.
  void ActiveExpireCycle(int64_t budget_us);
  // Shrinks a mostly empty table and moves buckets of a resize in progress, for at most
  // budget_us microseconds.
  void Rehash(int64_t budget_us);

  // --- reading state --------------------------------------------------------------------------
  int64_t now_ms() const { return clock_.NowMs(); }
  size_t size() const { return table_.size(); }
  size_t volatile_count() const { return volatile_.size(); }
  // Mean time to live of the keys with one, in ms (0 if none), as INFO keyspace's avg_ttl.
  int64_t AverageTtlMs() const;
  const KeyspaceStats& stats() const { return stats_; }
  void ResetStats() {
    stats_ = KeyspaceStats{};
    lazy_free_.ResetStats();
  }
  // Bytes held by entries and values (the dataset), and by the table's bucket arrays.
  size_t dataset_bytes() const { return dataset_bytes_; }
  size_t table_bytes() const { return table_.bucket_count() * sizeof(Entry*); }
  // The eviction policy's own bytes (its slots), for INFO memory.
  size_t eviction_bytes() const { return policy_ ? policy_->overhead_bytes() : 0; }
  const KeyTable& table() const { return table_; }
  // MEMORY USAGE: the entry's allocation, its value's, and its share of the bucket array.
  size_t MemoryUsage(const Entry& entry) const;
  // OBJECT IDLETIME (seconds since last access) and OBJECT FREQ (LFU counter after decay).
  uint64_t IdleSeconds(const Entry& entry) const;
  uint8_t Frequency(const Entry& entry) const;

  // --- dump / restore -------------------------------------------------------------------------
  // A compact, versioned binary form of the value at entry (not the key, not the TTL):
  // [format version][type id][the type's payload].
  static void Dump(const Entry& entry, std::string* out);
  // Reads a dump back, for the server whose family states are `states` (ValueType::restore);
  // false when it is corrupt or names an unknown type or version.
  static bool Restore(std::string_view dump, FamilyStates& states, RestoredValue* out);
  // Stores a restored value at ref.
  Entry* SetRestored(KeyRef& ref, RestoredValue value, Ttl ttl);
  // Restore, then SetRestored, in one step (strings without an intermediate copy); false when
  // the dump is corrupt (nothing stored).
  bool RestoreInto(KeyRef& ref, std::string_view dump, Ttl ttl, FamilyStates& states);
  // Replays a value's logged operations (daemon/change_recorder.h) onto the object at ref and sets
  // its expiry (at_ms < 0: none); false when the key holds no value that logs changes or the
  // operations do not apply.
  bool ApplyChanges(KeyRef& ref, std::string_view ops, int64_t expire_at_ms);

 private:
  Entry* NewEntry(std::string_view key, Entry::Kind kind, size_t str_len, bool expire);
  // SetString and SetBytes: the value's bytes inside the entry, with its encoding or type id.
  Entry* SetInline(KeyRef& ref, Entry::Kind kind, uint8_t tag, std::string_view bytes, Ttl ttl);
  // Puts `fresh` where ref's entry was (or inserts it) and frees the old entry.
  void Install(KeyRef& ref, Entry* fresh, Ttl ttl);
  // Frees the entry and its value; with `lazy`, a large value on the background thread.
  void Free(Entry* entry, bool lazy = false);
  // Unlinks and frees an expired entry found at slot; tells the listener.
  void DeleteExpired(KeyTable::Slot slot);
  // Unlinks and frees the entry at slot; tells the listener of the deletion and of `event`
  // (expired, evicted) while the key is still readable.
  void DeleteAt(KeyTable::Slot slot, std::optional<KeyspaceListener::Event> event = {},
                bool lazy = false);
  void AddVolatile(Entry* entry, int64_t at_ms);
  void RemoveVolatile(Entry* entry);
  void InitAccess(Entry* entry, const Entry* previous);
  void UpdateAccess(Entry* entry);
  uint32_t LruClock() const { return static_cast<uint32_t>(clock_.NowMs() / 1000); }
  // The tracking structure of the maxmemory-policy in force; nullptr when it has none.
  std::unique_ptr<eviction::Policy> NewEvictionPolicy() const;
  // Puts a key under the eviction policy if it qualifies; takes it out.
  void Track(Entry* entry, uint64_t hash);
  void Untrack(Entry* entry);
  bool Trackable(const Entry* entry) const;
  // A random candidate for the sampling policies (random, ttl); nullptr if none.
  Entry* SampledVictim();
  uint32_t LfuMinutes() const { return static_cast<uint32_t>(clock_.NowMs() / 60000); }
  uint64_t Random();
  void Notify(std::string_view key) {
    if (listener_) listener_->KeyModified(key);
  }
  void NotifyEvent(KeyspaceListener::Event event, std::string_view key) {
    if (listener_) listener_->KeyEvent(event, key);
  }

  // First: destroyed last, after every value the keyspace frees itself.
  LazyFree lazy_free_;
  const Clock& clock_;
  KeyTable table_;
  std::function<bool(size_t)> growth_check_;
  KeyspaceListener* listener_ = nullptr;
  std::vector<Entry*> volatile_;      // keys with a TTL, for sampling; each knows its position
  unsigned __int128 expire_sum_ = 0;  // sum of their expiry times, for avg_ttl
  size_t dataset_bytes_ = 0;
  KeyspaceStats stats_;
  uint64_t rng_state_;
  bool lfu_ = false;
  // The eviction policy: its name after the prefix ("lru", "random", "ttl", ...), whether it
  // applies only to keys with a TTL, and the tracking structure when it has one.
  std::string evict_kind_ = "none";
  bool evict_volatile_ = false;
  std::unique_ptr<eviction::Policy> policy_;
  int lfu_log_factor_ = 10;
  int lfu_decay_minutes_ = 1;
};

}  // namespace pylon::daemon
