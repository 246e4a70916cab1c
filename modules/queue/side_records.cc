#include "modules/queue/side_records.h"

#include <cstring>
#include <new>

namespace pylon::queue {

std::string_view DeadReasonText(DeadReason reason) {
  switch (reason) {
    case DeadReason::kLeaseExpired:
      return "lease expired";
    case DeadReason::kNack:
      return "nack";
    case DeadReason::kNone:
      break;
  }
  return {};
}

SideRecords::SideRecords()
    : by_id(0, IdHash(), IdEqual(), common::CountingAllocator<Message*>(&bytes)),
      ready(Index::allocator_type(&bytes)),
      delayed(Index::allocator_type(&bytes)),
      in_flight(Index::allocator_type(&bytes)),
      dead(Index::allocator_type(&bytes)),
      by_age(Index::allocator_type(&bytes)) {}

SideRecords::~SideRecords() {
  for (Message* m : by_id) std::free(m);
}

const SideRecords& SideRecords::None() {
  static const SideRecords none;
  return none;
}

Message* SideRecords::Find(std::string_view id) const {
  const auto it = by_id.find(id);
  return it == by_id.end() ? nullptr : *it;
}

Message* SideRecords::Add(std::string_view id, std::string_view payload, int64_t priority,
                          uint64_t seq, int64_t pushed_ms) {
  void* memory = std::malloc(sizeof(Message) + id.size() + payload.size());
  if (!memory) std::abort();  // as Redis: out of memory is fatal
  bytes += malloc_usable_size(memory);
  Message* m = new (memory) Message();
  m->seq = seq;
  m->priority = priority;
  m->pushed_ms = pushed_ms;
  m->id_len = static_cast<uint32_t>(id.size());
  m->payload_len = static_cast<uint32_t>(payload.size());
  char* text = reinterpret_cast<char*>(m + 1);
  std::memcpy(text, id.data(), id.size());  // ids are never empty
  if (!payload.empty()) std::memcpy(text + id.size(), payload.data(), payload.size());
  by_id.insert(m);
  return m;
}

SideRecords::Index& SideRecords::IndexOf(Place place) {
  return const_cast<Index&>(static_cast<const SideRecords*>(this)->IndexOf(place));
}

const SideRecords::Index& SideRecords::IndexOf(Place place) const {
  switch (place) {
    case Place::kReady:
      return ready;
    case Place::kDelayed:
      return delayed;
    case Place::kInFlight:
      return in_flight;
    case Place::kDead:
      break;
  }
  return dead;
}

namespace {

SideRecords::Key KeyIn(const Message& m) {
  return m.place == Place::kReady ? SideRecords::ReadyKey(m.priority, m.seq)
                                  : SideRecords::Key{m.due_ms, m.seq};
}

}  // namespace

void SideRecords::MoveTo(Message& m, Place place, int64_t due_ms) {
  m.place = place;
  m.due_ms = due_ms;
  IndexOf(place).emplace(KeyIn(m), &m);
  if (place != Place::kInFlight) by_age.emplace(Key{m.pushed_ms, m.seq}, &m);
}

void SideRecords::Unplace(Message& m) {
  IndexOf(m.place).erase(KeyIn(m));
  if (m.place != Place::kInFlight) by_age.erase(Key{m.pushed_ms, m.seq});
}

void SideRecords::Erase(Message& m) {
  Unplace(m);
  by_id.erase(&m);
  bytes -= malloc_usable_size(&m);
  std::free(&m);
  // The buckets never shrink by themselves: after a burst (a large pop, then acks) they would
  // keep their peak. Rehashing once they are 8 times too many is O(1) amortized.
  if (by_id.bucket_count() > 64 && by_id.size() < by_id.bucket_count() / 8) by_id.rehash(0);
}

}  // namespace pylon::queue
