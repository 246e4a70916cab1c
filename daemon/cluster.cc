#include "daemon/cluster.h"

#include <algorithm>

namespace pylon::daemon {

namespace {

bool Wildcard(const std::string& address) {
  return address == "*" || address == "0.0.0.0" || address == "::" || address == "-::*";
}

}  // namespace

bool Cluster::Configure(const Config& config, std::string* error) {
  if (!config.cluster_enabled) {
    *this = Cluster{};
    return true;
  }
  std::vector<cluster::Node> nodes;
  if (!cluster::ParseMembership(config.cluster_nodes, &nodes, error)) {
    *error = "cluster-nodes: " + *error;
    return false;
  }
  cluster::SlotMap map = cluster::SlotMap::Build(std::move(nodes));
  const bool any_address = std::any_of(config.bind.begin(), config.bind.end(), Wildcard);
  int self = -1;
  for (size_t i = 0; i < map.nodes().size(); i++) {
    const cluster::Node& n = map.nodes()[i];
    if (n.port != config.port) continue;
    const bool bound = any_address || std::find(config.bind.begin(), config.bind.end(), n.host) !=
                                          config.bind.end();
    if (!bound) continue;
    if (self >= 0) {
      *error = "cluster-nodes names this node (port " + std::to_string(config.port) +
               ") more than once; bind it to one address";
      return false;
    }
    self = static_cast<int>(i);
  }
  if (self < 0) {
    *error = "cluster-nodes does not name this node: no entry has port " +
             std::to_string(config.port) + " and one of the bind addresses";
    return false;
  }
  enabled_ = true;
  map_ = std::move(map);
  self_ = self;
  epoch_ = config.cluster_epoch;
  return true;
}

bool Cluster::Check(const CommandSpec& cmd, Args args, int* slot, std::string* error) const {
  *slot = -1;
  bool cross = false;
  ForEachKey(cmd, args, [&](size_t i) {
    const int s = cluster::KeySlot(args[i]);
    if (*slot < 0) {
      *slot = s;
    } else if (s != *slot) {
      cross = true;
    }
  });
  if (cross) {
    *error = kErrCrossSlot;
    return false;
  }
  if (*slot < 0 || owns(*slot)) return true;
  *error = Moved(*slot);
  return false;
}

std::string Cluster::Moved(int slot) const {
  const cluster::Node& owner = map_.nodes()[static_cast<size_t>(map_.owner(slot))];
  return "MOVED " + std::to_string(slot) + " " + owner.address();
}

}  // namespace pylon::daemon
