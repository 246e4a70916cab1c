#include "daemon/keyspace_events.h"

#include "daemon/pubsub.h"

namespace pylon::daemon {
namespace {

struct Letter {
  char letter;
  uint32_t flag;
};
// In the order Redis writes them back.
constexpr Letter kClassLetters[] = {
    {'g', kEventGeneric}, {'$', kEventString}, {'l', kEventList},    {'s', kEventSet},
    {'h', kEventHash},    {'z', kEventZset},   {'x', kEventExpired}, {'e', kEventEvicted},
    {'t', kEventStream},  {'d', kEventModule}, {'n', kEventNew},
};

}  // namespace

bool ParseKeyspaceEvents(std::string_view text, uint32_t* flags) {
  uint32_t out = 0;
  for (char c : text) {
    switch (c) {
      case 'A':
        out |= kEventAll;
        continue;
      case 'K':
        out |= kEventKeyspace;
        continue;
      case 'E':
        out |= kEventKeyevent;
        continue;
      case 'm':
        out |= kEventKeyMiss;
        continue;
      default:
        break;
    }
    uint32_t flag = 0;
    for (const Letter& l : kClassLetters) {
      if (l.letter == c) flag = l.flag;
    }
    if (flag == 0) return false;
    out |= flag;
  }
  *flags = out;
  return true;
}

std::string FormatKeyspaceEvents(uint32_t flags) {
  std::string out;
  if ((flags & kEventAll) == kEventAll) {
    out += 'A';  // and, as Redis, 'n' is then not written back
  } else {
    for (const Letter& l : kClassLetters) {
      if (flags & l.flag) out += l.letter;
    }
  }
  if (flags & kEventKeyspace) out += 'K';
  if (flags & kEventKeyevent) out += 'E';
  if (flags & kEventKeyMiss) out += 'm';
  return out;
}

void NotifyKeyspaceEvent(uint32_t flags, PubSub& pubsub, uint32_t event_class,
                         std::string_view event, std::string_view key) {
  if ((flags & event_class) == 0 || (flags & (kEventKeyspace | kEventKeyevent)) == 0) return;
  // Pylon has one database: its number is always 0.
  std::string channel;
  if (flags & kEventKeyspace) {
    channel.reserve(15 + key.size());
    channel.append("__keyspace@0__:").append(key);
    pubsub.Publish(SubscriptionKind::kChannel, channel, event);
  }
  if (flags & kEventKeyevent) {
    channel.assign("__keyevent@0__:").append(event);
    pubsub.Publish(SubscriptionKind::kChannel, channel, key);
  }
}

void FamilyEvents::KeyModified(std::string_view key) {
  if (!recording_) return;
  for (const std::string& k : keys_) {
    if (k == key) return;  // a command changes a handful of keys at most
  }
  keys_.emplace_back(key);
}

void FamilyEvents::End(uint32_t flags, PubSub& pubsub, std::string_view event) {
  recording_ = false;
  for (const std::string& key : keys_) {
    NotifyKeyspaceEvent(flags, pubsub, kEventModule, event, key);
  }
  keys_.clear();
}

}  // namespace pylon::daemon
