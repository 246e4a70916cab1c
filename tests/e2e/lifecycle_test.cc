// The process: signals, SHUTDOWN, start-up errors, unix socket, pidfile, client limits and
// timeouts (driven by the test clock, never by sleeping).
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>

#include "harness.h"

namespace pylon::e2e {
namespace {

std::string Repeat(std::string_view s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; i++) out += s;
  return out;
}

// Replies already produced when the signal arrives still reach the client, then exit 0.
void CheckSignalFlushesRepliesAndExits(int sig) {
  PylonServer server;
  std::string one_reply;
  {
    RawClient probe = server.Raw();
    REQUIRE(probe.Send(Encode({"CLIENT", "HELP"})));
    Reply help = probe.ReadReply();
    REQUIRE(help.type == Reply::Type::kArray);
    std::string encoded = "*" + std::to_string(help.elements.size()) + "\r\n";
    for (const auto& line : help.elements) encoded += "+" + line.str + "\r\n";
    one_reply = encoded;
  }
  // A small pipeline (one read for the server) with a large total reply.
  constexpr int kCount = 500;
  RawClient raw = server.Raw();
  REQUIRE(raw.Send(Repeat(Encode({"CLIENT", "HELP"}), kCount)));
  std::string first = raw.ReadExactly(4);  // the server has run the batch
  REQUIRE(first == one_reply.substr(0, 4));
  server.Signal(sig);
  std::string rest = raw.ReadUntilClosed();
  CHECK(raw.closed());
  CHECK(first.size() + rest.size() == one_reply.size() * kCount);
  CHECK(first + rest == Repeat(one_reply, kCount));
  std::optional<int> status = server.WaitForExit();
  REQUIRE(status.has_value());
  CHECK(*status == 0);
}

TEST_CASE("SIGTERM delivers pending replies and exits 0", "[lifecycle]") {
  CheckSignalFlushesRepliesAndExits(SIGTERM);
}

TEST_CASE("SIGINT delivers pending replies and exits 0", "[lifecycle]") {
  CheckSignalFlushesRepliesAndExits(SIGINT);
}

TEST_CASE("Stop on an idle server exits 0", "[lifecycle]") {
  PylonServer server;
  auto c = server.Connect();
  REQUIRE(Command(c, {"PING"}) == Reply::Status("PONG"));
  CHECK(server.Stop(SIGTERM) == 0);
  CHECK(IsClosedByServer(c));
}

TEST_CASE("SHUTDOWN closes the connection without a reply and exits 0", "[lifecycle]") {
  PylonServer server;
  auto other = server.Connect();
  RawClient raw = server.Raw();
  REQUIRE(raw.Send(Encode({"SHUTDOWN"})));
  CHECK(raw.ReadUntilClosed() == "");
  CHECK(raw.closed());
  std::optional<int> status = server.WaitForExit();
  REQUIRE(status.has_value());
  CHECK(*status == 0);
  CHECK(IsClosedByServer(other));
}

TEST_CASE("SHUTDOWN ABORT with no shutdown in progress", "[lifecycle]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"SHUTDOWN", "ABORT"}) == Reply::Error("ERR No shutdown in progress."));
  CHECK(Command(c, {"PING"}) == Reply::Status("PONG"));
  CHECK(server.running());
}

TEST_CASE("an unknown directive stops start-up with one line on stderr", "[lifecycle][config]") {
  RunResult run = RunPylond({"--port", std::to_string(FreePort()), "--nosuch", "1"});
  CHECK(run.exit_code == 1);
  INFO("stderr: " << run.err);
  CHECK(Lines(run.err).size() == 1);
  CHECK(run.err.find("nosuch") != std::string::npos);
}

TEST_CASE("a bad value stops start-up with one line on stderr", "[lifecycle][config]") {
  RunResult run = RunPylond({"--port", "abc"});
  CHECK(run.exit_code == 1);
  INFO("stderr: " << run.err);
  CHECK(Lines(run.err).size() == 1);
  CHECK(run.err.find("port") != std::string::npos);
}

TEST_CASE("a config file is read, and the command line overrides it", "[lifecycle][config]") {
  TempDir dir;
  std::string conf = dir.File("pylon.conf");
  std::ofstream(conf) << "# comment\nmaxclients 77\ntimeout 5\n";
  RunResult bad = RunPylond({conf, "--port", "abc"});
  CHECK(bad.exit_code == 1);
  ServerOptions options;
  options.config_file = conf;
  options.args = {"--timeout", "6"};
  PylonServer server(options);
  auto c = server.Connect();
  CHECK(Command(c, {"CONFIG", "GET", "maxclients"}) ==
        Reply::Array({Reply::Bulk("maxclients"), Reply::Bulk("77")}));
  CHECK(Command(c, {"CONFIG", "GET", "timeout"}) ==
        Reply::Array({Reply::Bulk("timeout"), Reply::Bulk("6")}));
}

TEST_CASE("clients can connect through the unix socket", "[lifecycle]") {
  PylonServer server({"--unixsocket", "$DIR/pylond.sock", "--unixsocketperm", "700"});
  std::string path = server.Path("pylond.sock");
  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECK((st.st_mode & 0777) == 0700);
  auto c = ConnectUnix(path);
  CHECK(Command(c, {"PING"}) == Reply::Status("PONG"));
  CHECK(Command(c, {"ECHO", "over unix"}) == Reply::Bulk("over unix"));
  Reply info = Command(c, {"CLIENT", "INFO"});
  CHECK(ClientField(info.str, "addr") == path + ":0");
  CHECK(ClientField(info.str, "flags") == "U");  // Redis flags unix-socket clients
}

TEST_CASE("the pidfile holds the pid and is removed at exit", "[lifecycle]") {
  PylonServer server({"--pidfile", "$DIR/pylond.pid"});
  std::string path = server.Path("pylond.pid");
  std::ifstream in(path);
  pid_t pid = 0;
  REQUIRE(in >> pid);
  CHECK(pid == server.pid());
  CHECK(server.Stop() == 0);
  CHECK(!std::filesystem::exists(path));
}

TEST_CASE("maxclients refuses the connection over the limit", "[lifecycle]") {
  PylonServer server({"--maxclients", "2"});
  // One at a time, so that each is counted before the next arrives.
  auto a = server.Connect();
  REQUIRE(Command(a, {"PING"}) == Reply::Status("PONG"));
  auto b = server.Connect();
  REQUIRE(Command(b, {"PING"}) == Reply::Status("PONG"));
  RawClient third = server.Raw();
  CHECK(third.ReadUntilClosed() == "-ERR max number of clients reached\r\n");
  CHECK(third.closed());
  CHECK(Command(a, {"PING"}) == Reply::Status("PONG"));
  Reply stats = Command(a, {"INFO", "stats"});
  CHECK(InfoField(stats.str, "rejected_connections") == "1");
}

TEST_CASE("an idle client is closed after timeout seconds of test clock", "[lifecycle][clock]") {
  PylonServer server({"--timeout", "10"});
  auto idle = server.Connect();
  auto control = server.Connect();
  REQUIRE(Command(idle, {"PING"}) == Reply::Status("PONG"));
  Reply start = Command(control, {"TESTCLOCK", "GET"});
  REQUIRE(start.type == Reply::Type::kInteger);
  // 5 s idle: under the timeout.
  CHECK(Command(control, {"TESTCLOCK", "ADVANCE", "5000"}) == Reply::Int(start.integer + 5000));
  CHECK(Command(idle, {"PING"}) == Reply::Status("PONG"));
  // 11 s idle since that PING: closed. The client moving the clock is not idle.
  CHECK(Command(control, {"TESTCLOCK", "ADVANCE", "11000"}) == Reply::Int(start.integer + 16000));
  CHECK(IsClosedByServer(idle));
  CHECK(Command(control, {"PING"}) == Reply::Status("PONG"));
}

TEST_CASE("an idle client gives its buffers back and keeps working", "[lifecycle][clock]") {
  PylonServer server;
  auto idle = server.Connect();
  auto control = server.Connect();
  Reply id = Command(idle, {"CLIENT", "ID"});
  REQUIRE(id.type == Reply::Type::kInteger);
  CHECK(ClientField(ClientListLine(control, id.integer), "qbuf-free") != "0");
  // 3 s of test clock without a command: the cron frees its query buffer.
  REQUIRE(Command(control, {"TESTCLOCK", "ADVANCE", "3000"}).type == Reply::Type::kInteger);
  const std::string line = ClientListLine(control, id.integer);
  CHECK(ClientField(line, "qbuf-free") == "0");
  CHECK(ClientField(line, "omem") == "0");
  CHECK(Command(idle, {"ECHO", std::string(40000, 'x')}) == Reply::Bulk(std::string(40000, 'x')));
}

TEST_CASE("TESTCLOCK does not exist without enable-test-clock", "[lifecycle][clock]") {
  ServerOptions options;
  options.test_clock = false;
  PylonServer server(options);
  auto c = server.Connect();
  CHECK(Command(c, {"TESTCLOCK", "GET"}) ==
        Reply::Error("ERR unknown command 'TESTCLOCK', with args beginning with: 'GET' "));
  CHECK(Command(c, {"CONFIG", "GET", "enable-test-clock"}) ==
        Reply::Array({Reply::Bulk("enable-test-clock"), Reply::Bulk("no")}));
}

TEST_CASE("a directive's value may be given as one quoted argument", "[lifecycle][config]") {
  // As `redis-server --client-output-buffer-limit "normal 1mb 0 0"`: one argv element.
  PylonServer server({"--client-output-buffer-limit", "normal 1mb 0 0"});
  auto c = server.Connect();
  Reply limits = Command(c, {"CONFIG", "GET", "client-output-buffer-limit"});
  REQUIRE(limits.elements.size() == 2);
  CHECK(limits.elements[1].str.rfind("normal 1048576 0 0 ", 0) == 0);
}

TEST_CASE("a client over the output buffer hard limit is disconnected", "[lifecycle]") {
  PylonServer server({"--client-output-buffer-limit", "normal", "1mb", "0", "0"});
  auto other = server.Connect();
  constexpr size_t kCommands = 300;
  const std::string payload(100 * 1000, 'x');
  const std::string request = Encode({"ECHO", payload});
  const size_t full_reply = kCommands * (payload.size() + 14);
  RawClient greedy = server.Raw();
  // Never reading: the server must drop this client rather than buffer 30 MB of replies. The
  // send may fail once it has.
  for (size_t i = 0; i < kCommands; i++) {
    if (!greedy.Send(request)) break;
  }
  std::string received = greedy.ReadUntilClosed();
  CHECK(greedy.closed());
  CHECK(received.size() < full_reply);
  CHECK(Command(other, {"PING"}) == Reply::Status("PONG"));
  CHECK(Command(other, {"CONFIG", "GET", "client-output-buffer-limit"}) ==
        Reply::Array({Reply::Bulk("client-output-buffer-limit"),
                      Reply::Bulk("normal 1048576 0 0 slave 268435456 67108864 60 pubsub "
                                  "33554432 8388608 60")}));
}

}  // namespace
}  // namespace pylon::e2e
