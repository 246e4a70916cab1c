#include "daemon/resharding.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "daemon/command_helpers.h"
#include "daemon/connection.h"
#include "daemon/server.h"

namespace pylon::daemon {
namespace {

// A batch closes at whichever comes first (a single larger value goes alone).
constexpr size_t kBatchBytes = 1 << 20;
constexpr size_t kBatchKeys = 1000;
// How long a transfer waits before it tries again a step that failed.
constexpr uint64_t kRetryMs = 200;

// A request's tag: the generation (a Start: replies to an earlier one are ignored) and the
// transfer. A transfer has one request in flight at a time.
uint64_t Tag(uint64_t generation, size_t index) { return generation << 32 | index; }

// "-TRYAGAIN ..." when this node has not reached the sender's epoch (it will), "-ERR ..." when
// it is past it; nothing when they agree.
bool EpochAgrees(CommandContext& ctx, int64_t epoch) {
  const int64_t mine = ctx.cluster().epoch();
  if (epoch == mine) return true;
  ctx.reply.Error(epoch > mine
                      ? fmt::format("TRYAGAIN this node is at epoch {}, not yet {}", mine, epoch)
                      : fmt::format("ERR this node is at epoch {}, past {}", mine, epoch));
  return false;
}

}  // namespace

size_t Resharding::active() const {
  return static_cast<size_t>(
      std::count_if(transfers_.begin(), transfers_.end(),
                    [](const Transfer& t) { return t.step != Step::kDone; }));
}

void Resharding::Start() {
  generation_++;
  transfers_.clear();
  const Cluster& cluster = server_.cluster();
  for (const auto& [source, target] : cluster.Transfers()) {
    if (source != cluster.self_address()) continue;
    transfers_.push_back(Transfer{.target = target});
    spdlog::info("resharding to epoch {}: {} slots to send to {}", cluster.epoch(),
                 cluster.SlotsMoving(source, target).size(), target);
  }
  for (size_t i = 0; i < transfers_.size(); i++) Advance(i);
}

void Resharding::Tick() {
  const uint64_t now = uv_now(server_.loop());
  for (size_t i = 0; i < transfers_.size(); i++) {
    if (!transfers_[i].waiting && transfers_[i].retry_at <= now) Advance(i);
  }
}

void Resharding::Advance(size_t index) {
  Transfer& t = transfers_[index];
  if (t.waiting || t.step == Step::kDone || t.retry_at > uv_now(server_.loop())) return;
  switch (t.step) {
    case Step::kProbe:
      return Probe(index);
    case Step::kSend:
      return SendBatch(index);
    case Step::kAnnounce:
      return Announce(index);
    case Step::kDone:
      return;
  }
}

void Resharding::Retry(Transfer& t, std::string_view what) {
  t.retry_at = uv_now(server_.loop()) + kRetryMs;
  if (!t.logged_wait) {
    spdlog::info("resharding: waiting for {} ({}); trying again every {} ms", t.target, what,
                 kRetryMs);
    t.logged_wait = true;
  }
}

void Resharding::Probe(size_t index) {
  Transfer& t = transfers_[index];
  request_.clear();
  PeerLink::AppendCommand(&request_,
                          {"CLUSTER", "IMPORT", std::to_string(server_.cluster().epoch())});
  t.waiting = true;
  server_.peers()
      .Link(t.target, 2)
      .Send(request_, this, Tag(generation_, index), server_.config().cluster_node_timeout);
}

size_t Resharding::ListKeys(size_t index) {
  Transfer& t = transfers_[index];
  std::vector<uint8_t> moving(cluster::kSlots, 0);
  for (int s : server_.cluster().SlotsMoving(server_.cluster().self_address(), t.target)) {
    moving[static_cast<size_t>(s)] = 1;
  }
  t.keys.clear();
  t.next = t.batch_end = 0;
  server_.keyspace().ForEach([&](Entry* e) {
    if (moving[static_cast<size_t>(cluster::KeySlot(e->key()))]) t.keys.emplace_back(e->key());
  });
  return t.keys.size();
}

void Resharding::SendBatch(size_t index) {
  Transfer& t = transfers_[index];
  Keyspace& keyspace = server_.keyspace();
  std::vector<std::string> dumps;  // kept alive for the command's views
  std::vector<std::string> expiries;
  std::vector<std::string> in_flight;
  size_t bytes = 0;
  size_t end = t.next;
  for (; end < t.keys.size() && bytes < kBatchBytes && in_flight.size() < kBatchKeys; end++) {
    const Entry* e = keyspace.Find(t.keys[end], Lookup::kExpire);
    if (!e) continue;  // deleted or expired since it was listed
    std::string dump;
    Keyspace::Dump(*e, &dump);
    bytes += dump.size() + t.keys[end].size();
    dumps.push_back(std::move(dump));
    expiries.push_back(std::to_string(e->expire_ms()));
    in_flight.push_back(t.keys[end]);
  }
  if (in_flight.empty()) {
    // The list is done: list again what is left in the slots (nothing, unless a key came in
    // some other way than a client's command, which would have been redirected).
    if (ListKeys(index) > 0) return SendBatch(index);
    t.step = Step::kAnnounce;
    return Announce(index);
  }
  const std::string epoch = std::to_string(server_.cluster().epoch());
  std::vector<std::string_view> args = {"CLUSTER", "IMPORT", epoch};
  for (size_t i = 0; i < in_flight.size(); i++) {
    args.push_back(in_flight[i]);
    args.push_back(expiries[i]);
    args.push_back(dumps[i]);
  }
  request_.clear();
  PeerLink::AppendCommand(&request_, args);
  t.batch_end = end;
  t.waiting = true;
  server_.stats().cluster.batches_sent++;
  server_.cluster().AddInFlight(in_flight);
  t.batch = std::move(in_flight);
  server_.peers()
      .Link(t.target, 2)
      .Send(request_, this, Tag(generation_, index), server_.config().cluster_node_timeout);
}

void Resharding::Announce(size_t index) {
  Transfer& t = transfers_[index];
  Cluster& cluster = server_.cluster();
  if (t.to_tell.empty() && cluster.HandOver(cluster.self_address(), t.target)) {
    // The first time here: the slots are the target's from now on, as far as this node goes.
    for (const cluster::SlotMap* map : {&cluster.map(), &cluster.previous()}) {
      for (const cluster::Node& n : map->nodes()) {
        const std::string a = n.address();
        if (a != cluster.self_address() &&
            std::find(t.to_tell.begin(), t.to_tell.end(), a) == t.to_tell.end()) {
          t.to_tell.push_back(a);
        }
      }
    }
    // The target is told first (the back goes first): until it knows, it sends clients back
    // here, and this node sends them to it.
    std::partition(t.to_tell.begin(), t.to_tell.end(),
                   [&t](const std::string& a) { return a != t.target; });
    AfterHandover();
    spdlog::info("resharding to epoch {}: slots handed over to {}", cluster.epoch(), t.target);
  }
  if (t.to_tell.empty()) {
    t.step = Step::kDone;
    return;
  }
  request_.clear();
  PeerLink::AppendCommand(&request_, {"CLUSTER", "HANDOVER", std::to_string(cluster.epoch()),
                                      cluster.self_address(), t.target});
  t.waiting = true;
  server_.peers()
      .Link(t.to_tell.back(), 2)
      .Send(request_, this, Tag(generation_, index), server_.config().cluster_node_timeout);
}

void Resharding::OnPeerReply(uint64_t tag, PeerLink::Status status, std::string_view reply,
                             std::string_view what) {
  const size_t index = tag & 0xffffffffu;
  if (tag >> 32 != generation_ || index >= transfers_.size()) return;
  Transfer& t = transfers_[index];
  t.waiting = false;
  const bool ok = status == PeerLink::Status::kOk && reply.starts_with("+");
  std::string why(what);
  if (status == PeerLink::Status::kOk && !ok) why = reply.substr(1, reply.find('\r') - 1);
  switch (t.step) {
    case Step::kProbe:
      if (!ok) return Retry(t, why);
      server_.cluster().SetSending(t.target);
      spdlog::info("resharding: {} confirmed epoch {}; sending its keys", t.target,
                   server_.cluster().epoch());
      t.step = Step::kSend;
      t.logged_wait = false;
      break;
    case Step::kSend: {
      const std::vector<std::string> batch = std::move(t.batch);
      t.batch.clear();
      server_.cluster().RemoveInFlight(batch);
      if (!ok) {
        server_.stats().cluster.batches_failed++;
        return Retry(t, why);
      }
      // The target has them, as they were when sent (writes to them waited): gone from here.
      for (const std::string& key : batch) {
        KeyRef ref = server_.keyspace().Locate(key, Lookup::kExpire);
        if (ref.entry && server_.keyspace().Delete(ref)) server_.stats().cluster.keys_sent++;
      }
      t.next = t.batch_end;
      break;
    }
    case Step::kAnnounce:
      if (!ok) {
        // Tell the others first; this one again later.
        std::rotate(t.to_tell.begin(), t.to_tell.end() - 1, t.to_tell.end());
        return Retry(t, why);
      }
      t.to_tell.pop_back();
      break;
    case Step::kDone:
      return;
  }
  Advance(index);
}

void Resharding::AfterHandover() {
  const Cluster& cluster = server_.cluster();
  server_.blocking().RedirectMoved();
  server_.pubsub().DropShardChannels([&cluster](std::string_view channel) {
    return cluster.Owner(cluster::KeySlot(channel)).address() != cluster.self_address();
  });
}

void Resharding::Import(CommandContext& ctx) {
  int64_t epoch;
  if (!ParseIntOrReply(ctx, ctx.args[2], &epoch) || !EpochAgrees(ctx, epoch)) return;
  if ((ctx.args.size() - 3) % 3 != 0) {
    return ctx.reply.Error("ERR CLUSTER IMPORT takes key, expire-at and dump triples");
  }
  Cluster& cluster = server_.cluster();
  std::vector<int64_t> expiries;
  for (size_t i = 3; i < ctx.args.size(); i += 3) {
    const int slot = cluster::KeySlot(ctx.args[i]);
    if (!cluster.in_transition(slot) || cluster.map().owner(slot) != cluster.self()) {
      return ctx.reply.Error(fmt::format("ERR slot {} is not moving to this node", slot));
    }
    int64_t at;
    if (!ParseIntOrReply(ctx, ctx.args[i + 1], &at)) return;
    expiries.push_back(at);
  }
  Keyspace& keyspace = server_.keyspace();
  const int64_t now = keyspace.now_ms();
  for (size_t i = 3, k = 0; i < ctx.args.size(); i += 3, k++) {
    const int64_t at = expiries[k];
    if (at >= 0 && at < now) continue;  // expired on the way
    KeyRef ref = keyspace.Locate(ctx.args[i], Lookup::kWrite);
    if (!keyspace.RestoreInto(ref, ctx.args[i + 2], at >= 0 ? Ttl::At(at) : Ttl::Clear(),
                              server_.family_states())) {
      return ctx.reply.Error(fmt::format("ERR the value of '{}' is corrupt", ctx.args[i]));
    }
    server_.stats().cluster.keys_received++;
  }
  ctx.reply.Ok();
}

void Resharding::Handover(CommandContext& ctx) {
  int64_t epoch;
  if (!ParseIntOrReply(ctx, ctx.args[2], &epoch)) return;
  Cluster& cluster = server_.cluster();
  if (epoch > cluster.epoch()) {
    EpochAgrees(ctx, epoch);
    return;
  }
  // An announcement of an earlier epoch is over for this node: nothing left to do.
  if (epoch == cluster.epoch() &&
      cluster.HandOver(std::string(ctx.args[3]), std::string(ctx.args[4]))) {
    AfterHandover();
    spdlog::info("resharding to epoch {}: {} handed its slots over to {}", epoch, ctx.args[3],
                 ctx.args[4]);
  }
  ctx.reply.Ok();
}

}  // namespace pylon::daemon
