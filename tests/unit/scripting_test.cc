// The scripting core alone (modules/scripting): the Lua engine with a fake host standing in for
// the server, the conversions both ways, the sandbox, the script cache, function libraries and
// FUNCTION DUMP's payload. The reference values (random draws, CRC) are redis-server 7.0.15's.
#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "common/crc64.h"
#include "modules/scripting/function_libraries.h"
#include "modules/scripting/function_payload.h"
#include "modules/scripting/lua_engine.h"
#include "modules/scripting/script_cache.h"
#include "protocol/reply_buffer.h"
#include "protocol/reply_writer.h"

namespace pylon::scripting {
namespace {

// Answers redis.call by the command's name with a canned reply, and records the calls.
class FakeHost final : public ScriptHost {
 public:
  std::map<std::string, std::string> replies = {
      {"ping", "+PONG\r\n"},
      {"get", "$3\r\nbar\r\n"},
      {"nil", "$-1\r\n"},
      {"nilarray", "*-1\r\n"},
      {"int", ":42\r\n"},
      {"arr", "*3\r\n:1\r\n$1\r\na\r\n*1\r\n+x\r\n"},
      {"wrongtype", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
      {"map", "%1\r\n$1\r\nk\r\n$1\r\nv\r\n"},
      {"set", "~2\r\n$1\r\na\r\n$1\r\nb\r\n"},
      {"double", ",3.5\r\n"},
      {"null", "_\r\n"},
      {"bool", "#t\r\n"},
      {"big", "(12345678901234567890\r\n"},
      {"verbatim", "=8\r\ntxt:abcd\r\n"},
      {"attr", "|1\r\n$1\r\na\r\n:1\r\n:7\r\n"},
  };
  std::vector<std::vector<std::string>> calls;
  std::vector<int> resps;
  int interrupt_after = -1;  // Interrupted() says true from this many checks on (-1: never)
  int checks = 0;
  std::vector<std::string> logged;

  std::string_view Call(std::span<const std::string_view> args, int resp) override {
    calls.emplace_back(args.begin(), args.end());
    resps.push_back(resp);
    auto it = replies.find(std::string(args[0]));
    static const std::string unknown = "-ERR unknown command\r\n";
    return it == replies.end() ? std::string_view(unknown) : std::string_view(it->second);
  }
  void Log(int level, std::string_view message) override {
    logged.push_back(std::to_string(level) + " " + std::string(message));
  }
  bool Interrupted() override { return interrupt_after >= 0 && ++checks > interrupt_after; }
  bool KnowsCommand(std::span<const std::string_view> args) override {
    return replies.count(std::string(args[0])) > 0;
  }
};

std::string Drain(protocol::ReplyBuffer& buf) {
  std::string out;
  std::string_view views[16];
  while (!buf.empty()) {
    const size_t n = buf.Peek(views, 16);
    size_t taken = 0;
    for (size_t i = 0; i < n; i++) {
      out.append(views[i]);
      taken += views[i].size();
    }
    buf.Consume(taken);
  }
  return out;
}

struct Fixture {
  Lrand48 random;
  LuaEngine engine{LuaEngine::Mode::kEval, random};
  FakeHost host;

  std::string Eval(std::string_view body, std::vector<std::string_view> keys = {},
                   std::vector<std::string_view> args = {}, int caller_resp = 2) {
    std::string error;
    const int ref = engine.Compile(body, "@user_script", &error);
    INFO(error);
    REQUIRE(ref >= 0);
    protocol::ReplyBuffer buf;
    protocol::ReplyWriter writer(&buf, caller_resp);
    engine.Run(ref, keys, args, {host, "sha", writer});
    engine.Release(ref);
    return Drain(buf);
  }
};

TEST_CASE("Lua values become replies as Redis converts them", "[scripting]") {
  Fixture f;
  CHECK(f.Eval("return 3.99") == ":3\r\n");
  CHECK(f.Eval("return -3.5") == ":-3\r\n");
  CHECK(f.Eval("return 'x'") == "$1\r\nx\r\n");
  CHECK(f.Eval("return true") == ":1\r\n");
  CHECK(f.Eval("return false") == "$-1\r\n");
  CHECK(f.Eval("return nil") == "$-1\r\n");
  CHECK(f.Eval("return false", {}, {}, 3) == "_\r\n");
  // An array stops at its first nil.
  CHECK(f.Eval("return {1, 'a', nil, 2}") == "*2\r\n:1\r\n$1\r\na\r\n");
  CHECK(f.Eval("return {1, {2, {3}}}") == "*2\r\n:1\r\n*2\r\n:2\r\n*1\r\n:3\r\n");
  CHECK(f.Eval("return {err='MYCODE went wrong'}") == "-MYCODE went wrong\r\n");
  CHECK(f.Eval("return {ok='fine\\r\\nnow'}") == "+fine  now\r\n");
  CHECK(f.Eval("return redis.error_reply('boom')") == "-ERR boom\r\n");
  CHECK(f.Eval("return redis.error_reply('MY boom')") == "-MY boom\r\n");
  CHECK(f.Eval("return redis.status_reply('ALL GOOD')") == "+ALL GOOD\r\n");
  // The script's protocol decides booleans; the caller's decides the wire form.
  CHECK(f.Eval("redis.setresp(3) return true", {}, {}, 3) == "#t\r\n");
  CHECK(f.Eval("redis.setresp(3) return true", {}, {}, 2) == ":1\r\n");
  CHECK(f.Eval("return {double=3.5}", {}, {}, 3) == ",3.5\r\n");
  CHECK(f.Eval("return {double=3.5}", {}, {}, 2) == "$3\r\n3.5\r\n");
  CHECK(f.Eval("return {big_number='123'}", {}, {}, 3) == "(123\r\n");
  CHECK(f.Eval("return {map={a=1}}", {}, {}, 3) == "%1\r\n$1\r\na\r\n:1\r\n");
  CHECK(f.Eval("return {map={a=1}}", {}, {}, 2) == "*2\r\n$1\r\na\r\n:1\r\n");
  CHECK(f.Eval("return {set={a=true}}", {}, {}, 3) == "~1\r\n$1\r\na\r\n");
  CHECK(f.Eval("return {verbatim_string={format='txt', string='hi'}}", {}, {}, 3) ==
        "=6\r\ntxt:hi\r\n");
  CHECK(f.Eval("return 1e300") == ":-9223372036854775808\r\n");
}

TEST_CASE("replies become Lua values as Redis converts them", "[scripting]") {
  Fixture f;
  CHECK(f.Eval("return redis.call('ping').ok") == "$4\r\nPONG\r\n");
  CHECK(f.Eval("return redis.call('get')") == "$3\r\nbar\r\n");
  CHECK(f.Eval("return tostring(redis.call('nil'))") == "$5\r\nfalse\r\n");
  CHECK(f.Eval("return tostring(redis.call('nilarray'))") == "$5\r\nfalse\r\n");
  CHECK(f.Eval("return redis.call('int') + 1") == ":43\r\n");
  CHECK(f.Eval("return redis.call('arr')") == "*3\r\n:1\r\n$1\r\na\r\n*1\r\n+x\r\n");
  CHECK(f.Eval("redis.setresp(3) return redis.call('map').map.k") == "$1\r\nv\r\n");
  CHECK(f.Eval("redis.setresp(3) local s = redis.call('set').set return {s.a, s.b}") ==
        "*2\r\n:1\r\n:1\r\n");
  CHECK(f.Eval("redis.setresp(3) return tostring(redis.call('double').double)") == "$3\r\n3.5\r\n");
  CHECK(f.Eval("redis.setresp(3) return type(redis.call('null'))") == "$3\r\nnil\r\n");
  CHECK(f.Eval("redis.setresp(3) return tostring(redis.call('bool'))") == "$4\r\ntrue\r\n");
  CHECK(f.Eval("redis.setresp(3) return redis.call('big').big_number") ==
        "$20\r\n12345678901234567890\r\n");
  CHECK(f.Eval("redis.setresp(3) local v = redis.call('verbatim').verbatim_string "
               "return {v.format, v.string}") == "*2\r\n$3\r\ntxt\r\n$4\r\nabcd\r\n");
  CHECK(f.Eval("redis.setresp(3) return redis.call('attr')") == ":7\r\n");
  // Each run starts in RESP2, and the host is asked in the script's protocol.
  f.host.resps.clear();
  f.Eval("redis.call('ping') redis.setresp(3) redis.call('ping')");
  f.Eval("redis.call('ping')");
  CHECK(f.host.resps == std::vector<int>{2, 3, 2});
}

TEST_CASE("redis.call raises a command's error, redis.pcall returns it", "[scripting]") {
  Fixture f;
  CHECK(f.Eval("return redis.call('wrongtype')") ==
        "-WRONGTYPE Operation against a key holding the wrong kind of value script: sha, on "
        "@user_script:1.\r\n");
  CHECK(f.Eval("return redis.pcall('wrongtype').err") ==
        "$65\r\nWRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  // pcall (Lua's) catches a raised error table as its text, as Redis 7 does.
  CHECK(f.Eval("local ok, e = pcall(redis.call, 'wrongtype') return {tostring(ok), e}") ==
        "*2\r\n$5\r\nfalse\r\n$65\r\nWRONGTYPE Operation against a key holding the wrong kind "
        "of value\r\n");
  CHECK(f.Eval("return redis.call()") ==
        "-ERR Please specify at least one argument for this redis lib call script: sha, on "
        "@user_script:1.\r\n");
  CHECK(f.Eval("return redis.call('get', {})") ==
        "-ERR Lua redis lib command arguments must be strings or integers script: sha, on "
        "@user_script:1.\r\n");
  CHECK(f.Eval("error('plain')") ==
        "-ERR user_script:1: plain script: sha, on @user_script:1.\r\n");
  CHECK(f.Eval("\n\nerror({err='CUSTOM oops'})") ==
        "-CUSTOM oops script: sha, on @user_script:3.\r\n");
}

TEST_CASE("arguments reach the host as Redis formats them", "[scripting]") {
  Fixture f;
  f.Eval("redis.call('get', 1, 0.1, -2.5, 'x', KEYS[1], ARGV[1])", {"k"}, {"a"});
  REQUIRE(f.host.calls.size() == 1);
  CHECK(f.host.calls[0] ==
        std::vector<std::string>{"get", "1", "0.10000000000000001", "-2.5", "x", "k", "a"});
  // Whole numbers as %.17g writes them, at the edges of the integer shortcut too.
  f.host.calls.clear();
  // (-z: a negative zero made at run time; a literal -0.0 is folded into the constant 0.)
  f.Eval("local z = 0 redis.call('get', -7, 0, -z, 1e15, 1e15 - 1, -(1e15 - 1), 2^53, 1e17, 1/0)");
  REQUIRE(f.host.calls.size() == 1);
  CHECK(f.host.calls[0] == std::vector<std::string>{"get", "-7", "0", "-0", "1000000000000000",
                                                    "999999999999999", "-999999999999999",
                                                    "9007199254740992", "1e+17", "inf"});
  CHECK(f.Eval("return {#KEYS, #ARGV, KEYS[2], ARGV[1]}", {"a", "b"}, {"c"}) ==
        "*4\r\n:2\r\n:1\r\n$1\r\nb\r\n$1\r\nc\r\n");
}

TEST_CASE("the sandbox refuses what Redis refuses", "[scripting]") {
  Fixture f;
  const std::string readonly =
      "-ERR user_script:1: Attempt to modify a readonly table script: sha, on @user_script:1.\r\n";
  CHECK(f.Eval("x = 1") == readonly);
  CHECK(f.Eval("redis = nil") == readonly);
  CHECK(f.Eval("string.upper = nil") == readonly);
  CHECK(f.Eval("_G.y = 2") == readonly);
  CHECK(f.Eval("rawset(redis, 'call', nil)") ==
        "-ERR Attempt to modify a readonly table script: sha, on @user_script:1.\r\n");
  for (const char* name : {"os", "io", "print", "dofile", "loadfile", "require", "debug", "getfenv",
                           "setfenv", "newproxy"}) {
    INFO(name);
    CHECK(f.Eval(std::string("return ") + name) ==
          "-ERR user_script:1: Script attempted to access nonexistent global variable '" +
              std::string(name) + "' script: sha, on @user_script:1.\r\n");
  }
  // Bytecode is never loaded: it is parsed as text, and fails.
  CHECK(f.Eval("return loadstring(string.dump(function() return 1 end))()")
            .find("attempt to call a nil value") != std::string::npos);
  CHECK(f.Eval("local n = 0 return load(function() n = n + 1 if n == 1 then return "
               "string.dump(function() return 1 end) end end)()")
            .find("attempt to call a nil value") != std::string::npos);
  CHECK(f.Eval("return loadstring('return 7')()") == ":7\r\n");
  CHECK(f.Eval("local g = getmetatable(_G) g.__index = {}") == readonly);
  // Nothing a script did is seen by the next one.
  f.Eval("pcall(function() redis.call = nil end)");
  CHECK(f.Eval("return redis.call('ping').ok") == "$4\r\nPONG\r\n");
  // The libraries are there.
  CHECK(f.Eval("return cjson.encode({1, 2})") == "$5\r\n[1,2]\r\n");
  CHECK(f.Eval("return bit.band(7, 3)") == ":3\r\n");
  CHECK(f.Eval("return struct.unpack('>I2', struct.pack('>I2', 258))") == ":258\r\n");
  CHECK(f.Eval("return cmsgpack.unpack(cmsgpack.pack('hi'))") == "$2\r\nhi\r\n");
  CHECK(f.Eval("return redis.sha1hex('')") ==
        "$40\r\nda39a3ee5e6b4b0d3255bfef95601890afd80709\r\n");
  CHECK(f.Eval("return redis.REDIS_VERSION") == "$6\r\n7.0.15\r\n");
  CHECK(f.Eval("return redis.REDIS_VERSION_NUM") == ":458767\r\n");
}

TEST_CASE("math.random draws Redis's sequence", "[scripting]") {
  Fixture f;
  // redis-server 7.0.15 just started answers these to the same calls.
  CHECK(f.Eval("return {math.random(1000000), math.random(1000000), tostring(math.random())}") ==
        "*3\r\n:396465\r\n:840486\r\n$16\r\n0.35333609737146\r\n");
  CHECK(f.Eval("math.randomseed(42) return {math.random(1000000), math.random(1000000)}") ==
        "*2\r\n:744526\r\n:342702\r\n");
}

TEST_CASE("an interrupted script stops, and pcall cannot keep it alive", "[scripting]") {
  Fixture f;
  f.host.interrupt_after = 2;
  CHECK(f.Eval("while true do pcall(function() while true do end end) end") ==
        "-ERR Script killed by user with SCRIPT KILL... script: sha, on @user_script:1.\r\n");
  f.host.interrupt_after = -1;
  CHECK(f.Eval("return 1") == ":1\r\n");  // the next run is not killed
  // ... and the one after can be killed again (the hook still runs after a kill).
  f.host.checks = 0;
  f.host.interrupt_after = 2;
  CHECK(f.Eval("redis.call('ping') while true do end") ==
        "-ERR Script killed by user with SCRIPT KILL... script: sha, on @user_script:1.\r\n");
}

TEST_CASE("redis.log reaches the host at its level", "[scripting]") {
  Fixture f;
  f.Eval("redis.log(redis.LOG_WARNING, 'a', 1) redis.log(redis.LOG_DEBUG, 'b')");
  CHECK(f.host.logged == std::vector<std::string>{"3 a 1", "0 b"});
  CHECK(f.Eval("redis.log(9, 'x')") ==
        "-ERR Invalid debug level. script: sha, on @user_script:1.\r\n");
}

TEST_CASE("the script cache compiles once and reads shebangs as Redis", "[scripting]") {
  Lrand48 random;
  ScriptCache cache(random);
  std::string sha, error;
  const ScriptCache::Script* s = cache.Load("return 1", &sha, &error);
  REQUIRE(s);
  CHECK(sha == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
  CHECK(s->flags == kScriptEvalCompat);
  CHECK(cache.Find("E0E1F9FABFC9D4800C877A703B823AC0578FF8DB") == s);
  CHECK(cache.Find("e0e1f9fabfc9d4800c877a703b823ac0578ff8d") == nullptr);
  CHECK(cache.Load("return 1", &sha, &error) == s);
  CHECK(cache.size() == 1);

  s = cache.Load("#!lua flags=no-writes,allow-oom\nreturn 2", &sha, &error);
  REQUIRE(s);
  CHECK(s->flags == (kScriptNoWrites | kScriptAllowOom));
  CHECK_FALSE(cache.Load("#!lua flags=no-writes,bogus\nreturn 2", &sha, &error));
  CHECK(error == "ERR Unexpected flag in script shebang: bogus");
  CHECK_FALSE(cache.Load("#!python\nreturn 2", &sha, &error));
  CHECK(error == "ERR Unexpected engine in script shebang: #!python");
  CHECK_FALSE(cache.Load("#!lua foo=bar\nreturn 2", &sha, &error));
  CHECK(error == "ERR Unknown lua shebang option: foo=bar");
  CHECK_FALSE(cache.Load("#!lua", &sha, &error));
  CHECK(error == "ERR Invalid script shebang");
  CHECK_FALSE(cache.Load("return (", &sha, &error));
  CHECK(error.starts_with("ERR Error compiling script (new function): user_script:1:"));
  CHECK(cache.size() == 2);
  cache.Flush();
  CHECK(cache.size() == 0);
  CHECK(cache.memory() == 0);
  CHECK(cache.Find(sha) == nullptr);
}

const std::function<bool()> kNever = [] { return false; };

TEST_CASE("function libraries load, collide, replace and go", "[scripting]") {
  Lrand48 random;
  FunctionLibraries libs(random);
  std::string error;
  const std::string lib1 =
      "#!lua name=lib1\nredis.register_function('f1', function(k, a) return 1 end)\n"
      "redis.register_function{function_name='F2', callback=function() return 2 end, "
      "flags={'no-writes'}, description='two'}";
  CHECK(libs.Load(lib1, false, kNever, &error) == "lib1");
  CHECK(libs.function_count() == 2);
  REQUIRE(libs.Find("f2"));  // function names are case-insensitive
  CHECK(libs.Find("f2")->flags == kScriptNoWrites);
  CHECK(libs.Find("f2")->description == "two");
  CHECK(libs.Load(lib1, false, kNever, &error).empty());
  CHECK(error == "Library 'lib1' already exists");
  CHECK(libs.Load("#!lua name=lib2\nredis.register_function('F1', function() end)", false, kNever,
                  &error)
            .empty());
  CHECK(error == "Function F1 already exists");
  CHECK(libs.Load("#!lua name=lib2\nlocal x = 1", false, kNever, &error).empty());
  CHECK(error == "No functions registered");
  CHECK(libs.Load("#!lua name=lib2\nstring.len('x')", false, kNever, &error).empty());
  CHECK(error.find("nonexistent global variable 'string'") != std::string::npos);
  CHECK(libs.Load("return 1", false, kNever, &error).empty());
  CHECK(error == "Missing library metadata");
  CHECK(libs.Load("#!lua\nreturn 1", false, kNever, &error).empty());
  CHECK(error == "Library name was not given");
  CHECK(libs.Load("#!lua name=a-b\nreturn 1", false, kNever, &error).empty());
  CHECK(error.starts_with("Library names can only contain"));
  CHECK(libs.Load("#!js name=ab\nreturn 1", false, kNever, &error).empty());
  CHECK(error == "Engine 'js' not found");
  // A load that times out.
  CHECK(libs.Load(
                "#!lua name=slow\nwhile true do end", false, [] { return true; }, &error)
            .empty());
  CHECK(error == "Error registering functions: ERR FUNCTION LOAD timeout");
  // REPLACE keeps the names its own library had.
  CHECK(libs.Load("#!lua name=lib1\nredis.register_function('f1', function() return 3 end)", true,
                  kNever, &error) == "lib1");
  CHECK(libs.function_count() == 1);
  CHECK_FALSE(libs.Find("f2"));
  CHECK(libs.Delete("lib1"));
  CHECK_FALSE(libs.Delete("lib1"));
  CHECK(libs.function_count() == 0);
  CHECK(libs.memory() == 0);
}

TEST_CASE("FUNCTION DUMP's payload round-trips and refuses damage", "[scripting]") {
  CHECK(common::Crc64(0, "123456789") == 0xe9c6d914c4b8d9caull);
  Lrand48 random;
  FunctionLibraries libs(random);
  std::string error;
  const std::string code =
      "#!lua name=mylib\n-- a comment long enough to be compressed, compressed, compressed\n"
      "redis.register_function('myfunc', function(keys, args) return args[1] end)";
  REQUIRE(libs.Load(code, false, kNever, &error) == "mylib");
  const std::string dump = DumpFunctions(libs);

  FunctionLibraries other(random);
  REQUIRE(RestoreFunctions(dump, RestorePolicy::kAppend, other, &error));
  REQUIRE(other.FindLibrary("mylib"));
  CHECK(other.FindLibrary("mylib")->code == code);
  CHECK_FALSE(RestoreFunctions(dump, RestorePolicy::kAppend, other, &error));
  CHECK(error == "ERR Library mylib already exists");
  CHECK(RestoreFunctions(dump, RestorePolicy::kReplace, other, &error));
  CHECK(RestoreFunctions(dump, RestorePolicy::kFlush, other, &error));
  CHECK(other.function_count() == 1);

  // Every truncation and every flipped byte is refused, and nothing changes.
  for (size_t n = 0; n < dump.size(); n++) {
    CHECK_FALSE(RestoreFunctions(dump.substr(0, n), RestorePolicy::kFlush, other, &error));
  }
  for (size_t i = 0; i < dump.size(); i++) {
    std::string bad = dump;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    CHECK_FALSE(RestoreFunctions(bad, RestorePolicy::kFlush, other, &error));
  }
  CHECK(other.function_count() == 1);
  // A well-formed payload that is not a function.
  std::string not_function = "\x05";
  not_function += "\x0a";
  not_function.push_back('\0');
  const uint64_t crc = common::Crc64(0, not_function);
  for (int i = 0; i < 8; i++) not_function.push_back(static_cast<char>(crc >> (8 * i)));
  CHECK_FALSE(RestoreFunctions(not_function, RestorePolicy::kAppend, other, &error));
  CHECK(error == "ERR given type is not a function");
}

}  // namespace
}  // namespace pylon::scripting
