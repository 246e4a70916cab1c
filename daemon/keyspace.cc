#include "daemon/keyspace.h"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <random>

#include "daemon/change_recorder.h"
#include "daemon/type_ids.h"
#include "protocol/text.h"

namespace pylon::daemon {
namespace {

constexpr uint8_t kDumpVersion = 1;
constexpr uint8_t kLfuInitialCounter = 5;  // new keys start here so they are not evicted at once
constexpr size_t kActiveExpireSample = 20;
constexpr size_t kAcceptableStalePercent = 10;

bool RestoreString(std::string_view payload, FamilyStates&, RestoredValue* out) {
  out->bytes.assign(payload);
  return true;
}

int64_t SteadyMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

const ValueType kStringType = {type_id::kString, "string", RestoreString};

Entry::Encoding EncodingFor(std::string_view value) {
  int64_t unused;
  if (value.size() <= 20 && protocol::ParseInt64(value, &unused)) return Entry::Encoding::kInt;
  return value.size() <= 44 ? Entry::Encoding::kEmbstr : Entry::Encoding::kRaw;
}

std::string_view ObjectEncoding(const Entry& entry) {
  switch (entry.kind()) {
    case Entry::Kind::kString:
      return EncodingName(entry.encoding());
    case Entry::Kind::kBytes:
      return entry.type().bytes_encoding(entry.bytes());
    case Entry::Kind::kObject:
      break;
  }
  return entry.object()->Encoding();
}

std::string_view EncodingName(Entry::Encoding encoding) {
  switch (encoding) {
    case Entry::Encoding::kInt:
      return "int";
    case Entry::Encoding::kEmbstr:
      return "embstr";
    case Entry::Encoding::kRaw:
      break;
  }
  return "raw";
}

Keyspace::Keyspace(const Clock& clock)
    : clock_(clock), table_(std::random_device{}() | (uint64_t{std::random_device{}()} << 32)) {
  rng_state_ = std::random_device{}() | (uint64_t{std::random_device{}()} << 32) | 1;
}

Keyspace::~Keyspace() {
  listener_ = nullptr;
  Clear();
}

void Keyspace::SetLfu(bool lfu, int log_factor, int decay_minutes) {
  lfu_ = lfu;
  lfu_log_factor_ = log_factor;
  lfu_decay_minutes_ = decay_minutes;
}

uint64_t Keyspace::Random() {
  // xorshift64*: plenty for sampling, and no allocation or locking.
  rng_state_ ^= rng_state_ >> 12;
  rng_state_ ^= rng_state_ << 25;
  rng_state_ ^= rng_state_ >> 27;
  return rng_state_ * 0x2545F4914F6CDD1DULL;
}

// --- lookups -------------------------------------------------------------------------------------

KeyRef Keyspace::Locate(std::string_view key, Lookup how) {
  KeyRef ref{.key = key, .hash = table_.Hash(key)};
  if (how != Lookup::kPeek) table_.RehashStep(1);
  ref.slot = table_.Find(key, ref.hash);
  const bool reading = how == Lookup::kRead || how == Lookup::kReadNoTouch;
  if (!ref.slot) {
    if (reading) {
      stats_.misses++;
      NotifyEvent(KeyspaceListener::Event::kMiss, key);
    }
    return ref;
  }
  Entry* e = *ref.slot.link;
  if (how != Lookup::kPeek && e->ExpiredAt(now_ms())) {
    DeleteExpired(ref.slot);
    ref.slot = {};
    if (reading) {
      stats_.misses++;
      NotifyEvent(KeyspaceListener::Event::kMiss, key);
    }
    return ref;
  }
  ref.entry = e;
  if (how == Lookup::kRead || how == Lookup::kReadNoTouch) stats_.hits++;
  if (how == Lookup::kRead || how == Lookup::kWrite) UpdateAccess(e);
  return ref;
}

// --- entries -------------------------------------------------------------------------------------

Entry* Keyspace::NewEntry(std::string_view key, Entry::Kind kind, size_t str_len, bool expire) {
  const size_t bytes = Entry::SizeFor(key.size(), str_len, kind == Entry::Kind::kObject, expire);
  void* memory = std::malloc(bytes);
  if (!memory) std::abort();  // as Redis: out of memory is fatal, never a corrupt keyspace
  Entry* e = new (memory) Entry();
  e->key_len_ = static_cast<uint32_t>(key.size());
  e->str_len_ = static_cast<uint32_t>(str_len);
  e->kind_ = kind;
  if (expire) e->flags_ |= Entry::kHasExpire;
  if (kind == Entry::Kind::kObject) *e->ObjectSlot() = nullptr;
  std::memcpy(e->KeyData(), key.data(), key.size());
  dataset_bytes_ += malloc_usable_size(e);
  return e;
}

void Keyspace::Free(Entry* e, bool lazy) {
  if (e->evict_tracked()) Untrack(e);
  if (e->is_object()) {
    Value* v = e->object();
    if (v) {
      dataset_bytes_ -= v->accounted_bytes_;
      if (lazy && LazyFree::Worth(*v, v->accounted_bytes_)) {
        lazy_free_.Submit(std::unique_ptr<Value>(v));
      } else {
        delete v;
      }
    }
  }
  dataset_bytes_ -= malloc_usable_size(e);
  std::free(e);
}

void Keyspace::Install(KeyRef& ref, Entry* fresh, Ttl ttl) {
  Entry* old = ref.entry;
  int64_t at_ms = -1;
  if (ttl.mode == Ttl::Mode::kSet) at_ms = ttl.at_ms;
  if (ttl.mode == Ttl::Mode::kKeep && old) at_ms = old->expire_ms();
  if (fresh->has_expire()) fresh->ExpireField()->at_ms = at_ms;
  InitAccess(fresh, old);
  if (old && old->evict_tracked() && !fresh->evict_tracked() && Trackable(fresh)) {
    // An overwrite is an access: the key keeps its place (and frequency) in the policy.
    fresh->access_ = old->access_;
    fresh->flags_ |= Entry::kEvictTracked;
    old->flags_ &= static_cast<uint8_t>(~Entry::kEvictTracked);
    policy_->SetHandle(fresh->access_, reinterpret_cast<eviction::Handle>(fresh));
    policy_->SetNow(LruClock());
    policy_->Access(fresh->access_);
  }
  if (old) {
    fresh->next_ = old->next_;
    KeyTable::Replace(ref.slot, fresh);
    if (old->has_expire()) RemoveVolatile(old);
    Free(old);
  } else {
    ref.slot = table_.Insert(fresh, ref.hash);
    NotifyEvent(KeyspaceListener::Event::kNew, ref.key);
  }
  if (fresh->has_expire()) AddVolatile(fresh, at_ms);
  ref.entry = fresh;
  Track(fresh, ref.hash);
  if (fresh->is_object()) {
    Value* v = fresh->object();
    // The log's last record for this key is not of this value: it must log its dump next.
    if (ChangeRecorder* changes = v->change_recorder()) changes->Stop();
    v->Placed(ref.key);
  }
  Notify(ref.key);
}

// Whether the entry's TTL after a write with `ttl`.
static bool WantsExpire(const Entry* old, Ttl ttl) {
  return ttl.mode == Ttl::Mode::kSet ||
         (ttl.mode == Ttl::Mode::kKeep && old != nullptr && old->has_expire());
}

Entry* Keyspace::SetString(KeyRef& ref, std::string_view value, Entry::Encoding encoding, Ttl ttl) {
  return SetInline(ref, Entry::Kind::kString, static_cast<uint8_t>(encoding), value, ttl);
}

Entry* Keyspace::SetBytes(KeyRef& ref, const ValueType& type, std::string_view bytes, Ttl ttl) {
  return SetInline(ref, Entry::Kind::kBytes, type.id, bytes, ttl);
}

Entry* Keyspace::SetInline(KeyRef& ref, Entry::Kind kind, uint8_t tag, std::string_view bytes,
                           Ttl ttl) {
  // A string's tag is its encoding; a bytes value's, its type id.
  auto label = [kind, tag](Entry* e) {
    if (kind == Entry::Kind::kString) {
      e->set_encoding(static_cast<Entry::Encoding>(tag));
    } else {
      e->type_id_ = tag;
    }
  };
  Entry* old = ref.entry;
  const bool expire = WantsExpire(old, ttl);
  // Overwrite in place when the value fits the allocation without wasting most of it: the
  // common SET-over-SET, INCR and RL.ALLOW cases then cost no allocation at all.
  if (old && old->kind_ == kind && old->has_expire() == expire) {
    const size_t need = Entry::SizeFor(old->key_len_, bytes.size(), false, expire);
    const size_t usable = malloc_usable_size(old);
    if (need <= usable && usable <= 2 * need + 32) {
      std::memmove(old->StringData(), bytes.data(), bytes.size());
      old->str_len_ = static_cast<uint32_t>(bytes.size());
      label(old);
      if (ttl.mode == Ttl::Mode::kSet) {
        RemoveVolatile(old);
        AddVolatile(old, ttl.at_ms);
      }
      if (!lfu_ && !old->evict_tracked()) old->access_ = LruClock();
      Notify(ref.key);
      return old;
    }
  }
  Entry* fresh = NewEntry(ref.key, kind, bytes.size(), expire);
  std::memcpy(fresh->StringData(), bytes.data(), bytes.size());
  label(fresh);
  Install(ref, fresh, ttl);
  return fresh;
}

char* Keyspace::ResizeString(KeyRef& ref, size_t length) {
  Entry* old = ref.entry;
  if (!old) {
    Entry* fresh = NewEntry(ref.key, Entry::Kind::kString, length, false);
    std::memset(fresh->StringData(), 0, length);
    fresh->set_encoding(Entry::Encoding::kRaw);
    Install(ref, fresh, Ttl::Clear());
    return fresh->StringData();
  }
  const size_t old_length = old->str_len_;
  const size_t need = Entry::SizeFor(old->key_len_, length, false, old->has_expire());
  Entry* e = old;
  if (need > malloc_usable_size(old)) {
    // Grow geometrically, as sds does, so repeated APPENDs cost amortized O(1) each.
    const size_t fixed = need - length;
    const size_t capacity = length < (1 << 20) ? length * 2 : length + (1 << 20);
    dataset_bytes_ -= malloc_usable_size(old);
    e = static_cast<Entry*>(std::realloc(old, fixed + capacity));
    if (!e) std::abort();
    dataset_bytes_ += malloc_usable_size(e);
    if (e != old) {
      KeyTable::Replace(ref.slot, e);
      if (e->has_expire()) volatile_[e->ExpireField()->volatile_pos] = e;
      if (e->evict_tracked()) policy_->SetHandle(e->access_, reinterpret_cast<eviction::Handle>(e));
    }
  }
  if (length > old_length) std::memset(e->StringData() + old_length, 0, length - old_length);
  e->str_len_ = static_cast<uint32_t>(length);
  e->set_encoding(Entry::Encoding::kRaw);
  ref.entry = e;
  Notify(ref.key);
  return e->StringData();
}

Entry* Keyspace::SetObject(KeyRef& ref, std::unique_ptr<Value> value, Ttl ttl) {
  Entry* fresh = NewEntry(ref.key, Entry::Kind::kObject, 0, WantsExpire(ref.entry, ttl));
  value->accounted_bytes_ = value->MemoryUsage();
  dataset_bytes_ += value->accounted_bytes_;
  *fresh->ObjectSlot() = value.release();
  Install(ref, fresh, ttl);
  return fresh;
}

void Keyspace::Modified(KeyRef& ref) {
  if (ref.entry && ref.entry->is_object()) {
    Value* v = ref.entry->object();
    const size_t now_bytes = v->MemoryUsage();
    dataset_bytes_ = dataset_bytes_ - v->accounted_bytes_ + now_bytes;
    v->accounted_bytes_ = now_bytes;
  }
  Notify(ref.key);
}

void Keyspace::DeleteAt(KeyTable::Slot slot, std::optional<KeyspaceListener::Event> event,
                        bool lazy) {
  Entry* e = table_.Unlink(slot);
  if (e->has_expire()) RemoveVolatile(e);
  // The entry leaves the table before the listener hears of it (so it sees the key gone) and
  // is freed after (the key view it gets points into the entry).
  Notify(e->key());
  if (event) NotifyEvent(*event, e->key());
  Free(e, lazy);
}

void Keyspace::DeleteExpired(KeyTable::Slot slot) {
  stats_.expired_keys++;
  DeleteAt(slot, KeyspaceListener::Event::kExpired);
}

bool Keyspace::Delete(KeyRef& ref) {
  if (!ref.entry) return false;
  DeleteAt(ref.slot);
  ref.entry = nullptr;
  ref.slot = {};
  return true;
}

bool Keyspace::Unlink(KeyRef& ref) {
  if (!ref.entry) return false;
  DeleteAt(ref.slot, {}, /*lazy=*/true);
  ref.entry = nullptr;
  ref.slot = {};
  return true;
}

void Keyspace::SetExpire(KeyRef& ref, int64_t at_ms) {
  Entry* e = ref.entry;
  if (e->has_expire()) {
    RemoveVolatile(e);
    AddVolatile(e, at_ms);
    Notify(ref.key);
    return;
  }
  // Make room for the expiry field, which sits before the key: move everything after it.
  const size_t old_size = e->size();
  dataset_bytes_ -= malloc_usable_size(e);
  e = static_cast<Entry*>(std::realloc(e, old_size + sizeof(Entry::Expiry)));
  if (!e) std::abort();
  dataset_bytes_ += malloc_usable_size(e);
  char* tail_start = e->Bytes() + sizeof(Entry);
  std::memmove(tail_start + sizeof(Entry::Expiry), tail_start, old_size - sizeof(Entry));
  e->flags_ |= Entry::kHasExpire;
  KeyTable::Replace(ref.slot, e);
  AddVolatile(e, at_ms);
  if (e->evict_tracked()) policy_->SetHandle(e->access_, reinterpret_cast<eviction::Handle>(e));
  Track(e, ref.hash);  // volatile-*: a key with a TTL becomes a candidate
  ref.entry = e;
  Notify(ref.key);
}

bool Keyspace::Persist(KeyRef& ref) {
  Entry* e = ref.entry;
  if (!e || !e->has_expire()) return false;
  RemoveVolatile(e);
  const size_t old_size = e->size();
  char* field = e->Bytes() + sizeof(Entry);
  std::memmove(field, field + sizeof(Entry::Expiry),
               old_size - sizeof(Entry) - sizeof(Entry::Expiry));
  e->flags_ &= static_cast<uint8_t>(~Entry::kHasExpire);
  dataset_bytes_ -= malloc_usable_size(e);
  Entry* shrunk = static_cast<Entry*>(std::realloc(e, old_size - sizeof(Entry::Expiry)));
  if (shrunk) e = shrunk;
  dataset_bytes_ += malloc_usable_size(e);
  KeyTable::Replace(ref.slot, e);
  if (e->evict_tracked()) {
    policy_->SetHandle(e->access_, reinterpret_cast<eviction::Handle>(e));
    if (!Trackable(e)) Untrack(e);  // volatile-*: no TTL, no candidate
  }
  ref.entry = e;
  Notify(ref.key);
  return true;
}

Keyspace::RenameResult Keyspace::Rename(std::string_view src, std::string_view dst,
                                        bool only_if_absent) {
  Entry* from = Find(src, Lookup::kWrite);
  if (!from) return RenameResult::kNoSuchKey;
  // Entries stay put while the table rehashes (only links move), so `from` survives this lookup.
  KeyRef to = Locate(dst, Lookup::kWrite);
  if (to.entry && only_if_absent) return RenameResult::kTargetExists;
  Entry* fresh = NewEntry(dst, from->kind_, from->str_len_, from->has_expire());
  fresh->flags_ = from->flags_;
  fresh->type_id_ = from->type_id_;
  if (from->evict_tracked()) {
    // The value keeps its place in the eviction policy under its new key.
    from->flags_ &= static_cast<uint8_t>(~Entry::kEvictTracked);
    fresh->access_ = from->access_;
    policy_->SetHandle(fresh->access_, reinterpret_cast<eviction::Handle>(fresh));
  }
  if (from->is_object()) {
    // The value changes hands: its bytes stay counted once.
    *fresh->ObjectSlot() = from->object();
    *from->ObjectSlot() = nullptr;
  } else {
    std::memcpy(fresh->StringData(), from->StringData(), from->str_len_);
  }
  const int64_t at_ms = from->expire_ms();
  Install(to, fresh, at_ms >= 0 ? Ttl::At(at_ms) : Ttl::Clear());
  if (!fresh->evict_tracked()) {
    fresh->access_ = from->access_;
    fresh->lfu_counter_ = from->lfu_counter_;
  }
  KeyTable::Slot slot = table_.Find(src, table_.Hash(src));
  Entry* old = table_.Unlink(slot);
  if (old->has_expire()) RemoveVolatile(old);
  Notify(src);
  Free(old);
  return RenameResult::kRenamed;
}

size_t Keyspace::Clear(bool lazy) {
  if (listener_) listener_->BeforeFlush();
  const size_t count = table_.size();
  table_.ForEach([this, lazy](Entry* e) { Free(e, lazy); });
  table_.Reset();
  // A fresh policy: the old one's slots and tables were sized for the keys there were.
  if (policy_) policy_ = NewEvictionPolicy();
  volatile_.clear();
  volatile_.shrink_to_fit();
  expire_sum_ = 0;
  return count;
}

Entry* Keyspace::RandomKey() {
  for (;;) {
    Entry* e = table_.RandomEntry([this] { return Random(); });
    if (!e || !e->ExpiredAt(now_ms())) return e;
    DeleteExpired(table_.Find(e->key(), table_.Hash(e->key())));
  }
}

// --- expiry --------------------------------------------------------------------------------------

void Keyspace::AddVolatile(Entry* e, int64_t at_ms) {
  Entry::Expiry* x = e->ExpireField();
  x->at_ms = at_ms;
  x->volatile_pos = static_cast<uint32_t>(volatile_.size());
  volatile_.push_back(e);
  expire_sum_ += static_cast<unsigned __int128>(static_cast<uint64_t>(at_ms));
}

void Keyspace::RemoveVolatile(Entry* e) {
  Entry::Expiry* x = e->ExpireField();
  Entry* last = volatile_.back();
  volatile_[x->volatile_pos] = last;
  last->ExpireField()->volatile_pos = x->volatile_pos;
  volatile_.pop_back();
  expire_sum_ -= static_cast<unsigned __int128>(static_cast<uint64_t>(x->at_ms));
}

int64_t Keyspace::AverageTtlMs() const {
  if (volatile_.empty()) return 0;
  const auto mean = static_cast<int64_t>(expire_sum_ / volatile_.size());
  return std::max<int64_t>(0, mean - now_ms());
}

void Keyspace::ActiveExpireCycle(int64_t budget_us) {
  const int64_t start = SteadyMicros();
  const int64_t now = now_ms();
  for (int iteration = 1; !volatile_.empty(); iteration++) {
    const size_t sampled = std::min(kActiveExpireSample, volatile_.size());
    size_t expired = 0;
    for (size_t i = 0; i < sampled && !volatile_.empty(); i++) {
      Entry* e = volatile_[Random() % volatile_.size()];
      if (!e->ExpiredAt(now)) continue;
      DeleteExpired(table_.Find(e->key(), table_.Hash(e->key())));
      expired++;
    }
    const double percent = 100.0 * static_cast<double>(expired) / static_cast<double>(sampled);
    stats_.expired_stale_perc = percent * 0.05 + stats_.expired_stale_perc * 0.95;
    // Few expired among the sample: the rest can wait for the next cycle.
    if (expired * 100 <= sampled * kAcceptableStalePercent) break;
    if (iteration % 16 == 0 && SteadyMicros() - start > budget_us) {
      stats_.expire_cycle_time_cap_reached++;
      break;
    }
  }
}

void Keyspace::Rehash(int64_t budget_us) {
  table_.MaybeShrink();
  if (!table_.rehashing()) return;
  const int64_t start = SteadyMicros();
  while (table_.RehashStep(100) && SteadyMicros() - start < budget_us) {
  }
}

// --- access tracking -----------------------------------------------------------------------------

void Keyspace::InitAccess(Entry* e, const Entry* previous) {
  if (e->evict_tracked()) return;  // the policy keeps its access data
  if (lfu_) {
    // An overwrite keeps the key's frequency, as Redis does.
    e->lfu_counter_ = previous ? previous->lfu_counter_ : kLfuInitialCounter;
    e->access_ = previous ? previous->access_ : LfuMinutes();
  } else {
    e->access_ = LruClock();
  }
}

void Keyspace::UpdateAccess(Entry* e) {
  if (e->evict_tracked()) {
    policy_->SetNow(LruClock());
    policy_->Access(e->access_);
    return;
  }
  if (!lfu_) {
    e->access_ = LruClock();
    return;
  }
  // Redis's logarithmic counter: decay by the minutes since the last decay, then increment with
  // a probability that falls as the counter grows.
  uint8_t counter = Frequency(*e);
  if (counter < 255) {
    const double base = std::max(0, counter - kLfuInitialCounter);
    const double p = 1.0 / (base * lfu_log_factor_ + 1);
    const double r = static_cast<double>(Random() >> 11) / static_cast<double>(1ULL << 53);
    if (r < p) counter++;
  }
  e->lfu_counter_ = counter;
  e->access_ = LfuMinutes();
}

uint64_t Keyspace::IdleSeconds(const Entry& e) const {
  if (e.evict_tracked()) {
    policy_->SetNow(LruClock());
    return policy_->IdleSeconds(e.access_);
  }
  const uint32_t now = LruClock();
  return now >= e.access_ ? now - e.access_ : 0;
}

uint8_t Keyspace::Frequency(const Entry& e) const {
  if (e.evict_tracked()) {
    policy_->SetNow(LruClock());
    return policy_->Frequency(e.access_);
  }
  if (lfu_decay_minutes_ <= 0) return e.lfu_counter_;
  const uint32_t now = LfuMinutes();
  const uint64_t periods = now >= e.access_ ? (now - e.access_) / lfu_decay_minutes_ : 0;
  return periods >= e.lfu_counter_ ? 0 : static_cast<uint8_t>(e.lfu_counter_ - periods);
}

// --- eviction ------------------------------------------------------------------------------------

void Keyspace::SetEvictionPolicy(std::string_view name, bool active) {
  // Untrack every key first: the new policy starts from the keys as they are.
  if (policy_) {
    table_.ForEach([this](Entry* e) {
      if (!e->evict_tracked()) return;
      e->flags_ &= static_cast<uint8_t>(~Entry::kEvictTracked);
      InitAccess(e, nullptr);
    });
    policy_.reset();
  }
  evict_volatile_ = name.starts_with("volatile-");
  const size_t dash = name.find('-');
  evict_kind_ =
      dash == std::string_view::npos ? std::string(name) : std::string(name.substr(dash + 1));
  if (!active) return;
  policy_ = NewEvictionPolicy();
  if (!policy_) return;  // random, ttl, noeviction: nothing to track
  table_.ForEach([this](Entry* e) { Track(e, table_.Hash(e->key())); });
}

std::unique_ptr<eviction::Policy> Keyspace::NewEvictionPolicy() const {
  auto policy = eviction::MakePolicy(
      evict_kind_, {lfu_log_factor_, lfu_decay_minutes_},
      [this](eviction::Handle h) { return table_.Hash(reinterpret_cast<const Entry*>(h)->key()); });
  if (policy) policy->SetNow(LruClock());
  return policy;
}

bool Keyspace::Trackable(const Entry* e) const {
  return policy_ && e->type().evictable && (!evict_volatile_ || e->has_expire());
}

void Keyspace::Track(Entry* e, uint64_t hash) {
  if (e->evict_tracked() || !Trackable(e)) return;
  policy_->SetNow(LruClock());
  e->access_ = policy_->Insert(reinterpret_cast<eviction::Handle>(e), hash);
  e->flags_ |= Entry::kEvictTracked;
}

void Keyspace::Untrack(Entry* e) {
  policy_->Remove(e->access_);
  e->flags_ &= static_cast<uint8_t>(~Entry::kEvictTracked);
  InitAccess(e, nullptr);
}

Entry* Keyspace::SampledVictim() {
  constexpr int kSamples = 16;
  Entry* best = nullptr;
  for (int i = 0; i < kSamples; i++) {
    Entry* e = nullptr;
    if (evict_volatile_) {
      if (volatile_.empty()) return nullptr;
      e = volatile_[Random() % volatile_.size()];
    } else {
      e = table_.RandomEntry([this] { return Random(); });
      if (!e) return nullptr;
    }
    if (!e->type().evictable) continue;
    if (evict_kind_ == "random") return e;
    // volatile-ttl: the nearest expiry among the sample, as Redis samples.
    if (!best || e->expire_ms() < best->expire_ms()) best = e;
  }
  return evict_kind_ == "ttl" ? best : nullptr;
}

bool Keyspace::EvictOne() {
  Entry* victim;
  if (policy_) {
    const std::optional<eviction::Handle> h = policy_->Evict();
    if (!h) return false;
    victim = reinterpret_cast<Entry*>(*h);
    victim->flags_ &= static_cast<uint8_t>(~Entry::kEvictTracked);
  } else {
    victim = SampledVictim();
    if (!victim) return false;
  }
  stats_.evicted_keys++;
  DeleteAt(table_.Find(victim->key(), table_.Hash(victim->key())),
           KeyspaceListener::Event::kEvicted);
  return true;
}

void Keyspace::AgeEvictionPolicy(size_t budget) {
  if (!policy_) return;
  policy_->SetNow(LruClock());
  policy_->Age(budget);
}

size_t Keyspace::MemoryUsage(const Entry& e) const {
  size_t bytes = malloc_usable_size(const_cast<Entry*>(&e)) + sizeof(Entry*);
  if (e.is_object()) bytes += e.object()->MemoryUsage();
  return bytes;
}

// --- dump / restore ------------------------------------------------------------------------------

void Keyspace::Dump(const Entry& e, std::string* out) {
  out->push_back(static_cast<char>(kDumpVersion));
  out->push_back(static_cast<char>(e.type().id));
  switch (e.kind()) {
    case Entry::Kind::kString:
      out->append(e.string());
      break;
    case Entry::Kind::kBytes:
      e.type().dump_bytes(e.bytes(), out);
      break;
    case Entry::Kind::kObject:
      e.object()->Dump(out);
      break;
  }
}

bool Keyspace::Restore(std::string_view dump, FamilyStates& states, RestoredValue* out) {
  if (dump.size() < 2 || static_cast<uint8_t>(dump[0]) != kDumpVersion) return false;
  const uint8_t id = static_cast<uint8_t>(dump[1]);
  const ValueType* type = id == kStringType.id ? &kStringType : FindValueType(id);
  if (!type || !type->restore(dump.substr(2), states, out)) return false;
  out->type = type;
  return true;
}

bool Keyspace::RestoreInto(KeyRef& ref, std::string_view dump, Ttl ttl, FamilyStates& states) {
  // Strings, the common case, go straight from the dump into their entry: no copy on the way.
  if (dump.size() >= 2 && static_cast<uint8_t>(dump[0]) == kDumpVersion &&
      static_cast<uint8_t>(dump[1]) == kStringType.id) {
    const std::string_view bytes = dump.substr(2);
    SetString(ref, bytes, EncodingFor(bytes), ttl);
    return true;
  }
  RestoredValue value;
  if (!Restore(dump, states, &value)) return false;
  SetRestored(ref, std::move(value), ttl);
  return true;
}

bool Keyspace::ApplyChanges(KeyRef& ref, std::string_view ops, int64_t expire_at_ms) {
  Entry* e = ref.entry;
  if (!e || !e->is_object() || !e->object()->change_recorder() || !e->object()->ApplyChanges(ops)) {
    return false;
  }
  Modified(ref);
  if (expire_at_ms >= 0) {
    if (e->expire_ms() != expire_at_ms) SetExpire(ref, expire_at_ms);
  } else {
    Persist(ref);
  }
  return true;
}

Entry* Keyspace::SetRestored(KeyRef& ref, RestoredValue value, Ttl ttl) {
  if (value.type == &kStringType) {
    return SetString(ref, value.bytes, EncodingFor(value.bytes), ttl);
  }
  if (value.object) return SetObject(ref, std::move(value.object), ttl);
  return SetBytes(ref, *value.type, value.bytes, ttl);
}

}  // namespace pylon::daemon
