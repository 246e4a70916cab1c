#include "modules/cluster/cluster_commands.h"

#include <string>

#include "daemon/command_helpers.h"
#include "daemon/server.h"
#include "modules/cluster/slots.h"

namespace pylon::cluster {
namespace {

using daemon::CommandContext;

constexpr std::string_view kDisabled = "ERR This instance has cluster support disabled";

// The cluster view, or the error Redis gives when cluster mode is off.
const daemon::Cluster* ClusterOrReply(CommandContext& ctx) {
  const daemon::Cluster& c = ctx.server.cluster();
  if (c.enabled()) return &c;
  ctx.reply.Error(kDisabled);
  return nullptr;
}

bool ValidSlot(int64_t slot) { return slot >= 0 && slot < kSlots; }

// The bus port Redis would show (port + 10000); Pylon has no bus, the field is informational.
int BusPort(int port) { return port + 10000 <= 65535 ? port + 10000 : 0; }

// A node as CLUSTER SLOTS lists it: host, port, id, and its networking metadata (none).
void ReplyNode(protocol::ReplyWriter& r, const Node& n) {
  r.ArrayHeader(4);
  r.Bulk(n.host);
  r.Integer(n.port);
  r.Bulk(n.id);
  r.MapHeader(0);
}

// CLUSTER SLOTS: [first, last, owner] per range of slots.
void CmdSlots(CommandContext& ctx) {
  const daemon::Cluster* c = ClusterOrReply(ctx);
  if (!c) return;
  const auto& ranges = c->map().ranges();
  ctx.reply.ArrayHeader(static_cast<int64_t>(ranges.size()));
  for (const SlotMap::Range& range : ranges) {
    ctx.reply.ArrayHeader(3);
    ctx.reply.Integer(range.first);
    ctx.reply.Integer(range.last);
    ReplyNode(ctx.reply, c->map().nodes()[static_cast<size_t>(range.node)]);
  }
}

// CLUSTER SHARDS: one shard per node (no replicas): its slot ranges and the node.
void CmdShards(CommandContext& ctx) {
  const daemon::Cluster* c = ClusterOrReply(ctx);
  if (!c) return;
  const auto& nodes = c->map().nodes();
  auto& r = ctx.reply;
  r.ArrayHeader(static_cast<int64_t>(nodes.size()));
  for (size_t i = 0; i < nodes.size(); i++) {
    r.MapHeader(2);
    r.Bulk("slots");
    std::vector<int> bounds;
    for (const SlotMap::Range& range : c->map().ranges()) {
      if (range.node != static_cast<int>(i)) continue;
      bounds.push_back(range.first);
      bounds.push_back(range.last);
    }
    r.ArrayHeader(static_cast<int64_t>(bounds.size()));
    for (int b : bounds) r.Integer(b);
    r.Bulk("nodes");
    r.ArrayHeader(1);
    r.MapHeader(7);
    r.Bulk("id");
    r.Bulk(nodes[i].id);
    r.Bulk("port");
    r.Integer(nodes[i].port);
    r.Bulk("ip");
    r.Bulk(nodes[i].host);
    r.Bulk("endpoint");
    r.Bulk(nodes[i].host);
    r.Bulk("role");
    r.Bulk("master");
    r.Bulk("replication-offset");
    r.Integer(0);
    r.Bulk("health");
    r.Bulk("online");
  }
}

// CLUSTER NODES: Redis's text, a line per node:
//   <id> <ip:port@cport> <flags> <master> <ping-sent> <pong-recv> <config-epoch> <link> <slots>
void CmdNodes(CommandContext& ctx) {
  const daemon::Cluster* c = ClusterOrReply(ctx);
  if (!c) return;
  std::string out;
  const auto& nodes = c->map().nodes();
  for (size_t i = 0; i < nodes.size(); i++) {
    const Node& n = nodes[i];
    out += n.id + " " + n.address() + "@" + std::to_string(BusPort(n.port)) + " " +
           (static_cast<int>(i) == c->self() ? "myself,master" : "master") + " - 0 0 " +
           std::to_string(c->epoch()) + " connected";
    for (const SlotMap::Range& range : c->map().ranges()) {
      if (range.node != static_cast<int>(i)) continue;
      out += " " + std::to_string(range.first);
      if (range.last != range.first) out += "-" + std::to_string(range.last);
    }
    out += "\n";
  }
  ctx.reply.Verbatim(out);
}

// CLUSTER INFO: Redis's fields; every slot is always served (the map is derived, not gossiped).
void CmdInfo(CommandContext& ctx) {
  const daemon::Cluster* c = ClusterOrReply(ctx);
  if (!c) return;
  const std::string nodes = std::to_string(c->map().nodes().size());
  const std::string epoch = std::to_string(c->epoch());
  ctx.reply.Verbatim(
      "cluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_slots_ok:16384\r\n"
      "cluster_slots_pfail:0\r\ncluster_slots_fail:0\r\ncluster_known_nodes:" +
      nodes + "\r\ncluster_size:" + nodes + "\r\ncluster_current_epoch:" + epoch +
      "\r\ncluster_my_epoch:" + epoch +
      "\r\ncluster_stats_messages_sent:0\r\ncluster_stats_messages_received:0\r\n"
      "total_cluster_links_buffer_limit_exceeded:0\r\n");
}

void CmdMyid(CommandContext& ctx) {
  if (const daemon::Cluster* c = ClusterOrReply(ctx)) ctx.reply.Bulk(c->myself().id);
}

// CLUSTER KEYSLOT key: answered in and out of cluster mode, as Redis does.
void CmdKeyslot(CommandContext& ctx) { ctx.reply.Integer(KeySlot(ctx.args[2])); }

// CLUSTER COUNTKEYSINSLOT slot: a walk of the keyspace (O(keys)): the node keeps no index by
// slot.
void CmdCountkeysinslot(CommandContext& ctx) {
  int64_t slot;
  if (!ClusterOrReply(ctx) || !daemon::ParseIntOrReply(ctx, ctx.args[2], &slot)) return;
  if (!ValidSlot(slot)) return ctx.reply.Error("ERR Invalid slot");
  int64_t count = 0;
  ctx.server.keyspace().ForEach([&](daemon::Entry* e) { count += KeySlot(e->key()) == slot; });
  ctx.reply.Integer(count);
}

// CLUSTER GETKEYSINSLOT slot count: both integers checked before either range, as Redis does.
void CmdGetkeysinslot(CommandContext& ctx) {
  int64_t slot, count;
  if (!ClusterOrReply(ctx) || !daemon::ParseIntOrReply(ctx, ctx.args[2], &slot) ||
      !daemon::ParseIntOrReply(ctx, ctx.args[3], &count)) {
    return;
  }
  if (!ValidSlot(slot) || count < 0) return ctx.reply.Error("ERR Invalid slot or number of keys");
  std::vector<std::string> keys;
  ctx.server.keyspace().ForEach([&](daemon::Entry* e) {
    if (static_cast<int64_t>(keys.size()) < count && KeySlot(e->key()) == slot) {
      keys.emplace_back(e->key());
    }
  });
  ctx.reply.ArrayHeader(static_cast<int64_t>(keys.size()));
  for (const std::string& k : keys) ctx.reply.Bulk(k);
}

void CmdHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "COUNTKEYSINSLOT <slot>",
      "    Return the number of keys in <slot>.",
      "GETKEYSINSLOT <slot> <count>",
      "    Return key names stored by current node in a slot.",
      "INFO",
      "    Return information about the cluster.",
      "KEYSLOT <key>",
      "    Return the hash slot for <key>.",
      "MYID",
      "    Return the node id.",
      "NODES",
      "    Return cluster configuration seen by node. Output format:",
      "    <id> <ip:port@bus-port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
      "SHARDS",
      "    Return information about slot range mappings and the nodes associated with them.",
      "SLOTS",
      "    Return information about slots range mappings. Each range is made of:",
      "    start, end, master and replicas IP addresses, ports and ids",
      "HELP",
      "    Print this help."};
  ctx.reply.ArrayHeader(std::size(kLines));
  for (std::string_view line : kLines) ctx.reply.Simple(line);
}

// ASKING, READONLY, READWRITE: accepted in cluster mode. (No slot is ever migrating yet, and
// every node serves reads of the slots it owns only, so none changes what a command does.)
void CmdAccepted(CommandContext& ctx) {
  if (ClusterOrReply(ctx)) ctx.reply.Ok();
}

}  // namespace

void RegisterClusterCommands(daemon::Registry& registry) {
  using namespace daemon;
  CommandTable& t = registry.commands;
  t.Add({.name = "cluster",
         .arity = -2,
         .group = "cluster",
         .since = "3.0.0",
         .summary = "A container for Redis Cluster commands",
         .complexity = "Depends on subcommand."});
  auto sub = [&t](CommandSpec spec) {
    spec.flags |= kCmdLoading | kCmdStale;
    spec.group = "cluster";
    t.AddSubcommand("cluster", std::move(spec));
  };
  sub({.name = "slots",
       .arity = 2,
       .handler = CmdSlots,
       .since = "3.0.0",
       .summary = "Return the mapping of cluster slots to nodes",
       .complexity = "O(N) where N is the number of slot ranges"});
  sub({.name = "shards",
       .arity = 2,
       .handler = CmdShards,
       .since = "7.0.0",
       .summary = "Return the mapping of cluster slots to shards",
       .complexity = "O(N) where N is the number of slot ranges"});
  sub({.name = "nodes",
       .arity = 2,
       .handler = CmdNodes,
       .since = "3.0.0",
       .summary = "Return the cluster configuration seen by the node",
       .complexity = "O(N) where N is the number of slot ranges"});
  sub({.name = "info",
       .arity = 2,
       .handler = CmdInfo,
       .since = "3.0.0",
       .summary = "Return information about the state of the cluster",
       .complexity = "O(1)"});
  sub({.name = "myid",
       .arity = 2,
       .handler = CmdMyid,
       .since = "3.0.0",
       .summary = "Return the node id",
       .complexity = "O(1)"});
  sub({.name = "keyslot",
       .arity = 3,
       .handler = CmdKeyslot,
       .since = "3.0.0",
       .summary = "Return the hash slot for a key",
       .complexity = "O(N) where N is the number of bytes in the key",
       .syntax = "key:string"});
  sub({.name = "countkeysinslot",
       .arity = 3,
       .handler = CmdCountkeysinslot,
       .since = "3.0.0",
       .summary = "Return the number of keys in the specified hash slot",
       .complexity = "O(N) where N is the number of keys on the node",
       .syntax = "slot:integer"});
  sub({.name = "getkeysinslot",
       .arity = 4,
       .handler = CmdGetkeysinslot,
       .since = "3.0.0",
       .summary = "Return key names stored by the current node in a hash slot",
       .complexity = "O(N) where N is the number of keys on the node",
       .syntax = "slot:integer count:integer"});
  sub({.name = "help",
       .arity = 2,
       .handler = CmdHelp,
       .since = "5.0.0",
       .summary = "Show helpful text about the different subcommands",
       .complexity = "O(1)"});
  auto plain = [&t](CommandSpec spec) {
    spec.flags |= kCmdLoading | kCmdStale | kCmdFast;
    spec.group = "cluster";
    spec.arity = 1;
    spec.handler = CmdAccepted;
    spec.complexity = "O(1)";
    t.Add(std::move(spec));
  };
  plain({.name = "asking",
         .since = "3.0.0",
         .summary = "Signal that the next command is for a slot being imported"});
  plain({.name = "readonly",
         .since = "3.0.0",
         .summary = "Enable read queries for a connection to a cluster replica node"});
  plain({.name = "readwrite",
         .since = "3.0.0",
         .summary = "Disable read queries for a connection to a cluster replica node"});
}

}  // namespace pylon::cluster
