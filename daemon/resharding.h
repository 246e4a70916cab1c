// Moving keys when the membership changes (CLUSTER RELOAD with a new epoch; the rules clients
// see are in daemon/cluster.h). This node runs one transfer per node it hands slots to:
//
//   1. probe: CLUSTER IMPORT <epoch> with no keys, until the target answers at the same epoch
//      (a target that has not reloaded yet answers -TRYAGAIN; the probe is sent again later).
//      From then on this node answers -ASK for keys of those slots it does not have, and no new
//      key is created here in them; the keys it has are listed, once.
//   2. send: batches of CLUSTER IMPORT <epoch> key expire-at dump ..., each key's value as its
//      dump (any type) and its absolute expiry. While a batch is on its way its keys refuse
//      writes (-TRYAGAIN); when the target has it, they are deleted here (and logged so). A batch
//      that fails is sent again later, with the values as they are then.
//   3. announce: the slots are handed over here, and CLUSTER HANDOVER <epoch> <source> <target>
//      goes to every other node (until each has said yes) so that all redirect them to the
//      target; clients blocked here on keys of those slots are answered -MOVED, and those
//      subscribed here to their shard channels get sunsubscribe.
//
// The other side, CLUSTER IMPORT and CLUSTER HANDOVER, is here too. Nothing here is persisted:
// a node restarted during a resharding starts from the map of its configuration alone.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/command_table.h"
#include "daemon/peer_link.h"

namespace pylon::daemon {

class Server;

class Resharding final : private PeerLink::Requester {
 public:
  explicit Resharding(Server& server) : server_(server) {}
  Resharding(const Resharding&) = delete;
  Resharding& operator=(const Resharding&) = delete;

  // After CLUSTER RELOAD: the transfers this node is the source of.
  void Start();
  // The cron: sends again what waited for a retry.
  void Tick();
  // Transfers not finished (including their announcements).
  size_t active() const;

  // CLUSTER IMPORT epoch [key expire-at-ms dump ...] and CLUSTER HANDOVER epoch source target,
  // from another node: each writes its reply.
  void Import(CommandContext& ctx);
  void Handover(CommandContext& ctx);

 private:
  enum class Step { kProbe, kSend, kAnnounce, kDone };
  struct Transfer {
    std::string target;
    Step step = Step::kProbe;
    bool waiting = false;              // a request is in flight
    uint64_t retry_at = 0;             // uv_now() ms; 0: now
    std::vector<std::string> keys;     // the keys to send (ListKeys)
    size_t next = 0;                   // keys[next..] are not sent yet
    size_t batch_end = 0;              // the batch in flight came from keys[next..batch_end)
    std::vector<std::string> batch;    // its keys (writes to them wait: Cluster::AddInFlight)
    std::vector<std::string> to_tell;  // nodes not yet told of the handover
    bool logged_wait = false;
  };

  void Advance(size_t index);
  void Probe(size_t index);
  // Lists the keys here in the slots the transfer sends (t.keys, from the start); how many.
  size_t ListKeys(size_t index);
  void SendBatch(size_t index);
  void Announce(size_t index);
  void Retry(Transfer& t, std::string_view what);
  // Slots changed hands here: clients blocked on their keys are redirected, their shard
  // channels' subscribers unsubscribed.
  void AfterHandover();
  void OnPeerReply(uint64_t tag, PeerLink::Status status, std::string_view reply,
                   std::string_view what) override;

  Server& server_;
  std::vector<Transfer> transfers_;
  uint64_t generation_ = 0;  // tags carry it: replies for an earlier Start are ignored
  std::string request_;
};

}  // namespace pylon::daemon
