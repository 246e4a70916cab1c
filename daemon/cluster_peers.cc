#include "daemon/cluster_peers.h"

#include <spdlog/spdlog.h>

#include <limits>

#include "daemon/connection.h"
#include "daemon/dispatcher.h"
#include "daemon/server.h"

namespace pylon::daemon {
namespace {

// A reply nobody waits for (the ASKING before a forwarded command).
constexpr uint64_t kIgnored = std::numeric_limits<uint64_t>::max();
// A PUBLISH fanned out: only a failure is counted.
constexpr uint64_t kPublished = 0;

}  // namespace

ClusterPeers::~ClusterPeers() {
  for (auto& links : links_) {
    for (auto& [address, link] : links) link->Forget(this);
  }
}

PeerLink& ClusterPeers::Link(const std::string& address, int resp) {
  auto& links = links_[resp == 3 ? 1 : 0];
  auto it = links.find(address);
  if (it != links.end()) return *it->second;
  std::string hello;
  const std::string version = resp == 3 ? "3" : "2";
  const std::string& password = server_.config().requirepass;
  if (password.empty()) {
    PeerLink::AppendCommand(&hello, {"HELLO", version});
  } else {
    PeerLink::AppendCommand(&hello, {"HELLO", version, "AUTH", "default", password});
  }
  PeerLink::AppendCommand(&hello, {"CLUSTER", "PEER", server_.cluster().self_id()});
  auto link = std::make_unique<PeerLink>(server_.loop(), address, std::move(hello), 2);
  return *links.emplace(address, std::move(link)).first->second;
}

void ClusterPeers::CloseLinks(std::string_view why) {
  for (auto& links : links_) {
    for (auto& [address, link] : links) {
      link->Shutdown(why);
      // Freed with this object, not now: this may run from inside one of the link's callbacks
      // (a relayed reply resumed a client that sent SHUTDOWN).
      retired_.push_back(std::move(link));
    }
    links.clear();
  }
}

bool ClusterPeers::CanForward(const Connection& conn, const CommandSpec& cmd) {
  if (conn.peer || conn.multi.active || (cmd.flags & kCmdBlocking)) return false;
  return !(cmd.flags & kCmdPubsub) || cmd.name == "spublish";
}

void ClusterPeers::Forward(Connection& conn, Args args, const cluster::Node& owner, int slot,
                           bool asking) {
  PeerLink& link = Link(owner.address(), conn.resp());
  const int64_t timeout = server_.config().cluster_node_timeout;
  conn.forward_trace = next_trace_++;
  conn.forward_slot = slot;
  server_.stats().cluster.forwarded++;
  spdlog::debug("forward #{}: client id={} {} (slot {}) to {}", conn.forward_trace, conn.id(),
                args[0], slot, owner.address());
  // A link that cannot even start fails inside Send: the reply is then written, but the
  // client's input is not resumed from here, where its own ProcessInput is still running.
  forwarding_ = true;
  if (asking) {
    request_.clear();
    PeerLink::AppendCommand(&request_, {"ASKING"});
    link.Send(request_, this, kIgnored, timeout);
  }
  request_.clear();
  PeerLink::AppendCommand(&request_, {args.begin(), args.end()});
  link.Send(request_, this, conn.id(), timeout);
  forwarding_ = false;
}

void ClusterPeers::Publish(std::string_view channel, std::string_view message) {
  const cluster::SlotMap& map = server_.cluster().map();
  request_.clear();
  PeerLink::AppendCommand(&request_, {"PUBLISH", channel, message});
  for (size_t i = 0; i < map.nodes().size(); i++) {
    if (static_cast<int>(i) == server_.cluster().self()) continue;
    server_.stats().cluster.published++;
    Link(map.nodes()[i].address(), 2)
        .Send(request_, this, kPublished, server_.config().cluster_node_timeout);
  }
}

void ClusterPeers::OnPeerReply(uint64_t tag, PeerLink::Status status, std::string_view reply,
                               std::string_view what) {
  if (tag == kIgnored) return;
  if (tag == kPublished) {
    if (status != PeerLink::Status::kOk) server_.stats().cluster.publish_failures++;
    return;
  }
  Connection* conn = server_.FindClient(tag);
  if (!conn || conn->forward_trace == 0) return;  // the client left meanwhile
  const uint64_t trace = conn->forward_trace;
  conn->forward_trace = 0;
  if (status == PeerLink::Status::kOk) {
    conn->output().Append(reply);
    spdlog::debug("forward #{}: {} bytes relayed", trace, reply.size());
  } else {
    server_.stats().cluster.forward_failures++;
    const std::string error =
        fmt::format("CLUSTERDOWN the owner of slot {} ({}) did not answer: {}", conn->forward_slot,
                    server_.cluster().Owner(conn->forward_slot).address(), what);
    conn->reply().Error(error);
    CountErrorReply(server_, error);
    spdlog::debug("forward #{}: failed: {}", trace, what);
  }
  server_.ScheduleFlush(conn);
  if (!forwarding_) conn->ProcessInput();
}

}  // namespace pylon::daemon
