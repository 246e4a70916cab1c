#include "modules/cluster/cluster_commands.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <string>

#include "daemon/command_helpers.h"
#include "daemon/connection.h"
#include "daemon/server.h"
#include "modules/cluster/slots.h"

namespace pylon::cluster {
namespace {

using daemon::CommandContext;

constexpr std::string_view kDisabled = "ERR This instance has cluster support disabled";

// The cluster view, or the error Redis gives when cluster mode is off.
const daemon::Cluster* ClusterOrReply(CommandContext& ctx) {
  const daemon::Cluster& c = ctx.cluster();
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
  const auto ranges = c->Ranges();
  ctx.reply.ArrayHeader(static_cast<int64_t>(ranges.size()));
  for (const auto& range : ranges) {
    ctx.reply.ArrayHeader(3);
    ctx.reply.Integer(range.first);
    ctx.reply.Integer(range.last);
    ReplyNode(ctx.reply, *range.node);
  }
}

// The slot ranges `node` serves, as first, last pairs.
std::vector<int> BoundsOf(const std::vector<daemon::Cluster::OwnedRange>& ranges,
                          const Node& node) {
  std::vector<int> bounds;
  for (const auto& range : ranges) {
    if (range.node->port != node.port || range.node->host != node.host) continue;
    bounds.push_back(range.first);
    bounds.push_back(range.last);
  }
  return bounds;
}

// CLUSTER SHARDS: one shard per node (no replicas): its slot ranges and the node.
void CmdShards(CommandContext& ctx) {
  const daemon::Cluster* c = ClusterOrReply(ctx);
  if (!c) return;
  const auto ranges = c->Ranges();
  const std::vector<Node> nodes = c->Nodes();
  auto& r = ctx.reply;
  r.ArrayHeader(static_cast<int64_t>(nodes.size()));
  for (const Node& node : nodes) {
    r.MapHeader(2);
    r.Bulk("slots");
    const std::vector<int> bounds = BoundsOf(ranges, node);
    r.ArrayHeader(static_cast<int64_t>(bounds.size()));
    for (int b : bounds) r.Integer(b);
    r.Bulk("nodes");
    r.ArrayHeader(1);
    r.MapHeader(7);
    r.Bulk("id");
    r.Bulk(node.id);
    r.Bulk("port");
    r.Integer(node.port);
    r.Bulk("ip");
    r.Bulk(node.host);
    r.Bulk("endpoint");
    r.Bulk(node.host);
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
  const auto ranges = c->Ranges();
  std::string out;
  for (const Node& n : c->Nodes()) {
    const std::string address = n.address();
    auto to = std::back_inserter(out);
    fmt::format_to(to, "{} {}@{} {} - 0 0 {} connected", n.id, address, BusPort(n.port),
                   address == c->self_address() ? "myself,master" : "master", c->epoch());
    const std::vector<int> bounds = BoundsOf(ranges, n);
    for (size_t i = 0; i < bounds.size(); i += 2) {
      fmt::format_to(to, " {}", bounds[i]);
      if (bounds[i + 1] != bounds[i]) fmt::format_to(to, "-{}", bounds[i + 1]);
    }
    out += '\n';
  }
  ctx.reply.Verbatim(out);
}

// CLUSTER INFO: Redis's fields; every slot is always served (the map is derived, not gossiped).
void CmdInfo(CommandContext& ctx) {
  const daemon::Cluster* c = ClusterOrReply(ctx);
  if (!c) return;
  const std::string nodes = std::to_string(c->Nodes().size());
  const std::string members = std::to_string(c->map().nodes().size());
  const std::string epoch = std::to_string(c->epoch());
  ctx.reply.Verbatim(
      "cluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_slots_ok:16384\r\n"
      "cluster_slots_pfail:0\r\ncluster_slots_fail:0\r\ncluster_known_nodes:" +
      nodes + "\r\ncluster_size:" + members + "\r\ncluster_current_epoch:" + epoch +
      "\r\ncluster_my_epoch:" + epoch +
      "\r\ncluster_stats_messages_sent:0\r\ncluster_stats_messages_received:0\r\n"
      "total_cluster_links_buffer_limit_exceeded:0\r\ncluster_slots_in_transition:" +
      std::to_string(c->slots_in_transition()) + "\r\n");
}

void CmdMyid(CommandContext& ctx) {
  if (const daemon::Cluster* c = ClusterOrReply(ctx)) ctx.reply.Bulk(c->self_id());
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
  ctx.keyspace().ForEach([&](daemon::Entry* e) { count += KeySlot(e->key()) == slot; });
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
  ctx.keyspace().ForEach([&](daemon::Entry* e) {
    if (static_cast<int64_t>(keys.size()) < count && KeySlot(e->key()) == slot) {
      keys.emplace_back(e->key());
    }
  });
  ctx.reply.ArrayHeader(static_cast<int64_t>(keys.size()));
  for (const std::string& k : keys) ctx.reply.Bulk(k);
}

// CLUSTER RELOAD: the membership and epoch from the configuration file (the other directives
// are left as they are); keys of the slots this node loses start moving to their new owners.
void CmdReload(CommandContext& ctx) {
  daemon::Cluster* c = ctx.cluster().enabled() ? &ctx.server().cluster() : nullptr;
  if (!c) return ctx.reply.Error(kDisabled);
  if (ctx.server().resharding().active() > 0) {
    return ctx.reply.Error(fmt::format(
        "ERR this node is still moving keys or announcing handovers of epoch {} ({} transfers); "
        "reload when INFO cluster shows cluster_transfers_active:0",
        c->epoch(), ctx.server().resharding().active()));
  }
  daemon::Config& config = ctx.server().config();
  if (config.config_file.empty() || config.config_file == "-") {
    return ctx.reply.Error(
        "ERR CLUSTER RELOAD reads the configuration file, and this server was started without one");
  }
  daemon::Config file;
  std::string error;
  if (!daemon::LoadConfig({config.config_file}, &file, &error)) {
    return ctx.reply.Error("ERR " + error);
  }
  if (!file.cluster_enabled) {
    return ctx.reply.Error("ERR cluster-enabled is no in " + config.config_file +
                           ": it cannot change while the server runs");
  }
  daemon::Config next = config;
  next.cluster_nodes = file.cluster_nodes;
  next.cluster_epoch = file.cluster_epoch;
  if (!c->Reload(next, &error)) return ctx.reply.Error("ERR " + error);
  config.cluster_nodes = next.cluster_nodes;
  config.cluster_epoch = next.cluster_epoch;
  spdlog::info("cluster: reloaded epoch {}: {} members, {} slots served here, {} in transition",
               c->epoch(), c->map().nodes().size(), c->SlotsServed(), c->slots_in_transition());
  ctx.server().resharding().Start();
  ctx.reply.Ok();
}

// CLUSTER PEER node-id: this connection is another node's link (daemon/cluster_peers.h).
void CmdPeer(CommandContext& ctx) {
  if (!ClusterOrReply(ctx)) return;
  ctx.conn.peer = true;
  ctx.reply.Ok();
}

// CLUSTER IMPORT and CLUSTER HANDOVER: from the node that sends slots (daemon/resharding.h).
void CmdImport(CommandContext& ctx) {
  if (ClusterOrReply(ctx)) ctx.server().resharding().Import(ctx);
}

void CmdHandover(CommandContext& ctx) {
  if (ClusterOrReply(ctx)) ctx.server().resharding().Handover(ctx);
}

void CmdHelp(CommandContext& ctx) {
  daemon::ReplyHelp(
      ctx,
      {"COUNTKEYSINSLOT <slot>",
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
       "RELOAD",
       "    Read cluster-nodes and cluster-epoch from the configuration file again and move",
       "    the keys of the slots this node loses to their new owners.",
       "SHARDS",
       "    Return information about slot range mappings and the nodes associated with them.",
       "SLOTS",
       "    Return information about slots range mappings. Each range is made of:",
       "    start, end, master and replicas IP addresses, ports and ids"});
}

// ASKING: the next command (or transaction) may run on a slot this node is importing.
void CmdAsking(CommandContext& ctx) {
  if (!ClusterOrReply(ctx)) return;
  ctx.conn.asking = true;
  ctx.reply.Ok();
}

// READONLY, READWRITE: accepted in cluster mode. (Pylon has no replicas: a node serves the
// slots it owns, reads and writes alike, so neither changes what a command does.)
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
  // What only reads the map is answered while the log loads; what changes keys (RELOAD,
  // IMPORT, HANDOVER: they are kCmdAdmin) waits for the load to end.
  auto sub = [&t](CommandSpec spec) {
    if (!(spec.flags & kCmdAdmin)) spec.flags |= kCmdLoading | kCmdStale;
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
  sub({.name = "reload",
       .arity = 2,
       .flags = kCmdAdmin,
       .handler = CmdReload,
       .since = "0.1.0",
       .summary = "Read the membership and epoch from the configuration file again; move keys",
       .complexity = "O(N) where N is the number of slots, plus reading the configuration file"});
  // Node to node (daemon/cluster_peers.h, daemon/resharding.h).
  sub({.name = "peer",
       .arity = 3,
       .handler = CmdPeer,
       .since = "0.1.0",
       .summary = "Mark the connection as another cluster node's link",
       .complexity = "O(1)",
       .syntax = "node-id:string"});
  sub({.name = "import",
       .arity = -3,
       .flags = kCmdAdmin,
       .handler = CmdImport,
       .since = "0.1.0",
       .summary = "Store keys another node moves here during a resharding",
       .complexity = "O(N) where N is the size of the values",
       .syntax = "epoch:integer [key:key expire-at:integer dump:string ...]"});
  sub({.name = "handover",
       .arity = 5,
       .flags = kCmdAdmin,
       .handler = CmdHandover,
       .since = "0.1.0",
       .summary = "Learn that a node has moved its slots to their new owner",
       .complexity = "O(S) where S is the number of slots",
       .syntax = "epoch:integer source:string target:string"});
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
    if (!spec.handler) spec.handler = CmdAccepted;
    spec.complexity = "O(1)";
    t.Add(std::move(spec));
  };
  plain({.name = "asking",
         .handler = CmdAsking,
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
