// The configuration: file syntax, includes, the command line, every value kind, CONFIG GET and
// CONFIG SET (with Redis 7.0.15's error texts, checked against redis-server), and conf/pylon.conf.
#include "daemon/config.h"

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace pylon::daemon {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    const char* base = getenv("TMPDIR");
    std::string templ = std::string(base && *base ? base : "/tmp") + "/pylon-config-XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    REQUIRE(mkdtemp(buf.data()) != nullptr);
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  // Writes `content` to dir/name and returns the full path.
  std::string Write(const std::string& name, const std::string& content) const {
    const std::string file = path_ + "/" + name;
    std::ofstream(file) << content;
    return file;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs the scope in another working directory (includes are relative to it), then comes back.
class ChangeDir {
 public:
  explicit ChangeDir(const std::string& dir) {
    char buf[PATH_MAX];
    REQUIRE(getcwd(buf, sizeof(buf)) != nullptr);
    old_ = buf;
    REQUIRE(chdir(dir.c_str()) == 0);
  }
  ~ChangeDir() { (void)!chdir(old_.c_str()); }

 private:
  std::string old_;
};

// The error of parsing `text` as a file named "t.conf", or "" if it parsed.
std::string ParseError(const std::string& text, Config* config = nullptr) {
  Config scratch;
  std::string error;
  if (ParseConfigText(text, "t.conf", config ? config : &scratch, &error)) return "";
  return error;
}

Config Parse(const std::string& text) {
  Config config;
  std::string error;
  INFO(text);
  CHECK(ParseConfigText(text, "t.conf", &config, &error));
  CHECK(error.empty());
  return config;
}

std::string Get(const Config& config, const std::string& name) {
  auto found = ConfigGet(config, name);
  REQUIRE(found.size() == 1);
  return found[0].second;
}

std::string SetError(Config* config, const Pairs& pairs) {
  std::vector<std::string> changed;
  std::string error;
  if (ConfigSet(config, pairs, &changed, &error)) return "";
  return error;
}

std::map<std::string, std::string> All(const Config& config) {
  std::map<std::string, std::string> out;
  for (auto& [k, v] : ConfigGet(config, "*")) out[k] = v;
  return out;
}

std::string ConfPath() {
  // This file is tests/unit/config_test.cc; the shipped config is conf/pylon.conf.
  return (std::filesystem::path(__FILE__).parent_path() / ".." / ".." / "conf" / "pylon.conf")
      .lexically_normal()
      .string();
}

TEST_CASE("ParseMemory: units as Redis's memtoull", "[config]") {
  int64_t v = -1;
  const std::pair<const char*, int64_t> good[] = {
      {"0", 0},
      {"100", 100},
      {"1b", 1},
      {"1k", 1000},
      {"1kb", 1024},
      {"1K", 1000},
      {"1KB", 1024},
      {"1kB", 1024},
      {"2m", 2000000},
      {"2mb", 2 * 1024 * 1024},
      {"1g", 1000000000},
      {"1gb", 1024LL * 1024 * 1024},
      {"3GB", 3 * 1024LL * 1024 * 1024},
      {"007", 7},
      {"9223372036854775807", INT64_MAX},
      {"8589934591gb", 8589934591LL * 1024 * 1024 * 1024},
  };
  for (const auto& [text, bytes] : good) {
    INFO(text);
    CHECK(ParseMemory(text, &v));
    CHECK(v == bytes);
  }
  for (const char* bad : {"", "-1", "+1", " 1", "1 ", "1.5mb", "mb", "1tb", "1kbb", "1 kb", "0x10",
                          "9223372036854775808", "8589934592gb", "99999999999999999999"}) {
    INFO(bad);
    CHECK_FALSE(ParseMemory(bad, &v));
  }
}

TEST_CASE("Defaults as CONFIG GET shows them, sorted by name", "[config]") {
  const Config config;
  const Pairs expected = {
      {"aof-load-corrupt", "no"},
      {"appendfilename", "appendonly.aof"},
      {"appendfsync", "everysec"},
      {"appendonly", "no"},
      {"auto-aof-rewrite-min-size", "67108864"},
      {"auto-aof-rewrite-percentage", "100"},
      {"bf-max-memory", "134217728"},
      {"bind", "127.0.0.1"},
      {"busy-reply-threshold", "5000"},
      {"client-output-buffer-limit",
       "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"},
      {"client-query-buffer-limit", "1073741824"},
      {"cluster-enabled", "no"},
      {"cluster-epoch", "0"},
      {"cluster-forward", "no"},
      {"cluster-node-timeout", "2000"},
      {"cluster-nodes", ""},
      {"daemonize", "no"},
      {"databases", "1"},
      {"dir", "."},
      {"enable-test-clock", "no"},
      {"hash-max-listpack-entries", "512"},
      {"hash-max-listpack-value", "64"},
      {"hz", "10"},
      {"key-load-delay", "0"},
      {"lfu-decay-time", "1"},
      {"lfu-log-factor", "10"},
      {"list-compress-depth", "0"},
      {"list-max-listpack-size", "-2"},
      {"loading-process-events-interval-bytes", "2097152"},
      {"logfile", ""},
      {"loglevel", "notice"},
      {"maxclients", "10000"},
      {"maxmemory", "0"},
      {"maxmemory-policy", "noeviction"},
      {"notify-keyspace-events", ""},
      {"pidfile", ""},
      {"port", "6379"},
      {"protected-mode", "yes"},
      {"proto-max-bulk-len", "536870912"},
      {"queue-backoff-base-ms", "1000"},
      {"queue-backoff-cap-ms", "60000"},
      {"queue-lease-ms", "30000"},
      {"queue-max-deliver", "5"},
      {"queue-retention-ms", "345600000"},
      {"requirepass", ""},
      {"save", ""},
      {"set-max-intset-entries", "512"},
      {"tcp-backlog", "511"},
      {"tcp-keepalive", "300"},
      {"timeout", "0"},
      {"unixsocket", ""},
      {"unixsocketperm", "0"},
      {"zset-max-listpack-entries", "128"},
      {"zset-max-listpack-value", "64"},
  };
  CHECK(ConfigGet(config, "*") == expected);
}

TEST_CASE("File syntax: comments, blank lines, case, quotes, later lines win", "[config]") {
  Config c = Parse(
      "# a comment\n"
      "\n"
      "   \t\n"
      "   # an indented comment\n"
      "PORT 7000\r\n"
      "  Timeout   5  \n"
      "port 7001\n"
      "requirepass \"a b\\x41\\n\\\"q\\\"\"\n"
      "logfile 'it\\'s here.log'\n"
      "pidfile \"\"\n"
      "tcp-keepalive 60");  // no final newline
  CHECK(c.port == 7001);
  CHECK(c.timeout == 5);
  CHECK(c.requirepass == "a bA\n\"q\"");
  CHECK(c.logfile == "it's here.log");
  CHECK(c.pidfile.empty());
  CHECK(c.tcp_keepalive == 60);

  CHECK(ParseError("port 1\nrequirepass \"abc\n") ==
        "t.conf:2: unbalanced quotes in configuration line");
  CHECK(ParseError("requirepass 'abc'def\n") ==
        "t.conf:1: unbalanced quotes in configuration line");
  // A # after the directive is not a comment, as in Redis.
  CHECK(ParseError("port 6379 # the port\n") == "t.conf:1: wrong number of arguments for 'port'");
  CHECK(ParseError("\n\nprot 6379\n") == "t.conf:3: unknown directive 'prot'");
  CHECK(ParseError("port\n") == "t.conf:1: wrong number of arguments for 'port'");
  CHECK(ParseError("bind\n") == "t.conf:1: wrong number of arguments for 'bind'");
  CHECK(ParseError("include\n") == "t.conf:1: wrong number of arguments for 'include'");
}

TEST_CASE("Integer directives: ranges and Redis's strict integers", "[config]") {
  Config c = Parse("port 0\ntcp-backlog 0\nmaxclients 1\ntimeout 0\ntcp-keepalive 0\nhz 1\n");
  CHECK(c.port == 0);
  CHECK(c.maxclients == 1);
  CHECK(c.hz == 1);
  c = Parse("port 65535\nhz 500\nmaxclients 2147483647\ntimeout 2147483647\n");
  CHECK(c.port == 65535);
  CHECK(c.hz == 500);
  CHECK(c.maxclients == 2147483647);

  CHECK(ParseError("port abc") == "t.conf:1: invalid value for 'port': 'abc' (must be 0..65535)");
  CHECK(ParseError("port 65536") ==
        "t.conf:1: invalid value for 'port': '65536' (must be 0..65535)");
  CHECK(ParseError("port -1") == "t.conf:1: invalid value for 'port': '-1' (must be 0..65535)");
  for (const char* bad : {"+5", "05", " 5", "5.0", "0x10", "", "99999999999999999999"}) {
    INFO(bad);
    CHECK(ParseError(std::string("timeout \"") + bad + "\"") ==
          std::string("t.conf:1: invalid value for 'timeout': '") + bad +
              "' (must be an integer >= 0)");
  }
  CHECK(ParseError("maxclients 0") ==
        "t.conf:1: invalid value for 'maxclients': '0' (must be an integer >= 1)");
  CHECK(ParseError("hz 0") == "t.conf:1: invalid value for 'hz': '0' (must be 1..500)");
  CHECK(ParseError("hz 501") == "t.conf:1: invalid value for 'hz': '501' (must be 1..500)");
  CHECK(ParseError("tcp-keepalive -1") ==
        "t.conf:1: invalid value for 'tcp-keepalive': '-1' (must be an integer >= 0)");
  CHECK(ParseError("tcp-backlog 2147483648") ==
        "t.conf:1: invalid value for 'tcp-backlog': '2147483648' (must be an integer >= 0)");
}

TEST_CASE("Memory directives: units and minimums", "[config]") {
  Config c = Parse("maxmemory 100mb\nproto-max-bulk-len 1mb\nclient-query-buffer-limit 2GB\n");
  CHECK(c.maxmemory == 100 * 1024 * 1024);
  CHECK(c.proto_max_bulk_len == 1024 * 1024);
  CHECK(c.client_query_buffer_limit == 2LL * 1024 * 1024 * 1024);
  CHECK(Get(c, "maxmemory") == "104857600");
  CHECK(Parse("maxmemory 1k").maxmemory == 1000);
  CHECK(Parse("maxmemory 0").maxmemory == 0);

  CHECK(ParseError("maxmemory -1") ==
        "t.conf:1: invalid value for 'maxmemory': '-1' (must be a memory value, e.g. 100mb)");
  CHECK(ParseError("maxmemory 1.5gb") ==
        "t.conf:1: invalid value for 'maxmemory': '1.5gb' (must be a memory value, e.g. 100mb)");
  CHECK(ParseError("proto-max-bulk-len 1000000") ==
        "t.conf:1: invalid value for 'proto-max-bulk-len': '1000000' (must be a memory value >= "
        "1mb, e.g. 512mb)");
  CHECK(ParseError("client-query-buffer-limit 1023kb") ==
        "t.conf:1: invalid value for 'client-query-buffer-limit': '1023kb' (must be a memory "
        "value >= 1mb, e.g. 512mb)");
}

TEST_CASE("Booleans, enums and strings", "[config]") {
  Config c = Parse("protected-mode NO\nenable-test-clock Yes\n");
  CHECK_FALSE(c.protected_mode);
  CHECK(c.enable_test_clock);
  CHECK(Get(c, "protected-mode") == "no");
  CHECK(Get(c, "enable-test-clock") == "yes");
  CHECK(ParseError("protected-mode true") ==
        "t.conf:1: invalid value for 'protected-mode': 'true' (must be yes or no)");
  CHECK(ParseError("protected-mode yes no") ==
        "t.conf:1: wrong number of arguments for 'protected-mode'");

  for (const char* level : {"debug", "verbose", "notice", "warning"}) {
    CHECK(Parse(std::string("loglevel ") + level).loglevel == level);
  }
  CHECK(Parse("loglevel WARNING").loglevel == "warning");  // stored as Redis prints it
  CHECK(ParseError("loglevel loud") ==
        "t.conf:1: invalid value for 'loglevel': 'loud' (must be one of debug, verbose, notice, "
        "warning)");
  CHECK(Parse("maxmemory-policy allkeys-LRU").maxmemory_policy == "allkeys-lru");
  CHECK(ParseError("maxmemory-policy lru") ==
        "t.conf:1: invalid value for 'maxmemory-policy': 'lru' (must be one of volatile-lru, "
        "volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, "
        "noeviction, allkeys-sieve, allkeys-s3fifo, volatile-sieve, volatile-s3fifo)");

  c = Parse("unixsocket /tmp/pylon.sock\nlogfile /var/log/pylon.log\npidfile /run/pylon.pid\n");
  CHECK(c.unixsocket == "/tmp/pylon.sock");
  CHECK(c.logfile == "/var/log/pylon.log");
  CHECK(c.pidfile == "/run/pylon.pid");
}

TEST_CASE("unixsocketperm is octal in the file and in CONFIG GET", "[config]") {
  Config c = Parse("unixsocketperm 700");
  CHECK(c.unixsocketperm == 0700);
  CHECK(Get(c, "unixsocketperm") == "700");
  CHECK(Parse("unixsocketperm 0770").unixsocketperm == 0770);
  CHECK(Parse("unixsocketperm 777").unixsocketperm == 0777);
  for (const char* bad : {"800", "1000", "rwx", "-1", ""}) {
    INFO(bad);
    CHECK(ParseError(std::string("unixsocketperm \"") + bad + "\"") ==
          std::string("t.conf:1: invalid value for 'unixsocketperm': '") + bad +
              "' (must be an octal file mode, e.g. 700)");
  }
}

TEST_CASE("bind: one or more addresses", "[config]") {
  Config c = Parse("bind 127.0.0.1 ::1 -10.0.0.1 * ::* 0.0.0.0\n");
  CHECK(c.bind == std::vector<std::string>{"127.0.0.1", "::1", "-10.0.0.1", "*", "::*", "0.0.0.0"});
  CHECK(Get(c, "bind") == "127.0.0.1 ::1 -10.0.0.1 * ::* 0.0.0.0");
  // A later line replaces the list, it does not add to it.
  CHECK(Parse("bind 10.0.0.1 10.0.0.2\nbind ::1").bind == std::vector<std::string>{"::1"});
  CHECK(ParseError("bind localhost") ==
        "t.conf:1: invalid value for 'bind': 'localhost' (invalid bind address 'localhost')");
  CHECK(ParseError("bind 127.0.0.1 1.2.3") ==
        "t.conf:1: invalid value for 'bind': '127.0.0.1 1.2.3' (invalid bind address '1.2.3')");
  std::string many = "bind";
  for (int i = 1; i <= 17; i++) many += " 10.0.0." + std::to_string(i);
  CHECK(ParseError(many).ends_with("(Too many bind addresses specified.)"));
}

TEST_CASE("cluster-nodes: a list of words, checked when cluster mode starts", "[config]") {
  Config c =
      Parse("cluster-enabled yes\ncluster-nodes 10.0.0.1:7000 [::1]:7001@2\ncluster-epoch 3");
  CHECK(c.cluster_enabled);
  CHECK(c.cluster_nodes == std::vector<std::string>{"10.0.0.1:7000", "[::1]:7001@2"});
  CHECK(c.cluster_epoch == 3);
  CHECK(Get(c, "cluster-nodes") == "10.0.0.1:7000 [::1]:7001@2");
  // A later line replaces the list; "" states the empty list.
  CHECK(Parse("cluster-nodes a:1 b:2\ncluster-nodes c:3").cluster_nodes ==
        std::vector<std::string>{"c:3"});
  CHECK(Parse("cluster-nodes a:1\ncluster-nodes \"\"").cluster_nodes.empty());
  CHECK(ParseError("cluster-epoch -1").find("cluster-epoch") != std::string::npos);
}

TEST_CASE("client-output-buffer-limit: classes, several per line, atomic", "[config]") {
  Config c = Parse(
      "client-output-buffer-limit normal 1mb 2mb 3 pubsub 32MB 8mb 60\n"
      "client-output-buffer-limit slave 1gb 0 0\n");
  CHECK(c.output_limits[0].hard_bytes == 1024 * 1024);
  CHECK(c.output_limits[0].soft_bytes == 2 * 1024 * 1024);
  CHECK(c.output_limits[0].soft_seconds == 3);
  CHECK(c.output_limits[1].hard_bytes == 1024ULL * 1024 * 1024);
  CHECK(c.output_limits[1].soft_bytes == 0);
  CHECK(Get(c, "client-output-buffer-limit") ==
        "normal 1048576 2097152 3 slave 1073741824 0 0 pubsub 33554432 8388608 60");
  CHECK(Parse("client-output-buffer-limit REPLICA 1k 1k 1").output_limits[1].hard_bytes == 1000);

  const std::string before = Get(Config{}, "client-output-buffer-limit");
  Config d;
  CHECK(ParseError("client-output-buffer-limit normal 1 2", &d) ==
        "t.conf:1: invalid value for 'client-output-buffer-limit': 'normal 1 2' (Wrong number of "
        "arguments in buffer limit configuration.)");
  CHECK(ParseError("client-output-buffer-limit normal 1 1 1 master 1 2 3", &d) ==
        "t.conf:1: invalid value for 'client-output-buffer-limit': 'normal 1 1 1 master 1 2 3' "
        "(Invalid client class specified in buffer limit configuration.)");
  for (const char* bad : {"normal -1 0 0", "normal 0 x 0", "normal 0 0 -1", "normal 0 0 1s"}) {
    INFO(bad);
    CHECK(ParseError(std::string("client-output-buffer-limit ") + bad, &d)
              .ends_with("(Error in hard, soft or soft_seconds setting in buffer limit "
                         "configuration.)"));
  }
  // The valid first group of a bad line was not applied.
  CHECK(Get(d, "client-output-buffer-limit") == before);
}

TEST_CASE("Redis directives Pylon accepts with one value only", "[config]") {
  Config c = Parse("save \"\"\ndatabases 1\ndaemonize no\n");
  CHECK(Get(c, "save").empty());
  CHECK(Get(c, "databases") == "1");
  CHECK(Get(c, "daemonize") == "no");
  CHECK(ParseError("save 900 1") ==
        "t.conf:1: invalid value for 'save': '900 1' (Pylon has no RDB snapshots; only save \"\" "
        "is accepted)");
  CHECK(ParseError("save 900 1 300 10")
            .ends_with("(Pylon has no RDB snapshots; only save \"\" is accepted)"));
  // The append-only log's directives.
  c = Parse("appendonly YES\nappendfsync always\nappendfilename log.aof\ndir /var/lib/pylon\n");
  CHECK(c.appendonly);
  CHECK(Get(c, "appendfsync") == "always");
  CHECK(Get(c, "appendfilename") == "log.aof");
  CHECK(Get(c, "dir") == "/var/lib/pylon");
  CHECK(ParseError("appendfsync sometimes") ==
        "t.conf:1: invalid value for 'appendfsync': 'sometimes' (must be one of always, "
        "everysec, no)");
  CHECK(ParseError("databases 16") ==
        "t.conf:1: invalid value for 'databases': '16' (Pylon has a single database; only 1 is "
        "accepted)");
  CHECK(ParseError("daemonize yes")
            .starts_with(
                "t.conf:1: invalid value for 'daemonize': 'yes' (pylond runs in the foreground"));
}

TEST_CASE("ApplyDirective: one directive, no location, config unchanged on error", "[config]") {
  Config c;
  std::string error;
  CHECK(ApplyDirective("Port", {"7000"}, &c, &error));
  CHECK(c.port == 7000);
  CHECK_FALSE(ApplyDirective("port", {"x"}, &c, &error));
  CHECK(error == "invalid value for 'port': 'x' (must be 0..65535)");
  CHECK(c.port == 7000);
  CHECK_FALSE(ApplyDirective("nope", {"1"}, &c, &error));
  CHECK(error == "unknown directive 'nope'");
  CHECK_FALSE(ApplyDirective("hz", {}, &c, &error));
  CHECK(error == "wrong number of arguments for 'hz'");
}

TEST_CASE("include: nested files, relative to the working directory, later lines win", "[config]") {
  TempDir dir;
  dir.Write("base.conf", "port 7000\ntimeout 10\ninclude sub/inner.conf\n");
  std::filesystem::create_directory(dir.path() + "/sub");
  dir.Write("sub/inner.conf", "hz 20\ntimeout 11\n");
  const std::string main =
      dir.Write("main.conf", "port 1\ninclude " + dir.path() + "/base.conf\ntimeout 12\n");
  ChangeDir cd(dir.path());  // "sub/inner.conf" is relative to here, not to base.conf's folder
  Config c;
  std::string error;
  REQUIRE(LoadConfig({main}, &c, &error));
  CHECK(error.empty());
  CHECK(c.port == 7000);  // the include came after "port 1"
  CHECK(c.hz == 20);
  CHECK(c.timeout == 12);  // and before "timeout 12"

  dir.Write("bad.conf", "hz 10\n\nhz 0\n");
  dir.Write("outer.conf", "port 1\ninclude bad.conf\n");
  CHECK(ParseError("include outer.conf") ==
        "bad.conf:3: invalid value for 'hz': '0' (must be 1..500) (included from outer.conf:2) "
        "(included from t.conf:1)");
  CHECK(ParseError("include missing.conf") ==
        "t.conf:1: can't read include file 'missing.conf': No such file or directory");
  CHECK(ParseError("include sub") == "t.conf:1: can't read include file 'sub': Is a directory");
}

TEST_CASE("include: cycles and nesting deeper than 16 are errors", "[config]") {
  TempDir dir;
  ChangeDir cd(dir.path());
  const std::string real = std::filesystem::canonical(dir.path()).string();
  dir.Write("self.conf", "port 1\ninclude self.conf\n");
  CHECK(ParseError("include self.conf") == "self.conf:2: include cycle: " + real +
                                               "/self.conf -> " + real +
                                               "/self.conf (included from t.conf:1)");

  const std::string a = dir.Write("a.conf", "include b.conf\n");
  dir.Write("b.conf", "hz 5\ninclude a.conf\n");
  Config c;
  std::string error;
  CHECK_FALSE(LoadConfig({a}, &c, &error));
  CHECK(error == "b.conf:2: include cycle: " + real + "/a.conf -> " + real + "/b.conf -> " + real +
                     "/a.conf (included from " + a + ":1)");

  // A chain of 16 includes is fine, 17 is not.
  for (int i = 1; i <= 17; i++) {
    dir.Write("d" + std::to_string(i) + ".conf",
              i < 17 ? "include d" + std::to_string(i + 1) + ".conf\n" : "hz 42\n");
  }
  CHECK(ParseError("include d2.conf").empty());
  CHECK(Parse("include d2.conf").hz == 42);
  const std::string deep = ParseError("include d1.conf");
  CHECK(deep.starts_with("d16.conf:1: include nesting deeper than 16 levels (included from"));
}

TEST_CASE("LoadConfig: file, then command-line directives in order", "[config]") {
  TempDir dir;
  const std::string file = dir.Write("p.conf", "port 7000\nhz 20\nbind 10.0.0.1\n");
  Config c;
  c.timeout = 99;  // LoadConfig starts from the defaults, not from this
  std::string error;
  REQUIRE(LoadConfig({file, "--port", "7001", "--bind", "127.0.0.1", "::1", "--HZ", "30", "--hz",
                      "31", "--requirepass", ""},
                     &c, &error));
  CHECK(c.port == 7001);
  CHECK(c.bind == std::vector<std::string>{"127.0.0.1", "::1"});
  CHECK(c.hz == 31);
  CHECK(c.timeout == 0);
  CHECK(c.requirepass.empty());
  CHECK(c.config_file == std::filesystem::canonical(file).string());
  CHECK(c.config_file.starts_with("/"));

  {
    // A relative config file name is stored absolute.
    ChangeDir cd(dir.path());
    REQUIRE(LoadConfig({"p.conf"}, &c, &error));
    CHECK(c.config_file == std::filesystem::canonical(file).string());
    CHECK(c.port == 7000);
  }

  REQUIRE(LoadConfig({}, &c, &error));
  CHECK(c.port == 6379);
  CHECK(c.config_file.empty());
  REQUIRE(LoadConfig({"--port", "1234", "--protected-mode", "no"}, &c, &error));
  CHECK(c.port == 1234);
  CHECK_FALSE(c.protected_mode);
  CHECK(c.config_file.empty());

  CHECK_FALSE(LoadConfig({"--port", "abc"}, &c, &error));
  CHECK(error == "--port: invalid value for 'port': 'abc' (must be 0..65535)");
  CHECK_FALSE(LoadConfig({"--port"}, &c, &error));
  CHECK(error == "--port: wrong number of arguments for 'port'");
  CHECK_FALSE(LoadConfig({"--port", "1", "2"}, &c, &error));
  CHECK(error == "--port: wrong number of arguments for 'port'");
  CHECK_FALSE(LoadConfig({"--prot", "1"}, &c, &error));
  CHECK(error == "--prot: unknown directive 'prot'");
  CHECK_FALSE(LoadConfig({file, "extra"}, &c, &error));
  CHECK(error == "unexpected argument 'extra' (directives on the command line start with --)");
  CHECK_FALSE(LoadConfig({dir.path() + "/none.conf"}, &c, &error));
  CHECK(error ==
        "can't open config file '" + dir.path() + "/none.conf': No such file or directory");
  const std::string bad = dir.Write("bad.conf", "port 1\nhz x\n");
  CHECK_FALSE(LoadConfig({bad, "--port", "2"}, &c, &error));
  CHECK(error == bad + ":2: invalid value for 'hz': 'x' (must be 1..500)");

  // --include works too, and an error inside names the file.
  CHECK(LoadConfig({"--include", file, "--port", "5"}, &c, &error));
  CHECK(c.port == 5);
  CHECK(c.hz == 20);
  CHECK_FALSE(LoadConfig({"--include", bad}, &c, &error));
  CHECK(error ==
        bad + ":2: invalid value for 'hz': 'x' (must be 1..500) (included from --include)");
}

TEST_CASE("LoadConfig: '-' reads the file from standard input", "[config]") {
  TempDir dir;
  const std::string file = dir.Write("in.conf", "port 7002\nhz 7\n");
  const int saved = dup(STDIN_FILENO);
  REQUIRE(saved >= 0);
  REQUIRE(freopen(file.c_str(), "r", stdin) != nullptr);
  Config c;
  std::string error;
  const bool ok = LoadConfig({"-", "--hz", "8"}, &c, &error);
  dup2(saved, STDIN_FILENO);
  close(saved);
  clearerr(stdin);
  REQUIRE(ok);
  CHECK(c.port == 7002);
  CHECK(c.hz == 8);
  CHECK(c.config_file.empty());
}

TEST_CASE("CONFIG GET: globs are case-insensitive, exact names echo the caller's spelling",
          "[config]") {
  const Config c;
  auto names = [](const Pairs& pairs) {
    std::vector<std::string> out;
    for (const auto& p : pairs) out.push_back(p.first);
    return out;
  };
  CHECK(names(ConfigGet(c, "max*")) ==
        std::vector<std::string>{"maxclients", "maxmemory", "maxmemory-policy"});
  CHECK(names(ConfigGet(c, "MAX*")) == names(ConfigGet(c, "max*")));
  CHECK(names(ConfigGet(c, "*keep*")) == std::vector<std::string>{"tcp-keepalive"});
  CHECK(names(ConfigGet(c, "[pt]ort")) == std::vector<std::string>{"port"});
  CHECK(names(ConfigGet(c, "h?")) == std::vector<std::string>{"hz"});
  CHECK(ConfigGet(c, "*").size() == 54);
  CHECK(ConfigGet(c, "PORT") == Pairs{{"PORT", "6379"}});
  CHECK(ConfigGet(c, "nope").empty());
  CHECK(ConfigGet(c, "nope*").empty());
  CHECK(ConfigGet(c, "include").empty());  // a keyword of the file, not a setting
}

TEST_CASE("CONFIG SET: every mutable directive, values as Redis parses them", "[config]") {
  Config c;
  std::vector<std::string> changed;
  std::string error;
  REQUIRE(ConfigSet(&c,
                    {{"maxclients", "50"},
                     {"TIMEOUT", "30"},
                     {"tcp-keepalive", "0"},
                     {"requirepass", "s3cret"},
                     {"protected-mode", "NO"},
                     {"loglevel", "Debug"},
                     {"proto-max-bulk-len", "2mb"},
                     {"client-query-buffer-limit", "1gb"},  // the default: not "changed"
                     {"client-output-buffer-limit", "pubsub 64mb 16mb 30  normal 1k 2k 3"},
                     {"hz", "100"},
                     {"hash-max-ziplist-entries", "1024"},  // the old name still works
                     {"hash-max-listpack-value", "32"},
                     {"maxmemory", "1GB"},
                     {"maxmemory-policy", "allkeys-lfu"},
                     {"save", ""},
                     {"appendonly", "no"},
                     {"cluster-forward", "yes"},
                     {"cluster-node-timeout", "500"}},
                    &changed, &error));
  CHECK(error.empty());
  CHECK(c.maxclients == 50);
  CHECK(c.hash_max_listpack_entries == 1024);
  CHECK(c.hash_max_listpack_value == 32);
  CHECK(c.timeout == 30);
  CHECK(c.tcp_keepalive == 0);
  CHECK(c.requirepass == "s3cret");
  CHECK_FALSE(c.protected_mode);
  CHECK(c.loglevel == "debug");
  CHECK(c.proto_max_bulk_len == 2 * 1024 * 1024);
  CHECK(Get(c, "client-output-buffer-limit") ==
        "normal 1000 2000 3 slave 268435456 67108864 60 pubsub 67108864 16777216 30");
  CHECK(c.hz == 100);
  CHECK(c.maxmemory == 1024LL * 1024 * 1024);
  CHECK(c.maxmemory_policy == "allkeys-lfu");
  CHECK(c.cluster_forward);
  CHECK(c.cluster_node_timeout == 500);
  CHECK(changed == std::vector<std::string>{
                       "maxclients", "timeout", "tcp-keepalive", "requirepass", "protected-mode",
                       "loglevel", "proto-max-bulk-len", "client-output-buffer-limit", "hz",
                       "hash-max-listpack-entries", "hash-max-listpack-value", "maxmemory",
                       "maxmemory-policy", "cluster-forward", "cluster-node-timeout"});

  // Redis accepts an empty client-output-buffer-limit and changes nothing.
  changed.clear();
  REQUIRE(
      ConfigSet(&c, {{"client-output-buffer-limit", ""}, {"requirepass", ""}}, &changed, &error));
  CHECK(c.output_limits[2].hard_bytes == 64 * 1024 * 1024);
  CHECK(c.requirepass.empty());
  CHECK(changed == std::vector<std::string>{"requirepass"});
}

TEST_CASE("CONFIG SET: Redis 7.0's error texts per value kind", "[config]") {
  Config c;
  const std::string failed = "ERR CONFIG SET failed (possibly related to argument ";
  CHECK(SetError(&c, {{"timeout", "abc"}}) ==
        failed + "'timeout') - argument couldn't be parsed into an integer");
  CHECK(SetError(&c, {{"TIMEOUT", "+5"}}) ==
        failed + "'timeout') - argument couldn't be parsed into an integer");
  CHECK(SetError(&c, {{"timeout", "-1"}}) ==
        failed + "'timeout') - argument must be between 0 and 2147483647 inclusive");
  CHECK(SetError(&c, {{"maxclients", "0"}}) ==
        failed + "'maxclients') - argument must be between 1 and 2147483647 inclusive");
  CHECK(SetError(&c, {{"hz", "0"}}) ==
        failed + "'hz') - argument must be between 1 and 500 inclusive");
  CHECK(SetError(&c, {{"maxmemory", "-1"}}) ==
        failed + "'maxmemory') - argument must be a memory value");
  CHECK(SetError(&c, {{"maxmemory", "1.5mb"}}) ==
        failed + "'maxmemory') - argument must be a memory value");
  CHECK(SetError(&c, {{"proto-max-bulk-len", "1000000"}}) ==
        failed +
            "'proto-max-bulk-len') - argument must be between 1048576 and 4294967295 inclusive");
  CHECK(SetError(&c, {{"client-query-buffer-limit", "100"}}) ==
        failed +
            "'client-query-buffer-limit') - argument must be between 1048576 and "
            "9223372036854775807 inclusive");
  CHECK(SetError(&c, {{"protected-mode", "maybe"}}) ==
        failed + "'protected-mode') - argument must be 'yes' or 'no'");
  CHECK(SetError(&c, {{"loglevel", "loud"}}) ==
        failed +
            "'loglevel') - argument(s) must be one of the following: debug, verbose, notice, "
            "warning");
  CHECK(SetError(&c, {{"maxmemory-policy", "foo"}}) ==
        failed +
            "'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, "
            "volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, "
            "allkeys-random, noeviction, allkeys-sieve, allkeys-s3fifo, volatile-sieve, "
            "volatile-s3fifo");
  CHECK(SetError(&c, {{"client-output-buffer-limit", "normal 1 2"}}) ==
        failed +
            "'client-output-buffer-limit') - Wrong number of arguments in buffer limit "
            "configuration.");
  CHECK(SetError(&c, {{"client-output-buffer-limit", "master 1mb 2mb 3"}}) ==
        failed +
            "'client-output-buffer-limit') - Invalid client class specified in buffer limit "
            "configuration.");
  CHECK(SetError(&c, {{"client-output-buffer-limit", "normal 1mb 2mb -1"}}) ==
        failed +
            "'client-output-buffer-limit') - Error in hard, soft or soft_seconds setting in buffer "
            "limit configuration.");
  CHECK(SetError(&c, {{"save", "3600 1"}}) ==
        failed + "'save') - Pylon has no RDB snapshots; only save \"\" is accepted");
  CHECK(SetError(&c, {{"appendonly", "maybe"}}) ==
        failed + "'appendonly') - argument must be 'yes' or 'no'");
  CHECK(SetError(&c, {{"dir", "/tmp"}}).ends_with("can't set immutable config"));
  CHECK(SetError(&c, {{"foo", "1"}}) ==
        "ERR Unknown option or number of arguments for CONFIG SET - 'foo'");
  CHECK(SetError(&c, {{"include", "/etc/passwd"}}) ==
        "ERR Unknown option or number of arguments for CONFIG SET - 'include'");
  // Nothing above changed anything.
  CHECK(All(c) == All(Config{}));
}

TEST_CASE("CONFIG SET: start-up-only directives are immutable", "[config]") {
  Config c;
  for (const char* name : {"unixsocket", "UNIXSOCKET", "unixsocketperm", "tcp-backlog",
                           "enable-test-clock", "databases", "daemonize", "pidfile", "logfile"}) {
    INFO(name);
    CHECK(SetError(&c, {{name, "1"}}) == std::string("ERR CONFIG SET failed (possibly related to "
                                                     "argument '") +
                                             name + "') - can't set immutable config");
  }
  CHECK(All(c) == All(Config{}));
}

TEST_CASE("CONFIG SET: all or nothing, names checked before values", "[config]") {
  Config c;
  const auto before = All(c);
  // The last value is bad: the good ones before it are not applied.
  CHECK(SetError(&c, {{"timeout", "5"}, {"hz", "20"}, {"maxclients", "x"}}) ==
        "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be "
        "parsed into an integer");
  CHECK(All(c) == before);
  // Duplicates, in any case: reported with the second spelling, as Redis.
  CHECK(SetError(&c, {{"timeout", "1"}, {"TIMEOUT", "2"}}) ==
        "ERR CONFIG SET failed (possibly related to argument 'TIMEOUT') - duplicate parameter");
  // Name problems are found before any value is parsed, the first one wins.
  CHECK(SetError(&c, {{"timeout", "abc"}, {"foo", "1"}}) ==
        "ERR Unknown option or number of arguments for CONFIG SET - 'foo'");
  CHECK(SetError(&c, {{"logfile", "x"}, {"foo", "1"}}) ==
        "ERR CONFIG SET failed (possibly related to argument 'logfile') - can't set immutable "
        "config");
  CHECK(SetError(&c, {{"foo", "1"}, {"logfile", "x"}}) ==
        "ERR Unknown option or number of arguments for CONFIG SET - 'foo'");
  CHECK(SetError(&c, {{"hz", "abc"}, {"logfile", "x"}}) ==
        "ERR CONFIG SET failed (possibly related to argument 'logfile') - can't set immutable "
        "config");
  CHECK(All(c) == before);
}

TEST_CASE("CONFIG SET: the server may refuse a change, which then changes nothing", "[config]") {
  Config c;
  const auto before = All(c);
  std::vector<std::string> seen;
  ConfigApplier refuse = [&seen](const Config& next, const std::vector<std::string>& changed,
                                 std::string* name, std::string* reason) {
    CHECK(next.port == 7000);
    seen = changed;
    *name = "port";
    *reason = "Unable to listen on this port";
    return false;
  };
  std::vector<std::string> changed;
  std::string error;
  CHECK_FALSE(ConfigSet(&c, {{"port", "7000"}, {"timeout", "0"}}, &changed, &error, refuse));
  CHECK(error ==
        "ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this "
        "port");
  CHECK(seen == std::vector<std::string>{"port"});  // only what differs
  CHECK(changed.empty());
  CHECK(All(c) == before);
  ConfigApplier accept = [](const Config&, const std::vector<std::string>&, std::string*,
                            std::string*) { return true; };
  CHECK(ConfigSet(&c, {{"port", "7000"}}, &changed, &error, accept));
  CHECK(c.port == 7000);
  CHECK(changed == std::vector<std::string>{"port"});
}

TEST_CASE("conf/pylon.conf states every directive at its default", "[config]") {
  const std::string path = ConfPath();
  INFO(path);
  Config c;
  c.port = 1;
  std::string error;
  REQUIRE(LoadConfig({path}, &c, &error));
  CHECK(error.empty());
  CHECK(All(c) == All(Config{}));
  CHECK(c.config_file == std::filesystem::canonical(path).string());

  // Each directive has a line of its own (not only a commented example), so the file documents
  // them all and a default changed in the code makes this test fail until the file follows.
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::map<std::string, int> lines;
  std::string line;
  while (std::getline(text, line)) {
    if (line.empty() || line[0] == '#' || line[0] == ' ') continue;
    lines[line.substr(0, line.find(' '))]++;
  }
  for (const auto& [name, value] : All(Config{})) {
    INFO(name);
    CHECK(lines.count(name) == 1);
  }
  for (const auto& [name, count] : lines) {
    INFO(name);
    CHECK(ConfigGet(Config{}, name).size() == 1);  // nothing but real directives
  }
}

}  // namespace
}  // namespace pylon::daemon
