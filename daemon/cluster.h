// Cluster mode (cluster-enabled yes). Several pylond nodes split the keyspace the way Redis
// Cluster does, so that the cluster support Redis clients already have routes requests: 16384
// slots, a key's slot from CRC16 of the key or of its {hash tag}, and -MOVED to the owner. What
// differs is how slots get owners: not assigned by hand and gossiped, but derived by every node
// from the same static membership (cluster-nodes) by consistent hashing (modules/cluster), so
// a node that joins or leaves moves about its share of the slots and no more.
//
// This is the node's view: the slot map, which node it is, and the check every command passes
// before it runs (Check), as Redis's getNodeByQuery.
#pragma once

#include <cstdint>
#include <string>

#include "daemon/command_table.h"
#include "daemon/config.h"
#include "modules/cluster/slots.h"

namespace pylon::daemon {

class Cluster {
 public:
  // Reads cluster-enabled, cluster-nodes and cluster-epoch. The node finds itself in the
  // membership by its port and one of its bind addresses (with a wildcard bind, by its port
  // alone, which must then be unique). False and *error when cluster mode is on and the
  // membership is invalid or does not name this node; nothing changes then.
  bool Configure(const Config& config, std::string* error);

  bool enabled() const { return enabled_; }
  const cluster::SlotMap& map() const { return map_; }
  int self() const { return self_; }  // index into map().nodes()
  const cluster::Node& myself() const { return map_.nodes()[static_cast<size_t>(self_)]; }
  int64_t epoch() const { return epoch_; }
  bool owns(int slot) const { return map_.owner(slot) == self_; }

  // Whether a command may run here, as Redis Cluster decides: its keys (from the command
  // table: first/last/step, or numkeys) must share one slot (else *error is CROSSSLOT), and
  // this node must own it (else MOVED to the owner). *slot is that slot, -1 for a command
  // without keys. No allocation unless it refuses.
  bool Check(const CommandSpec& cmd, Args args, int* slot, std::string* error) const;
  // The redirection for a slot another node owns: "MOVED <slot> <host>:<port>".
  std::string Moved(int slot) const;

 private:
  bool enabled_ = false;
  cluster::SlotMap map_;
  int self_ = -1;
  int64_t epoch_ = 0;
};

inline constexpr std::string_view kErrCrossSlot =
    "CROSSSLOT Keys in request don't hash to the same slot";

}  // namespace pylon::daemon
