// Pub/sub as Redis 7.0 has it: channels, patterns (Redis's glob) and shard channels, each with
// its subscribers, and the fan-out of a published message.
//
// Fan-out encodes a message once per protocol in use among its receivers (RESP2 "*3", RESP3
// ">3": the frames differ in their first byte). A subscriber that keeps up gets a copy of the
// bytes, written out at the end of the loop turn: copying 1 KB costs less than queueing and
// writing a reference (measured: 50 subscribers receive 20% more messages per second). A
// subscriber that is behind (its socket is full, or kShareBehindBytes already wait for it) gets
// a reference to one shared copy (protocol::SharedBytes), from kShareFromBytes up: so a message
// waiting for 500 slow subscribers is held once, not 500 times, and a burst costs each of them
// at most kShareBehindBytes and one message of copies. Below kShareFromBytes a copy costs no
// more than a reference (about 40 bytes and a write vector entry).
//
// A subscriber whose unsent output passes client-output-buffer-limit (the pubsub class) is
// closed after the fan-out, never during it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/command_table.h"
#include "protocol/shared_bytes.h"

namespace pylon::daemon {

class Connection;
class Server;

enum class SubscriptionKind : uint8_t { kChannel = 0, kPattern = 1, kShard = 2 };

// One client's subscriptions (Connection::subscriptions, absent when it has none).
struct ClientSubscriptions {
  struct Entry {
    uint64_t seq;  // subscription order: UNSUBSCRIBE without arguments answers in this order
    size_t slot;   // where the client sits in the name's subscriber list
  };
  NameMap<Entry> of[3];  // by SubscriptionKind
  uint64_t next_seq = 0;

  size_t total() const { return of[0].size() + of[1].size() + of[2].size(); }
};

class PubSub {
 public:
  static constexpr size_t kShareFromBytes = 128;
  static constexpr size_t kShareBehindBytes = 16 * 1024;

  explicit PubSub(Server& server) : server_(server) {}

  // Adds or removes one subscription; false when there was nothing to change.
  bool Subscribe(Connection* conn, SubscriptionKind kind, std::string_view name);
  bool Unsubscribe(Connection* conn, SubscriptionKind kind, std::string_view name);
  // The client's subscriptions of a kind, oldest first.
  std::vector<std::string> SubscriptionsOf(const Connection& conn, SubscriptionKind kind) const;
  // Drops every subscription of the client without a word (disconnect, RESET).
  void UnsubscribeAll(Connection* conn);
  // How many subscriptions of a kind the client has.
  static size_t Count(const Connection& conn, SubscriptionKind kind);
  // Writes a (un)subscribe confirmation, [word, name (or null), count], to the client: a push
  // under RESP3, an array under RESP2; the count is channels and patterns together, or shard
  // channels alone.
  static void WriteFrame(Connection& conn, std::string_view word, const std::string_view* name,
                         SubscriptionKind kind);
  // Cluster mode, when slots have moved away: every subscription to a shard channel for which
  // moved(name) is true ends, its client told with a sunsubscribe frame (as Redis Cluster's
  // removeChannelsInSlot).
  template <typename Fn>
  void DropShardChannels(Fn&& moved) {
    std::vector<std::string> names;
    ForEachName(SubscriptionKind::kShard, [&](std::string_view name) {
      if (moved(name)) names.emplace_back(name);
    });
    for (const std::string& name : names) DropShardChannel(name);
  }

  // PUBLISH (kChannel: channel subscribers, then every matching pattern) and SPUBLISH (kShard):
  // returns how many deliveries were made.
  int64_t Publish(SubscriptionKind kind, std::string_view channel, std::string_view message);

  // PUBSUB: names with at least one subscriber, and how many subscribe to one name.
  template <typename Fn>
  void ForEachName(SubscriptionKind kind, Fn&& fn) const {
    for (const auto& [name, subscribers] : subscribers_[static_cast<int>(kind)]) fn(name);
  }
  size_t Subscribers(SubscriptionKind kind, std::string_view name) const;
  size_t names(SubscriptionKind kind) const { return subscribers_[static_cast<int>(kind)].size(); }

 private:
  // A message encoded for one protocol: copied bytes, or shared ones from kShareFromBytes up.
  struct Frame {
    bool built = false;
    std::string bytes;
    protocol::SharedBytes::Ref shared;
  };
  // Queues [type, (pattern if any,) channel, message] for conn, encoding it on first use.
  void Deliver(Connection* conn, std::string_view type, const std::string_view* pattern,
               std::string_view channel, std::string_view message, Frame (&frames)[2]);
  void CloseDoomed();
  void DropShardChannel(const std::string& name);

  Server& server_;
  NameMap<std::vector<Connection*>> subscribers_[3];
  std::vector<Connection*> doomed_;  // over their output limit during a fan-out
};

}  // namespace pylon::daemon
