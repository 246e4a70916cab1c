// Keyspace notifications, as Redis's notify-keyspace-events: a command that changes a key tells
// the key's watchers over pub/sub, as "__keyspace@0__:<key>" with the event name as message and
// "__keyevent@0__:<event>" with the key as message. Which events go out is a set of classes, one
// letter each, that CONFIG SET changes at run time; the default sends nothing, and then a
// notification costs one test of a word.
//
// Pylon's own families (limiters, queues, breakers, ...) notify under Redis's module class 'd':
// their values are to Redis what a module's types are.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pylon::daemon {

class PubSub;

// The classes, with Redis's letters.
enum KeyspaceEventClass : uint32_t {
  kEventKeyspace = 1u << 0,  // K: publish on __keyspace@0__:<key>
  kEventKeyevent = 1u << 1,  // E: publish on __keyevent@0__:<event>
  kEventGeneric = 1u << 2,   // g: del, expire, rename_from, copy_to, ...
  kEventString = 1u << 3,    // $
  kEventList = 1u << 4,      // l
  kEventSet = 1u << 5,       // s
  kEventHash = 1u << 6,      // h
  kEventZset = 1u << 7,      // z
  kEventExpired = 1u << 8,   // x: a key expired
  kEventEvicted = 1u << 9,   // e: a key was evicted for maxmemory
  kEventStream = 1u << 10,   // t
  kEventKeyMiss = 1u << 11,  // m: a read found no key (not in A)
  kEventModule = 1u << 12,   // d: Pylon's own families
  kEventNew = 1u << 13,      // n: a key was created (not in A)
};
// 'A': every class but key-miss and new, as Redis.
inline constexpr uint32_t kEventAll = kEventGeneric | kEventString | kEventList | kEventSet |
                                      kEventHash | kEventZset | kEventExpired | kEventEvicted |
                                      kEventStream | kEventModule;

// Parses a notify-keyspace-events value ("KEA", "Elg", ""); false on a letter Redis does not
// know.
bool ParseKeyspaceEvents(std::string_view text, uint32_t* flags);
// The CONFIG GET form, as Redis writes it ("AKE" for what "KEA" set).
std::string FormatKeyspaceEvents(uint32_t flags);

// The keyspace notifications of Pylon's families: instead of each family naming its events at
// each write, a write command of a family notifies, under class 'd', its own name ("rl.allow",
// "q.push") as the event on every key it changed. The server records the keys it hears of
// (KeyModified) while such a command runs, only when class 'd' is selected.
class FamilyEvents {
 public:
  // Before a command runs: whether it is one whose changes are recorded (it then calls End).
  bool Begin(uint32_t flags, bool pylon_family_write) {
    if (!pylon_family_write || recording_ || (flags & kEventModule) == 0 ||
        (flags & (kEventKeyspace | kEventKeyevent)) == 0) {
      return false;
    }
    recording_ = true;
    return true;
  }
  void KeyModified(std::string_view key);
  // After the command: notifies `event` on each key it changed, in the order first changed.
  void End(uint32_t flags, PubSub& pubsub, std::string_view event);

 private:
  bool recording_ = false;
  std::vector<std::string> keys_;
};

// Publishes `event` on `key` when `flags` selects its class and at least one of K and E.
// `event_class` is one class bit. Cheap when nothing is selected.
void NotifyKeyspaceEvent(uint32_t flags, PubSub& pubsub, uint32_t event_class,
                         std::string_view event, std::string_view key);

}  // namespace pylon::daemon
