#include "daemon/key_table.h"

#include <xxhash.h>

#include <cstdlib>
#include <cstring>

namespace pylon::daemon {

KeyTable::KeyTable(uint64_t seed) : seed_(seed) {}

KeyTable::~KeyTable() {
  std::free(buckets_[0]);
  std::free(buckets_[1]);
}

uint64_t KeyTable::Hash(std::string_view key) const {
  // Seeded per process, so clients cannot pick keys that collide into one chain.
  return XXH3_64bits_withSeed(key.data(), key.size(), seed_);
}

KeyTable::Slot KeyTable::Find(std::string_view key, uint64_t hash) const {
  for (int t = 0; t < 2; t++) {
    if (!buckets_[t]) continue;
    Entry** link = &buckets_[t][hash & Mask(t)];
    for (Entry* e = *link; e; link = &e->next_, e = e->next_) {
      if (e->key_len_ == key.size() && std::memcmp(e->KeyData(), key.data(), key.size()) == 0) {
        return {link, t};
      }
    }
    if (!rehashing()) break;
  }
  return {};
}

KeyTable::Slot KeyTable::Insert(Entry* entry, uint64_t hash) {
  if (!buckets_[0]) {
    StartResize(size_t{1} << kInitialExponent);
  } else if (!rehashing() && used_[0] >= Capacity(0) && MayGrow()) {
    StartResize(used_[0] + 1);  // grow at load factor 1, as Redis
  }
  // While resizing, new entries go straight to the new table.
  const int t = rehashing() ? 1 : 0;
  Entry** head = &buckets_[t][hash & Mask(t)];
  entry->next_ = *head;
  *head = entry;
  used_[t]++;
  return {head, t};
}

bool KeyTable::MayGrow() const {
  if (!growth_check_) return true;
  if (static_cast<double>(used_[0]) >= static_cast<double>(Capacity(0)) * kForcedGrowthLoad) {
    return true;
  }
  return growth_check_(2 * Capacity(0) * sizeof(Entry*));
}

Entry* KeyTable::Unlink(Slot slot) {
  Entry* e = *slot.link;
  *slot.link = e->next_;
  e->next_ = nullptr;
  used_[slot.table]--;
  return e;
}

void KeyTable::StartResize(size_t min_capacity) {
  int exponent = kInitialExponent;
  while ((size_t{1} << exponent) < min_capacity) exponent++;
  // calloc: a large zeroed array comes from fresh pages, so allocating it costs no time
  // proportional to its size.
  auto* table = static_cast<Entry**>(std::calloc(size_t{1} << exponent, sizeof(Entry*)));
  if (!table) std::abort();
  if (!buckets_[0]) {
    buckets_[0] = table;
    exponent_[0] = exponent;
    return;
  }
  buckets_[1] = table;
  exponent_[1] = exponent;
  rehash_index_ = 0;
}

bool KeyTable::RehashStep(int buckets) {
  if (!rehashing()) return false;
  int empty_visits = buckets * 10;
  const uint64_t mask1 = Mask(1);
  while (buckets-- > 0 && used_[0] != 0) {
    while (buckets_[0][rehash_index_] == nullptr) {
      rehash_index_++;
      if (--empty_visits == 0) return true;
    }
    Entry* e = buckets_[0][rehash_index_];
    while (e) {
      Entry* next = e->next_;
      Entry** head = &buckets_[1][Hash(e->key()) & mask1];
      e->next_ = *head;
      *head = e;
      used_[0]--;
      used_[1]++;
      e = next;
    }
    buckets_[0][rehash_index_] = nullptr;
    rehash_index_++;
  }
  FinishRehashIfDone();
  return rehashing();
}

void KeyTable::FinishRehashIfDone() {
  if (used_[0] != 0) return;
  std::free(buckets_[0]);
  buckets_[0] = buckets_[1];
  exponent_[0] = exponent_[1];
  used_[0] = used_[1];
  buckets_[1] = nullptr;
  exponent_[1] = 0;
  used_[1] = 0;
  rehash_index_ = -1;
}

void KeyTable::MaybeShrink() {
  if (rehashing() || !buckets_[0]) return;
  const size_t capacity = Capacity(0);
  if (capacity > (size_t{1} << kInitialExponent) && used_[0] * 100 / capacity < 10) {
    StartResize(used_[0] ? used_[0] : 1);
    if (used_[0] == 0) FinishRehashIfDone();
  }
}

void KeyTable::Reset() {
  std::free(buckets_[0]);
  std::free(buckets_[1]);
  buckets_[0] = buckets_[1] = nullptr;
  exponent_[0] = exponent_[1] = 0;
  used_[0] = used_[1] = 0;
  rehash_index_ = -1;
}

}  // namespace pylon::daemon
