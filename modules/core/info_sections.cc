#include "modules/core/info_sections.h"

#include <fmt/format.h>
#include <malloc.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "common/redis_version.h"
#include "daemon/connection.h"
#include "daemon/memory.h"
#include "daemon/server.h"
#include "protocol/text.h"

namespace pylon::core {
namespace {

using daemon::Server;

constexpr std::string_view kPylonVersion = "0.1.0";

template <typename... T>
void Line(std::string& out, fmt::format_string<T...> f, T&&... args) {
  fmt::format_to(std::back_inserter(out), f, std::forward<T>(args)...);
  out += "\r\n";
}

std::string HumanBytes(uint64_t n) {
  const char* units = "BKMGTP";
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    u++;
  }
  return u == 0 ? fmt::format("{}B", n) : fmt::format("{:.2f}{}", v, units[u]);
}

uint64_t RssBytes() {
  long pages = 0, rss = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
    std::fclose(f);
  }
  return static_cast<uint64_t>(rss) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

void WriteServer(Server& s, std::string& out) {
  utsname un{};
  uname(&un);
  int64_t now_us = s.clock().NowUs();
  int64_t uptime = (now_us / 1000 - s.start_ms()) / 1000;
  Line(out, "redis_version:{}", common::kRedisVersion);
  Line(out, "pylon_version:{}", kPylonVersion);
  Line(out, "redis_git_sha1:00000000");
  Line(out, "redis_git_dirty:0");
  Line(out, "redis_build_id:0");
  Line(out, "redis_mode:{}", s.cluster().enabled() ? "cluster" : "standalone");
  Line(out, "os:{} {} {}", un.sysname, un.release, un.machine);
  Line(out, "arch_bits:{}", sizeof(void*) * 8);
  Line(out, "monotonic_clock:POSIX clock_gettime");
  Line(out, "multiplexing_api:libuv");
  Line(out, "gcc_version:{}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
  Line(out, "process_id:{}", getpid());
  Line(out, "process_supervised:no");
  Line(out, "run_id:{}", s.run_id());
  Line(out, "tcp_port:{}", s.config().port);
  Line(out, "server_time_usec:{}", now_us);
  Line(out, "uptime_in_seconds:{}", uptime);
  Line(out, "uptime_in_days:{}", uptime / 86400);
  Line(out, "hz:{}", s.config().hz);
  Line(out, "configured_hz:{}", s.config().hz);
  Line(out, "executable:{}", "pylond");
  Line(out, "config_file:{}", s.config().config_file);
  Line(out, "io_threads_active:0");
}

void WriteClients(Server& s, std::string& out) {
  size_t biggest_in = 0, biggest_out = 0;
  for (const daemon::Connection* c : s.clients()) {
    biggest_in = std::max(biggest_in, c->query_buffer_size());
    biggest_out = std::max(biggest_out, c->output().memory());
  }
  Line(out, "connected_clients:{}", s.clients().size());
  Line(out, "cluster_connections:0");
  Line(out, "maxclients:{}", s.config().maxclients);
  Line(out, "client_recent_max_input_buffer:{}", biggest_in);
  Line(out, "client_recent_max_output_buffer:{}", biggest_out);
  Line(out, "blocked_clients:{}", s.blocking().size());
  Line(out, "tracking_clients:0");
  Line(out, "clients_in_timeout_table:0");
}

void WriteMemory(Server& s, std::string& out) {
  const auto used = static_cast<uint64_t>(s.UsedMemory());
  const auto peak = static_cast<uint64_t>(s.PeakMemory());
  const uint64_t rss = RssBytes();
  Line(out, "used_memory:{}", used);
  Line(out, "used_memory_human:{}", HumanBytes(used));
  Line(out, "used_memory_rss:{}", rss);
  Line(out, "used_memory_rss_human:{}", HumanBytes(rss));
  Line(out, "used_memory_peak:{}", peak);
  // The dataset is what the keys and values hold; the rest (the keyspace's bucket arrays,
  // clients, buffers, the server itself) is overhead, as Redis splits it.
  const daemon::Keyspace& ks = s.keyspace();
  const uint64_t dataset = std::min<uint64_t>(ks.dataset_bytes(), used);
  Line(out, "used_memory_overhead:{}", used - dataset);
  Line(out, "used_memory_dataset:{}", dataset);
  Line(out, "used_memory_dataset_perc:{:.2f}%", used ? 100.0 * dataset / used : 0.0);
  Line(out, "used_memory_keys_table:{}", ks.table_bytes());
  // Scripting's memory, under Redis's names (redis_exporter reads them here).
  daemon::ScriptRunner& scripts = s.scripts();
  const uint64_t vm_eval = scripts.scripts().engine().memory();
  const uint64_t vm_functions = scripts.functions().engine().memory();
  const uint64_t scripts_eval = scripts.scripts().memory();
  const uint64_t functions = scripts.functions().memory();
  Line(out, "used_memory_lua:{}", vm_eval);
  Line(out, "used_memory_vm_eval:{}", vm_eval);
  Line(out, "used_memory_lua_human:{}", HumanBytes(vm_eval));
  Line(out, "used_memory_scripts_eval:{}", scripts_eval);
  Line(out, "number_of_cached_scripts:{}", scripts.scripts().size());
  Line(out, "number_of_functions:{}", scripts.functions().function_count());
  Line(out, "number_of_libraries:{}", scripts.functions().libraries().size());
  Line(out, "used_memory_vm_functions:{}", vm_functions);
  Line(out, "used_memory_vm_total:{}", vm_eval + vm_functions);
  Line(out, "used_memory_vm_total_human:{}", HumanBytes(vm_eval + vm_functions));
  Line(out, "used_memory_functions:{}", functions);
  Line(out, "used_memory_scripts:{}", scripts_eval + functions);
  Line(out, "used_memory_scripts_human:{}", HumanBytes(scripts_eval + functions));
  Line(out, "maxmemory:{}", s.config().maxmemory);
  Line(out, "maxmemory_human:{}", HumanBytes(static_cast<uint64_t>(s.config().maxmemory)));
  Line(out, "maxmemory_policy:{}", s.config().maxmemory_policy);
  Line(out, "mem_fragmentation_ratio:{:.2f}", used ? static_cast<double>(rss) / used : 0.0);
  Line(out, "mem_allocator:libc");
  Line(out, "lazyfree_pending_objects:{}", ks.lazy_free().pending());
  Line(out, "lazyfreed_objects:{}", ks.lazy_free().freed());
}

void WritePersistence(Server& s, std::string& out) {
  const daemon::KeyspaceLog& log = s.persistence();
  const daemon::KeyspaceLog::LoadStats& load = log.load_stats();
  Line(out, "loading:{}", log.loading() ? 1 : 0);
  Line(out, "async_loading:0");
  if (log.loading()) {
    // As Redis: the progress of the load, and at this pace the seconds left.
    const double done = load.total_bytes ? static_cast<double>(load.loaded_bytes) /
                                               static_cast<double>(load.total_bytes)
                                         : 1.0;
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    const double elapsed_s = static_cast<double>(now_ms - load.start_unix_ms) / 1000.0;
    Line(out, "loading_start_time:{}", load.start_unix_ms / 1000);
    Line(out, "loading_total_bytes:{}", load.total_bytes);
    Line(out, "loading_loaded_bytes:{}", load.loaded_bytes);
    Line(out, "loading_loaded_perc:{:.2f}", 100.0 * done);
    Line(out, "loading_eta_seconds:{}",
         done > 0 ? static_cast<int64_t>(elapsed_s * (1 - done) / done) : 1);
  }
  Line(out, "rdb_changes_since_last_save:0");
  Line(out, "rdb_bgsave_in_progress:0");
  Line(out, "rdb_last_save_time:{}", s.start_ms() / 1000);
  Line(out, "rdb_last_bgsave_status:ok");
  Line(out, "aof_enabled:{}", log.enabled() || log.loading() ? 1 : 0);
  Line(out, "aof_rewrite_in_progress:{}", log.rewriting() ? 1 : 0);
  Line(out, "aof_rewrite_scheduled:0");
  Line(out, "aof_last_rewrite_time_sec:-1");
  Line(out, "aof_current_rewrite_time_sec:-1");
  Line(out, "aof_rewrites:{}", log.rewrites());
  Line(out, "aof_last_bgrewrite_status:{}", log.last_rewrite_ok() ? "ok" : "err");
  Line(out, "aof_last_write_status:{}", log.file().last_write_ok() ? "ok" : "err");
  if (!log.enabled()) return;
  Line(out, "aof_current_size:{}", log.file().size());
  Line(out, "aof_base_size:{}", log.base_size());
  Line(out, "aof_fsync_policy:{}", s.config().appendfsync);
  Line(out, "aof_fsyncs:{}", log.file().fsyncs());
  Line(out, "aof_last_fsync_time:{}", log.file().last_fsync_ms() / 1000);
  Line(out, "aof_loaded_records:{}", load.records);
  Line(out, "aof_loaded_truncated_bytes:{}", load.truncated);
}

void WriteStats(Server& s, std::string& out) {
  const daemon::Stats& st = s.stats();
  uint64_t ops = 0;
  for (uint64_t v : st.ops_samples) ops += v;
  Line(out, "total_connections_received:{}", st.connections_received);
  Line(out, "total_commands_processed:{}", st.commands_processed);
  Line(out, "instantaneous_ops_per_sec:{}", ops / daemon::Stats::kSamples);
  Line(out, "total_net_input_bytes:{}", st.net_input_bytes);
  Line(out, "total_net_output_bytes:{}", st.net_output_bytes);
  Line(out, "rejected_connections:{}", st.rejected_connections);
  const daemon::KeyspaceStats& ks = s.keyspace().stats();
  Line(out, "expired_keys:{}", ks.expired_keys);
  Line(out, "expired_stale_perc:{:.2f}", ks.expired_stale_perc);
  Line(out, "expired_time_cap_reached_count:{}", ks.expire_cycle_time_cap_reached);
  Line(out, "evicted_keys:{}", s.keyspace().stats().evicted_keys);
  Line(out, "keyspace_hits:{}", ks.hits);
  Line(out, "keyspace_misses:{}", ks.misses);
  const daemon::PubSub& pubsub = s.pubsub();
  Line(out, "pubsub_channels:{}", pubsub.names(daemon::SubscriptionKind::kChannel));
  Line(out, "pubsub_patterns:{}", pubsub.names(daemon::SubscriptionKind::kPattern));
  Line(out, "pubsubshard_channels:{}", pubsub.names(daemon::SubscriptionKind::kShard));
  Line(out, "total_error_replies:{}", st.error_replies);
  Line(out, "client_query_buffer_limit_disconnections:{}", st.client_qbuf_limit_disconnections);
  Line(out, "client_output_buffer_limit_disconnections:{}", st.client_outbuf_limit_disconnections);
}

void WriteReplication(Server& s, std::string& out) {
  Line(out, "role:master");
  Line(out, "connected_slaves:0");
  Line(out, "master_replid:{}", s.run_id());
  Line(out, "master_repl_offset:0");
}

void WriteCpu(Server&, std::string& out) {
  rusage self{};
  getrusage(RUSAGE_SELF, &self);
  auto secs = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  Line(out, "used_cpu_sys:{:.6f}", secs(self.ru_stime));
  Line(out, "used_cpu_user:{:.6f}", secs(self.ru_utime));
}

void WriteErrorstats(Server& s, std::string& out) {
  std::vector<std::pair<std::string_view, uint64_t>> rows(s.stats().errors_by_code.begin(),
                                                          s.stats().errors_by_code.end());
  std::sort(rows.begin(), rows.end());
  for (auto [code, count] : rows) Line(out, "errorstat_{}:count={}", code, count);
}

void WriteCluster(Server& s, std::string& out) {
  const daemon::Cluster& c = s.cluster();
  Line(out, "cluster_enabled:{}", c.enabled() ? 1 : 0);
  if (!c.enabled()) return;
  const daemon::ClusterStats& st = s.stats().cluster;
  Line(out, "cluster_epoch:{}", c.epoch());
  Line(out, "cluster_members:{}", c.map().nodes().size());
  Line(out, "cluster_member:{}", c.self() >= 0 ? 1 : 0);
  Line(out, "cluster_slots_served:{}", c.SlotsServed());
  Line(out, "cluster_slots_in_transition:{}", c.slots_in_transition());
  Line(out, "cluster_slots_sending:{}", c.slots_sending());
  Line(out, "cluster_slots_receiving:{}", c.slots_receiving());
  Line(out, "cluster_forward:{}", s.config().cluster_forward ? 1 : 0);
  Line(out, "cluster_moved:{}", st.moved);
  Line(out, "cluster_ask:{}", st.ask);
  Line(out, "cluster_tryagain:{}", st.tryagain);
  Line(out, "cluster_forwarded:{}", st.forwarded);
  Line(out, "cluster_forward_failures:{}", st.forward_failures);
  Line(out, "cluster_published:{}", st.published);
  Line(out, "cluster_publish_failures:{}", st.publish_failures);
  Line(out, "cluster_keys_sent:{}", st.keys_sent);
  Line(out, "cluster_keys_received:{}", st.keys_received);
  Line(out, "cluster_batches_sent:{}", st.batches_sent);
  Line(out, "cluster_batches_failed:{}", st.batches_failed);
  Line(out, "cluster_transfers_active:{}", s.resharding().active());
}

void WriteKeyspace(Server& s, std::string& out) {
  const daemon::Keyspace& ks = s.keyspace();
  if (ks.size() > 0) {
    Line(out, "db0:keys={},expires={},avg_ttl={}", ks.size(), ks.volatile_count(),
         ks.AverageTtlMs());
  }
}

void WriteCommandstats(Server& s, std::string& out) {
  auto row = [&out](const daemon::CommandSpec& c) {
    if (c.calls == 0 && c.failed_calls == 0 && c.rejected_calls == 0) return;
    Line(out, "cmdstat_{}:calls={},usec={},usec_per_call={:.2f},rejected_calls={},failed_calls={}",
         c.fullname, c.calls, c.usec, c.calls ? static_cast<double>(c.usec) / c.calls : 0.0,
         c.rejected_calls, c.failed_calls);
  };
  for (const daemon::CommandSpec* c : s.commands().all()) {
    row(*c);
    for (const daemon::CommandSpec* sub : c->subcommand_order) row(*sub);
  }
}

// The core sections are about the server itself: each reads it whole.
template <void (*write)(Server&, std::string&)>
void OfServer(daemon::HandlerServices& services, std::string& out) {
  write(services.server, out);
}

}  // namespace

void RegisterCoreInfoSections(daemon::InfoRegistry& info) {
  info.Add({"Server", true, OfServer<WriteServer>});
  info.Add({"Clients", true, OfServer<WriteClients>});
  info.Add({"Memory", true, OfServer<WriteMemory>});
  info.Add({"Persistence", true, OfServer<WritePersistence>});
  info.Add({"Stats", true, OfServer<WriteStats>});
  info.Add({"Replication", true, OfServer<WriteReplication>});
  info.Add({"CPU", true, OfServer<WriteCpu>});
  info.Add({"Errorstats", true, OfServer<WriteErrorstats>});
  info.Add({"Cluster", true, OfServer<WriteCluster>});
  info.Add({"Keyspace", true, OfServer<WriteKeyspace>});
  info.Add({"Commandstats", false, OfServer<WriteCommandstats>});
}

std::string RenderInfo(Server& server, const std::vector<std::string>& wanted) {
  bool all = false, defaults = wanted.empty();
  for (const auto& w : wanted) {
    all = all || w == "all" || w == "everything";
    defaults = defaults || w == "default";
  }
  std::string out;
  for (const daemon::InfoSection& section : server.info_sections().all()) {
    std::string lower = protocol::ToLower(section.name);
    bool named = std::find(wanted.begin(), wanted.end(), lower) != wanted.end();
    if (!(all || named || (defaults && section.in_default))) continue;
    if (!out.empty()) out += "\r\n";
    out += "# ";
    out += section.name;
    out += "\r\n";
    section.write(server.services(), out);
  }
  return out;
}

}  // namespace pylon::core
