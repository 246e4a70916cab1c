#include "modules/set/member_table.h"

#include <bit>
#include <functional>

#include "common/varint.h"

namespace pylon::set {

uint64_t MemberTable::Hash(std::string_view member) {
  return std::hash<std::string_view>{}(member);
}

std::string_view MemberTable::MemberAt(uint64_t slot) const {
  const uint64_t ref = RefOf(slot);
  const char* p = chunks_[ref / kChunkBytes].data() + ref % kChunkBytes;
  const size_t n = common::VarintRead(&p);
  return {p, n};
}

size_t MemberTable::EntryBytes(std::string_view member) const {
  return common::VarintSize(member.size()) + member.size();
}

size_t MemberTable::Find(std::string_view member, uint64_t hash) const {
  if (slots_.empty()) return kNone;
  const size_t mask = slots_.size() - 1;
  const uint64_t tag = TagOf(hash);
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const uint64_t slot = slots_[i];
    if (!slot) return kNone;
    if ((slot >> kRefBits) == tag && MemberAt(slot) == member) return i;
  }
}

uint64_t MemberTable::Store(std::string_view member, uint64_t hash) {
  const size_t need = EntryBytes(member);
  const auto heap = [](const std::string& s) { return s.capacity() + 1; };
  if (need > kOwnChunkBytes) {
    // A chunk of its own, exactly its size, freed when the member goes.
    std::string own;
    own.reserve(need);
    common::VarintPut(&own, member.size());
    own.append(member);
    arena_heap_bytes_ += heap(own);
    chunks_.push_back(std::move(own));
    last_chunk_open_ = false;
  } else {
    if (!last_chunk_open_ || chunks_.back().size() + need > kChunkBytes) {
      chunks_.emplace_back();
      last_chunk_open_ = true;
    }
    std::string& chunk = chunks_.back();
    if (chunk.size() + need > chunk.capacity()) {
      // Powers of two up to kChunkBytes: a small set keeps a small arena.
      const size_t want = std::min(
          kChunkBytes,
          std::bit_ceil(std::max<size_t>(64, std::max(chunk.size() + need, 2 * chunk.capacity()))));
      if (chunk.capacity() > std::string().capacity()) arena_heap_bytes_ -= heap(chunk);
      chunk.reserve(want);
      arena_heap_bytes_ += heap(chunk);
    }
    common::VarintPut(&chunk, member.size());
    chunk.append(member);
    arena_used_bytes_ += need;
    arena_live_bytes_ += need;
  }
  const uint64_t ref = (chunks_.size() - 1) * kChunkBytes +
                       (chunks_.back().size() - need);  // where the entry starts
  return (TagOf(hash) << kRefBits) | (ref + 1);
}

void MemberTable::Release(uint64_t slot) {
  const uint64_t ref = RefOf(slot);
  std::string& chunk = chunks_[ref / kChunkBytes];
  const size_t need = EntryBytes(MemberAt(slot));
  if (need > kOwnChunkBytes) {
    arena_heap_bytes_ -= chunk.capacity() + 1;
    std::string().swap(chunk);
    if (&chunk == &chunks_.back()) last_chunk_open_ = false;
    return;
  }
  arena_live_bytes_ -= need;
}

bool MemberTable::Insert(std::string_view member) {
  if ((size_ + 1) * 4 > slots_.size() * 3) {
    Resize(std::max(kMinCapacity, slots_.size() * 2));
  }
  const uint64_t hash = Hash(member);
  const size_t mask = slots_.size() - 1;
  const uint64_t tag = TagOf(hash);
  size_t i = hash & mask;
  for (;; i = (i + 1) & mask) {
    const uint64_t slot = slots_[i];
    if (!slot) break;
    if ((slot >> kRefBits) == tag && MemberAt(slot) == member) return false;
  }
  slots_[i] = Store(member, hash);
  size_++;
  return true;
}

bool MemberTable::Remove(std::string_view member) {
  size_t i = Find(member, Hash(member));
  if (i == kNone) return false;
  Release(slots_[i]);
  size_--;
  // Shift back every following member of the run that may move into the hole: one whose home
  // is not cyclically within (hole, its slot].
  const size_t mask = slots_.size() - 1;
  for (size_t j = (i + 1) & mask; slots_[j]; j = (j + 1) & mask) {
    const size_t home = Hash(MemberAt(slots_[j])) & mask;
    const bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
    if (stays) continue;
    slots_[i] = slots_[j];
    i = j;
  }
  slots_[i] = 0;
  if (size_ == 0) {
    *this = MemberTable();
    return true;
  }
  // Under 1/4 full: shrink to fit (at most 3/4 full, so at least 3/8): random draws stay a few
  // probes, and adding back does not grow it again at once.
  if (slots_.size() > kMinCapacity && size_ * 4 < slots_.size()) Resize(FittingCapacity(size_));
  MaybeCompact();
  return true;
}

size_t MemberTable::FittingCapacity(size_t n) {
  size_t capacity = kMinCapacity;
  while (n * 4 > capacity * 3) capacity *= 2;
  return capacity;
}

void MemberTable::Reserve(size_t n) {
  const size_t capacity = FittingCapacity(n);
  if (capacity > slots_.size()) Resize(capacity);
}

void MemberTable::Resize(size_t capacity) {
  std::vector<uint64_t> old = std::move(slots_);
  slots_.assign(capacity, 0);
  const size_t mask = capacity - 1;
  for (const uint64_t slot : old) {
    if (!slot) continue;
    size_t i = Hash(MemberAt(slot)) & mask;
    while (slots_[i]) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

void MemberTable::MaybeCompact() {
  const size_t dead = arena_used_bytes_ - arena_live_bytes_;
  if (dead > arena_live_bytes_ && dead >= 4096) Compact();
}

void MemberTable::Compact() {
  std::vector<std::string> old = std::move(chunks_);
  chunks_.clear();
  last_chunk_open_ = false;
  arena_heap_bytes_ = arena_used_bytes_ = arena_live_bytes_ = 0;
  // Slots keep their places (their tags are unchanged); only where the member is changes.
  for (uint64_t& slot : slots_) {
    if (!slot) continue;
    const uint64_t ref = RefOf(slot);
    const char* p = old[ref / kChunkBytes].data() + ref % kChunkBytes;
    const size_t n = common::VarintRead(&p);
    const uint64_t tag_bits = slot & ~kRefMask;
    slot = (Store({p, n}, 0) & kRefMask) | tag_bits;
  }
}

size_t MemberTable::HeapBytes() const {
  return slots_.capacity() * sizeof(uint64_t) + chunks_.capacity() * sizeof(std::string) +
         arena_heap_bytes_;
}

}  // namespace pylon::set
