// Scripting over real sockets: what a script's commands do to the server around it (writes,
// WATCH, MULTI, blocked clients, Pylon's own families, persistence of functions), and a long
// script answered -BUSY by others and stopped by SCRIPT KILL, on the real clock.
#include <chrono>
#include <thread>

#include "tests/e2e/harness.h"

namespace pylon::e2e {
namespace {

Reply Eval(const Connection& c, const std::string& script, std::vector<std::string> rest = {"0"}) {
  std::vector<std::string> args = {"EVAL", script};
  args.insert(args.end(), rest.begin(), rest.end());
  return Command(c, args);
}

TEST_CASE("scripting: writes, WATCH and MULTI see a script as one command", "[scripting]") {
  PylonServer server;
  auto c = server.Connect();
  auto other = server.Connect();
  CHECK(Eval(c, "redis.call('set', KEYS[1], ARGV[1]) return redis.call('get', KEYS[1])",
             {"1", "k", "v"}) == Reply::Bulk("v"));
  CHECK(Command(other, {"GET", "k"}) == Reply::Bulk("v"));

  // A script's write is a modification for WATCH.
  REQUIRE(Command(c, {"WATCH", "k"}) == Reply::Ok());
  CHECK(Eval(other, "return redis.call('set', 'k', 'w')") == Reply::Ok());
  REQUIRE(Command(c, {"MULTI"}) == Reply::Ok());
  REQUIRE(Command(c, {"GET", "k"}) == Reply::Status("QUEUED"));
  CHECK(Command(c, {"EXEC"}).type == Reply::Type::kNil);

  // EVAL inside MULTI runs at EXEC.
  REQUIRE(Command(c, {"MULTI"}) == Reply::Ok());
  CHECK(Eval(c, "return redis.call('incr', 'n')") == Reply::Status("QUEUED"));
  CHECK(Eval(c, "return redis.call('incr', 'n')") == Reply::Status("QUEUED"));
  CHECK(Command(c, {"EXEC"}) == Reply::Array({Reply::Int(1), Reply::Int(2)}));

  // Commands refused in scripts, and read-only runs.
  CHECK(Eval(c, "return redis.call('multi')").str ==
        "ERR This Redis command is not allowed from script script: "
        "c329a1a294be6bf95b44144f7502610661ae925a, on @user_script:1.");
  CHECK(Command(c, {"EVAL_RO", "return redis.call('set', 'x', 1)", "0"})
            .str.starts_with("ERR Write commands are not allowed from read-only scripts."));
  CHECK(Command(c, {"EVAL_RO", "#!lua\nreturn 1", "0"}) ==
        Reply::Error("ERR Can not execute a script with write flag using *_ro command."));
  CHECK(Command(c, {"EVAL_RO", "#!lua flags=no-writes\nreturn redis.call('get', 'k')", "0"}) ==
        Reply::Bulk("w"));
  CHECK(Command(c, {"EVALSHA", std::string(40, 'a'), "0"}) ==
        Reply::Error("NOSCRIPT No matching script. Please use EVAL."));
}

TEST_CASE("scripting: blocking commands do not block, and blocked clients wait for the end",
          "[scripting]") {
  PylonServer server;
  auto c = server.Connect();
  // As Redis 7.0: BLMPOP and BZMPOP answer at once in a script; BLPOP and its kin are refused.
  CHECK(Eval(c, "return redis.call('blmpop', 0, 1, 'empty', 'LEFT')").type == Reply::Type::kNil);
  CHECK(Eval(c, "redis.call('rpush', 'l', 'a') return redis.call('blmpop', 0, 1, 'l', 'LEFT')") ==
        Reply::Array({Reply::Bulk("l"), Reply::Array({Reply::Bulk("a")})}));
  CHECK(Eval(c, "return redis.call('blpop', 'l', 0)")
            .str.starts_with("ERR This Redis command is not allowed from script"));

  // A client blocked on a list does not see an element the script pushes and pops again.
  RawClient blocked = server.Raw();
  REQUIRE(blocked.Send(Encode({"BLPOP", "q", "0"})));
  // Wait until the server has it blocked.
  for (int i = 0; i < 200; i++) {
    auto info = Command(c, {"INFO", "clients"});
    if (InfoField(info.str, "blocked_clients") == "1") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(InfoField(Command(c, {"INFO", "clients"}).str, "blocked_clients") == "1");
  CHECK(Eval(c, "redis.call('rpush', 'q', 'x') return redis.call('lpop', 'q')") ==
        Reply::Bulk("x"));
  CHECK(Eval(c, "return redis.call('rpush', 'q', 'y')") == Reply::Int(1));
  CHECK(blocked.ReadReply() == Reply::Array({Reply::Bulk("q"), Reply::Bulk("y")}));
}

TEST_CASE("scripting: Pylon's own families work from scripts", "[scripting]") {
  PylonServer server;
  auto c = server.Connect();
  const Reply allowed =
      Eval(c, "return redis.call('RL.ALLOW', KEYS[1], 'LIMIT', 2, 'PERIOD', 1000)", {"1", "rl"});
  REQUIRE(allowed.type == Reply::Type::kArray);
  CHECK(allowed.elements.at(0) == Reply::Int(1));
  CHECK(Eval(c, "return redis.call('BF.ADD', 'bf', 'item')") == Reply::Int(1));
  CHECK(Eval(c, "return redis.call('BF.EXISTS', 'bf', 'item')") == Reply::Int(1));
  const Reply pushed = Eval(c, "return redis.call('Q.PUSH', 'jobs', 'payload')");
  CHECK_FALSE(pushed.is_error());
  // Q.POP with BLOCK returns at once in a script.
  Eval(c, "return redis.call('Q.POP', 'jobs')");
  CHECK(Eval(c, "return redis.call('Q.POP', 'jobs', 'BLOCK', 0)").type == Reply::Type::kNil);
}

TEST_CASE("scripting: functions load, run and come back after a restart", "[scripting]") {
  TempDir dir;
  const std::vector<std::string> persistent = {"--appendonly", "yes",           "--dir",
                                               dir.path(),     "--appendfsync", "always"};
  const std::string lib =
      "#!lua name=counter\n"
      "redis.register_function('bump', function(keys, args) return redis.call('incrby', keys[1], "
      "args[1]) end)\n"
      "redis.register_function{function_name='peek', callback=function(keys) return "
      "redis.call('get', keys[1]) end, flags={'no-writes'}}";
  {
    PylonServer server(ServerOptions{.args = persistent, .wait_loaded = true});
    auto c = server.Connect();
    REQUIRE(Command(c, {"FUNCTION", "LOAD", lib}) == Reply::Bulk("counter"));
    CHECK(Command(c, {"FCALL", "bump", "1", "n", "5"}) == Reply::Int(5));
    CHECK(Command(c, {"FCALL_RO", "PEEK", "1", "n"}) == Reply::Bulk("5"));
    CHECK(Command(c, {"FCALL_RO", "bump", "1", "n", "1"}) ==
          Reply::Error("ERR Can not execute a script with write flag using *_ro command."));
    CHECK(server.Stop(SIGTERM) == 0);
  }
  {
    PylonServer server(ServerOptions{.args = persistent, .wait_loaded = true});
    auto c = server.Connect();
    CHECK(Command(c, {"FCALL", "bump", "1", "n", "2"}) == Reply::Int(7));
    REQUIRE(Command(c, {"FUNCTION", "DELETE", "counter"}) == Reply::Ok());
    CHECK(server.Stop(SIGTERM) == 0);
  }
  PylonServer server(ServerOptions{.args = persistent, .wait_loaded = true});
  auto c = server.Connect();
  CHECK(Command(c, {"FCALL", "bump", "1", "n", "2"}) == Reply::Error("ERR Function not found"));
  CHECK(Command(c, {"GET", "n"}) == Reply::Bulk("7"));
}

TEST_CASE("scripting: a long script makes others wait with -BUSY until SCRIPT KILL",
          "[scripting]") {
  PylonServer server({"--busy-reply-threshold", "50"});
  RawClient runner = server.Raw();
  auto other = server.Connect();
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(runner.Send(Encode({"EVAL", "while true do end", "0"})));
  // Others are answered -BUSY once the threshold has passed (polled, with a deadline).
  Reply busy;
  for (int i = 0; i < 500; i++) {
    busy = Command(other, {"GET", "k"});
    if (busy.is_error()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(busy == Reply::Error("BUSY Redis is busy running a script. You can only call SCRIPT "
                               "KILL or SHUTDOWN NOSAVE."));
  // The threshold is a lower bound on when -BUSY starts.
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(50));
  // A client that connects now is served too.
  auto late = server.Connect();
  CHECK(Command(late, {"FUNCTION", "STATS"}) ==
        Reply::Error("BUSY Redis is busy running a script. You can only call SCRIPT KILL or "
                     "SHUTDOWN NOSAVE."));
  CHECK(Command(late, {"FUNCTION", "KILL"}) ==
        Reply::Error("BUSY Redis is busy running a script. You can only call SCRIPT KILL or "
                     "SHUTDOWN NOSAVE."));
  CHECK(Command(late, {"SCRIPT", "KILL"}) == Reply::Ok());
  CHECK(runner.ReadReply().str.starts_with("ERR Script killed by user with SCRIPT KILL..."));
  CHECK(Command(other, {"PING"}) == Reply::Status("PONG"));
  CHECK(Command(other, {"SCRIPT", "KILL"}) ==
        Reply::Error("NOTBUSY No scripts in execution right now."));

  // A script that wrote cannot be killed; SHUTDOWN NOSAVE stops it and the server.
  REQUIRE(runner.Send(Encode({"EVAL", "redis.call('set', 'k', 1) while true do end", "0"})));
  for (int i = 0; i < 500; i++) {
    busy = Command(other, {"PING"});
    if (busy.is_error()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(busy.is_error());
  CHECK(Command(other, {"SCRIPT", "KILL"}).str.starts_with("UNKILLABLE"));
  CHECK(Command(other, {"SHUTDOWN"}).str.starts_with("BUSY"));
  Command(other, {"SHUTDOWN", "NOSAVE"});
  CHECK(server.WaitForExit() == 0);
}

TEST_CASE("scripting: INFO counts scripts and their memory", "[scripting]") {
  PylonServer server;
  auto c = server.Connect();
  REQUIRE(Command(c, {"SCRIPT", "LOAD", "return 1"}).type == Reply::Type::kBulk);
  REQUIRE(Eval(c, "return redis.call('ping')") == Reply::Status("PONG"));
  const std::string info = Command(c, {"INFO"}).str;
  CHECK(InfoField(info, "number_of_cached_scripts") == "2");
  CHECK(std::stoll(InfoField(info, "used_memory_vm_eval").value_or("0")) > 0);
  CHECK(InfoField(info, "script_evals") == "1");
  CHECK(InfoField(info, "script_calls_from_scripts") == "1");
  REQUIRE(Command(c, {"SCRIPT", "FLUSH"}) == Reply::Ok());
  CHECK(InfoField(Command(c, {"INFO", "memory"}).str, "number_of_cached_scripts") == "0");
  CHECK(Command(c, {"SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"}) ==
        Reply::Array({Reply::Int(0)}));
}

}  // namespace
}  // namespace pylon::e2e
