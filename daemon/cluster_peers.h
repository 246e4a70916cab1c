// What a cluster node asks of the others over its links (daemon/peer_link.h): forwarding a
// client's request to the owner of its slot (cluster-forward yes), and fanning PUBLISH out to
// every other node, so that subscribers anywhere get the message, as in Redis Cluster.
//
// Links are opened on first use, one per node and reply protocol (a forwarded reply is relayed
// byte for byte, so it must already be in the client's protocol). Each starts with HELLO (with
// AUTH when requirepass is set: the nodes of a cluster share it) and CLUSTER PEER, which marks
// the connection at the other end as another node's: requests on it are never forwarded again
// and its PUBLISH is not fanned out again.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "daemon/command_table.h"
#include "daemon/peer_link.h"
#include "modules/cluster/slots.h"

namespace pylon::daemon {

class Connection;
class Server;

class ClusterPeers final : private PeerLink::Requester {
 public:
  explicit ClusterPeers(Server& server) : server_(server) {}
  ~ClusterPeers();
  ClusterPeers(const ClusterPeers&) = delete;
  ClusterPeers& operator=(const ClusterPeers&) = delete;

  // The link to the node at `address` whose replies come in protocol `resp` (2 or 3).
  PeerLink& Link(const std::string& address, int resp);
  // Shuts the links down for good (their requests fail): at shutdown.
  void CloseLinks(std::string_view why);

  // Whether the client's command may be relayed: not from another node, not in a transaction,
  // not a blocking command or a subscription (their replies are not one per request).
  static bool CanForward(const Connection& conn, const CommandSpec& cmd);
  // Relays the command to `owner` (after ASKING when `asking`), and holds the client's next
  // commands until the reply, or -CLUSTERDOWN when the owner cannot be reached or does not
  // answer within cluster-node-timeout, has been sent back.
  void Forward(Connection& conn, Args args, const cluster::Node& owner, int slot, bool asking);
  // Sends PUBLISH channel message to every other member; replies are not waited for.
  void Publish(std::string_view channel, std::string_view message);

 private:
  void OnPeerReply(uint64_t tag, PeerLink::Status status, std::string_view reply,
                   std::string_view what) override;

  Server& server_;
  std::unordered_map<std::string, std::unique_ptr<PeerLink>> links_[2];  // RESP2, RESP3
  std::vector<std::unique_ptr<PeerLink>> retired_;                       // shut down
  bool forwarding_ = false;                                              // inside Forward
  std::string request_;                                                  // reused for encoding
  uint64_t next_trace_ = 1;
};

}  // namespace pylon::daemon
