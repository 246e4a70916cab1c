// Cluster mode (cluster-enabled yes). Several pylond nodes split the keyspace the way Redis
// Cluster does, so that the cluster support Redis clients already have routes requests: 16384
// slots, a key's slot from CRC16 of the key or of its {hash tag}, and -MOVED to the owner. What
// differs is how slots get owners: not assigned by hand and gossiped, but derived by every node
// from the same static membership (cluster-nodes) by consistent hashing (modules/cluster), so
// a node that joins or leaves moves about its share of the slots and no more.
//
// This is the node's view: the slot map, which node it is, where a resharding stands, and the
// check every command passes before it runs (Route), as Redis's getNodeByQuery.
//
// Resharding. CLUSTER RELOAD gives a node a new membership with a higher epoch; the map of the
// previous epoch is kept. A slot whose owner differs between the two maps is in transition
// until its keys have moved: its old owner (the source) still owns it, and every node redirects
// it there, until the source has sent its keys and announced the handover (CLUSTER HANDOVER);
// from then on the new owner does. Meanwhile, once the new owner has confirmed it is at the same
// epoch (so it knows the slot is coming), the source serves the keys it still has and answers
// -ASK for the others (they are at the new owner already, or new), and the new owner serves
// a slot it is importing only after ASKING, as in Redis Cluster. A key whose batch is on its way
// refuses writes with -TRYAGAIN until the new owner has it. (daemon/resharding.h moves the keys.)
//
// A node outside the membership (a node about to join, or one that has left) owns no slot and
// redirects every key.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "daemon/command_table.h"
#include "daemon/config.h"
#include "modules/cluster/slots.h"

namespace pylon::daemon {

class Keyspace;

class Cluster {
 public:
  // Reads cluster-enabled, cluster-nodes and cluster-epoch at start-up. The node finds itself in
  // the membership by its port and one of its bind addresses (with a wildcard bind, by its port
  // alone, which must then be unique); a node not named is outside (it owns nothing). False and
  // *error when cluster mode is on and the membership is invalid; nothing changes then.
  bool Configure(const Config& config, std::string* error);
  // CLUSTER RELOAD: the membership and epoch from the configuration file. The epoch must be
  // higher than the current one, and this node must have finished its part of the previous
  // resharding. False and *error otherwise, nothing changed.
  bool Reload(const Config& next, std::string* error);

  bool enabled() const { return enabled_; }
  const cluster::SlotMap& map() const { return map_; }
  const cluster::SlotMap& previous() const { return prev_; }  // empty outside a resharding
  int64_t epoch() const { return epoch_; }
  // This node: its index in map().nodes() (-1 when outside), its address and id.
  int self() const { return self_; }
  const std::string& self_address() const { return self_address_; }
  const std::string& self_id() const { return self_node_.id; }

  // Who serves a slot now: the source while the slot is in transition, else the map's owner.
  const cluster::Node& Owner(int slot) const;
  bool in_transition(int slot) const { return moving_[static_cast<size_t>(slot)] != 0; }
  // The runs of slots with one owner (as Owner says), in slot order: CLUSTER SLOTS, SHARDS and
  // NODES. And the nodes to list: the members, the previous members still sending slots, and
  // this node, member or not.
  struct OwnedRange {
    int first = 0, last = 0;  // inclusive
    const cluster::Node* node = nullptr;
  };
  std::vector<OwnedRange> Ranges() const;
  std::vector<cluster::Node> Nodes() const;

  enum class Verdict { kServe, kMoved, kAsk, kCrossSlot, kTryAgain };
  struct Route {
    Verdict verdict = Verdict::kServe;
    int slot = -1;                        // -1: the command has no keys
    const cluster::Node* node = nullptr;  // kMoved, kAsk: where to
  };
  // Whether a command may run here: its keys (from the command table) must share one slot, which
  // this node must serve (see the resharding rules above; `asking`: the client sent ASKING).
  // `keyspace` is only looked at for a slot this node is sending away. No allocation.
  Route Check(const CommandSpec& cmd, Args args, bool asking, Keyspace& keyspace) const;
  // The error text for a refusal: "MOVED 3999 127.0.0.1:7002", "ASK ...", CROSSSLOT, TRYAGAIN.
  static std::string RefusalText(const Route& route);

  // --- resharding state, kept by daemon/resharding.h --------------------------------------------
  // The slots in transition from `source` to `target` (addresses).
  std::vector<int> SlotsMoving(const std::string& source, const std::string& target) const;
  // Pairs (source, target) of addresses with slots still in transition.
  std::vector<std::pair<std::string, std::string>> Transfers() const;
  // The target has confirmed the epoch: from now on this node (the source) answers -ASK for
  // keys it no longer has in the slots it sends there.
  void SetSending(const std::string& target);
  // Every slot from source to target is now served by the target. False when there was none.
  bool HandOver(const std::string& source, const std::string& target);
  // Keys on their way to another node (a batch of one transfer; several transfers may have one
  // each): writes to them answer -TRYAGAIN until they are removed.
  void AddInFlight(const std::vector<std::string>& keys);
  void RemoveInFlight(const std::vector<std::string>& keys);
  // Slots this node serves now (Owner is this node).
  int SlotsServed() const;
  // Slots this node still sends away, and slots it still receives.
  int slots_sending() const;
  int slots_receiving() const;
  // Slots in transition anywhere, as far as this node knows.
  int slots_in_transition() const;

 private:
  bool Adopt(const Config& config, cluster::SlotMap previous, std::string* error);

  bool enabled_ = false;
  cluster::SlotMap map_, prev_;
  int self_ = -1;       // in map_
  int prev_self_ = -1;  // in prev_
  cluster::Node self_node_;
  std::string self_address_;  // self_node_.address(), kept: compared often
  int64_t epoch_ = 0;
  std::vector<uint8_t> moving_;      // per slot: 1 while in transition
  std::vector<uint8_t> sending_to_;  // per node of map_: it confirmed the epoch
  std::unordered_set<std::string, NameHash, std::equal_to<>> in_flight_;
};

inline constexpr std::string_view kErrCrossSlot =
    "CROSSSLOT Keys in request don't hash to the same slot";
inline constexpr std::string_view kErrTryAgain =
    "TRYAGAIN Multiple keys request during rehashing of slot";

}  // namespace pylon::daemon
