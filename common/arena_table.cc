#include "common/arena_table.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <functional>

#include "common/varint.h"

namespace pylon::common {

template <bool kWithValues>
uint64_t ArenaTable<kWithValues>::Hash(std::string_view key) {
  return std::hash<std::string_view>{}(key);
}

template <bool kWithValues>
size_t ArenaTable<kWithValues>::EntryBytes(size_t key_size, size_t value_size) {
  size_t bytes = VarintSize(key_size) + key_size;
  if constexpr (kWithValues) bytes += VarintSize(value_size) + value_size;
  return bytes;
}

template <bool kWithValues>
size_t ArenaTable<kWithValues>::Find(std::string_view key, uint64_t hash) const {
  if (slots_.empty()) return kNone;
  const size_t i = FindOrEmpty(key, hash);
  return slots_[i] ? i : kNone;
}

template <bool kWithValues>
size_t ArenaTable<kWithValues>::FindOrEmpty(std::string_view key, uint64_t hash) const {
  const size_t mask = slots_.size() - 1;
  const uint64_t tag = TagOf(hash);
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const uint64_t slot = slots_[i];
    if (!slot || ((slot >> kRefBits) == tag && KeyAt(slot) == key)) return i;
  }
}

template <bool kWithValues>
uint64_t ArenaTable<kWithValues>::Allocate(size_t bytes) {
  const auto heap = [](const std::string& s) { return s.capacity() + 1; };
  if (bytes > kOwnChunkBytes) {
    // A chunk of its own, exactly its size, freed when the entry goes.
    std::string own;
    own.reserve(bytes);
    own.resize(bytes);
    arena_heap_bytes_ += heap(own);
    chunks_.push_back(std::move(own));
    last_chunk_open_ = false;
    return (chunks_.size() - 1) * kChunkBytes;
  }
  if (!last_chunk_open_ || chunks_.back().size() + bytes > kChunkBytes) {
    chunks_.emplace_back();
    last_chunk_open_ = true;
  }
  std::string& chunk = chunks_.back();
  if (chunk.size() + bytes > chunk.capacity()) {
    // Powers of two up to kChunkBytes: a small table keeps a small arena.
    const size_t want = std::min(
        kChunkBytes,
        std::bit_ceil(std::max<size_t>(64, std::max(chunk.size() + bytes, 2 * chunk.capacity()))));
    if (chunk.capacity() > std::string().capacity()) arena_heap_bytes_ -= heap(chunk);
    chunk.reserve(want);
    arena_heap_bytes_ += heap(chunk);
  }
  const size_t offset = chunk.size();
  chunk.resize(offset + bytes);
  arena_used_bytes_ += bytes;
  arena_live_bytes_ += bytes;
  return (chunks_.size() - 1) * kChunkBytes + offset;
}

template <bool kWithValues>
void ArenaTable<kWithValues>::WriteEntry(uint64_t ref, std::string_view key,
                                         std::string_view value) {
  char* p = chunks_[ref / kChunkBytes].data() + ref % kChunkBytes;
  VarintWrite(&p, key.size());
  std::memcpy(p, key.data(), key.size());
  if constexpr (kWithValues) {
    p += key.size();
    VarintWrite(&p, value.size());
    std::memcpy(p, value.data(), value.size());
  }
}

template <bool kWithValues>
uint64_t ArenaTable<kWithValues>::Store(std::string_view key, std::string_view value,
                                        uint64_t hash) {
  const uint64_t ref = Allocate(EntryBytes(key.size(), value.size()));
  WriteEntry(ref, key, value);
  return (TagOf(hash) << kRefBits) | (ref + 1);
}

template <bool kWithValues>
void ArenaTable<kWithValues>::Release(uint64_t slot) {
  const Entry e = EntryAt(slot);
  const size_t bytes = EntryBytes(e.key.size(), e.value.size());
  if (bytes > kOwnChunkBytes) {
    std::string& chunk = chunks_[RefOf(slot) / kChunkBytes];
    arena_heap_bytes_ -= chunk.capacity() + 1;
    std::string().swap(chunk);
    if (&chunk == &chunks_.back()) last_chunk_open_ = false;
    return;
  }
  arena_live_bytes_ -= bytes;
}

template <bool kWithValues>
void ArenaTable<kWithValues>::GrowForOne() {
  if ((size_ + 1) * 4 > slots_.size() * 3) Resize(std::max(kMinCapacity, slots_.size() * 2));
}

template <bool kWithValues>
bool ArenaTable<kWithValues>::Insert(std::string_view key) requires(!kWithValues) {
  GrowForOne();
  const uint64_t hash = Hash(key);
  const size_t i = FindOrEmpty(key, hash);
  if (slots_[i]) return false;
  slots_[i] = Store(key, {}, hash);
  size_++;
  return true;
}

template <bool kWithValues>
bool ArenaTable<kWithValues>::Put(std::string_view key,
                                  std::string_view value) requires kWithValues {
  GrowForOne();
  const uint64_t hash = Hash(key);
  const size_t i = FindOrEmpty(key, hash);
  const uint64_t old = slots_[i];
  if (!old) {
    slots_[i] = Store(key, value, hash);
    size_++;
    return true;
  }
  const Entry e = EntryAt(old);
  if (e.value.size() == value.size()) {
    // Same length, same length prefix: overwrite in place.
    std::memcpy(const_cast<char*>(e.value.data()), value.data(), value.size());
    return false;
  }
  // A new entry at the arena's end; Allocate may move the open chunk, so the key is read again
  // from the old entry (whose ref stays valid) only after it.
  const uint64_t ref = Allocate(EntryBytes(e.key.size(), value.size()));
  WriteEntry(ref, KeyAt(old), value);
  Release(old);
  slots_[i] = (old & ~kRefMask) | (ref + 1);
  MaybeCompact();
  return false;
}

template <bool kWithValues>
bool ArenaTable<kWithValues>::Remove(std::string_view key) {
  size_t i = Find(key, Hash(key));
  if (i == kNone) return false;
  Release(slots_[i]);
  size_--;
  // Shift back every following entry of the run that may move into the hole: one whose home
  // is not cyclically within (hole, its slot].
  const size_t mask = slots_.size() - 1;
  for (size_t j = (i + 1) & mask; slots_[j]; j = (j + 1) & mask) {
    const size_t home = Hash(KeyAt(slots_[j])) & mask;
    const bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
    if (stays) continue;
    slots_[i] = slots_[j];
    i = j;
  }
  slots_[i] = 0;
  if (size_ == 0) {
    *this = ArenaTable();
    return true;
  }
  // Under 1/4 full: shrink to fit (at most 3/4 full, so at least 3/8): random draws stay a few
  // probes, and adding back does not grow it again at once.
  if (slots_.size() > kMinCapacity && size_ * 4 < slots_.size()) Resize(FittingCapacity(size_));
  MaybeCompact();
  return true;
}

template <bool kWithValues>
size_t ArenaTable<kWithValues>::FittingCapacity(size_t n) {
  size_t capacity = kMinCapacity;
  while (n * 4 > capacity * 3) capacity *= 2;
  return capacity;
}

template <bool kWithValues>
void ArenaTable<kWithValues>::Reserve(size_t n) {
  const size_t capacity = FittingCapacity(n);
  if (capacity > slots_.size()) Resize(capacity);
}

template <bool kWithValues>
void ArenaTable<kWithValues>::Resize(size_t capacity) {
  std::vector<uint64_t> old = std::move(slots_);
  slots_.assign(capacity, 0);
  const size_t mask = capacity - 1;
  for (const uint64_t slot : old) {
    if (!slot) continue;
    size_t i = Hash(KeyAt(slot)) & mask;
    while (slots_[i]) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

template <bool kWithValues>
void ArenaTable<kWithValues>::MaybeCompact() {
  const size_t dead = arena_used_bytes_ - arena_live_bytes_;
  if (dead > arena_live_bytes_ && dead >= 4096) Compact();
}

template <bool kWithValues>
void ArenaTable<kWithValues>::Compact() {
  std::vector<std::string> old = std::move(chunks_);
  chunks_.clear();
  last_chunk_open_ = false;
  arena_heap_bytes_ = arena_used_bytes_ = arena_live_bytes_ = 0;
  // Slots keep their places (their tags are unchanged); only where the entry is changes. The
  // entry's bytes are copied as they are.
  for (uint64_t& slot : slots_) {
    if (!slot) continue;
    const uint64_t ref = RefOf(slot);
    const char* begin = old[ref / kChunkBytes].data() + ref % kChunkBytes;
    const char* p = begin;
    p += VarintRead(&p);
    if constexpr (kWithValues) p += VarintRead(&p);
    const size_t bytes = static_cast<size_t>(p - begin);
    const uint64_t fresh = Allocate(bytes);
    std::memcpy(chunks_[fresh / kChunkBytes].data() + fresh % kChunkBytes, begin, bytes);
    slot = (slot & ~kRefMask) | (fresh + 1);
  }
}

template <bool kWithValues>
size_t ArenaTable<kWithValues>::HeapBytes() const {
  return slots_.capacity() * sizeof(uint64_t) + chunks_.capacity() * sizeof(std::string) +
         arena_heap_bytes_;
}

template class ArenaTable<false>;
template class ArenaTable<true>;

}  // namespace pylon::common
