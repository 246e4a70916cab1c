#include "daemon/cluster.h"

#include <algorithm>
#include <utility>

#include "daemon/keyspace.h"

namespace pylon::daemon {

namespace {

bool Wildcard(const std::string& address) {
  return address == "*" || address == "0.0.0.0" || address == "::" || address == "-::*";
}

// This node's index in `map` by port and bind address (-1: not named); false and *error when it
// is named twice.
bool FindSelf(const cluster::SlotMap& map, const Config& config, int* self, std::string* error) {
  const bool any_address = std::any_of(config.bind.begin(), config.bind.end(), Wildcard);
  *self = -1;
  for (size_t i = 0; i < map.nodes().size(); i++) {
    const cluster::Node& n = map.nodes()[i];
    if (n.port != config.port) continue;
    const bool bound = any_address || std::find(config.bind.begin(), config.bind.end(), n.host) !=
                                          config.bind.end();
    if (!bound) continue;
    if (*self >= 0) {
      *error = "cluster-nodes names this node (port " + std::to_string(config.port) +
               ") more than once; bind it to one address";
      return false;
    }
    *self = static_cast<int>(i);
  }
  return true;
}

// A node outside the membership: itself at its first bind address.
cluster::Node OutsideNode(const Config& config) {
  std::string host = "127.0.0.1";
  for (const std::string& b : config.bind) {
    if (Wildcard(b)) continue;
    host = b.starts_with("-") ? b.substr(1) : b;
    break;
  }
  cluster::Node n{.host = host, .port = config.port};
  n.id = cluster::NodeId(n.address());
  return n;
}

const cluster::Node& OwnerIn(const cluster::SlotMap& map, int slot) {
  return map.nodes()[static_cast<size_t>(map.owner(slot))];
}

}  // namespace

bool Cluster::Configure(const Config& config, std::string* error) {
  if (!config.cluster_enabled) {
    *this = Cluster{};
    return true;
  }
  return Adopt(config, cluster::SlotMap{}, error);
}

bool Cluster::Reload(const Config& next, std::string* error) {
  if (next.cluster_epoch <= epoch_) {
    *error = "cluster-epoch must increase: it is " + std::to_string(epoch_) +
             " here and the configuration file says " + std::to_string(next.cluster_epoch);
    return false;
  }
  if (slots_in_transition() > 0) {
    *error = "the resharding to epoch " + std::to_string(epoch_) + " is still in progress (" +
             std::to_string(slots_in_transition()) +
             " slots in transition); reload when CLUSTER INFO shows none";
    return false;
  }
  return Adopt(next, map_, error);
}

bool Cluster::Adopt(const Config& config, cluster::SlotMap previous, std::string* error) {
  std::vector<cluster::Node> nodes;
  if (!cluster::ParseMembership(config.cluster_nodes, &nodes, error)) {
    *error = "cluster-nodes: " + *error;
    return false;
  }
  cluster::SlotMap map = cluster::SlotMap::Build(std::move(nodes));
  int self = -1, prev_self = -1;
  if (!FindSelf(map, config, &self, error) || !FindSelf(previous, config, &prev_self, error)) {
    return false;
  }
  cluster::Node myself = self >= 0        ? map.nodes()[static_cast<size_t>(self)]
                         : prev_self >= 0 ? previous.nodes()[static_cast<size_t>(prev_self)]
                                          : OutsideNode(config);
  std::vector<uint8_t> moving(cluster::kSlots, 0);
  bool any_moving = false;
  if (!previous.empty()) {
    for (int s = 0; s < cluster::kSlots; s++) {
      const bool moves = OwnerIn(previous, s).address() != OwnerIn(map, s).address();
      moving[static_cast<size_t>(s)] = moves;
      any_moving |= moves;
    }
  }
  enabled_ = true;
  sending_to_.assign(map.nodes().size(), 0);
  map_ = std::move(map);
  prev_ = any_moving ? std::move(previous) : cluster::SlotMap{};
  self_ = self;
  prev_self_ = any_moving ? prev_self : -1;
  self_address_ = myself.address();
  self_node_ = std::move(myself);
  epoch_ = config.cluster_epoch;
  moving_ = std::move(moving);
  in_flight_.clear();
  return true;
}

const cluster::Node& Cluster::Owner(int slot) const {
  return in_transition(slot) ? OwnerIn(prev_, slot) : OwnerIn(map_, slot);
}

std::vector<Cluster::OwnedRange> Cluster::Ranges() const {
  std::vector<OwnedRange> ranges;
  for (int s = 0; s < cluster::kSlots; s++) {
    const cluster::Node* owner = &Owner(s);
    if (!ranges.empty() && ranges.back().node->port == owner->port &&
        ranges.back().node->host == owner->host) {
      ranges.back().last = s;
    } else {
      ranges.push_back({s, s, owner});
    }
  }
  return ranges;
}

std::vector<cluster::Node> Cluster::Nodes() const {
  std::vector<cluster::Node> nodes = map_.nodes();
  auto listed = [&nodes](const std::string& address) {
    return std::any_of(nodes.begin(), nodes.end(),
                       [&](const cluster::Node& n) { return n.address() == address; });
  };
  for (const cluster::Node& n : prev_.nodes()) {
    if (!listed(n.address())) nodes.push_back(n);
  }
  if (!listed(self_address_)) nodes.push_back(self_node_);
  return nodes;
}

Cluster::Route Cluster::Check(const CommandSpec& cmd, Args args, bool asking,
                              Keyspace& keyspace) const {
  Route route;
  bool cross = false;
  ForEachKey(cmd, args, [&](size_t i) {
    const int s = cluster::KeySlot(args[i]);
    if (route.slot < 0) {
      route.slot = s;
    } else if (s != route.slot) {
      cross = true;
    }
  });
  if (cross) {
    route.verdict = Verdict::kCrossSlot;
    return route;
  }
  if (route.slot < 0) return route;
  if (!in_transition(route.slot)) {
    if (map_.owner(route.slot) != self_) route = {Verdict::kMoved, route.slot, &Owner(route.slot)};
    return route;
  }
  const int source = prev_.owner(route.slot), target = map_.owner(route.slot);
  const bool sending = source == prev_self_ && sending_to_[static_cast<size_t>(target)];
  const bool receiving = target == self_ && asking;
  if (source == prev_self_ && !sending) return route;  // the target does not know yet: ours
  if (!sending && !receiving) return {Verdict::kMoved, route.slot, &OwnerIn(prev_, route.slot)};
  // A shard channel is not a key: the source serves it until the handover, as in Redis.
  if (cmd.flags & kCmdPubsub)
    return sending ? route : Route{Verdict::kMoved, route.slot, &OwnerIn(prev_, route.slot)};
  // Which of the keys are here, as Redis's getNodeByQuery counts them.
  int present = 0, missing = 0;
  bool in_flight = false;
  ForEachKey(cmd, args, [&](size_t i) {
    if (keyspace.Find(args[i], Lookup::kExpire)) {
      present++;
    } else {
      missing++;
    }
    in_flight |= sending && (cmd.flags & kCmdWrite) && in_flight_.find(args[i]) != in_flight_.end();
  });
  if (in_flight) return {Verdict::kTryAgain, route.slot, nullptr};
  if (missing == 0) return route;
  if (present > 0) return {Verdict::kTryAgain, route.slot, nullptr};  // split across nodes
  if (sending) return {Verdict::kAsk, route.slot, &OwnerIn(map_, route.slot)};
  if (missing > 1) return {Verdict::kTryAgain, route.slot, nullptr};
  return route;  // importing, after ASKING: a key new to the cluster, or already moved here
}

std::string Cluster::RefusalText(const Route& route) {
  switch (route.verdict) {
    case Verdict::kMoved:
      return "MOVED " + std::to_string(route.slot) + " " + route.node->address();
    case Verdict::kAsk:
      return "ASK " + std::to_string(route.slot) + " " + route.node->address();
    case Verdict::kCrossSlot:
      return std::string(kErrCrossSlot);
    case Verdict::kTryAgain:
      return std::string(kErrTryAgain);
    case Verdict::kServe:
      break;
  }
  return {};
}

std::vector<int> Cluster::SlotsMoving(const std::string& source, const std::string& target) const {
  std::vector<int> slots;
  for (int s = 0; s < cluster::kSlots; s++) {
    if (in_transition(s) && OwnerIn(prev_, s).address() == source &&
        OwnerIn(map_, s).address() == target) {
      slots.push_back(s);
    }
  }
  return slots;
}

std::vector<std::pair<std::string, std::string>> Cluster::Transfers() const {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (int s = 0; s < cluster::kSlots; s++) {
    if (!in_transition(s)) continue;
    std::pair<std::string, std::string> p{OwnerIn(prev_, s).address(), OwnerIn(map_, s).address()};
    if (std::find(pairs.begin(), pairs.end(), p) == pairs.end()) pairs.push_back(std::move(p));
  }
  return pairs;
}

void Cluster::SetSending(const std::string& target) {
  for (size_t i = 0; i < map_.nodes().size(); i++) {
    if (map_.nodes()[i].address() == target) sending_to_[i] = 1;
  }
}

bool Cluster::HandOver(const std::string& source, const std::string& target) {
  bool any = false;
  for (int s : SlotsMoving(source, target)) {
    moving_[static_cast<size_t>(s)] = 0;
    any = true;
  }
  if (slots_in_transition() == 0) {
    prev_ = cluster::SlotMap{};
    prev_self_ = -1;
  }
  return any;
}

void Cluster::AddInFlight(const std::vector<std::string>& keys) {
  in_flight_.insert(keys.begin(), keys.end());
}

void Cluster::RemoveInFlight(const std::vector<std::string>& keys) {
  for (const std::string& k : keys) in_flight_.erase(k);
}

int Cluster::SlotsServed() const {
  int n = 0;
  for (int s = 0; s < cluster::kSlots; s++) {
    n += in_transition(s) ? prev_.owner(s) == prev_self_ : map_.owner(s) == self_;
  }
  return n;
}

int Cluster::slots_sending() const {
  int n = 0;
  for (int s = 0; s < cluster::kSlots; s++) n += in_transition(s) && prev_.owner(s) == prev_self_;
  return n;
}

int Cluster::slots_receiving() const {
  int n = 0;
  for (int s = 0; s < cluster::kSlots; s++) n += in_transition(s) && map_.owner(s) == self_;
  return n;
}

int Cluster::slots_in_transition() const {
  return static_cast<int>(std::count(moving_.begin(), moving_.end(), 1));
}

}  // namespace pylon::daemon
