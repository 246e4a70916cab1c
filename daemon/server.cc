#include "daemon/server.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <random>

#include "daemon/connection.h"
#include "daemon/keyspace_events.h"
#include "daemon/memory.h"
#include "daemon/output_limits.h"
#include "daemon/registry.h"

namespace pylon::daemon {
namespace {

constexpr int64_t kShutdownGraceMs = 3000;      // how long shutdown waits for slow readers
constexpr int64_t kIdleBufferReleaseMs = 2000;  // idle this long: free the client's buffers
// Evictions per EnforceMaxmemory call: a lowered maxmemory is reached over several commands and
// cron runs instead of in one stall.
constexpr int kMaxEvictionsPerCall = 10000;
constexpr size_t kAgePerCron = 4096;  // LFU keys aged per cron run

std::string RandomRunId() {
  std::random_device rd;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(40, '0');
  for (char& c : id) c = kHex[rd() % 16];
  return id;
}

}  // namespace

Server::Server(Config config)
    : config_(std::move(config)),
      clock_(config_.enable_test_clock),
      dispatcher_(*this),
      keyspace_(clock_),
      transactions_(keyspace_, dispatcher_) {
  Registry registry{commands_, info_, config_, timed_work_, family_states_};
  RegisterAll(registry);
  keyspace_.set_listener(this);
  keyspace_.set_growth_check([this](size_t bytes) {
    return config_.maxmemory <= 0 ||
           UsedMemory() + static_cast<int64_t>(bytes) <= config_.maxmemory;
  });
  ApplyEvictionConfig();
  uv_loop_init(&loop_);
  loop_.data = this;
  uv_prepare_init(&loop_, &prepare_);
  prepare_.data = this;
  uv_timer_init(&loop_, &cron_timer_);
  cron_timer_.data = this;
  uv_timer_init(&loop_, &shutdown_timer_);
  shutdown_timer_.data = this;
  uv_timer_init(&loop_, &timed_work_timer_);
  timed_work_timer_.data = this;
  uv_idle_init(&loop_, &load_idle_);
  load_idle_.data = this;
  uv_signal_init(&loop_, &sigterm_);
  uv_signal_init(&loop_, &sigint_);
  sigterm_.data = sigint_.data = this;
  start_ms_ = clock_.NowMs();
  run_id_ = RandomRunId();
}

Server::~Server() = default;

bool Server::ListenTcp(const std::vector<std::string>& addresses, int port,
                       std::vector<std::unique_ptr<Listener>>* out) {
  for (const std::string& addr_in : addresses) {
    // As Redis: a leading '-' marks an address that may be missing on this host.
    bool optional = !addr_in.empty() && addr_in[0] == '-';
    std::string addr = optional ? addr_in.substr(1) : addr_in;
    if (addr == "*") addr = "0.0.0.0";
    sockaddr_storage ss{};
    bool ok = addr.find(':') != std::string::npos
                  ? uv_ip6_addr(addr == "::*" ? "::" : addr.c_str(), port,
                                reinterpret_cast<sockaddr_in6*>(&ss)) == 0
                  : uv_ip4_addr(addr.c_str(), port, reinterpret_cast<sockaddr_in*>(&ss)) == 0;
    if (!ok) {
      spdlog::error("bind: invalid address '{}'", addr);
      return false;
    }
    auto listener = std::make_unique<Listener>();
    listener->server = this;
    uv_tcp_init(&loop_, &listener->h.tcp);
    listener->h.handle.data = listener.get();
    unsigned flags = ss.ss_family == AF_INET6 ? UV_TCP_IPV6ONLY : 0;
    int rc = uv_tcp_bind(&listener->h.tcp, reinterpret_cast<sockaddr*>(&ss), flags);
    if (rc == 0) rc = uv_listen(&listener->h.stream, config_.tcp_backlog, OnConnection);
    if (rc != 0) {
      Retire(std::move(listener));
      if (optional && (rc == UV_EADDRNOTAVAIL || rc == UV_EAFNOSUPPORT)) {
        spdlog::warn("bind: skipping optional address {}: {}", addr, uv_strerror(rc));
        continue;
      }
      spdlog::error("could not listen on {}:{}: {}", addr, port, uv_strerror(rc));
      return false;
    }
    sockaddr_storage bound{};
    int len = sizeof(bound);
    uv_tcp_getsockname(&listener->h.tcp, reinterpret_cast<sockaddr*>(&bound), &len);
    listener->port =
        ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                          : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    spdlog::info("listening on {}:{}", addr, listener->port);
    out->push_back(std::move(listener));
  }
  return true;
}

void Server::Retire(std::unique_ptr<Listener> listener) {
  if (!uv_is_closing(&listener->h.handle)) uv_close(&listener->h.handle, nullptr);
  retired_listeners_.push_back(std::move(listener));  // freed with the server, after the loop
}

bool Server::PrepareConfigChanges(const Config& next, const std::vector<std::string>& changed,
                                  std::string* name, std::string* reason) {
  if (log_.loading() && std::find(changed.begin(), changed.end(), "appendonly") != changed.end()) {
    *name = "appendonly";
    *reason = "the append-only log is loading";
    return false;
  }
  bool port = std::find(changed.begin(), changed.end(), "port") != changed.end();
  bool bind = std::find(changed.begin(), changed.end(), "bind") != changed.end();
  if (!port && !bind) return true;
  // Open the new sockets before closing the old ones, so a failure changes nothing.
  std::vector<std::unique_ptr<Listener>> fresh;
  if (next.port != 0 && !ListenTcp(next.bind, next.port, &fresh)) {
    for (auto& l : fresh) Retire(std::move(l));
    *name = port ? "port" : "bind";
    *reason = port ? "Unable to listen on this port" : "Failed to bind to specified addresses.";
    return false;
  }
  std::vector<std::unique_ptr<Listener>> kept;
  for (auto& l : listeners_) {
    if (l->unix_socket) {
      kept.push_back(std::move(l));
    } else {
      Retire(std::move(l));
    }
  }
  for (auto& l : fresh) kept.push_back(std::move(l));
  listeners_ = std::move(kept);
  return true;
}

std::vector<int> Server::bound_ports() const {
  std::vector<int> ports;
  for (const auto& l : listeners_) {
    if (!l->unix_socket) ports.push_back(l->port);
  }
  return ports;
}

bool Server::ListenUnix() {
  auto listener = std::make_unique<Listener>();
  listener->server = this;
  listener->unix_socket = true;
  uv_pipe_init(&loop_, &listener->h.pipe, 0);
  listener->h.handle.data = listener.get();
  unlink(config_.unixsocket.c_str());  // a stale socket from an unclean exit
  int rc = uv_pipe_bind(&listener->h.pipe, config_.unixsocket.c_str());
  if (rc == 0) rc = uv_listen(&listener->h.stream, config_.tcp_backlog, OnConnection);
  if (rc != 0) {
    Retire(std::move(listener));
    spdlog::error("could not listen on unix socket {}: {}", config_.unixsocket, uv_strerror(rc));
    return false;
  }
  if (config_.unixsocketperm) chmod(config_.unixsocket.c_str(), config_.unixsocketperm);
  spdlog::info("listening on unix socket {}", config_.unixsocket);
  listeners_.push_back(std::move(listener));
  return true;
}

bool Server::Listen() {
  // Signals are caught before the first listener opens: a client (or a test) that sees the port
  // accept may send SIGTERM at once, and libuv holds it until the loop runs.
  uv_signal_start(&sigterm_, OnSignal, SIGTERM);
  uv_signal_start(&sigint_, OnSignal, SIGINT);
  // The unix socket first: once the TCP port accepts (which is what clients and tests wait
  // for), every listener is there.
  if (!config_.unixsocket.empty() && !ListenUnix()) return false;
  if (config_.port != 0 && !ListenTcp(config_.bind, config_.port, &listeners_)) {
    if (!config_.unixsocket.empty()) unlink(config_.unixsocket.c_str());
    return false;
  }
  if (listeners_.empty()) {
    spdlog::error("nothing to listen on: set port or unixsocket");
    return false;
  }
  return true;
}

int Server::Run() {
  uv_prepare_start(&prepare_, OnPrepare);
  if (log_.loading()) uv_idle_start(&load_idle_, OnLoadIdle);
  uint64_t period = static_cast<uint64_t>(1000 / std::max(config_.hz, 1));
  uv_timer_start(&cron_timer_, OnCronTimer, period, period);
  if (config_.enable_test_clock) {
    spdlog::warn(
        "enable-test-clock is on: the clock moves only by TESTCLOCK (never in production)");
  }
  spdlog::info("pylond ready to accept connections");
  uv_run(&loop_, UV_RUN_DEFAULT);
  // The last changes, fsynced, before exit (SHUTDOWN, SIGTERM).
  log_.Disable();
  // Every handle is closed by now; anything left would be a leak and makes this fail.
  int rc = uv_loop_close(&loop_);
  if (rc != 0) {
    spdlog::error("shutdown: the event loop still has open handles ({})", uv_strerror(rc));
    return 1;
  }
  spdlog::info("pylond is now ready to exit, bye bye...");
  return exit_code_;
}

void Server::OnConnection(uv_stream_t* stream, int status) {
  auto* listener = static_cast<Listener*>(stream->data);
  if (status < 0) {
    spdlog::warn("accept: {}", uv_strerror(status));
    return;
  }
  listener->server->Accept(*listener);
}

void Server::AcceptWhileBusy() {
  for (auto& listener : listeners_) {
    uv_os_fd_t listen_fd = -1;
    if (uv_fileno(&listener->h.handle, &listen_fd) != 0) continue;
    // A few per check: a flood of connections must not starve the script.
    for (int i = 0; i < 16; i++) {
      const int fd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) break;
      Accept(*listener, fd);
    }
  }
}

void Server::Accept(Listener& listener, int accepted_fd) {
  auto transport =
      listener.unix_socket ? Connection::Transport::kUnix : Connection::Transport::kTcp;
  auto* conn = new Connection(this, next_client_id_, transport);
  int status;
  if (accepted_fd < 0) {
    status = uv_accept(&listener.h.stream, conn->stream());
  } else if (listener.unix_socket) {
    status = uv_pipe_open(reinterpret_cast<uv_pipe_t*>(conn->stream()), accepted_fd);
  } else {
    status = uv_tcp_open(reinterpret_cast<uv_tcp_t*>(conn->stream()), accepted_fd);
  }
  if (status != 0 || !conn->Start()) {
    uv_close(conn->handle(), [](uv_handle_t* h) { delete static_cast<Connection*>(h->data); });
    return;
  }
  next_client_id_++;
  stats_.connections_received++;
  clients_.push_back(conn);
  clients_by_id_.emplace(conn->id(), conn);
  // Redis's order: the client limit first, then protected mode.
  if (clients_.size() > static_cast<size_t>(config_.maxclients)) {
    stats_.rejected_connections++;
    conn->reply().Error("ERR max number of clients reached");
    conn->CloseAfterReply();
    return;
  }
  if (config_.protected_mode && !auth_required() && !conn->is_loopback()) {
    stats_.rejected_connections++;
    conn->reply().Error(
        "DENIED Redis is running in protected mode because protected mode is enabled and no "
        "password is set for the default user. In this mode connections are only accepted from "
        "the loopback interface. If you want to connect from external computers to Redis you may "
        "adopt one of the following solutions: 1) Just disable protected mode sending the command "
        "'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from "
        "the same host the server is running, however MAKE SURE Redis is not publicly accessible "
        "from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) "
        "Alternatively you can just disable the protected mode by editing the Redis configuration "
        "file, and setting the protected mode option to 'no', and then restarting the server. 3) "
        "If you started the server manually just for testing, restart it with the "
        "'--protected-mode no' option. 4) Set up an authentication password for the default user. "
        "NOTE: You only need to do one of the above things in order for the server to start "
        "accepting connections from the outside.");
    conn->CloseAfterReply();
  }
}

Connection* Server::FindClient(uint64_t id) const {
  auto it = clients_by_id_.find(id);
  return it == clients_by_id_.end() ? nullptr : it->second;
}

void Server::ScheduleFlush(Connection* conn) {
  if (conn->flush_scheduled_ || conn->closing()) return;
  conn->flush_scheduled_ = true;
  pending_flush_.push_back(conn);
}

void Server::Unregister(Connection* conn) {
  blocking_.Remove(conn);
  transactions_.UnwatchAll(*conn);
  pubsub_.UnsubscribeAll(conn);
  clients_by_id_.erase(conn->id());
  clients_.erase(std::find(clients_.begin(), clients_.end(), conn));
  if (conn->flush_scheduled_) {
    pending_flush_.erase(std::find(pending_flush_.begin(), pending_flush_.end(), conn));
    conn->flush_scheduled_ = false;
  }
  if (shutting_down_ && clients_.empty()) CloseServerHandles();
}

void Server::OnPrepare(uv_prepare_t* handle) {
  auto* server = static_cast<Server*>(handle->data);
  // First the input of clients whose wait ended this turn: their commands are part of the turn.
  server->blocking_.ResumeReleased();
  // The turn's changes reach the log (and, with appendfsync always, the disk) before any of its
  // replies leave: a client is never told of a write the log does not have.
  if (!server->log_.WriteTurn() && server->log_.file().policy() == FsyncPolicy::kAlways) {
    // The turn's replies promise writes the disk does not have: none may leave. As Redis, which
    // cannot recover from this under always either: exit, the writes unacknowledged.
    spdlog::critical(
        "cannot write the append-only log under appendfsync always ({}): exiting without "
        "acknowledging this turn's writes",
        server->log_.file().last_error());
    spdlog::shutdown();
    _exit(1);
  }
  server->FlushAll();
  server->ArmTimedWork();
  // Last: libuv waits for I/O right after this. The commands that wake it must see the time
  // they arrived, not this moment (daemon/clock.h).
  server->clock_.WillSleep();
}

void Server::KeyModified(std::string_view key) {
  family_events_.KeyModified(key);
  transactions_.KeyModified(key);
  blocking_.KeyChanged(key);
  log_.KeyModified(key);
}

void Server::BeforeFlush() {
  transactions_.BeforeFlush();
  log_.BeforeFlush();
}

void Server::KeyEvent(KeyspaceListener::Event event, std::string_view key) {
  const uint32_t flags = static_cast<uint32_t>(config_.notify_keyspace_events);
  if (flags == 0) return;
  switch (event) {
    case Event::kNew:
      NotifyKeyspaceEvent(flags, pubsub_, kEventNew, "new", key);
      break;
    case Event::kExpired:
      NotifyKeyspaceEvent(flags, pubsub_, kEventExpired, "expired", key);
      break;
    case Event::kEvicted:
      NotifyKeyspaceEvent(flags, pubsub_, kEventEvicted, "evicted", key);
      break;
    case Event::kMiss:
      NotifyKeyspaceEvent(flags, pubsub_, kEventKeyMiss, "keymiss", key);
      break;
  }
}

bool Server::StartCluster() {
  std::string error;
  if (!cluster_.Configure(config_, &error)) {
    spdlog::error("cannot start: {}", error);
    return false;
  }
  if (cluster_.enabled()) {
    if (cluster_.self() < 0) {
      spdlog::warn(
          "cluster mode: {} is not in cluster-nodes: it owns no slot and redirects every "
          "key until CLUSTER RELOAD reads a membership that names it",
          cluster_.self_address());
    }
    spdlog::info("cluster mode: node {} ({}) of {}, epoch {}, {} slots", cluster_.self_address(),
                 cluster_.self_id(), cluster_.map().nodes().size(), cluster_.epoch(),
                 cluster_.SlotsServed());
  }
  return true;
}

bool Server::StartPersistence() {
  if (!config_.appendonly) return true;
  std::string error;
  if (!log_.BeginLoad(LogPath(), ParseFsyncPolicy(config_.appendfsync), config_.aof_load_corrupt,
                      &error)) {
    spdlog::error("cannot start: {}", error);
    return false;
  }
  return true;
}

void Server::OnLoadIdle(uv_idle_t* handle) {
  // An idle handle runs once per loop turn and keeps the loop from waiting for I/O: a slice of
  // the log, then the clients' requests (answered -LOADING), then the next slice.
  auto* server = static_cast<Server*>(handle->data);
  std::string error;
  const KeyspaceLog::LoadState state = server->log_.LoadSome(
      static_cast<uint64_t>(server->config_.loading_process_events_interval_bytes),
      server->config_.key_load_delay, &error);
  if (state == KeyspaceLog::LoadState::kLoading) return;
  uv_idle_stop(handle);
  if (state == KeyspaceLog::LoadState::kFailed) {
    spdlog::error("cannot start: {}", error);
    server->exit_code_ = 1;
    server->Shutdown("a log that cannot be loaded");
  }
}

void Server::ArmTimedWork() {
  // With the test clock time moves only by TESTCLOCK, which runs the cron: no timer needed.
  if (clock_.manual() || shutting_down_) return;
  std::optional<int64_t> due = blocking_.NextDeadline();
  for (const TimedWork& work : timed_work_) {
    const std::optional<int64_t> next = work.next_due(services_);
    if (next && (!due || *next < *due)) due = next;
  }
  if (due == timed_work_armed_) return;
  timed_work_armed_ = due;
  if (!due) {
    uv_timer_stop(&timed_work_timer_);
    return;
  }
  // The delay counts from libuv's loop time: take both now, so they are the same instant (the
  // turn's reads may be a long turn old).
  uv_update_time(&loop_);
  clock_.Refresh();
  const int64_t now = clock_.NowMs();
  const int64_t delay = *due <= now ? 0 : *due - now;
  uv_timer_start(&timed_work_timer_, OnTimedWorkTimer, static_cast<uint64_t>(delay), 0);
}

void Server::OnTimedWorkTimer(uv_timer_t* handle) {
  auto* server = static_cast<Server*>(handle->data);
  server->timed_work_armed_.reset();
  server->clock_.Refresh();
  server->RunTimedWork(server->clock_.NowMs());
}

void Server::RunTimedWork(int64_t now_ms) {
  // While the log loads nothing but the replay may change a value: a queue's lease ending now
  // would change it under the records that follow.
  if (log_.loading()) return;
  blocking_.ExpireTimeouts(now_ms);
  for (const TimedWork& work : timed_work_) work.run(services_, now_ms);
  // What the work made ready goes to the clients waiting for it now, not at the next command.
  blocking_.ServeReady();
}

void Server::FlushAll() {
  // Flush may close a connection, which edits pending_flush_: work on a swapped-out batch.
  std::vector<Connection*> batch;
  batch.swap(pending_flush_);
  // Newest first, as Redis: a publisher's reply is queued after the messages it fanned out,
  // so it leaves before them and the publisher can send its next batch while the subscribers'
  // writes go on.
  for (auto it = batch.rbegin(); it != batch.rend(); ++it) {
    if ((*it)->flush_scheduled_) (*it)->Flush();
  }
  if (pending_flush_.empty()) {
    batch.clear();
    pending_flush_.swap(batch);  // keep the capacity: no allocation per turn
  }
}

void Server::OnCronTimer(uv_timer_t* handle) {
  auto* server = static_cast<Server*>(handle->data);
  server->clock_.Refresh();
  server->Cron();
}

void Server::Cron() {
  int64_t now = clock_.NowMs();
  CheckClientLimits(now);
  SampleOps(now);
  RunTimedWork(now);
  PeakMemory();
  // While the log loads, keys neither expire nor are evicted (as Redis): a record that follows
  // may patch them.
  if (log_.loading()) return;
  keyspace_.AgeEvictionPolicy(kAgePerCron);
  EnforceMaxmemory();
  // As Redis's databasesCron: expiry may take a quarter of each cron period, rehashing 1 ms.
  const int64_t period_us = 1000000 / std::max(config_.hz, 1);
  keyspace_.ActiveExpireCycle(period_us / 4);
  keyspace_.Rehash(1000);
  log_.file().RetryFailedSync();
  RewriteLogIfDue();
  if (cluster_.enabled() && !shutting_down_) resharding_.Tick();
}

void Server::RewriteLogIfDue() {
  log_.FinishRewrite();
  // As Redis's auto-aof-rewrite: once the log has grown by the percentage since its last
  // rewrite (or load) and is past the minimum size.
  if (!log_.enabled() || log_.rewriting() || config_.auto_aof_rewrite_percentage <= 0) return;
  const uint64_t size = log_.file().size();
  const uint64_t base = std::max<uint64_t>(log_.base_size(), 1);
  if (size < static_cast<uint64_t>(config_.auto_aof_rewrite_min_size) || size <= base) return;
  // In 128 bits: a log of gigabytes times a percentage up to 2^31 overflows 64.
  if (static_cast<unsigned __int128>(size - base) * 100 <
      static_cast<unsigned __int128>(base) * config_.auto_aof_rewrite_percentage) {
    return;
  }
  std::string error;
  if (!log_.StartRewrite(&error)) spdlog::warn("automatic log rewrite: {}", error);
}

int64_t Server::UsedMemory() const { return static_cast<int64_t>(AllocatedBytes()); }

int64_t Server::PeakMemory() {
  peak_memory_ = std::max(peak_memory_, UsedMemory());
  return peak_memory_;
}

bool Server::EnforceMaxmemory() {
  const int64_t limit = config_.maxmemory;
  if (limit <= 0 || log_.loading()) return true;
  for (int i = 0; i < kMaxEvictionsPerCall; i++) {
    if (UsedMemory() <= limit) return true;
    if (!keyspace_.EvictOne()) return false;
  }
  return UsedMemory() <= limit;
}

void Server::ApplyEvictionConfig() {
  keyspace_.SetLfu(config_.maxmemory_policy.find("lfu") != std::string::npos,
                   config_.lfu_log_factor, config_.lfu_decay_time);
  keyspace_.SetEvictionPolicy(config_.maxmemory_policy, config_.maxmemory > 0);
}

void Server::CheckClientLimits(int64_t now_ms) {
  // Copy: closing edits clients_.
  std::vector<Connection*> snapshot = clients_;
  for (Connection* c : snapshot) {
    // A blocked client waits for its own timeout, not the idle one (as Redis).
    if (config_.timeout > 0 && !c->close_after_reply() && !c->blocked &&
        now_ms - c->last_interaction_ms > int64_t{config_.timeout} * 1000) {
      spdlog::debug("closing idle client id={} addr={}", c->id(), c->addr());
      c->Close();
      continue;
    }
    if (output_limits_.CloseIfOver(c, now_ms)) continue;
    // As Redis's clientsCronResizeQueryBuffer: idle clients give their buffers back.
    if (now_ms - c->last_interaction_ms >= kIdleBufferReleaseMs) c->ReleaseIdleBuffers();
  }
}

void Server::SampleOps(int64_t now_ms) {
  // Sample about every 100 ms, as Redis's trackInstantaneousMetric.
  if (now_ms - stats_.last_sample_ms < 100) return;
  int64_t elapsed = now_ms - stats_.last_sample_ms;
  uint64_t ops = stats_.commands_processed - stats_.last_sample_commands;
  stats_.ops_samples[stats_.ops_sample_index] = elapsed > 0 ? ops * 1000 / elapsed : 0;
  stats_.ops_sample_index = (stats_.ops_sample_index + 1) % Stats::kSamples;
  stats_.last_sample_ms = now_ms;
  stats_.last_sample_commands = stats_.commands_processed;
}

spdlog::level::level_enum SpdlogLevel(std::string_view loglevel) {
  if (loglevel == "debug") return spdlog::level::trace;
  if (loglevel == "verbose") return spdlog::level::debug;
  if (loglevel == "warning") return spdlog::level::warn;
  return spdlog::level::info;  // notice
}

void Server::OnConfigChanged(const std::vector<std::string>& names) {
  for (const auto& name : names) {
    if (name == "loglevel") {
      spdlog::default_logger()->set_level(SpdlogLevel(config_.loglevel));
    } else if (name == "hz") {
      uint64_t period = static_cast<uint64_t>(1000 / std::max(config_.hz, 1));
      uv_timer_start(&cron_timer_, OnCronTimer, period, period);
    } else if (name == "maxmemory" || name == "maxmemory-policy" || name == "lfu-log-factor" ||
               name == "lfu-decay-time") {
      ApplyEvictionConfig();
    } else if (name == "appendfsync") {
      log_.set_policy(ParseFsyncPolicy(config_.appendfsync));
    } else if (name == "appendonly") {
      std::string error;
      if (!config_.appendonly) {
        log_.Disable();
      } else if (!log_.Enable(LogPath(), ParseFsyncPolicy(config_.appendfsync), &error)) {
        spdlog::error("appendonly yes: {}", error);
        config_.appendonly = false;
      }
    }
  }
}

void Server::OnSignal(uv_signal_t* handle, int signum) {
  auto* server = static_cast<Server*>(handle->data);
  server->Shutdown(signum == SIGINT ? "SIGINT" : "SIGTERM");
}

void Server::Shutdown(std::string_view reason) {
  if (shutting_down_) return;
  shutting_down_ = true;
  spdlog::info("received {}, scheduling shutdown...", reason);
  uv_idle_stop(&load_idle_);  // a load not finished stops here; the log stays as it was
  peers_.CloseLinks("the server is shutting down");
  for (auto& l : listeners_) Retire(std::move(l));
  listeners_.clear();
  if (!config_.unixsocket.empty()) unlink(config_.unixsocket.c_str());
  if (!config_.pidfile.empty()) unlink(config_.pidfile.c_str());
  // Let every client receive what it is owed, but do not wait forever for a slow reader.
  std::vector<Connection*> snapshot = clients_;
  for (Connection* c : snapshot) c->CloseAfterReply();
  if (clients_.empty()) {
    CloseServerHandles();
  } else {
    uv_timer_start(&shutdown_timer_, OnShutdownTimer, kShutdownGraceMs, 0);
  }
}

void Server::OnShutdownTimer(uv_timer_t* handle) {
  auto* server = static_cast<Server*>(handle->data);
  spdlog::warn("shutdown: closing {} clients that did not read their replies in time",
               server->clients_.size());
  std::vector<Connection*> snapshot = server->clients_;
  for (Connection* c : snapshot) c->Close();
}

void Server::CloseServerHandles() {
  auto close = [](auto* h) {
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(h))) {
      uv_close(reinterpret_cast<uv_handle_t*>(h), nullptr);
    }
  };
  close(&prepare_);
  close(&cron_timer_);
  close(&shutdown_timer_);
  close(&timed_work_timer_);
  close(&load_idle_);
  close(&sigterm_);
  close(&sigint_);
  // Closing the last signal handle restores the default action, which would let a second
  // SIGTERM kill the process mid-exit with a non-zero status. Shutdown is already under way.
  std::signal(SIGTERM, SIG_IGN);
  std::signal(SIGINT, SIG_IGN);
}

}  // namespace pylon::daemon
