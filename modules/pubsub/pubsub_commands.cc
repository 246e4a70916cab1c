// SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE SSUBSCRIBE SUNSUBSCRIBE PUBLISH SPUBLISH PUBSUB,
// answered frame for frame as Redis 7.0 answers them; the subscriptions and the fan-out live in
// daemon/pubsub.h.
#include <fmt/format.h>

#include <string>
#include <vector>

#include "daemon/cluster.h"
#include "daemon/cluster_peers.h"
#include "daemon/command_helpers.h"
#include "daemon/connection.h"
#include "daemon/pubsub.h"
#include "modules/pubsub/pubsub.h"
#include "protocol/text.h"

namespace pylon::pubsub {
namespace {

using daemon::CommandContext;
using daemon::Connection;
using daemon::PubSub;
using Kind = daemon::SubscriptionKind;

// What each kind's (un)subscribe frames are called.
struct Names {
  std::string_view subscribe, unsubscribe;
};
Names NamesOf(Kind kind) {
  switch (kind) {
    case Kind::kChannel:
      return {"subscribe", "unsubscribe"};
    case Kind::kPattern:
      return {"psubscribe", "punsubscribe"};
    case Kind::kShard:
      break;
  }
  return {"ssubscribe", "sunsubscribe"};
}

void ReplyFrame(CommandContext& ctx, std::string_view word, const std::string_view* name,
                Kind kind) {
  PubSub::WriteFrame(ctx.conn, word, name, kind);
}

void Subscribe(CommandContext& ctx, Kind kind) {
  PubSub& hub = ctx.pubsub();
  for (size_t i = 1; i < ctx.args.size(); i++) {
    hub.Subscribe(&ctx.conn, kind, ctx.args[i]);
    ReplyFrame(ctx, NamesOf(kind).subscribe, &ctx.args[i], kind);
  }
  // As Redis: only a RESP2 connection enters the restricted subscribed state.
  if (ctx.conn.resp() == 2) ctx.conn.pubsub_mode = true;
}

void Unsubscribe(CommandContext& ctx, Kind kind) {
  PubSub& hub = ctx.pubsub();
  const std::string_view word = NamesOf(kind).unsubscribe;
  if (ctx.args.size() > 1) {
    for (size_t i = 1; i < ctx.args.size(); i++) {
      hub.Unsubscribe(&ctx.conn, kind, ctx.args[i]);
      ReplyFrame(ctx, word, &ctx.args[i], kind);
    }
  } else {
    const std::vector<std::string> all = hub.SubscriptionsOf(ctx.conn, kind);
    for (const std::string& name : all) {
      hub.Unsubscribe(&ctx.conn, kind, name);
      const std::string_view view = name;
      ReplyFrame(ctx, word, &view, kind);
    }
    if (all.empty()) ReplyFrame(ctx, word, nullptr, kind);
  }
  if (!ctx.conn.subscriptions) ctx.conn.pubsub_mode = false;
}

void CmdSubscribe(CommandContext& ctx) { Subscribe(ctx, Kind::kChannel); }
void CmdPsubscribe(CommandContext& ctx) { Subscribe(ctx, Kind::kPattern); }
void CmdSsubscribe(CommandContext& ctx) { Subscribe(ctx, Kind::kShard); }
void CmdUnsubscribe(CommandContext& ctx) { Unsubscribe(ctx, Kind::kChannel); }
void CmdPunsubscribe(CommandContext& ctx) { Unsubscribe(ctx, Kind::kPattern); }
void CmdSunsubscribe(CommandContext& ctx) { Unsubscribe(ctx, Kind::kShard); }

// PUBLISH channel message
void CmdPublish(CommandContext& ctx) {
  // In a cluster the message reaches every node's subscribers, as in Redis Cluster; the reply
  // counts this node's receivers only (Redis's too). A message from another node is not sent on.
  if (ctx.cluster().enabled() && !ctx.conn.peer) {
    ctx.peers().Publish(ctx.args[1], ctx.args[2]);
  }
  ctx.reply.Integer(ctx.pubsub().Publish(Kind::kChannel, ctx.args[1], ctx.args[2]));
}

// SPUBLISH shardchannel message
void CmdSpublish(CommandContext& ctx) {
  ctx.reply.Integer(ctx.pubsub().Publish(Kind::kShard, ctx.args[1], ctx.args[2]));
}

// PUBSUB CHANNELS / SHARDCHANNELS [pattern]: names with a subscriber, matching the pattern.
void ReplyNames(CommandContext& ctx, Kind kind) {
  if (ctx.args.size() > 3) {
    // The table allows any count (as Redis's); the handler takes one pattern at most.
    daemon::ReplySubcommandSyntaxError(ctx);
    return;
  }
  const std::string_view pattern = ctx.args.size() > 2 ? ctx.args[2] : "*";
  std::vector<std::string_view> names;
  ctx.pubsub().ForEachName(kind, [&](std::string_view name) {
    if (protocol::GlobMatch(pattern, name)) names.push_back(name);
  });
  ctx.reply.ArrayHeader(static_cast<int64_t>(names.size()));
  for (std::string_view name : names) ctx.reply.Bulk(name);
}

// PUBSUB NUMSUB / SHARDNUMSUB [name ...]: a flat array of name, count (an array in RESP3 too).
void ReplyCounts(CommandContext& ctx, Kind kind) {
  ctx.reply.ArrayHeader(static_cast<int64_t>(ctx.args.size() - 2) * 2);
  for (size_t i = 2; i < ctx.args.size(); i++) {
    ctx.reply.Bulk(ctx.args[i]);
    ctx.reply.Integer(static_cast<int64_t>(ctx.pubsub().Subscribers(kind, ctx.args[i])));
  }
}

void CmdPubsubChannels(CommandContext& ctx) { ReplyNames(ctx, Kind::kChannel); }
void CmdPubsubShardchannels(CommandContext& ctx) { ReplyNames(ctx, Kind::kShard); }
void CmdPubsubNumsub(CommandContext& ctx) { ReplyCounts(ctx, Kind::kChannel); }
void CmdPubsubShardnumsub(CommandContext& ctx) { ReplyCounts(ctx, Kind::kShard); }

// PUBSUB NUMPAT: distinct patterns with a subscriber.
void CmdPubsubNumpat(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.pubsub().names(Kind::kPattern)));
}

void CmdPubsubHelp(CommandContext& ctx) {
  daemon::ReplyHelp(
      ctx,
      {"CHANNELS [<pattern>]",
       "    Return the currently active channels matching a <pattern> (default: '*').", "NUMPAT",
       "    Return number of subscriptions to patterns.", "NUMSUB [<channel> ...]",
       "    Return the number of subscribers for the specified channels, excluding",
       "    pattern subscriptions(default: no channels).", "SHARDCHANNELS [<pattern>]",
       "    Return the currently active shard level channels matching a <pattern> (default: '*').",
       "SHARDNUMSUB [<shardchannel> ...]",
       "    Return the number of subscribers for the specified shard level channel(s)"});
}

}  // namespace

void RegisterPubSub(daemon::Registry& registry) {
  using namespace daemon;
  CommandTable& t = registry.commands;
  // The (un)subscribe commands may run on a RESP2 connection that has subscriptions.
  constexpr uint32_t kSubscribeFlags =
      kCmdPubsub | kCmdNoscript | kCmdLoading | kCmdStale | kCmdWhileSubscribed;
  CommandGroup group(t, "pubsub");
  group.Add({.name = "subscribe",
             .arity = -2,
             .flags = kSubscribeFlags,
             .handler = CmdSubscribe,
             .since = "2.0.0",
             .summary = "Listen for messages published to the given channels",
             .complexity = "O(N) where N is the number of channels to subscribe to.",
             .syntax = "channel [channel ...]"});
  group.Add({.name = "unsubscribe",
             .arity = -1,
             .flags = kSubscribeFlags,
             .handler = CmdUnsubscribe,
             .since = "2.0.0",
             .summary = "Stop listening for messages posted to the given channels",
             .complexity = "O(N) where N is the number of clients already subscribed to a channel.",
             .syntax = "[channel [channel ...]]"});
  group.Add(
      {.name = "psubscribe",
       .arity = -2,
       .flags = kSubscribeFlags,
       .handler = CmdPsubscribe,
       .since = "2.0.0",
       .summary = "Listen for messages published to channels matching the given patterns",
       .complexity = "O(N) where N is the number of patterns the client is already subscribed to.",
       .syntax = "pattern:pattern [pattern:pattern ...]"});
  group.Add(
      {.name = "punsubscribe",
       .arity = -1,
       .flags = kSubscribeFlags,
       .handler = CmdPunsubscribe,
       .since = "2.0.0",
       .summary = "Stop listening for messages posted to channels matching the given patterns",
       .complexity = "O(N+M) where N is the number of patterns the client is already subscribed "
                     "and M is the number of total patterns subscribed in the system (by any "
                     "client).",
       .syntax = "[pattern:pattern [pattern:pattern ...]]"});
  group.Add({.name = "ssubscribe",
             .arity = -2,
             .flags = kSubscribeFlags,
             .first_key = 1,
             .last_key = -1,
             .key_step = 1,
             .handler = CmdSsubscribe,
             .since = "7.0.0",
             .summary = "Listen for messages published to the given shard channels",
             .complexity = "O(N) where N is the number of shard channels to subscribe to.",
             .syntax = "shardchannel [shardchannel ...]"});
  group.Add({.name = "sunsubscribe",
             .arity = -1,
             .flags = kSubscribeFlags,
             .first_key = 1,
             .last_key = -1,
             .key_step = 1,
             .handler = CmdSunsubscribe,
             .since = "7.0.0",
             .summary = "Stop listening for messages posted to the given shard channels",
             .complexity = "O(N) where N is the number of clients already subscribed to a shard "
                           "channel.",
             .syntax = "[shardchannel [shardchannel ...]]"});
  group.Add({.name = "publish",
             .arity = 3,
             .flags = kCmdPubsub | kCmdLoading | kCmdStale | kCmdFast,
             .handler = CmdPublish,
             .since = "2.0.0",
             .summary = "Post a message to a channel",
             .complexity =
                 "O(N+M) where N is the number of clients subscribed to the receiving "
                 "channel and M is the total number of subscribed patterns (by any client).",
             .syntax = "channel message"});
  group.Add({.name = "spublish",
             .arity = 3,
             .flags = kCmdPubsub | kCmdLoading | kCmdStale | kCmdFast,
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .handler = CmdSpublish,
             .since = "7.0.0",
             .summary = "Post a message to a shard channel",
             .complexity =
                 "O(N) where N is the number of clients subscribed to the receiving shard "
                 "channel.",
             .syntax = "shardchannel message"});
  group.Add({.name = "pubsub",
             .arity = -2,
             .since = "2.8.0",
             .summary = "A container for Pub/Sub commands",
             .complexity = "Depends on subcommand."});
  auto sub = [&t](CommandSpec spec) {
    spec.flags = kCmdPubsub | kCmdLoading | kCmdStale;
    t.AddSubcommand("pubsub", std::move(spec));
  };
  sub({.name = "channels",
       .arity = -2,
       .handler = CmdPubsubChannels,
       .since = "2.8.0",
       .summary = "List active channels",
       .complexity = "O(N) where N is the number of active channels, and assuming constant time "
                     "pattern matching (relatively short channels and patterns)",
       .syntax = "[pattern:pattern]"});
  sub({.name = "numpat",
       .arity = 2,
       .handler = CmdPubsubNumpat,
       .since = "2.8.0",
       .summary = "Get the count of unique patterns pattern subscriptions",
       .complexity = "O(1)"});
  sub({.name = "numsub",
       .arity = -2,
       .handler = CmdPubsubNumsub,
       .since = "2.8.0",
       .summary = "Get the count of subscribers for channels",
       .complexity = "O(N) for the NUMSUB subcommand, where N is the number of requested "
                     "channels",
       .syntax = "[channel [channel ...]]"});
  sub({.name = "shardchannels",
       .arity = -2,
       .handler = CmdPubsubShardchannels,
       .since = "7.0.0",
       .summary = "List active shard channels",
       .complexity = "O(N) where N is the number of active shard channels, and assuming constant "
                     "time pattern matching (relatively short shard channels).",
       .syntax = "[pattern:pattern]"});
  sub({.name = "shardnumsub",
       .arity = -2,
       .handler = CmdPubsubShardnumsub,
       .since = "7.0.0",
       .summary = "Get the count of subscribers for shard channels",
       .complexity = "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested "
                     "shard channels",
       .syntax = "[shardchannel [shardchannel ...]]"});
  sub({.name = "help",
       .arity = 2,
       .handler = CmdPubsubHelp,
       .since = "6.2.0",
       .summary = "Show helpful text about the different subcommands",
       .complexity = "O(1)"});
}

}  // namespace pylon::pubsub
