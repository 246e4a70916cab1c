// pylond's configuration: redis.conf syntax (directive arg ..., quotes, include), command-line
// overrides (pylond [file] [--directive value ...]), and the one table of directives that start-up,
// CONFIG GET and CONFIG SET all use.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pylon::daemon {

// client-output-buffer-limit <class> <hard> <soft> <soft-seconds>, per client class.
struct OutputBufferLimit {
  uint64_t hard_bytes = 0;   // 0: no limit
  uint64_t soft_bytes = 0;   // 0: no limit
  int64_t soft_seconds = 0;  // over soft for this long: disconnect
};
enum class ClientClass { kNormal = 0, kReplica = 1, kPubsub = 2 };

struct Config {
  std::vector<std::string> bind = {"127.0.0.1"};
  int port = 6379;  // 0: no TCP listener
  int tcp_backlog = 511;
  std::string unixsocket;  // empty: none
  int unixsocketperm = 0;  // octal in the file and in CONFIG GET ("700"); 0 keeps the umask's
  int maxclients = 10000;
  int timeout = 0;          // seconds a client may idle; 0: forever
  int tcp_keepalive = 300;  // seconds; 0: off
  std::string requirepass;  // empty: no password
  bool protected_mode = true;
  std::string loglevel = "notice";  // debug | verbose | notice | warning
  std::string logfile;              // empty: standard output
  std::string pidfile;              // empty: none
  int64_t proto_max_bulk_len = 512LL * 1024 * 1024;
  int64_t client_query_buffer_limit = 1024LL * 1024 * 1024;
  OutputBufferLimit output_limits[3] = {
      {0, 0, 0},                        // normal
      {256ULL << 20, 64ULL << 20, 60},  // replica
      {32ULL << 20, 8ULL << 20, 60},    // pubsub
  };
  int64_t maxmemory = 0;  // bytes; 0: no limit
  std::string maxmemory_policy = "noeviction";
  int lfu_log_factor = 10;  // LFU counter growth: higher, slower (hits for 255: ~1M at 10)
  int lfu_decay_time = 1;   // minutes per decrement of an idle key's LFU counter; 0: never
  int hz = 10;              // background tasks per second (client timeouts, buffer limits, stats)
  // A hash stays in its compact form (Redis's listpack) while it has at most this many fields
  // and none of its fields or values is longer than this many bytes (modules/hash/hash.h).
  int64_t hash_max_listpack_entries = 512;
  int64_t hash_max_listpack_value = 64;
  // Lists: a positive size is entries per packed node, -1..-5 its bytes (4, 8, 16, 32, 64 KB).
  int64_t list_max_listpack_size = -2;
  int64_t list_compress_depth = 0;
  int64_t set_max_intset_entries = 512;
  int64_t zset_max_listpack_entries = 128;
  int64_t zset_max_listpack_value = 64;
  // Milliseconds a script may run before other clients get -BUSY and SCRIPT KILL may stop it
  // (daemon/script_runner.h); 0: never busy.
  int64_t busy_reply_threshold = 5000;
  // The keyspace notification classes (daemon/keyspace_events.h); 0: none.
  int notify_keyspace_events = 0;
  // A new queue's settings (Q.CONFIG changes one queue's): lease, deliveries before dead
  // letters (0: never), the NACK backoff's base and cap, and how long a message may wait.
  int64_t queue_lease_ms = 30000;
  int64_t queue_max_deliver = 5;
  int64_t queue_backoff_base_ms = 1000;
  int64_t queue_backoff_cap_ms = 60000;
  int64_t queue_retention_ms = int64_t{4} * 24 * 3600 * 1000;
  // The most memory one Bloom filter may take (valkey-bloom's bloom-memory-usage-limit): a
  // BF.RESERVE, or a scale-out, past it is refused.
  int64_t bf_max_memory = 128LL * 1024 * 1024;
  // Test-only: the clock stands still and moves only by TESTCLOCK commands. Start-up only.
  bool enable_test_clock = false;
  // The append-only log (daemon/persistence.h).
  bool appendonly = false;
  std::string appendfilename = "appendonly.aof";
  std::string dir = ".";                  // where the log lives
  std::string appendfsync = "everysec";   // always | everysec | no
  bool aof_load_corrupt = false;          // start with what comes before a corrupt batch
  int auto_aof_rewrite_percentage = 100;  // rewrite once the log grew this much; 0: never
  int64_t auto_aof_rewrite_min_size = 64LL * 1024 * 1024;
  // Start-up replays the log in slices of this many bytes, answering clients (-LOADING) between
  // them; as Redis's.
  int64_t loading_process_events_interval_bytes = 2LL * 1024 * 1024;
  // Test-only, as Redis's: microseconds to wait after each record replayed (makes a load slow
  // enough to watch).
  int key_load_delay = 0;

  // Cluster mode (daemon/cluster.h): the static membership, "host:port[@weight]" words,
  // identical on every node, and its version. Start-up only (CLUSTER RELOAD reads them again).
  bool cluster_enabled = false;
  std::vector<std::string> cluster_nodes;
  int64_t cluster_epoch = 0;
  // cluster-forward: a request for another node's slot is relayed to it instead of answered
  // -MOVED; cluster-node-timeout: how long a node waits for another's reply (forwarding,
  // resharding) before it gives up on it.
  bool cluster_forward = false;
  int64_t cluster_node_timeout = 2000;

  std::string config_file;  // absolute path of the file read at start-up, "" if none
};

// Parses the arguments after the program name, `[config-file] [--directive value ...]`, into
// *config (reset to the defaults first). The first argument is the config file unless it starts
// with "--" ("-" reads the file from standard input); each --name takes the values up to the next
// --name. The file is read first, then the command-line directives override it. On error returns
// false and sets *error to one line naming the place, e.g.
//   "conf/pylon.conf:12: unknown directive 'prot'" or
//   "--port: invalid value for 'port': 'abc' (must be 0..65535)".
// --help / --version are handled by main, not here.
bool LoadConfig(const std::vector<std::string>& args, Config* config, std::string* error);

// Parses config text (the content of one file); include paths are resolved relative to the
// current directory as redis does (nesting deeper than 16 or a cycle is an error). `origin` names
// the text in error messages ("origin:line: ...").
bool ParseConfigText(std::string_view text, std::string_view origin, Config* config,
                     std::string* error);

// Applies one directive (name case-insensitive, args already split) to *config, which is left
// unchanged on error. *error then has no location: "unknown directive 'x'",
// "wrong number of arguments for 'x'" or "invalid value for 'x': 'v' (why)".
bool ApplyDirective(std::string_view name, const std::vector<std::string>& args, Config* config,
                    std::string* error);

// The CONFIG GET view: every directive matching the glob `pattern` (case-insensitive), with its
// current value formatted as redis does (memory in bytes, yes/no, the client-output-buffer-limit
// line "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", "save" as "", ...).
// Sorted by name. As Redis 7, a pattern without glob characters is an exact lookup and the reply
// names the directive as the caller spelled it ("PORT").
std::vector<std::pair<std::string, std::string>> ConfigGet(const Config& config,
                                                           std::string_view pattern);

// CONFIG SET: validates every pair first and applies none unless all are valid (Redis 7 does the
// same). Directives that only start-up may set (bind, port, unixsocket, enable-test-clock, ...)
// are refused. On success returns true and appends the (lower-case) names whose value changed to
// *changed, so the server can react (log level, hz ...). On failure *error is Redis's text, e.g.
//   "ERR Unknown option or number of arguments for CONFIG SET - 'foo'" or
//   "ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config".
// Lets the running server take a proposed configuration before it is committed (e.g. listen on
// a new port); returns false with the directive and Redis's reason when it cannot.
using ConfigApplier =
    std::function<bool(const Config& next, const std::vector<std::string>& changed,
                       std::string* name, std::string* reason)>;

bool ConfigSet(Config* config, const std::vector<std::pair<std::string, std::string>>& pairs,
               std::vector<std::string>* changed, std::string* error,
               const ConfigApplier& apply = nullptr);

// Parses a redis memory value: "100", "1k" (1000), "1kb" (1024), "1m", "1mb", "1g", "1gb",
// also "1b", case-insensitive. False on anything else (empty, signs, spaces, overflow of int64).
bool ParseMemory(std::string_view s, int64_t* bytes);

}  // namespace pylon::daemon
