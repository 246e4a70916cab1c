// The process: one libuv loop, its listeners, the clients, the cron, and shutdown.
#pragma once

#include <spdlog/common.h>
#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "daemon/blocking.h"
#include "daemon/clock.h"
#include "daemon/cluster.h"
#include "daemon/cluster_peers.h"
#include "daemon/command_table.h"
#include "daemon/config.h"
#include "daemon/dispatcher.h"
#include "daemon/family_state.h"
#include "daemon/info.h"
#include "daemon/keyspace.h"
#include "daemon/keyspace_events.h"
#include "daemon/output_limits.h"
#include "daemon/persistence.h"
#include "daemon/pubsub.h"
#include "daemon/registry.h"
#include "daemon/resharding.h"
#include "daemon/script_runner.h"
#include "daemon/stats.h"
#include "daemon/transactions.h"

namespace pylon::daemon {

class Connection;

// The spdlog level for a Redis loglevel name (debug, verbose, notice, warning).
spdlog::level::level_enum SpdlogLevel(std::string_view loglevel);

class Server final : private KeyspaceListener {
 public:
  explicit Server(Config config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // With appendonly yes, reads the log, which Run then replays into the keyspace a slice per
  // loop turn (clients are answered -LOADING meanwhile) before opening it for appending; false
  // (after logging one clear line) when the log cannot be read. Before Listen. A log that turns
  // out corrupt while loading stops the server with exit code 1.
  bool StartPersistence();
  // Cluster mode's membership and this node's place in it (daemon/cluster.h); false (after
  // logging one clear line) when the cluster directives are invalid. Before Listen.
  bool StartCluster();
  // Binds every listener; false (after logging one clear line) if one cannot be bound.
  bool Listen();
  // Runs until shutdown; returns the process exit code.
  int Run();
  // Starts an orderly shutdown: stop accepting, flush replies, close every handle.
  void Shutdown(std::string_view reason);

  uv_loop_t* loop() { return &loop_; }
  Config& config() { return config_; }
  const Config& config() const { return config_; }
  Clock& clock() { return clock_; }
  CommandTable& commands() { return commands_; }
  const InfoRegistry& info_sections() const { return info_; }
  Dispatcher& dispatcher() { return dispatcher_; }
  Stats& stats() { return stats_; }
  Keyspace& keyspace() { return keyspace_; }
  FamilyStates& family_states() { return family_states_; }
  FamilyEvents& family_events() { return family_events_; }
  KeyspaceLog& persistence() { return log_; }
  Cluster& cluster() { return cluster_; }
  const Cluster& cluster() const { return cluster_; }
  ClusterPeers& peers() { return peers_; }
  const ClusterPeers& peers() const { return peers_; }
  Resharding& resharding() { return resharding_; }
  const Resharding& resharding() const { return resharding_; }
  const KeyspaceLog& persistence() const { return log_; }

  // Clients, in connection order.
  const std::vector<Connection*>& clients() const { return clients_; }
  Connection* FindClient(uint64_t id) const;
  bool auth_required() const { return !config_.requirepass.empty(); }
  int64_t start_ms() const { return start_ms_; }
  const std::string& run_id() const { return run_id_; }
  // The TCP ports listened on, as bound.
  std::vector<int> bound_ports() const;

  // CONFIG SET's last step before a change commits: opens the new listeners (port, bind), and
  // refuses appendonly while the log loads; on failure nothing changes and *name / *reason say
  // why, in Redis's words.
  bool PrepareConfigChanges(const Config& next, const std::vector<std::string>& changed,
                            std::string* name, std::string* reason);

  // Queues a connection to have its replies written before the loop next waits for I/O.
  void ScheduleFlush(Connection* conn);
  // Called by Connection when its handle is closing: it leaves every registry at once.
  void Unregister(Connection* conn);

  // Applies configuration changes made by CONFIG SET (log level, ...).
  void OnConfigChanged(const std::vector<std::string>& names);
  // While a script keeps the loop busy (daemon/script_runner.h): accepts waiting connections
  // without the loop, so that a new client can still send SCRIPT KILL.
  void AcceptWhileBusy();
  // Runs the periodic work; also right after a test moves the manual clock.
  void Cron();

  Transactions& transactions() { return transactions_; }
  OutputLimits& output_limits() { return output_limits_; }
  // What handlers may use (daemon/command_table.h).
  HandlerServices& services() { return services_; }
  PubSub& pubsub() { return pubsub_; }
  BlockedClients& blocking() { return blocking_; }
  ScriptRunner& scripts() { return scripts_; }
  // Memory as maxmemory and INFO count it: the heap in use (daemon/memory.h), O(1).
  int64_t UsedMemory() const;
  // The most UsedMemory has been, as seen by the cron and INFO.
  int64_t PeakMemory();
  // Evicts keys by maxmemory-policy until used memory is within maxmemory (at most a bounded
  // number per call; the cron goes on); false when over and nothing can be evicted.
  bool EnforceMaxmemory();
  // Runs what time made due: blocked clients' timeouts and the families' timed work.
  void RunTimedWork(int64_t now_ms);

 private:
  struct Listener {
    union {
      uv_handle_t handle;
      uv_stream_t stream;
      uv_tcp_t tcp;
      uv_pipe_t pipe;
    } h;
    bool unix_socket = false;
    int port = 0;
    Server* server = nullptr;
  };

  static void OnConnection(uv_stream_t* listener, int status);
  static void OnPrepare(uv_prepare_t* handle);
  static void OnCronTimer(uv_timer_t* handle);
  static void OnSignal(uv_signal_t* handle, int signum);
  static void OnShutdownTimer(uv_timer_t* handle);
  static void OnTimedWorkTimer(uv_timer_t* handle);
  static void OnLoadIdle(uv_idle_t* handle);

  // The keyspace's changes go to WATCH and to the clients blocked on the key.
  void KeyModified(std::string_view key) override;
  void BeforeFlush() override;
  void KeyEvent(KeyspaceListener::Event event, std::string_view key) override;
  // Before the loop waits: sets the timer to the earliest timed work, if any.
  void ArmTimedWork();

  // A connection from `listener`: accepted by libuv, or already accepted (accepted_fd).
  void Accept(Listener& listener, int accepted_fd = -1);
  void FlushAll();
  void CheckClientLimits(int64_t now_ms);
  void SampleOps(int64_t now_ms);
  void CloseServerHandles();
  // maxmemory-policy and the lfu-* directives decide what the keyspace tracks per key.
  void ApplyEvictionConfig();
  // Reaps a finished log rewrite, and starts one when the log has grown enough (the cron).
  void RewriteLogIfDue();
  std::string LogPath() const { return config_.dir + "/" + config_.appendfilename; }
  bool ListenTcp(const std::vector<std::string>& addresses, int port,
                 std::vector<std::unique_ptr<Listener>>* out);
  void Retire(std::unique_ptr<Listener> listener);
  bool ListenUnix();

  Config config_;
  Clock clock_;
  CommandTable commands_;
  InfoRegistry info_;
  Dispatcher dispatcher_;
  Stats stats_;
  // Before the keyspace: its values book into the families' states until they are destroyed.
  FamilyStates family_states_;
  FamilyEvents family_events_;
  Keyspace keyspace_;
  KeyspaceLog log_{keyspace_, family_states_};
  Cluster cluster_;
  ClusterPeers peers_{*this};
  Resharding resharding_{*this};
  Transactions transactions_;
  OutputLimits output_limits_{config_, stats_};
  PubSub pubsub_{*this};
  BlockedClients blocking_{*this};
  ScriptRunner scripts_{*this};
  HandlerServices services_{keyspace_, clock_, config_,        pubsub_,   blocking_, transactions_,
                            cluster_,  peers_, family_states_, commands_, scripts_,  *this};
  std::vector<TimedWork> timed_work_;

  uv_loop_t loop_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::vector<std::unique_ptr<Listener>> retired_listeners_;  // closed, freed after the loop
  uv_prepare_t prepare_;
  uv_timer_t cron_timer_;
  uv_timer_t shutdown_timer_;
  uv_timer_t timed_work_timer_;
  uv_idle_t load_idle_;                      // runs while the log loads
  std::optional<int64_t> timed_work_armed_;  // the clock time the timer is set for
  int64_t peak_memory_ = 0;
  uv_signal_t sigterm_, sigint_;

  std::vector<Connection*> clients_;
  std::unordered_map<uint64_t, Connection*> clients_by_id_;
  std::vector<Connection*> pending_flush_;
  uint64_t next_client_id_ = 1;
  int64_t start_ms_ = 0;
  std::string run_id_;
  bool shutting_down_ = false;
  int exit_code_ = 0;  // what Run returns
};

}  // namespace pylon::daemon
