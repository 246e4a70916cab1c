// The table of directives and the parse/format helpers per value kind.
#include "daemon/config_directives.h"

#include <arpa/inet.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <iterator>

#include "daemon/keyspace_events.h"
#include "protocol/text.h"

namespace pylon::daemon {

using protocol::EqualsIgnoreCase;

bool ParseMemory(std::string_view s, int64_t* bytes) {
  size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') digits++;
  if (digits == 0) return false;
  struct Unit {
    std::string_view suffix;
    int64_t multiplier;
  };
  // As Redis's memtoull: the bare letter is a power of 1000, with "b" a power of 1024.
  static constexpr Unit kUnits[] = {
      {"", 1},
      {"b", 1},
      {"k", 1000},
      {"kb", 1024},
      {"m", 1000 * 1000},
      {"mb", 1024 * 1024},
      {"g", 1000LL * 1000 * 1000},
      {"gb", 1024LL * 1024 * 1024},
  };
  const std::string_view suffix = s.substr(digits);
  int64_t multiplier = 0;
  for (const Unit& unit : kUnits) {
    if (EqualsIgnoreCase(suffix, unit.suffix)) multiplier = unit.multiplier;
  }
  if (multiplier == 0) return false;
  int64_t value = 0;
  for (size_t i = 0; i < digits; i++) {
    const int digit = s[i] - '0';
    if (value > (INT64_MAX - digit) / 10) return false;
    value = value * 10 + digit;
  }
  if (value > INT64_MAX / multiplier) return false;
  *bytes = value * multiplier;
  return true;
}

namespace config_internal {
namespace {

// Redis 7.0's levels ("nothing" came with 7.2).
constexpr std::string_view kLogLevels[] = {"debug", "verbose", "notice", "warning"};
// Redis's, and the exact-structure policies Pylon adds (daemon/eviction.h).
constexpr std::string_view kPolicies[] = {"volatile-lru",   "volatile-lfu",   "volatile-random",
                                          "volatile-ttl",   "allkeys-lru",    "allkeys-lfu",
                                          "allkeys-random", "noeviction",     "allkeys-sieve",
                                          "allkeys-s3fifo", "volatile-sieve", "volatile-s3fifo"};
constexpr std::string_view kEmpty[] = {""};
constexpr std::string_view kFsyncPolicies[] = {"always", "everysec", "no"};
constexpr std::string_view kNo[] = {"no"};
constexpr std::string_view kOne[] = {"1"};
constexpr std::string_view kClassNames[] = {"normal", "slave", "pubsub"};  // Redis 7.0 prints these

constexpr int64_t kMb = 1024 * 1024;
// The longest queue time, as modules/queue/queue.h's kMaxTimeMs (the config depends on no family).
constexpr int64_t kMaxQueueMs = int64_t{1} << 42;
constexpr size_t kMaxBindAddresses = 16;  // Redis's CONFIG_BINDADDR_MAX
// The largest Bloom filter, as modules/bloom/bloom_filter.h's kMaxBytes.
constexpr int64_t kMaxBloomBytes = int64_t{1} << 31;

// Sorted by name: CONFIG GET answers in this order. One row per directive, so it stays a table.
// clang-format off
constexpr Directive kDirectives[] = {
    {.name = "aof-load-corrupt", .kind = Kind::kBool, .is_mutable = true,
     .field = &Config::aof_load_corrupt},
    {.name = "appendfilename", .kind = Kind::kString, .is_mutable = false,
     .field = &Config::appendfilename},
    {.name = "appendfsync", .kind = Kind::kEnum, .is_mutable = true, .field = &Config::appendfsync,
     .choices = kFsyncPolicies},
    {.name = "appendonly", .kind = Kind::kBool, .is_mutable = true, .field = &Config::appendonly},
    {.name = "auto-aof-rewrite-min-size", .kind = Kind::kMemory, .is_mutable = true,
     .field = &Config::auto_aof_rewrite_min_size, .min = 0, .max = INT64_MAX},
    {.name = "auto-aof-rewrite-percentage", .kind = Kind::kInt, .is_mutable = true,
     .field = &Config::auto_aof_rewrite_percentage, .min = 0, .max = INT_MAX},
    {.name = "bf-max-memory", .kind = Kind::kMemory, .is_mutable = true,
     .field = &Config::bf_max_memory, .min = 0, .max = kMaxBloomBytes},
    {.name = "bind", .kind = Kind::kBind, .is_mutable = true, .multi = true},
    {.name = "busy-reply-threshold", .kind = Kind::kInt, .is_mutable = true,
     .field = &Config::busy_reply_threshold, .min = 0, .max = INT64_MAX,
     .alias = "lua-time-limit"},
    {.name = "client-output-buffer-limit", .kind = Kind::kOutputLimits, .is_mutable = true,
     .multi = true},
    {.name = "client-query-buffer-limit", .kind = Kind::kMemory, .is_mutable = true,
     .field = &Config::client_query_buffer_limit, .min = kMb, .max = INT64_MAX},
    {.name = "cluster-enabled", .kind = Kind::kBool, .is_mutable = false,
     .field = &Config::cluster_enabled},
    {.name = "cluster-epoch", .kind = Kind::kInt, .is_mutable = false,
     .field = &Config::cluster_epoch, .min = 0, .max = INT64_MAX},
    {.name = "cluster-forward", .kind = Kind::kBool, .is_mutable = true,
     .field = &Config::cluster_forward},
    {.name = "cluster-node-timeout", .kind = Kind::kInt, .is_mutable = true,
     .field = &Config::cluster_node_timeout, .min = 1, .max = 3600000},
    {.name = "cluster-nodes", .kind = Kind::kWords, .is_mutable = false,
     .field = &Config::cluster_nodes, .multi = true},
    {.name = "daemonize", .kind = Kind::kFixed, .is_mutable = false, .choices = kNo,
     .refusal = "pylond runs in the foreground; only 'no' is accepted (use a service manager)"},
    {.name = "databases", .kind = Kind::kFixed, .is_mutable = false, .choices = kOne,
     .refusal = "Pylon has a single database; only 1 is accepted"},
    {.name = "dir", .kind = Kind::kString, .is_mutable = false, .field = &Config::dir},
    {.name = "enable-test-clock", .kind = Kind::kBool, .is_mutable = false,
     .field = &Config::enable_test_clock},
    {.name = "hash-max-listpack-entries", .kind = Kind::kInt, .is_mutable = true,
     .field = &Config::hash_max_listpack_entries, .min = 0, .max = INT64_MAX,
     .alias = "hash-max-ziplist-entries"},
    {.name = "hash-max-listpack-value", .kind = Kind::kInt, .is_mutable = true,
     .field = &Config::hash_max_listpack_value, .min = 0, .max = INT64_MAX,
     .alias = "hash-max-ziplist-value"},
    {.name = "hz", .kind = Kind::kInt, .is_mutable = true, .field = &Config::hz,
     .min = 1, .max = 500},
    {.name = "key-load-delay", .kind = Kind::kInt, .is_mutable = true,
     .field = &Config::key_load_delay, .min = 0, .max = 1000000},
    {.name = "lfu-decay-time", .kind = Kind::kInt, .is_mutable = true,
     .field = &Config::lfu_decay_time, .min = 0, .max = INT_MAX},
    {.name = "lfu-log-factor", .kind = Kind::kInt, .is_mutable = true,
     .field = &Config::lfu_log_factor, .min = 0, .max = INT_MAX},
    {.name = "list-compress-depth", .kind = Kind::kInt, .is_mutable = true,
     .field = &Config::list_compress_depth, .min = 0, .max = INT_MAX},
    {.name = "list-max-listpack-size", .kind = Kind::kInt, .is_mutable = true,
     .field = &Config::list_max_listpack_size, .min = INT_MIN, .max = INT_MAX,
     .alias = "list-max-ziplist-size"},
    {.name = "loading-process-events-interval-bytes", .kind = Kind::kMemory, .is_mutable = true,
     .field = &Config::loading_process_events_interval_bytes, .min = 1024, .max = INT64_MAX},
    {.name = "logfile", .kind = Kind::kString, .is_mutable = false, .field = &Config::logfile},
    {.name = "loglevel", .kind = Kind::kEnum, .is_mutable = true, .field = &Config::loglevel,
     .choices = kLogLevels},
    {.name = "maxclients", .kind = Kind::kInt, .is_mutable = true, .field = &Config::maxclients,
     .min = 1, .max = INT_MAX},
    {.name = "maxmemory", .kind = Kind::kMemory, .is_mutable = true, .field = &Config::maxmemory,
     .min = 0, .max = INT64_MAX},
    {.name = "maxmemory-policy", .kind = Kind::kEnum, .is_mutable = true,
     .field = &Config::maxmemory_policy, .choices = kPolicies},
    {.name = "notify-keyspace-events", .kind = Kind::kKeyspaceEvents, .is_mutable = true,
     .field = &Config::notify_keyspace_events},
    {.name = "pidfile", .kind = Kind::kString, .is_mutable = false, .field = &Config::pidfile},
    {.name = "port", .kind = Kind::kInt, .is_mutable = true, .field = &Config::port,
     .min = 0, .max = 65535},
    {.name = "protected-mode", .kind = Kind::kBool, .is_mutable = true,
     .field = &Config::protected_mode},
    {.name = "proto-max-bulk-len", .kind = Kind::kMemory, .is_mutable = true,
     .field = &Config::proto_max_bulk_len, .min = kMb, .max = UINT32_MAX},
    {.name = "queue-backoff-base-ms", .kind = Kind::kInt, .is_mutable = true,
     .field = &Config::queue_backoff_base_ms, .min = 0, .max = kMaxQueueMs},
    {.name = "queue-backoff-cap-ms", .kind = Kind::kInt, .is_mutable = true,
     .field = &Config::queue_backoff_cap_ms, .min = 0, .max = kMaxQueueMs},
    {.name = "queue-lease-ms", .kind = Kind::kInt, .is_mutable = true,
     .field = &Config::queue_lease_ms, .min = 1, .max = kMaxQueueMs},
    {.name = "queue-max-deliver", .kind = Kind::kInt, .is_mutable = true,
     .field = &Config::queue_max_deliver, .min = 0, .max = UINT32_MAX},
    {.name = "queue-retention-ms", .kind = Kind::kInt, .is_mutable = true,
     .field = &Config::queue_retention_ms, .min = 1, .max = kMaxQueueMs},
    {.name = "requirepass", .kind = Kind::kString, .is_mutable = true,
     .field = &Config::requirepass},
    {.name = "save", .kind = Kind::kFixed, .is_mutable = true, .choices = kEmpty,
     .refusal = "Pylon has no RDB snapshots; only save \"\" is accepted", .multi = true},
    {.name = "set-max-intset-entries", .kind = Kind::kInt, .is_mutable = true,
     .field = &Config::set_max_intset_entries, .min = 0, .max = INT64_MAX},
    {.name = "tcp-backlog", .kind = Kind::kInt, .is_mutable = false, .field = &Config::tcp_backlog,
     .min = 0, .max = INT_MAX},
    {.name = "tcp-keepalive", .kind = Kind::kInt, .is_mutable = true,
     .field = &Config::tcp_keepalive, .min = 0, .max = INT_MAX},
    {.name = "timeout", .kind = Kind::kInt, .is_mutable = true, .field = &Config::timeout,
     .min = 0, .max = INT_MAX},
    {.name = "unixsocket", .kind = Kind::kString, .is_mutable = false,
     .field = &Config::unixsocket},
    {.name = "unixsocketperm", .kind = Kind::kOctal, .is_mutable = false,
     .field = &Config::unixsocketperm, .min = 0, .max = 0777},
    {.name = "zset-max-listpack-entries", .kind = Kind::kInt, .is_mutable = true,
     .field = &Config::zset_max_listpack_entries, .min = 0, .max = INT64_MAX,
     .alias = "zset-max-ziplist-entries"},
    {.name = "zset-max-listpack-value", .kind = Kind::kInt, .is_mutable = true,
     .field = &Config::zset_max_listpack_value, .min = 0, .max = INT64_MAX,
     .alias = "zset-max-ziplist-value"},
};
// clang-format on

std::string JoinChoices(std::span<const std::string_view> choices) {
  std::string out;
  for (auto c : choices) {
    if (!out.empty()) out += ", ";
    out += c;
  }
  return out;
}

// 1048576 -> "1mb": limits read better in the units the file uses.
std::string HumanMemory(int64_t bytes) {
  if (bytes > 0 && bytes % (1LL << 30) == 0) return std::to_string(bytes >> 30) + "gb";
  if (bytes > 0 && bytes % (1LL << 20) == 0) return std::to_string(bytes >> 20) + "mb";
  if (bytes > 0 && bytes % (1LL << 10) == 0) return std::to_string(bytes >> 10) + "kb";
  return std::to_string(bytes);
}

std::string RangeReason(const Directive& d) {
  return "argument must be between " + std::to_string(d.min) + " and " + std::to_string(d.max) +
         " inclusive";
}

int64_t LoadNumber(const Directive& d, const Config& c) {
  if (auto p = std::get_if<int Config::*>(&d.field)) return c.**p;
  if (auto p = std::get_if<int64_t Config::*>(&d.field)) return c.**p;
  return 0;
}

void StoreNumber(const Directive& d, int64_t v, Config* c) {
  // The table's ranges keep v within an int for int fields.
  if (auto p = std::get_if<int Config::*>(&d.field)) c->** p = static_cast<int>(v);
  if (auto p = std::get_if<int64_t Config::*>(&d.field)) c->** p = v;
}

bool ParseOctal(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 12) return false;
  int64_t v = 0;
  for (char ch : s) {
    if (ch < '0' || ch > '7') return false;
    v = v * 8 + (ch - '0');
  }
  *out = v;
  return true;
}

bool ParseNumber(const Directive& d, const std::string& arg, int64_t* v, std::string* reason) {
  bool ok = d.kind == Kind::kInt      ? protocol::ParseInt64(arg, v)
            : d.kind == Kind::kMemory ? ParseMemory(arg, v)
                                      : ParseOctal(arg, v);
  if (!ok) {
    *reason = d.kind == Kind::kMemory ? "argument must be a memory value"
                                      : "argument couldn't be parsed into an integer";
    return false;
  }
  if (*v < d.min || *v > d.max) {
    *reason = RangeReason(d);
    return false;
  }
  return true;
}

// "1.2.3.4", "::1", "*", "::*", each optionally "-"-prefixed (may be missing on this host).
bool ValidBindAddress(std::string_view addr) {
  if (!addr.empty() && addr[0] == '-') addr.remove_prefix(1);
  if (addr == "*" || addr == "::*") return true;
  std::string s(addr);
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool ParseBind(const std::vector<std::string>& args, Config* c, std::string* reason) {
  if (args.empty()) {
    *reason = "at least one address is required";
    return false;
  }
  if (args.size() > kMaxBindAddresses) {
    *reason = "Too many bind addresses specified.";
    return false;
  }
  for (const auto& a : args) {
    if (!ValidBindAddress(a)) {
      *reason = "invalid bind address '" + a + "'";
      return false;
    }
  }
  c->bind = args;
  return true;
}

bool ParseOutputLimits(const std::vector<std::string>& args, Config* c, std::string* reason) {
  if (args.size() % 4 != 0) {
    *reason = "Wrong number of arguments in buffer limit configuration.";
    return false;
  }
  // Into a copy first: one bad group leaves every class as it was.
  OutputBufferLimit limits[3];
  std::copy(std::begin(c->output_limits), std::end(c->output_limits), limits);
  for (size_t i = 0; i < args.size(); i += 4) {
    ClientClass cls;
    if (EqualsIgnoreCase(args[i], "normal")) {
      cls = ClientClass::kNormal;
    } else if (EqualsIgnoreCase(args[i], "replica") || EqualsIgnoreCase(args[i], "slave")) {
      cls = ClientClass::kReplica;
    } else if (EqualsIgnoreCase(args[i], "pubsub")) {
      cls = ClientClass::kPubsub;
    } else {
      *reason = "Invalid client class specified in buffer limit configuration.";
      return false;
    }
    int64_t hard, soft, seconds;
    if (!ParseMemory(args[i + 1], &hard) || !ParseMemory(args[i + 2], &soft) ||
        !protocol::ParseInt64(args[i + 3], &seconds) || seconds < 0) {
      *reason = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
      return false;
    }
    limits[static_cast<int>(cls)] = {static_cast<uint64_t>(hard), static_cast<uint64_t>(soft),
                                     seconds};
  }
  std::copy(std::begin(limits), std::end(limits), c->output_limits);
  return true;
}

std::string FormatOutputLimits(const Config& c) {
  std::string out;
  for (int i = 0; i < 3; i++) {
    const OutputBufferLimit& l = c.output_limits[i];
    if (!out.empty()) out += ' ';
    out += std::string(kClassNames[i]) + ' ' + std::to_string(l.hard_bytes) + ' ' +
           std::to_string(l.soft_bytes) + ' ' + std::to_string(l.soft_seconds);
  }
  return out;
}

}  // namespace

std::span<const Directive> Directives() { return kDirectives; }

const Directive* FindDirective(std::string_view name) {
  for (const Directive& d : kDirectives) {
    if (EqualsIgnoreCase(name, d.name) || (!d.alias.empty() && EqualsIgnoreCase(name, d.alias))) {
      return &d;
    }
  }
  return nullptr;
}

bool ParseValue(const Directive& d, const std::vector<std::string>& args, Config* config,
                std::string* reason) {
  switch (d.kind) {
    case Kind::kBind:
      return ParseBind(args, config, reason);
    case Kind::kOutputLimits:
      return ParseOutputLimits(args, config, reason);
    case Kind::kWords:
      // `cluster-nodes ""` states the empty list, as `save ""` does.
      if (auto p = std::get_if<std::vector<std::string> Config::*>(&d.field)) {
        std::vector<std::string>& words = config->**p;
        words.clear();
        for (const std::string& a : args) {
          if (!a.empty()) words.push_back(a);
        }
      }
      return true;
    case Kind::kKeyspaceEvents: {
      uint32_t flags = 0;
      if (args.size() != 1 || !ParseKeyspaceEvents(args[0], &flags)) {
        *reason = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";
        return false;
      }
      if (auto p = std::get_if<int Config::*>(&d.field)) config->** p = static_cast<int>(flags);
      return true;
    }
    case Kind::kFixed:
      if (EqualsIgnoreCase(Join(args), d.choices[0])) return true;
      *reason = d.refusal;
      return false;
    default:
      break;
  }
  // The remaining kinds take exactly one argument; callers check arity, this is a safety net.
  if (args.size() != 1) {
    *reason = "wrong number of arguments";
    return false;
  }
  const std::string& arg = args[0];
  switch (d.kind) {
    case Kind::kInt:
    case Kind::kMemory:
    case Kind::kOctal: {
      int64_t v;
      if (!ParseNumber(d, arg, &v, reason)) return false;
      StoreNumber(d, v, config);
      return true;
    }
    case Kind::kBool: {
      const bool yes = EqualsIgnoreCase(arg, "yes");
      if (!yes && !EqualsIgnoreCase(arg, "no")) {
        *reason = "argument must be 'yes' or 'no'";
        return false;
      }
      if (auto p = std::get_if<bool Config::*>(&d.field)) config->** p = yes;
      return true;
    }
    case Kind::kEnum:
      for (auto choice : d.choices) {
        if (EqualsIgnoreCase(arg, choice)) {
          if (auto p = std::get_if<std::string Config::*>(&d.field)) config->** p = choice;
          return true;
        }
      }
      *reason = "argument(s) must be one of the following: " + JoinChoices(d.choices);
      return false;
    case Kind::kString:
      if (auto p = std::get_if<std::string Config::*>(&d.field)) config->** p = arg;
      return true;
    default:
      return false;
  }
}

std::string FormatValue(const Directive& d, const Config& config) {
  switch (d.kind) {
    case Kind::kInt:
    case Kind::kMemory:
      return std::to_string(LoadNumber(d, config));
    case Kind::kOctal: {
      char buf[24];
      std::snprintf(buf, sizeof(buf), "%llo",
                    static_cast<unsigned long long>(LoadNumber(d, config)));
      return buf;
    }
    case Kind::kBool: {
      auto p = std::get_if<bool Config::*>(&d.field);
      return p && config.**p ? "yes" : "no";
    }
    case Kind::kEnum:
    case Kind::kString: {
      auto p = std::get_if<std::string Config::*>(&d.field);
      return p ? config.**p : "";
    }
    case Kind::kFixed:
      return std::string(d.choices[0]);
    case Kind::kBind:
      return Join(config.bind);
    case Kind::kOutputLimits:
      return FormatOutputLimits(config);
    case Kind::kWords: {
      auto p = std::get_if<std::vector<std::string> Config::*>(&d.field);
      return p ? Join(config.**p) : "";
    }
    case Kind::kKeyspaceEvents: {
      auto p = std::get_if<int Config::*>(&d.field);
      return p ? FormatKeyspaceEvents(static_cast<uint32_t>(config.**p)) : "";
    }
  }
  return "";
}

std::string Join(const std::vector<std::string>& args) {
  std::string out;
  for (const auto& a : args) {
    if (!out.empty()) out += ' ';
    out += a;
  }
  return out;
}

std::string Expectation(const Directive& d) {
  switch (d.kind) {
    case Kind::kInt:
      if (d.max == INT_MAX || d.max == INT64_MAX) {
        return "must be an integer >= " + std::to_string(d.min);
      }
      return "must be " + std::to_string(d.min) + ".." + std::to_string(d.max);
    case Kind::kMemory:
      if (d.min > 0) return "must be a memory value >= " + HumanMemory(d.min) + ", e.g. 512mb";
      return "must be a memory value, e.g. 100mb";
    case Kind::kOctal:
      return "must be an octal file mode, e.g. 700";
    case Kind::kBool:
      return "must be yes or no";
    case Kind::kEnum:
      return "must be one of " + JoinChoices(d.choices);
    default:
      return "";
  }
}

}  // namespace config_internal
}  // namespace pylon::daemon
