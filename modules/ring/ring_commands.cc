// RING.ADD, RING.REMOVE, RING.NODES, RING.LOCATE and RING.CONFIG over the rings of ring.h. A
// command that changes a ring validates everything first and changes nothing when it refuses.
// A ring lives until it is deleted (DEL): removing its last node leaves it empty, with its
// configuration.
#include <string>
#include <vector>

#include "daemon/arg_reader.h"
#include "daemon/cluster.h"
#include "daemon/command_helpers.h"
#include "daemon/connection.h"
#include "daemon/keyspace.h"
#include "daemon/registry.h"
#include "modules/ring/ring_value.h"
#include "protocol/text.h"

namespace pylon::ring {
namespace {

using daemon::CommandContext;
using daemon::IsArg;
using daemon::KeyRef;
using daemon::Lookup;

// The ring at args[1] (daemon::FindObjectOrReply).
RingValue* FindRing(CommandContext& ctx, Lookup how, KeyRef* ref, bool* ok) {
  return daemon::FindOrReply<RingValue>(ctx, kRingType, how, ref, ok);
}

void Store(CommandContext& ctx, KeyRef& ref, Ring ring) {
  ctx.keyspace().SetObject(
      ref, std::make_unique<RingValue>(ctx.family_state<RingStats>(), std::move(ring)),
      daemon::Ttl::Clear());
}

// A ring with `options` and the nodes of `from` (weights and order kept).
std::optional<Ring> Rebuilt(const Ring& from, const Options& options, std::string* error) {
  std::optional<Ring> ring = Ring::Create(options, error);
  if (!ring) return std::nullopt;
  const bool ok = ring->Batch([&] {
    for (const Node& n : from.nodes()) {
      if (!ring->Add(n.name, n.weight, error)) return false;
    }
    return true;
  });
  if (!ok) return std::nullopt;
  return ring;
}

// RING.ADD ring node [WEIGHT weight] [node [WEIGHT weight] ...]
void CmdAdd(CommandContext& ctx) {
  struct Member {
    std::string_view name;
    int64_t weight = 1;
  };
  std::vector<Member> members;
  for (size_t i = 2; i < ctx.args.size(); i++) {
    Member m{ctx.args[i]};
    if (i + 1 < ctx.args.size() && IsArg(ctx.args[i + 1], "WEIGHT")) {
      if (i + 2 >= ctx.args.size()) return ctx.reply.Error(daemon::kErrSyntax);
      if (!protocol::ParseInt64(ctx.args[i + 2], &m.weight) || !CheckWeight(m.weight).empty()) {
        return ctx.reply.Error("ERR " + CheckWeight(0));
      }
      i += 2;
    }
    members.push_back(m);
  }
  KeyRef ref;
  bool ok;
  RingValue* value = FindRing(ctx, Lookup::kWrite, &ref, &ok);
  if (!ok) return;
  // On a copy: a refusal half-way (a ring over its algorithm's limits) changes nothing.
  Ring ring = value ? value->ring() : Ring();
  int64_t added = 0;
  std::string error;
  const bool ok_all = ring.Batch([&] {
    for (const Member& m : members) {
      const bool fresh = !ring.Contains(m.name);
      if (!ring.Add(m.name, m.weight, &error)) return false;
      added += fresh;
    }
    return true;
  });
  if (!ok_all) return ctx.reply.Error("ERR " + error);
  ctx.family_state<RingStats>().changes += members.size();
  if (value) {
    value->Replace(std::move(ring));
    ctx.keyspace().Modified(ref);
  } else {
    Store(ctx, ref, std::move(ring));
  }
  ctx.reply.Integer(added);
}

// RING.REMOVE ring node [node ...]
void CmdRemove(CommandContext& ctx) {
  KeyRef ref;
  bool ok;
  RingValue* value = FindRing(ctx, Lookup::kWrite, &ref, &ok);
  if (!ok) return;
  int64_t removed = 0;
  if (value) {
    Ring ring = value->ring();
    removed = ring.Batch([&] {
      int64_t count = 0;
      for (size_t i = 2; i < ctx.args.size(); i++) count += ring.Remove(ctx.args[i]);
      return count;
    });
    if (removed > 0) value->Replace(std::move(ring));
  }
  if (removed > 0) {
    ctx.family_state<RingStats>().changes += static_cast<uint64_t>(removed);
    ctx.keyspace().Modified(ref);
  }
  ctx.reply.Integer(removed);
}

// RING.NODES ring
void CmdNodes(CommandContext& ctx) {
  KeyRef ref;
  bool ok;
  const RingValue* value = FindRing(ctx, Lookup::kRead, &ref, &ok);
  if (!ok) return;
  if (!value) return ctx.reply.ArrayHeader(0);
  const Ring& ring = value->ring();
  const std::vector<double> shares = ring.Shares();
  ctx.reply.ArrayHeader(static_cast<int64_t>(ring.size()));
  for (size_t i = 0; i < ring.size(); i++) {
    ctx.reply.ArrayHeader(3);
    ctx.reply.Bulk(ring.nodes()[i].name);
    ctx.reply.Integer(ring.nodes()[i].weight);
    ctx.reply.Double(shares[i]);
  }
}

// RING.LOCATE key: in cluster mode, the node that serves the key's slot now ("host:port"), from
// any node: the cluster's own ring.
void LocateInCluster(CommandContext& ctx) {
  const daemon::Cluster& cluster = ctx.cluster();
  if (!cluster.enabled()) {
    return ctx.reply.Error(
        "ERR RING.LOCATE without a ring names the cluster node of a key: cluster mode is off");
  }
  ctx.family_state<RingStats>().locates++;
  ctx.reply.Bulk(cluster.Owner(cluster::KeySlot(ctx.args[1])).address());
}

// Without a ring name the call has no key: it runs on any node.
daemon::KeyRange LocateKeys(daemon::Args args) {
  return args.size() == 2 ? daemon::KeyRange{} : daemon::KeyRange{1, 1, 1};
}

// RING.LOCATE ring key [COUNT count]
void CmdLocate(CommandContext& ctx) {
  if (ctx.args.size() == 2) return LocateInCluster(ctx);
  int64_t count = 1;
  const bool many = ctx.args.size() == 5;
  if (ctx.args.size() != 3 && !(many && IsArg(ctx.args[3], "COUNT"))) {
    return ctx.reply.Error(daemon::kErrSyntax);
  }
  if (many && !daemon::ParseRangeOrReply(ctx, ctx.args[4], 1, static_cast<int64_t>(kMaxNodes),
                                         &count, "ERR COUNT must be from 1 to 10000")) {
    return;
  }
  KeyRef ref;
  bool ok;
  const RingValue* value = FindRing(ctx, Lookup::kRead, &ref, &ok);
  if (!ok) return;
  ctx.family_state<RingStats>().locates++;
  // One buffer for every call: a lookup allocates nothing once it has grown.
  static std::vector<uint32_t> picked;
  if (value) {
    value->ring().LocateInto(ctx.args[2], static_cast<size_t>(count), &picked);
  } else {
    picked.clear();
  }
  if (!many) {
    if (picked.empty()) return ctx.reply.Null();
    return ctx.reply.Bulk(value->ring().nodes()[picked[0]].name);
  }
  ctx.reply.ArrayHeader(static_cast<int64_t>(picked.size()));
  for (uint32_t i : picked) ctx.reply.Bulk(value->ring().nodes()[i].name);
}

// RING.CONFIG ring [ALGO ketama|jump|rendezvous|maglev] [VNODES n] [TABLESIZE m]
void CmdConfig(CommandContext& ctx) {
  KeyRef ref;
  bool ok;
  RingValue* value = FindRing(ctx, Lookup::kWrite, &ref, &ok);
  if (!ok) return;
  Options options = value ? value->ring().options() : Options{};
  if (ctx.args.size() == 2) {
    if (!value) return ctx.reply.Null();
    ctx.reply.MapHeader(4);
    ctx.reply.Bulk("algo");
    ctx.reply.Bulk(AlgorithmName(options.algorithm));
    ctx.reply.Bulk("vnodes");
    ctx.reply.Integer(options.vnodes ? options.vnodes : kKetamaPointsPerServer);
    ctx.reply.Bulk("tablesize");
    ctx.reply.Integer(options.maglev_table_size);
    ctx.reply.Bulk("nodes");
    ctx.reply.Integer(static_cast<int64_t>(value->ring().size()));
    return;
  }
  daemon::ArgReader r(ctx.args, 2);
  while (r.HasNext()) {
    if (r.Option("ALGO")) {
      const std::optional<Algorithm> algorithm = ParseAlgorithm(r.Next());
      if (algorithm) options.algorithm = *algorithm;
      if (!algorithm) r.Fail("ERR ALGO must be ketama, jump, rendezvous or maglev");
    } else if (r.Option("VNODES")) {
      constexpr std::string_view kErrVnodes = "ERR VNODES must be between 4 and 4096";
      options.vnodes = static_cast<uint32_t>(r.Int(4, kMaxVnodes, kErrVnodes, kErrVnodes));
    } else if (r.Option("TABLESIZE")) {
      options.maglev_table_size =
          static_cast<uint32_t>(r.Int(1, UINT32_MAX, daemon::kErrNotInteger));
    } else {
      r.Fail(daemon::kErrSyntax);
    }
  }
  if (!r.Done(ctx)) return;
  std::string error;
  std::optional<Ring> ring = Rebuilt(value ? value->ring() : Ring(), options, &error);
  if (!ring) return ctx.reply.Error("ERR " + error);
  ctx.family_state<RingStats>().changes++;
  if (value) {
    value->Replace(std::move(*ring));
    ctx.keyspace().Modified(ref);
  } else {
    Store(ctx, ref, std::move(*ring));
  }
  ctx.reply.Ok();
}

}  // namespace

void RegisterRingCommands(daemon::Registry& registry) {
  daemon::CommandTable& t = registry.commands;
  using namespace daemon;
  daemon::CommandGroup group(t, "ring", "0.1.0");
  group.AddKeyed(
      {.name = "ring.add",
       .arity = -3,
       .flags = kCmdWrite | kCmdDenyOom,
       .handler = CmdAdd,
       .summary = "Add nodes to a consistent-hash ring (or change their weights)",
       .complexity = "O(P) to rebuild the placement: ketama's points, maglev's table",
       .syntax = "ring node [WEIGHT weight:integer] [node [WEIGHT weight:integer] ...]"});
  group.AddKeyed({.name = "ring.remove",
                  .arity = -3,
                  .flags = kCmdWrite,
                  .handler = CmdRemove,
                  .summary = "Remove nodes from a consistent-hash ring",
                  .complexity = "O(P) to rebuild the placement",
                  .syntax = "ring node [node ...]"});
  group.AddKeyed({.name = "ring.nodes",
                  .arity = 2,
                  .flags = kCmdReadonly,
                  .handler = CmdNodes,
                  .summary = "A ring's nodes: name, weight, and share of the key space",
                  .complexity = "O(N + P) for N nodes",
                  .syntax = "ring"});
  group.AddKeyed(
      {.name = "ring.locate",
       .arity = -2,
       .flags = kCmdReadonly | kCmdFast | kCmdMovableKeys,
       .key_range = LocateKeys,
       .handler = CmdLocate,
       .summary = "The node that owns a key, or COUNT distinct nodes in preference order",
       .complexity = "ketama O(log P), jump O(log W), maglev O(1), rendezvous O(N); x COUNT",
       .syntax = "[ring] key [COUNT count:integer]"});
  group.AddKeyed(
      {.name = "ring.config",
       .arity = -2,
       .flags = kCmdWrite | kCmdDenyOom,
       .handler = CmdConfig,
       .summary = "Read or set a ring's algorithm and its parameters",
       .complexity = "O(P) to rebuild the placement",
       .syntax = "ring [ALGO (algo: KETAMA | JUMP | RENDEZVOUS | MAGLEV)] [VNODES vnodes:integer] "
                 "[TABLESIZE tablesize:integer]"});
}

}  // namespace pylon::ring
