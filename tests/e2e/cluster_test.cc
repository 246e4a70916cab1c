// Cluster mode on one real node whose membership names two more (never contacted: a node's
// answers come from the slot map alone): keys it does not own are redirected with -MOVED to the
// owner CLUSTER SLOTS names, keys across slots get -CROSSSLOT (at EXEC for a transaction), CLUSTER
// answers in Redis's formats, SELECT is refused as Redis does in cluster mode; without cluster
// mode CLUSTER says so; a membership that is wrong or does not name the node stops start-up.
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "harness.h"

namespace pylon::e2e {
namespace {

ServerOptions ClusterNode() {
  ServerOptions o;
  o.args = {"--cluster-enabled", "yes",           "--cluster-nodes", "127.0.0.1:$PORT",
            "127.0.0.1:1",       "127.0.0.1:2@2", "--cluster-epoch", "7"};
  return o;
}

// slot -> "host:port", from CLUSTER SLOTS, checking its shape on the way.
std::map<int64_t, std::string> SlotOwners(const Connection& c) {
  std::map<int64_t, std::string> owners;
  int64_t next = 0;
  for (const Reply& range : Command(c, {"CLUSTER", "SLOTS"}).elements) {
    REQUIRE(range.elements.size() == 3);
    const int64_t first = range.elements[0].integer, last = range.elements[1].integer;
    CHECK(first == next);  // in order, no gap, no overlap
    next = last + 1;
    const Reply& node = range.elements[2];
    REQUIRE(node.elements.size() == 4);
    CHECK(node.elements[2].str.size() == 40);
    for (int64_t s = first; s <= last; s++) {
      owners[s] = node.elements[0].str + ":" + std::to_string(node.elements[1].integer);
    }
  }
  CHECK(next == 16384);
  return owners;
}

TEST_CASE("cluster: keys of other nodes' slots are redirected; CLUSTER answers as Redis's",
          "[cluster]") {
  PylonServer server(ClusterNode());
  auto c = server.Connect();
  const std::string self = "127.0.0.1:" + std::to_string(server.port());
  const std::map<int64_t, std::string> owners = SlotOwners(c);
  std::set<std::string> distinct;
  for (const auto& [slot, owner] : owners) distinct.insert(owner);
  CHECK(distinct == std::set<std::string>{self, "127.0.0.1:1", "127.0.0.1:2"});

  // Each key runs here or is redirected to its slot's owner.
  int here = 0, moved = 0;
  std::string mine, mine2, other;
  for (int i = 0; i < 1000; i++) {
    const std::string key = "key:" + std::to_string(i);
    const int64_t slot = Command(c, {"CLUSTER", "KEYSLOT", key}).integer;
    const Reply r = Command(c, {"SET", key, "v"});
    if (owners.at(slot) == self) {
      CHECK(r == Reply::Ok());
      here++;
      if (mine.empty()) {
        mine = key;
      } else if (mine2.empty() && slot != Command(c, {"CLUSTER", "KEYSLOT", mine}).integer) {
        mine2 = key;
      }
    } else {
      CHECK(r == Reply::Error("MOVED " + std::to_string(slot) + " " + owners.at(slot)));
      moved++;
      if (other.empty()) other = key;
    }
  }
  CHECK(here > 100);
  CHECK(moved > 100);
  CHECK(Command(c, {"DBSIZE"}) == Reply::Int(here));
  // Subcommands' keys and numkeys keys are found as COMMAND GETKEYS finds them.
  CHECK(Command(c, {"OBJECT", "ENCODING", other}).str.rfind("MOVED ", 0) == 0);
  CHECK(Command(c, {"OBJECT", "ENCODING", mine}) == Reply::Bulk("embstr"));
  const Reply crossslot = Reply::Error("CROSSSLOT Keys in request don't hash to the same slot");
  CHECK(Command(c, {"MSET", mine, "1", mine2, "2"}) == crossslot);
  CHECK(Command(c, {"RL.ALLOWALL", "2", mine, mine2, "LIMIT", "5", "PERIOD", "1000"}) == crossslot);
  CHECK(Command(c, {"MSET", "{" + mine + "}a", "1", "{" + mine + "}b", "2"}) == Reply::Ok());
  CHECK(Command(c, {"MGET", "{" + mine + "}a", "{" + mine + "}b"}) ==
        Reply::Array({Reply::Bulk("1"), Reply::Bulk("2")}));
  // A transaction's commands must share a slot: as Redis, each is queued, and EXEC refuses them
  // all; a command for another node's slot is refused while queueing.
  REQUIRE(Command(c, {"MULTI"}) == Reply::Ok());
  CHECK(Command(c, {"SET", mine, "tx"}) == Reply::Status("QUEUED"));
  CHECK(Command(c, {"SET", mine2, "tx"}) == Reply::Status("QUEUED"));
  CHECK(Command(c, {"EXEC"}) == crossslot);
  CHECK(Command(c, {"GET", mine}) == Reply::Bulk("v"));
  REQUIRE(Command(c, {"MULTI"}) == Reply::Ok());
  CHECK(Command(c, {"SET", other, "tx"}).str.rfind("MOVED ", 0) == 0);
  CHECK(Command(c, {"EXEC"}).str.rfind("EXECABORT", 0) == 0);
  REQUIRE(Command(c, {"MULTI"}) == Reply::Ok());
  CHECK(Command(c, {"SET", mine, "tx"}) == Reply::Status("QUEUED"));
  CHECK(Command(c, {"GET", mine}) == Reply::Status("QUEUED"));
  CHECK(Command(c, {"EXEC"}) == Reply::Array({Reply::Ok(), Reply::Bulk("tx")}));
  // Keyless commands run on any node; RING.LOCATE without a ring names the key's node.
  CHECK(Command(c, {"PING"}) == Reply::Status("PONG"));
  for (const std::string& key : {mine, other}) {
    const int64_t slot = Command(c, {"CLUSTER", "KEYSLOT", key}).integer;
    CHECK(Command(c, {"RING.LOCATE", key}) == Reply::Bulk(owners.at(slot)));
  }
  CHECK(Command(c, {"COMMAND", "GETKEYS", "RING.LOCATE", other}) == Reply::Array({}));
  CHECK(Command(c, {"COMMAND", "GETKEYS", "RING.LOCATE", "ring", other}) ==
        Reply::Array({Reply::Bulk("ring")}));

  // CLUSTER in Redis's formats.
  const std::string info = Command(c, {"CLUSTER", "INFO"}).str;
  CHECK(info.find("cluster_state:ok\r\n") != std::string::npos);
  CHECK(info.find("cluster_known_nodes:3\r\n") != std::string::npos);
  CHECK(info.find("cluster_current_epoch:7\r\n") != std::string::npos);
  const std::string id = Command(c, {"CLUSTER", "MYID"}).str;
  CHECK(id.size() == 40);
  CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
  const std::vector<std::string> lines = Lines(Command(c, {"CLUSTER", "NODES"}).str);
  REQUIRE(lines.size() == 3);
  int myself = 0;
  for (const std::string& line : lines) {
    if (line.find("myself,master") == std::string::npos) continue;
    myself++;
    CHECK(line.rfind(id + " " + self + "@", 0) == 0);
    CHECK(line.find(" - 0 0 7 connected ") != std::string::npos);
  }
  CHECK(myself == 1);
  const Reply shards = Command(c, {"CLUSTER", "SHARDS"});
  CHECK(shards.elements.size() == 3);
  const int64_t slot = Command(c, {"CLUSTER", "KEYSLOT", mine}).integer;
  CHECK(Command(c, {"CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot)}).integer >= 1);
  const Reply in_slot = Command(c, {"CLUSTER", "GETKEYSINSLOT", std::to_string(slot), "1000"});
  CHECK(std::count(in_slot.elements.begin(), in_slot.elements.end(), Reply::Bulk(mine)) == 1);
  // Redis 7.0's texts: a non-integer first, then the range.
  const Reply not_integer = Reply::Error("ERR value is not an integer or out of range");
  for (const char* bad : {"-1", "16384"}) {
    CHECK(Command(c, {"CLUSTER", "COUNTKEYSINSLOT", bad}) == Reply::Error("ERR Invalid slot"));
    CHECK(Command(c, {"CLUSTER", "GETKEYSINSLOT", bad, "1"}) ==
          Reply::Error("ERR Invalid slot or number of keys"));
  }
  CHECK(Command(c, {"CLUSTER", "COUNTKEYSINSLOT", "x"}) == not_integer);
  CHECK(Command(c, {"CLUSTER", "GETKEYSINSLOT", "x", "1"}) == not_integer);
  CHECK(Command(c, {"CLUSTER", "GETKEYSINSLOT", "0", "x"}) == not_integer);
  CHECK(Command(c, {"CLUSTER", "GETKEYSINSLOT", "0", "-1"}) ==
        Reply::Error("ERR Invalid slot or number of keys"));
  CHECK(Command(c, {"CLUSTER", "GETKEYSINSLOT", "0", "0"}) == Reply::Array({}));
  CHECK(Command(c, {"CLUSTER", "NOPE"}).is_error());
  CHECK(Command(c, {"ASKING"}) == Reply::Ok());
  CHECK(Command(c, {"READONLY"}) == Reply::Ok());
  CHECK(Command(c, {"READWRITE"}) == Reply::Ok());

  // The node-to-node subcommands refuse what another node would never send.
  CHECK(Command(c, {"CLUSTER", "IMPORT", "x"}) == not_integer);
  CHECK(Command(c, {"CLUSTER", "IMPORT", "8"}) ==
        Reply::Error("TRYAGAIN this node is at epoch 7, not yet 8"));
  CHECK(Command(c, {"CLUSTER", "IMPORT", "6"}) ==
        Reply::Error("ERR this node is at epoch 7, past 6"));
  CHECK(Command(c, {"CLUSTER", "IMPORT", "7"}) == Reply::Ok());  // a probe
  CHECK(Command(c, {"CLUSTER", "IMPORT", "7", mine, "-1"}) ==
        Reply::Error("ERR CLUSTER IMPORT takes key, expire-at and dump triples"));
  CHECK(Command(c, {"CLUSTER", "IMPORT", "7", mine, "-1", "dump"}) ==
        Reply::Error("ERR slot " + std::to_string(slot) + " is not moving to this node"));
  CHECK(Command(c, {"GET", mine}) == Reply::Bulk("tx"));  // untouched
  CHECK(Command(c, {"CLUSTER", "HANDOVER", "x", "a", "b"}) == not_integer);
  CHECK(Command(c, {"CLUSTER", "HANDOVER", "99", "a", "b"}) ==
        Reply::Error("TRYAGAIN this node is at epoch 7, not yet 99"));
  CHECK(Command(c, {"CLUSTER", "HANDOVER", "7", "a", "b"}) == Reply::Ok());  // nothing moving
  CHECK(Command(c, {"CLUSTER", "HANDOVER", "7", "a"}) ==
        Reply::Error("ERR wrong number of arguments for 'cluster|handover' command"));
  CHECK(Command(c, {"CLUSTER", "RELOAD"}) ==
        Reply::Error("ERR CLUSTER RELOAD reads the configuration file, and this server was "
                     "started without one"));
  CHECK(Command(c, {"CLUSTER", "PEER", "someid"}) == Reply::Ok());

  // As Redis in cluster mode.
  CHECK(Command(c, {"SELECT", "1"}) == Reply::Error("ERR SELECT is not allowed in cluster mode"));
  CHECK(Command(c, {"SELECT", "0"}) == Reply::Ok());
  const Reply hello = Command(c, {"HELLO"});
  REQUIRE(hello.Field("mode") != nullptr);
  CHECK(*hello.Field("mode") == Reply::Bulk("cluster"));
  CHECK(InfoField(Command(c, {"INFO", "server"}).str, "redis_mode") == "cluster");
  CHECK(InfoField(Command(c, {"INFO", "cluster"}).str, "cluster_enabled") == "1");
}

TEST_CASE("cluster: off, CLUSTER and ASKING say so; CLUSTER KEYSLOT still answers", "[cluster]") {
  PylonServer server;
  auto c = server.Connect();
  const Reply disabled = Reply::Error("ERR This instance has cluster support disabled");
  CHECK(Command(c, {"CLUSTER", "SLOTS"}) == disabled);
  CHECK(Command(c, {"CLUSTER", "INFO"}) == disabled);
  CHECK(Command(c, {"ASKING"}) == disabled);
  // Redis Cluster's published examples.
  CHECK(Command(c, {"CLUSTER", "KEYSLOT", "foo"}) == Reply::Int(12182));
  CHECK(Command(c, {"CLUSTER", "KEYSLOT", "{user1000}.following"}) ==
        Command(c, {"CLUSTER", "KEYSLOT", "user1000"}));
  CHECK(Command(c, {"SELECT", "1"}) == Reply::Error("ERR DB index is out of range"));
  CHECK(InfoField(Command(c, {"INFO", "cluster"}).str, "cluster_enabled") == "0");
  CHECK(Command(c, {"RING.LOCATE", "foo"}) ==
        Reply::Error("ERR RING.LOCATE without a ring names the cluster node of a key: cluster "
                     "mode is off"));
  CHECK(Command(c, {"CLUSTER", "RELOAD"}) == disabled);
}

TEST_CASE("cluster: a node outside the membership owns nothing and redirects every key",
          "[cluster]") {
  ServerOptions o;
  o.args = {"--cluster-enabled", "yes", "--cluster-nodes", "127.0.0.1:1", "127.0.0.1:2"};
  PylonServer server(o);
  auto c = server.Connect();
  const std::map<int64_t, std::string> owners = SlotOwners(c);
  for (int i = 0; i < 200; i++) {
    const std::string key = "k" + std::to_string(i);
    const int64_t slot = Command(c, {"CLUSTER", "KEYSLOT", key}).integer;
    CHECK(Command(c, {"GET", key}) ==
          Reply::Error("MOVED " + std::to_string(slot) + " " + owners.at(slot)));
  }
  CHECK(Command(c, {"DBSIZE"}) == Reply::Int(0));
  const std::string info = Command(c, {"INFO", "cluster"}).str;
  CHECK(InfoField(info, "cluster_member") == "0");
  CHECK(InfoField(info, "cluster_slots_served") == "0");
  CHECK(InfoField(info, "cluster_moved") == "200");
  // CLUSTER NODES lists it (myself) with no slot, after the two members.
  const std::vector<std::string> lines = Lines(Command(c, {"CLUSTER", "NODES"}).str);
  REQUIRE(lines.size() == 3);
  const std::string self = "127.0.0.1:" + std::to_string(server.port());
  CHECK(lines[2].find(" " + self + "@") != std::string::npos);
  CHECK(lines[2].ends_with("myself,master - 0 0 0 connected"));
}

TEST_CASE("cluster: a membership that is wrong stops start-up", "[cluster]") {
  const std::string port = std::to_string(FreePort());
  const std::string me = "127.0.0.1:" + port;
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"127.0.0.1"}, "cluster-nodes"},
      {{me, "127.0.0.1:0"}, "cluster-nodes"},
      {{me, "127.0.0.1:70000"}, "cluster-nodes"},
      {{me, "127.0.0.1:6000@0"}, "cluster-nodes"},
      {{me, me}, "cluster-nodes"},
  };
  for (const auto& [nodes, message] : cases) {
    std::vector<std::string> args = {"--port", port, "--cluster-enabled", "yes", "--cluster-nodes"};
    args.insert(args.end(), nodes.begin(), nodes.end());
    std::string words;
    for (const std::string& n : nodes) words += " " + n;
    INFO("cluster-nodes" << words);
    const RunResult r = RunPylond(args);
    CHECK(r.exit_code == 1);
    CHECK((r.out + r.err).find(message) != std::string::npos);
  }
}

}  // namespace
}  // namespace pylon::e2e
