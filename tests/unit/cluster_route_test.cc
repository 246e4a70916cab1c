// daemon/cluster.h: where a command runs, before, during and after a resharding, from the view
// of the node that sends slots, the node that receives them, and a node that does neither.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "daemon/clock.h"
#include "daemon/cluster.h"
#include "daemon/keyspace.h"

namespace pylon::daemon {
namespace {

constexpr const char* kA = "127.0.0.1:7001";
constexpr const char* kB = "127.0.0.1:7002";
constexpr const char* kC = "127.0.0.1:7003";

const CommandSpec kGet{
    .name = "get", .flags = kCmdReadonly, .first_key = 1, .last_key = 1, .key_step = 1};
const CommandSpec kSet{
    .name = "set", .flags = kCmdWrite, .first_key = 1, .last_key = 1, .key_step = 1};
const CommandSpec kMset{
    .name = "mset", .flags = kCmdWrite, .first_key = 1, .last_key = -1, .key_step = 2};
const CommandSpec kPing{.name = "ping"};
const CommandSpec kSpublish{
    .name = "spublish", .flags = kCmdPubsub, .first_key = 1, .last_key = 1, .key_step = 1};

Config NodeConfig(int port, std::vector<std::string> members, int64_t epoch) {
  Config c;
  c.port = port;
  c.bind = {"127.0.0.1"};
  c.cluster_enabled = true;
  c.cluster_nodes = std::move(members);
  c.cluster_epoch = epoch;
  return c;
}

// A node of {A, B} at epoch 1 that then reloads {A, B, C} at epoch 2.
struct Node {
  explicit Node(int port) : keyspace(clock) {
    std::string error;
    REQUIRE(cluster.Configure(NodeConfig(port, {kA, kB}, 1), &error));
    port_ = port;
  }
  void Grow() {
    std::string error;
    REQUIRE(cluster.Reload(NodeConfig(port_, {kA, kB, kC}, 2), &error));
  }
  void Put(const std::string& key) {
    KeyRef ref = keyspace.Locate(key, Lookup::kWrite);
    keyspace.SetString(ref, "v", Entry::Encoding::kRaw, Ttl::Clear());
  }
  Cluster::Route Route(const CommandSpec& cmd, std::vector<std::string_view> args,
                       bool asking = false) {
    return cluster.Check(cmd, args, asking, keyspace);
  }
  std::string Text(const CommandSpec& cmd, std::vector<std::string_view> args,
                   bool asking = false) {
    const Cluster::Route r = Route(cmd, std::move(args), asking);
    return r.verdict == Cluster::Verdict::kServe ? "serve" : Cluster::RefusalText(r);
  }

  Clock clock{true};
  Keyspace keyspace;
  Cluster cluster;
  int port_ = 0;
};

// A hash tag whose slot moves from `source` to `target` when C joins.
std::string TagMoving(const Cluster& grown, const std::string& source, const std::string& target) {
  const std::vector<int> slots = grown.SlotsMoving(source, target);
  REQUIRE(!slots.empty());
  for (int i = 0;; i++) {
    const std::string tag = "{t" + std::to_string(i) + "}";
    if (grown.in_transition(cluster::KeySlot(tag)) &&
        std::find(slots.begin(), slots.end(), cluster::KeySlot(tag)) != slots.end()) {
      return tag;
    }
  }
}

TEST_CASE("cluster route: the source keeps a slot until the target confirms, then asks",
          "[cluster]") {
  Node a(7001);
  a.Grow();
  const std::string tag = TagMoving(a.cluster, kA, kC);
  const std::string slot = std::to_string(cluster::KeySlot(tag));
  const std::string here = tag + "here", gone = tag + "gone";
  a.Put(here);
  CHECK(a.cluster.slots_sending() > 1000);  // A gives C a good part of its slots
  CHECK(a.cluster.Owner(cluster::KeySlot(tag)).address() == kA);

  // C has not confirmed the epoch: the slot is still entirely A's, new keys included.
  CHECK(a.Text(kGet, {"get", gone}) == "serve");
  CHECK(a.Text(kSet, {"set", gone, "v"}) == "serve");

  a.cluster.SetSending(kC);
  CHECK(a.Text(kGet, {"get", here}) == "serve");
  CHECK(a.Text(kSet, {"set", here, "w"}) == "serve");
  CHECK(a.Text(kGet, {"get", gone}) == "ASK " + slot + " " + kC);
  CHECK(a.Text(kSet, {"set", gone, "v"}) == "ASK " + slot + " " + kC);
  // A shard channel stays here until the handover, whether or not a key of its name exists.
  CHECK(a.Text(kSpublish, {"spublish", gone, "m"}) == "serve");
  // Keys split between the nodes: neither can serve them.
  CHECK(a.Text(kMset, {"mset", here, "1", gone, "2"}) == std::string(kErrTryAgain));
  CHECK(a.Text(kMset, {"mset", here, "1", here, "2"}) == "serve");
  CHECK(a.Text(kPing, {"ping"}) == "serve");

  // A key on its way: reads still served here, writes wait.
  a.cluster.AddInFlight({here});
  a.cluster.AddInFlight({tag + "other"});  // another transfer's batch leaves this one alone
  CHECK(a.Text(kGet, {"get", here}) == "serve");
  CHECK(a.Text(kSet, {"set", here, "w"}) == std::string(kErrTryAgain));
  a.cluster.RemoveInFlight({tag + "other"});
  CHECK(a.Text(kSet, {"set", here, "w"}) == std::string(kErrTryAgain));
  a.cluster.RemoveInFlight({here});
  CHECK(a.Text(kSet, {"set", here, "w"}) == "serve");

  // Once handed over, the slot is C's.
  CHECK(a.cluster.HandOver(kA, kC));
  CHECK_FALSE(a.cluster.HandOver(kA, kC));  // nothing left to hand over
  CHECK(a.Text(kGet, {"get", here}) == "MOVED " + slot + " " + kC);
  CHECK(a.cluster.Owner(cluster::KeySlot(tag)).address() == kC);
  CHECK(a.cluster.slots_sending() == 0);
}

TEST_CASE("cluster route: the target serves a slot it receives only after ASKING", "[cluster]") {
  Node c(7003);  // outside {A, B} at epoch 1
  CHECK(c.cluster.self() == -1);
  CHECK(c.cluster.SlotsServed() == 0);
  c.Grow();
  CHECK(c.cluster.self() >= 0);
  const std::string tag = TagMoving(c.cluster, kA, kC);
  const std::string slot = std::to_string(cluster::KeySlot(tag));
  CHECK(c.cluster.slots_receiving() > 3000);
  CHECK(c.Text(kGet, {"get", tag + "x"}) == "MOVED " + slot + " " + kA);
  CHECK(c.Text(kGet, {"get", tag + "x"}, true) == "serve");
  CHECK(c.Text(kSpublish, {"spublish", tag + "x", "m"}, true) == "MOVED " + slot + " " + kA);
  CHECK(c.Text(kSet, {"set", tag + "x", "v"}, true) == "serve");
  // Several keys of which some are not here yet: try again once they are.
  CHECK(c.Text(kMset, {"mset", tag + "x", "1", tag + "y", "2"}, true) == std::string(kErrTryAgain));
  c.Put(tag + "x");
  c.Put(tag + "y");
  CHECK(c.Text(kMset, {"mset", tag + "x", "1", tag + "y", "2"}, true) == "serve");
  CHECK(c.cluster.HandOver(kA, kC));
  CHECK(c.Text(kGet, {"get", tag + "x"}) == "serve");
}

TEST_CASE("cluster route: a node that neither sends nor receives redirects to the source",
          "[cluster]") {
  Node b(7002);
  b.Grow();
  const std::string tag = TagMoving(b.cluster, kA, kC);
  const std::string slot = std::to_string(cluster::KeySlot(tag));
  CHECK(b.cluster.slots_sending() + b.cluster.slots_receiving() > 0);  // B gives some to C
  CHECK(b.Text(kGet, {"get", tag}) == "MOVED " + slot + " " + kA);
  CHECK(b.Text(kGet, {"get", tag}, true) == "MOVED " + slot + " " + kA);
  // CLUSTER SLOTS shows the source while the slot is in transition.
  bool shown = false;
  for (const Cluster::OwnedRange& r : b.cluster.Ranges()) {
    if (r.first <= cluster::KeySlot(tag) && cluster::KeySlot(tag) <= r.last) {
      shown = r.node->address() == kA;
    }
  }
  CHECK(shown);
  // Another reload waits until this one is over; the epoch must grow.
  std::string error;
  CHECK_FALSE(b.cluster.Reload(NodeConfig(7002, {kA, kB}, 3), &error));
  CHECK(error.find("still in progress") != std::string::npos);
  CHECK(b.cluster.HandOver(kA, kC));
  CHECK(b.Text(kGet, {"get", tag}) == "MOVED " + slot + " " + kC);
  CHECK(b.cluster.HandOver(kB, kC));
  CHECK(b.cluster.slots_in_transition() == 0);
  CHECK(b.cluster.previous().empty());
  CHECK_FALSE(b.cluster.Reload(NodeConfig(7002, {kA, kB}, 2), &error));
  CHECK(error.find("must increase") != std::string::npos);
  CHECK(b.cluster.Reload(NodeConfig(7002, {kA, kB}, 3), &error));
  CHECK(b.cluster.slots_in_transition() > 0);
}

TEST_CASE("cluster route: keys across slots, and a bad membership at reload", "[cluster]") {
  Node a(7001);
  CHECK(a.Text(kMset, {"mset", "a", "1", "b", "2"}) == std::string(kErrCrossSlot));
  std::string error;
  CHECK_FALSE(a.cluster.Reload(NodeConfig(7001, {kA, "127.0.0.1:0"}, 5), &error));
  CHECK(error.starts_with("cluster-nodes: "));
  CHECK(a.cluster.epoch() == 1);  // nothing changed
}

}  // namespace
}  // namespace pylon::daemon
