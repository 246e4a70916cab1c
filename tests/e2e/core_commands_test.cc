// The core commands, with Redis 7.0.15's exact replies and error texts.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

#include "harness.h"

namespace pylon::e2e {
namespace {

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool IsDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

TEST_CASE("PING replies PONG, or its argument as a bulk string", "[core]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"PING"}) == Reply::Status("PONG"));
  CHECK(Command(c, {"PING", "hello world"}) == Reply::Bulk("hello world"));
  CHECK(Command(c, {"ping"}) == Reply::Status("PONG"));
  CHECK(Command(c, {"PING", "a", "b"}) ==
        Reply::Error("ERR wrong number of arguments for 'ping' command"));
}

TEST_CASE("ECHO is binary safe", "[core]") {
  PylonServer server;
  auto c = server.Connect();
  std::string binary("a\0b\r\nc", 6);
  CHECK(Command(c, {"ECHO", binary}) == Reply::Bulk(binary));
  CHECK(Command(c, {"ECHO", ""}) == Reply::Bulk(""));
}

TEST_CASE("wrong arity is refused with Redis's text, for commands and subcommands", "[core]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"ECHO"}) == Reply::Error("ERR wrong number of arguments for 'echo' command"));
  CHECK(Command(c, {"ECHO", "a", "b"}) ==
        Reply::Error("ERR wrong number of arguments for 'echo' command"));
  CHECK(Command(c, {"CLIENT", "SETNAME"}) ==
        Reply::Error("ERR wrong number of arguments for 'client|setname' command"));
  CHECK(Command(c, {"client", "getname", "x"}) ==
        Reply::Error("ERR wrong number of arguments for 'client|getname' command"));
}

TEST_CASE("an unknown command names itself and its first arguments", "[core]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"NOSUCH", "a", "b"}) ==
        Reply::Error("ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' "));
  CHECK(Command(c, {"nosuch"}) ==
        Reply::Error("ERR unknown command 'nosuch', with args beginning with: "));
  // The connection keeps working.
  CHECK(Command(c, {"PING"}) == Reply::Status("PONG"));
}

TEST_CASE("an unknown subcommand points at HELP", "[core]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"CLIENT", "foo"}) ==
        Reply::Error("ERR unknown subcommand 'foo'. Try CLIENT HELP."));
  CHECK(Command(c, {"CONFIG", "Nope"}) ==
        Reply::Error("ERR unknown subcommand 'Nope'. Try CONFIG HELP."));
}

TEST_CASE("SELECT accepts only database 0", "[core]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"SELECT", "0"}) == Reply::Ok());
  // Pylon has one database, as Redis with `databases 1`.
  CHECK(Command(c, {"SELECT", "1"}) == Reply::Error("ERR DB index is out of range"));
  CHECK(Command(c, {"SELECT", "x"}) == Reply::Error("ERR value is not an integer or out of range"));
}

TEST_CASE("TIME gives seconds and microseconds as two bulk strings of digits", "[core]") {
  PylonServer server;
  auto c = server.Connect();
  Reply time = Command(c, {"TIME"});
  REQUIRE(time.type == Reply::Type::kArray);
  REQUIRE(time.elements.size() == 2);
  CHECK(time.elements[0].type == Reply::Type::kBulk);
  CHECK(IsDigits(time.elements[0].str));
  CHECK(IsDigits(time.elements[1].str));
  CHECK(std::stoll(time.elements[1].str) < 1000000);
}

TEST_CASE("TIME follows the test clock exactly", "[core][clock]") {
  PylonServer server;
  auto c = server.Connect();
  // 2100-01-01T00:00:00.123Z: ahead of any real clock, so the test clock moves forward.
  CHECK(Command(c, {"TESTCLOCK", "SET", "4102444800123"}) == Reply::Int(4102444800123));
  CHECK(Command(c, {"TIME"}) == Reply::Array({Reply::Bulk("4102444800"), Reply::Bulk("123000")}));
  CHECK(Command(c, {"TESTCLOCK", "ADVANCE", "1000"}) == Reply::Int(4102444801123));
  CHECK(Command(c, {"TESTCLOCK", "GET"}) == Reply::Int(4102444801123));
  CHECK(Command(c, {"TIME"}) == Reply::Array({Reply::Bulk("4102444801"), Reply::Bulk("123000")}));
}

TEST_CASE("DBSIZE, FLUSHALL and FLUSHDB on the empty keyspace", "[core]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"DBSIZE"}) == Reply::Int(0));
  CHECK(Command(c, {"FLUSHALL"}) == Reply::Ok());
  CHECK(Command(c, {"FLUSHALL", "ASYNC"}) == Reply::Ok());
  CHECK(Command(c, {"FLUSHALL", "sync"}) == Reply::Ok());
  CHECK(Command(c, {"FLUSHDB"}) == Reply::Ok());
  CHECK(Command(c, {"FLUSHDB", "ASYNC"}) == Reply::Ok());
  CHECK(Command(c, {"FLUSHDB", "SYNC"}) == Reply::Ok());
  CHECK(Command(c, {"FLUSHALL", "bad"}) == Reply::Error("ERR syntax error"));
  CHECK(Command(c, {"FLUSHDB", "bad"}) == Reply::Error("ERR syntax error"));
  CHECK(Command(c, {"DBSIZE"}) == Reply::Int(0));
}

TEST_CASE("HELLO without arguments describes the server in RESP2", "[core][hello]") {
  PylonServer server;
  auto c = server.Connect();
  Reply id = Command(c, {"CLIENT", "ID"});
  REQUIRE(id.type == Reply::Type::kInteger);
  Reply hello = Command(c, {"HELLO"});
  CHECK(hello ==
        Reply::Array({Reply::Bulk("server"), Reply::Bulk("redis"), Reply::Bulk("version"),
                      Reply::Bulk("7.0.15"), Reply::Bulk("proto"), Reply::Int(2), Reply::Bulk("id"),
                      id, Reply::Bulk("mode"), Reply::Bulk("standalone"), Reply::Bulk("role"),
                      Reply::Bulk("master"), Reply::Bulk("modules"), Reply::Array({})}));
  CHECK(hello.elements.size() == 14);
}

TEST_CASE("HELLO 3 switches the connection to RESP3", "[core][hello][resp3]") {
  PylonServer server;
  RawClient raw = server.Raw();
  Reply hello = raw.Call({"HELLO", "3"});
  REQUIRE(hello.type == Reply::Type::kMap);
  CHECK(hello.elements.size() == 14);
  REQUIRE(hello.Field("proto") != nullptr);
  CHECK(*hello.Field("proto") == Reply::Int(3));
  CHECK(*hello.Field("server") == Reply::Bulk("redis"));
  CHECK(*hello.Field("version") == Reply::Bulk("7.0.15"));
  // A RESP3 null, not "$-1".
  REQUIRE(raw.Send(Encode({"CLIENT", "GETNAME"})));
  CHECK(raw.ReadExactly(3) == "_\r\n");
  REQUIRE(raw.Send(Encode({"PING"})));
  CHECK(raw.ReadLine() == "+PONG\r\n");
  // Back to RESP2.
  Reply hello2 = raw.Call({"HELLO", "2"});
  CHECK(hello2.type == Reply::Type::kArray);
  REQUIRE(raw.Send(Encode({"CLIENT", "GETNAME"})));
  CHECK(raw.ReadExactly(5) == "$-1\r\n");
}

TEST_CASE("HELLO refuses bad versions and options", "[core][hello]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"HELLO", "4"}) == Reply::Error("NOPROTO unsupported protocol version"));
  CHECK(Command(c, {"HELLO", "1"}) == Reply::Error("NOPROTO unsupported protocol version"));
  CHECK(Command(c, {"HELLO", "abc"}) ==
        Reply::Error("ERR Protocol version is not an integer or out of range"));
  CHECK(Command(c, {"HELLO", "3", "BADOPT"}) ==
        Reply::Error("ERR Syntax error in HELLO option 'BADOPT'"));
  // Still RESP2: a failed HELLO changes nothing.
  CHECK(Command(c, {"CLIENT", "GETNAME"}) == Reply::Nil());
}

TEST_CASE("HELLO 3 SETNAME names the connection", "[core][hello][resp3]") {
  PylonServer server;
  RawClient raw = server.Raw();
  Reply hello = raw.Call({"HELLO", "3", "SETNAME", "x"});
  CHECK(hello.type == Reply::Type::kMap);
  REQUIRE(raw.Send(Encode({"CLIENT", "GETNAME"})));
  CHECK(raw.ReadExactly(7) == "$1\r\nx\r\n");
}

TEST_CASE("CLIENT ID, SETNAME and GETNAME", "[core][client]") {
  PylonServer server;
  auto a = server.Connect();
  auto b = server.Connect();
  Reply id_a = Command(a, {"CLIENT", "ID"});
  Reply id_b = Command(b, {"CLIENT", "ID"});
  REQUIRE(id_a.type == Reply::Type::kInteger);
  REQUIRE(id_b.type == Reply::Type::kInteger);
  CHECK(id_a.integer > 0);
  CHECK(id_b.integer > id_a.integer);
  CHECK(Command(a, {"CLIENT", "ID"}) == id_a);
  CHECK(Command(a, {"CLIENT", "GETNAME"}) == Reply::Nil());
  CHECK(Command(a, {"CLIENT", "SETNAME", "worker-1"}) == Reply::Ok());
  CHECK(Command(a, {"CLIENT", "GETNAME"}) == Reply::Bulk("worker-1"));
  CHECK(Command(b, {"CLIENT", "GETNAME"}) == Reply::Nil());
  CHECK(Command(a, {"CLIENT", "SETNAME", "a b"}) ==
        Reply::Error("ERR Client names cannot contain spaces, newlines or special characters."));
  CHECK(Command(a, {"CLIENT", "SETNAME", "a\nb"}) ==
        Reply::Error("ERR Client names cannot contain spaces, newlines or special characters."));
  CHECK(Command(a, {"CLIENT", "GETNAME"}) == Reply::Bulk("worker-1"));
  // An empty name clears it.
  CHECK(Command(a, {"CLIENT", "SETNAME", ""}) == Reply::Ok());
  CHECK(Command(a, {"CLIENT", "GETNAME"}) == Reply::Nil());
}

TEST_CASE("CLIENT SETINFO records the library name and version", "[core][client]") {
  // SETINFO is Redis 7.2's (7.0.15 lacks it); the texts are 7.2's.
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"CLIENT", "SETINFO", "LIB-NAME", "x"}) == Reply::Ok());
  CHECK(Command(c, {"CLIENT", "SETINFO", "lib-ver", "1.0"}) == Reply::Ok());
  Reply info = Command(c, {"CLIENT", "INFO"});
  CHECK(ClientField(Lines(info.str).at(0), "lib-name") == "x");
  CHECK(ClientField(Lines(info.str).at(0), "lib-ver") == "1.0");
  CHECK(Command(c, {"CLIENT", "SETINFO", "bad", "1"}) ==
        Reply::Error("ERR Unrecognized option 'bad'"));
  CHECK(Command(c, {"CLIENT", "SETINFO", "LIB-NAME"}) ==
        Reply::Error("ERR wrong number of arguments for 'client|setinfo' command"));
}

TEST_CASE("CLIENT LIST has one line per client with Redis's fields", "[core][client]") {
  PylonServer server;
  auto a = server.Connect();
  auto b = server.Connect();
  REQUIRE(Command(b, {"CLIENT", "SETNAME", "other"}) == Reply::Ok());
  Reply id_a = Command(a, {"CLIENT", "ID"});
  Reply list = Command(a, {"CLIENT", "LIST"});
  REQUIRE(list.type == Reply::Type::kBulk);
  REQUIRE(!list.str.empty());
  CHECK(list.str.back() == '\n');
  std::vector<std::string> lines = Lines(list.str);
  REQUIRE(lines.size() == 2);
  std::string mine = ClientListLine(a, id_a.integer);
  REQUIRE(!mine.empty());
  CHECK(mine.rfind("id=" + std::to_string(id_a.integer) + " addr=127.0.0.1:", 0) == 0);
  for (const char* field : {"laddr", "fd", "age", "idle", "flags", "db", "sub", "psub", "multi",
                            "qbuf", "obl", "omem", "tot-mem", "events", "user", "redir"}) {
    CHECK(ClientField(mine, field).has_value());
  }
  CHECK(ClientField(mine, "name") == "");
  CHECK(ClientField(mine, "cmd") == "client|list");
  CHECK(ClientField(mine, "flags") == "N");
  CHECK(ClientField(mine, "db") == "0");
  CHECK(ClientField(mine, "multi") == "-1");
  CHECK(ClientField(mine, "resp") == "2");
  CHECK(ClientField(mine, "user") == "default");
  CHECK(ClientField(mine, "lib-name") == "");
  CHECK(ClientField(mine, "lib-ver") == "");
  // The other client: its name, and its last command.
  Reply id_b = Command(b, {"CLIENT", "ID"});
  std::string other = ClientListLine(a, id_b.integer);
  CHECK(ClientField(other, "name") == "other");
  CHECK(ClientField(other, "cmd") == "client|id");
}

TEST_CASE("CLIENT LIST TYPE and ID filter the list", "[core][client]") {
  PylonServer server;
  auto a = server.Connect();
  auto b = server.Connect();
  Reply id_b = Command(b, {"CLIENT", "ID"});
  Reply normal = Command(a, {"CLIENT", "LIST", "TYPE", "normal"});
  CHECK(Lines(normal.str).size() == 2);
  Reply pubsub = Command(a, {"CLIENT", "LIST", "TYPE", "pubsub"});
  CHECK(pubsub == Reply::Bulk(""));
  CHECK(Command(a, {"CLIENT", "LIST", "TYPE", "bad"}) ==
        Reply::Error("ERR Unknown client type 'bad'"));
  Reply by_id = Command(a, {"CLIENT", "LIST", "ID", std::to_string(id_b.integer)});
  REQUIRE(Lines(by_id.str).size() == 1);
  CHECK(ClientField(by_id.str, "id") == std::to_string(id_b.integer));
  CHECK(Command(a, {"CLIENT", "LIST", "ID", "999999"}) == Reply::Bulk(""));
}

TEST_CASE("CLIENT INFO describes the current connection", "[core][client]") {
  PylonServer server;
  auto c = server.Connect();
  REQUIRE(Command(c, {"CLIENT", "SETNAME", "me"}) == Reply::Ok());
  Reply id = Command(c, {"CLIENT", "ID"});
  Reply info = Command(c, {"CLIENT", "INFO"});
  REQUIRE(info.type == Reply::Type::kBulk);
  CHECK(info.str.back() == '\n');
  REQUIRE(Lines(info.str).size() == 1);
  CHECK(ClientField(info.str, "id") == std::to_string(id.integer));
  CHECK(ClientField(info.str, "name") == "me");
  CHECK(ClientField(info.str, "cmd") == "client|info");
}

TEST_CASE("CLIENT KILL addr closes another connection", "[core][client]") {
  PylonServer server;
  auto killer = server.Connect();
  auto victim = server.Connect();
  Reply victim_id = Command(victim, {"CLIENT", "ID"});
  std::string line = ClientListLine(killer, victim_id.integer);
  std::optional<std::string> addr = ClientField(line, "addr");
  REQUIRE(addr.has_value());
  CHECK(Command(killer, {"CLIENT", "KILL", *addr}) == Reply::Ok());
  CHECK(IsClosedByServer(victim));
  CHECK(Command(killer, {"CLIENT", "KILL", *addr}) == Reply::Error("ERR No such client"));
  CHECK(Command(killer, {"CLIENT", "KILL", "1.2.3.4:5"}) == Reply::Error("ERR No such client"));
  CHECK(Command(killer, {"PING"}) == Reply::Status("PONG"));
}

TEST_CASE("CLIENT KILL ID answers how many it killed", "[core][client]") {
  PylonServer server;
  auto killer = server.Connect();
  auto victim = server.Connect();
  Reply victim_id = Command(victim, {"CLIENT", "ID"});
  CHECK(Command(killer, {"CLIENT", "KILL", "ID", std::to_string(victim_id.integer)}) ==
        Reply::Int(1));
  CHECK(IsClosedByServer(victim));
  CHECK(Command(killer, {"CLIENT", "KILL", "ID", std::to_string(victim_id.integer)}) ==
        Reply::Int(0));
  CHECK(Command(killer, {"CLIENT", "KILL", "ID", "abc"}) ==
        Reply::Error("ERR client-id should be greater than 0"));
  // By default a client does not kill itself.
  Reply own = Command(killer, {"CLIENT", "ID"});
  CHECK(Command(killer, {"CLIENT", "KILL", "ID", std::to_string(own.integer)}) == Reply::Int(0));
  CHECK(Command(killer, {"PING"}) == Reply::Status("PONG"));
}

TEST_CASE("CLIENT KILL SKIPME no kills the caller after replying", "[core][client]") {
  PylonServer server;
  auto other = server.Connect();
  auto c = server.Connect();
  Reply id = Command(c, {"CLIENT", "ID"});
  CHECK(Command(c, {"CLIENT", "KILL", "ID", std::to_string(id.integer), "SKIPME", "no"}) ==
        Reply::Int(1));
  CHECK(IsClosedByServer(c));
  CHECK(Command(other, {"PING"}) == Reply::Status("PONG"));
}

TEST_CASE("CLIENT HELP lists the subcommands", "[core][client]") {
  PylonServer server;
  auto c = server.Connect();
  Reply help = Command(c, {"CLIENT", "HELP"});
  REQUIRE(help.type == Reply::Type::kArray);
  REQUIRE(help.elements.size() > 10);
  CHECK(help.elements[0] ==
        Reply::Status("CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"));
  CHECK(help.elements.back() == Reply::Status("    Prints this help."));
  std::vector<std::string> lines = help.Strings();
  CHECK(Contains(lines, "SETNAME <name>"));
  CHECK(Contains(lines, "HELP"));
}

TEST_CASE("CONFIG GET by name and by glob", "[core][config]") {
  PylonServer server({"--maxclients", "123"});
  auto c = server.Connect();
  CHECK(Command(c, {"CONFIG", "GET", "maxclients"}) ==
        Reply::Array({Reply::Bulk("maxclients"), Reply::Bulk("123")}));
  Reply max = Command(c, {"CONFIG", "GET", "max*"});
  REQUIRE(max.type == Reply::Type::kArray);
  REQUIRE(max.elements.size() % 2 == 0);
  REQUIRE(max.Field("maxclients") != nullptr);
  CHECK(*max.Field("maxclients") == Reply::Bulk("123"));
  for (size_t i = 0; i < max.elements.size(); i += 2) {
    CHECK(max.elements[i].str.rfind("max", 0) == 0);
  }
  // Persistence is off, as Redis started with --save '' and no AOF.
  CHECK(Command(c, {"CONFIG", "GET", "save"}) ==
        Reply::Array({Reply::Bulk("save"), Reply::Bulk("")}));
  CHECK(Command(c, {"CONFIG", "GET", "appendonly"}) ==
        Reply::Array({Reply::Bulk("appendonly"), Reply::Bulk("no")}));
  CHECK(Command(c, {"CONFIG", "GET", "nosuch*"}) == Reply::Array({}));
  CHECK(Command(c, {"CONFIG", "GET", "nosuch"}) == Reply::Array({}));
}

TEST_CASE("CONFIG GET in RESP3 is a map", "[core][config][resp3]") {
  PylonServer server({"--maxclients", "123"});
  RawClient raw = server.Raw();
  REQUIRE(raw.Call({"HELLO", "3"}).type == Reply::Type::kMap);
  REQUIRE(raw.Send(Encode({"CONFIG", "GET", "maxclients"})));
  const std::string expected = "%1\r\n$10\r\nmaxclients\r\n$3\r\n123\r\n";
  CHECK(raw.ReadExactly(expected.size()) == expected);
}

TEST_CASE("CONFIG SET changes a mutable value and refuses the rest", "[core][config]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"CONFIG", "SET", "timeout", "10"}) == Reply::Ok());
  // A name without its value: Redis 7.0 answers a syntax error, not an arity error.
  CHECK(Command(c, {"CONFIG", "SET", "timeout", "10", "hz"}) == Reply::Error("ERR syntax error"));
  CHECK(Command(c, {"CONFIG", "GET", "timeout"}) ==
        Reply::Array({Reply::Bulk("timeout"), Reply::Bulk("10")}));
  CHECK(Command(c, {"CONFIG", "SET", "pidfile", "/tmp/x"}) ==
        Reply::Error("ERR CONFIG SET failed (possibly related to argument 'pidfile') - can't set "
                     "immutable config"));
  CHECK(Command(c, {"CONFIG", "SET", "daemonize", "yes"}) ==
        Reply::Error("ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't "
                     "set immutable config"));
  CHECK(Command(c, {"CONFIG", "SET", "nosuch", "1"}) ==
        Reply::Error("ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"));
  CHECK(Command(c, {"CONFIG", "GET", "timeout"}) ==
        Reply::Array({Reply::Bulk("timeout"), Reply::Bulk("10")}));
}

TEST_CASE("CONFIG SET port moves the listener at runtime, or changes nothing", "[core][config]") {
  PylonServer server;
  auto c = server.Connect();
  // A port someone else holds: refused, and the old port still serves.
  int busy_fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(busy_fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  REQUIRE(bind(busy_fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  REQUIRE(listen(busy_fd, 1) == 0);
  REQUIRE(getsockname(busy_fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  const std::string busy = std::to_string(ntohs(addr.sin_port));
  CHECK(Command(c, {"CONFIG", "SET", "port", busy}) ==
        Reply::Error("ERR CONFIG SET failed (possibly related to argument 'port') - Unable to "
                     "listen on this port"));
  close(busy_fd);
  CHECK(Command(c, {"CONFIG", "GET", "port"}) ==
        Reply::Array({Reply::Bulk("port"), Reply::Bulk(std::to_string(server.port()))}));
  CHECK(Command(server.Connect(), {"PING"}) == Reply::Status("PONG"));

  // A free port: new clients connect there, the old port is closed, this client stays.
  const int moved = FreePort();
  CHECK(Command(c, {"CONFIG", "SET", "port", std::to_string(moved)}) == Reply::Ok());
  CHECK(Command(ConnectTcp(moved), {"PING"}) == Reply::Status("PONG"));
  CHECK(Command(c, {"PING"}) == Reply::Status("PONG"));
  int probe = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(probe >= 0);
  addr.sin_port = htons(static_cast<uint16_t>(server.port()));
  CHECK(connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0);  // closed
  close(probe);
  CHECK(Command(c, {"CONFIG", "SET", "port", "abc"}) ==
        Reply::Error("ERR CONFIG SET failed (possibly related to argument 'port') - argument "
                     "couldn't be parsed into an integer"));
}

TEST_CASE("CONFIG RESETSTAT zeroes the counters and the command stats", "[core][config][info]") {
  PylonServer server;
  auto c = server.Connect();
  for (int i = 0; i < 3; i++) REQUIRE(Command(c, {"PING"}) == Reply::Status("PONG"));
  REQUIRE(Command(c, {"NOSUCH"}).is_error());
  Reply before = Command(c, {"INFO", "commandstats"});
  CHECK(before.str.find("cmdstat_ping:calls=3,") != std::string::npos);
  CHECK(Command(c, {"CONFIG", "RESETSTAT"}) == Reply::Ok());
  Reply after = Command(c, {"INFO", "everything"});
  CHECK(after.str.find("cmdstat_ping:") == std::string::npos);
  CHECK(after.str.find("errorstat_ERR:") == std::string::npos);
  CHECK(InfoField(after.str, "total_error_replies") == "0");
  // RESETSTAT itself is the one command counted so far (INFO counts after it runs).
  CHECK(InfoField(after.str, "total_commands_processed") == "1");
}

TEST_CASE("INFO shows the default sections", "[core][info]") {
  PylonServer server;
  auto c = server.Connect();
  Reply info = Command(c, {"INFO"});
  REQUIRE(info.type == Reply::Type::kBulk);
  for (const char* section : {"# Server", "# Clients", "# Memory", "# Persistence", "# Stats",
                              "# Replication", "# CPU", "# Errorstats", "# Keyspace"}) {
    CHECK(info.str.find(std::string(section) + "\r\n") != std::string::npos);
  }
  CHECK(InfoField(info.str, "redis_version") == "7.0.15");
  CHECK(InfoField(info.str, "pylon_version").has_value());
  CHECK(InfoField(info.str, "loading") == "0");
  CHECK(InfoField(info.str, "tcp_port") == std::to_string(server.port()));
  CHECK(InfoField(info.str, "connected_clients") == "1");
  // Commandstats is not a default section.
  CHECK(info.str.find("# Commandstats") == std::string::npos);
}

TEST_CASE("INFO server has only the server section", "[core][info]") {
  PylonServer server;
  auto c = server.Connect();
  Reply info = Command(c, {"INFO", "server"});
  REQUIRE(info.type == Reply::Type::kBulk);
  CHECK(info.str.rfind("# Server\r\n", 0) == 0);
  CHECK(info.str.find("\r\n# ") == std::string::npos);  // no second section
  CHECK(InfoField(info.str, "redis_version") == "7.0.15");
  CHECK(InfoField(info.str, "process_id") == std::to_string(server.pid()));
  CHECK(InfoField(info.str, "connected_clients") == std::nullopt);
}

TEST_CASE("INFO commandstats counts calls per command", "[core][info]") {
  PylonServer server;
  auto c = server.Connect();
  for (int i = 0; i < 5; i++) REQUIRE(Command(c, {"PING"}) == Reply::Status("PONG"));
  REQUIRE(Command(c, {"CLIENT", "ID"}).type == Reply::Type::kInteger);
  Reply stats = Command(c, {"INFO", "commandstats"});
  CHECK(stats.str.rfind("# Commandstats\r\n", 0) == 0);
  std::optional<std::string> ping = InfoField(stats.str, "cmdstat_ping");
  REQUIRE(ping.has_value());
  CHECK(ping->rfind("calls=5,usec=", 0) == 0);
  CHECK(ping->find("rejected_calls=0,failed_calls=0") != std::string::npos);
  std::optional<std::string> client_id = InfoField(stats.str, "cmdstat_client|id");
  REQUIRE(client_id.has_value());
  CHECK(client_id->rfind("calls=1,", 0) == 0);
}

TEST_CASE("INFO errorstats counts errors by prefix", "[core][info]") {
  PylonServer server;
  auto c = server.Connect();
  REQUIRE(Command(c, {"NOSUCH"}).is_error());
  REQUIRE(Command(c, {"ECHO"}).is_error());
  REQUIRE(Command(c, {"HELLO", "9"}).is_error());
  Reply stats = Command(c, {"INFO", "errorstats"});
  CHECK(InfoField(stats.str, "errorstat_ERR") == "count=2");
  CHECK(InfoField(stats.str, "errorstat_NOPROTO") == "count=1");
  Reply all = Command(c, {"INFO", "stats"});
  CHECK(InfoField(all.str, "total_error_replies") == "3");
  // The unknown command is rejected: it never ran; ECHO is rejected too (arity).
  Reply cmd = Command(c, {"INFO", "commandstats"});
  std::optional<std::string> echo = InfoField(cmd.str, "cmdstat_echo");
  REQUIRE(echo.has_value());
  CHECK(echo->find("calls=0,") != std::string::npos);
  CHECK(echo->find("rejected_calls=1,") != std::string::npos);
}

TEST_CASE("INFO everything includes commandstats and errorstats", "[core][info]") {
  PylonServer server;
  auto c = server.Connect();
  REQUIRE(Command(c, {"PING"}) == Reply::Status("PONG"));
  Reply info = Command(c, {"INFO", "everything"});
  for (const char* section :
       {"# Server", "# Clients", "# Stats", "# Commandstats", "# Errorstats", "# Keyspace"}) {
    CHECK(info.str.find(std::string(section) + "\r\n") != std::string::npos);
  }
  CHECK(InfoField(info.str, "cmdstat_ping").has_value());
}

TEST_CASE("COMMAND COUNT and COMMAND INFO", "[core][command]") {
  PylonServer server;
  auto c = server.Connect();
  Reply count = Command(c, {"COMMAND", "COUNT"});
  REQUIRE(count.type == Reply::Type::kInteger);
  CHECK(count.integer > 0);
  Reply info = Command(c, {"COMMAND", "INFO", "ping"});
  REQUIRE(info.type == Reply::Type::kArray);
  REQUIRE(info.elements.size() == 1);
  const Reply& ping = info.elements[0];
  REQUIRE(ping.elements.size() == 10);
  CHECK(ping.elements[0] == Reply::Bulk("ping"));
  CHECK(ping.elements[1] == Reply::Int(-1));
  CHECK(ping.elements[2] == Reply::Array({Reply::Status("fast")}));
  CHECK(ping.elements[3] == Reply::Int(0));
  CHECK(ping.elements[4] == Reply::Int(0));
  CHECK(ping.elements[5] == Reply::Int(0));
  CHECK(ping.elements[6] == Reply::Array({Reply::Status("@fast"), Reply::Status("@connection")}));
  Reply missing = Command(c, {"COMMAND", "INFO", "ping", "nosuch"});
  REQUIRE(missing.elements.size() == 2);
  CHECK(missing.elements[1] == Reply::Nil());
}

TEST_CASE("COMMAND DOCS describes a command", "[core][command]") {
  PylonServer server;
  auto c = server.Connect();
  Reply docs = Command(c, {"COMMAND", "DOCS", "ping"});
  REQUIRE(docs.type == Reply::Type::kArray);
  REQUIRE(docs.elements.size() == 2);
  CHECK(docs.elements[0] == Reply::Bulk("ping"));
  const Reply& doc = docs.elements[1];
  REQUIRE(doc.Field("summary") != nullptr);
  CHECK(*doc.Field("summary") == Reply::Bulk("Ping the server"));
  CHECK(*doc.Field("since") == Reply::Bulk("1.0.0"));
  CHECK(*doc.Field("group") == Reply::Bulk("connection"));
  CHECK(*doc.Field("complexity") == Reply::Bulk("O(1)"));
  REQUIRE(doc.Field("arguments") != nullptr);
  const Reply& args = *doc.Field("arguments");
  REQUIRE(args.elements.size() == 1);
  CHECK(*args.elements[0].Field("name") == Reply::Bulk("message"));
  CHECK(*args.elements[0].Field("type") == Reply::Bulk("string"));
}

TEST_CASE("COMMAND LIST, with and without a filter", "[core][command]") {
  PylonServer server;
  auto c = server.Connect();
  Reply list = Command(c, {"COMMAND", "LIST"});
  std::vector<std::string> names = list.Strings();
  CHECK(Contains(names, "ping"));
  CHECK(Contains(names, "client|list"));
  Reply count = Command(c, {"COMMAND", "COUNT"});
  CHECK(names.size() > static_cast<size_t>(count.integer));  // subcommands are listed too
  Reply cl = Command(c, {"COMMAND", "LIST", "FILTERBY", "PATTERN", "cl*"});
  std::vector<std::string> filtered = cl.Strings();
  CHECK(Contains(filtered, "client"));
  CHECK(Contains(filtered, "client|list"));
  CHECK(!Contains(filtered, "ping"));
  for (const auto& name : filtered) CHECK(name.rfind("cl", 0) == 0);
}

TEST_CASE("COMMAND GETKEYS", "[core][command]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"COMMAND", "GETKEYS", "WATCH", "a", "b"}) ==
        Reply::Array({Reply::Bulk("a"), Reply::Bulk("b")}));
  CHECK(Command(c, {"COMMAND", "GETKEYS", "PING", "x"}) ==
        Reply::Error("ERR The command has no key arguments"));
  CHECK(Command(c, {"COMMAND", "GETKEYS", "nosuch", "x"}) ==
        Reply::Error("ERR Invalid command specified"));
  // command|getkeys needs the command and at least one argument (arity -3).
  CHECK(Command(c, {"COMMAND", "GETKEYS", "PING"}) ==
        Reply::Error("ERR wrong number of arguments for 'command|getkeys' command"));
}

TEST_CASE("QUIT replies OK and the server closes the connection", "[core]") {
  PylonServer server;
  RawClient raw = server.Raw();
  REQUIRE(raw.Send("QUIT\r\n"));
  CHECK(raw.ReadUntilClosed() == "+OK\r\n");
  CHECK(raw.closed());
  auto c = server.Connect();
  CHECK(Command(c, {"PING"}) == Reply::Status("PONG"));
}

TEST_CASE("RESET clears the name and returns to RESP2", "[core]") {
  PylonServer server;
  RawClient raw = server.Raw();
  REQUIRE(raw.Call({"HELLO", "3", "SETNAME", "x"}).type == Reply::Type::kMap);
  REQUIRE(raw.Send(Encode({"RESET"})));
  CHECK(raw.ReadLine() == "+RESET\r\n");
  REQUIRE(raw.Send(Encode({"CLIENT", "GETNAME"})));
  CHECK(raw.ReadExactly(5) == "$-1\r\n");
  Reply info = raw.Call({"CLIENT", "INFO"});
  CHECK(info.type == Reply::Type::kBulk);
  CHECK(ClientField(info.str, "resp") == "2");
  CHECK(ClientField(info.str, "name") == "");
}

}  // namespace
}  // namespace pylon::e2e
