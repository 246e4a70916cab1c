#include "daemon/command_table.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <tuple>

#include "daemon/config.h"
#include "daemon/registry.h"

namespace pylon::daemon {
namespace {

const ArgDoc& Only(const std::vector<ArgDoc>& args) {
  REQUIRE(args.size() == 1);
  return args[0];
}

TEST_CASE("numkeys keys: any 64-bit count, the positions that exist", "[command_table]") {
  CommandSpec spec{.name = "rl.allowall", .numkeys_index = 1};
  auto keys = [&spec](std::vector<std::string_view> call) {
    std::vector<size_t> out;
    ForEachKey(spec, call, [&out](size_t i) { out.push_back(i); });
    return out;
  };
  CHECK(keys({"RL.ALLOWALL", "2", "a", "b", "LIMIT"}) == std::vector<size_t>{2, 3});
  // A count past the arguments (up to INT64_MAX, whose sum with the position overflows) stops
  // at the last argument; zero and negative counts name none.
  for (std::string_view n : {"9223372036854775807", "9223372036854775806", "4"}) {
    INFO(n);
    CHECK(keys({"RL.ALLOWALL", n, "a", "b"}) == std::vector<size_t>{2, 3});
  }
  CHECK(keys({"RL.ALLOWALL", "0", "a"}).empty());
  CHECK(keys({"RL.ALLOWALL", "-9223372036854775808", "a"}).empty());
  CHECK(keys({"RL.ALLOWALL", "x", "a"}).empty());
}

TEST_CASE("syntax lines become COMMAND DOCS argument trees", "[command_table]") {
  std::vector<ArgDoc> args;
  std::string error;

  SECTION("plain, typed and key arguments") {
    REQUIRE(ParseSyntax("key seconds:integer value", &args, &error));
    REQUIRE(args.size() == 3);
    CHECK(args[0].type == "key");
    CHECK(args[1].name == "seconds");
    CHECK(args[1].type == "integer");
    CHECK(args[2].type == "string");
  }
  SECTION("an optional token with its argument is one argument with a token") {
    REQUIRE(ParseSyntax("[EX seconds:integer]", &args, &error));
    const ArgDoc& ex = Only(args);
    CHECK(ex.name == "seconds");
    CHECK(ex.token == "EX");
    CHECK(ex.optional);
  }
  SECTION("alternatives make a oneof, labels name it") {
    REQUIRE(ParseSyntax("[condition: NX | XX]", &args, &error));
    const ArgDoc& cond = Only(args);
    CHECK(cond.name == "condition");
    CHECK(cond.type == "oneof");
    CHECK(cond.optional);
    REQUIRE(cond.args.size() == 2);
    CHECK(cond.args[0].type == "pure-token");
    CHECK(cond.args[0].token == "NX");
  }
  SECTION("repetition and blocks") {
    REQUIRE(ParseSyntax("(data: field value) ...", &args, &error));
    const ArgDoc& data = Only(args);
    CHECK(data.type == "block");
    CHECK(data.multiple);
    CHECK_FALSE(data.optional);
    CHECK(data.args.size() == 2);
  }
  SECTION("an empty line has no arguments") {
    REQUIRE(ParseSyntax("", &args, &error));
    CHECK(args.empty());
  }
  SECTION("malformed lines are refused") {
    CHECK_FALSE(ParseSyntax("[a", &args, &error));
    CHECK_FALSE(ParseSyntax("a]", &args, &error));
    CHECK_FALSE(ParseSyntax("[a | ]", &args, &error));
    CHECK_FALSE(ParseSyntax("a | b", &args, &error));
  }
}

TEST_CASE("key positions follow first/last/step", "[command_table]") {
  CommandSpec spec;
  spec.first_key = 1;
  spec.last_key = -1;
  spec.key_step = 2;
  std::vector<std::string_view> args = {"mset", "a", "1", "b", "2"};
  CHECK(KeyPositions(spec, args) == std::vector<size_t>{1, 3});
  spec.last_key = 1;
  spec.key_step = 1;
  CHECK(KeyPositions(spec, args) == std::vector<size_t>{1});
  spec.first_key = 0;
  CHECK(KeyPositions(spec, args).empty());
}

TEST_CASE("lookups ignore case and resolve subcommands", "[command_table]") {
  CommandTable table;
  InfoRegistry info;
  Config config;
  std::vector<TimedWork> timed_work;
  FamilyStates states;
  Registry registry{table, info, config, timed_work, states};
  RegisterAll(registry);
  REQUIRE(table.Find("PiNg") != nullptr);
  CHECK(table.Find("nosuch") == nullptr);
  CHECK(table.Find(std::string(200, 'p')) == nullptr);
  const CommandSpec* list = table.FindByFullname("CLIENT|LIST");
  REQUIRE(list != nullptr);
  CHECK(list->fullname == "client|list");
  CHECK(table.FindByFullname("client|nosuch") == nullptr);
  // Without the switch the test clock's command does not exist.
  CHECK(table.Find("testclock") == nullptr);
}

// COMMAND DOCS types are Redis's: redis-cli reads them for its hints and complains of any other.
TEST_CASE("every argument in the command table has one of Redis's types", "[command_table]") {
  CommandTable table;
  InfoRegistry info;
  Config config;
  config.enable_test_clock = true;
  std::vector<TimedWork> timed_work;
  FamilyStates states;
  Registry registry{table, info, config, timed_work, states};
  RegisterAll(registry);
  const std::set<std::string> kTypes = {"string",    "integer",    "double", "key",  "pattern",
                                        "unix-time", "pure-token", "oneof",  "block"};
  std::function<void(const std::string&, const std::vector<ArgDoc>&)> check =
      [&](const std::string& where, const std::vector<ArgDoc>& args) {
        for (const ArgDoc& a : args) {
          INFO(where << " argument '" << a.name << "'");
          CHECK(kTypes.count(a.type) == 1);
          check(where, a.args);
        }
      };
  for (const CommandSpec* c : table.all()) {
    check(c->fullname, c->arg_docs);
    for (const CommandSpec* sub : c->subcommand_order) check(sub->fullname, sub->arg_docs);
  }
  // An option with a choice of words documents the choice under the option, as tokens (a
  // syntax line "[ALGO ketama|jump]" once read as "(ALGO ketama) | jump": clients and the
  // command fuzzer then never sent ALGO jump).
  for (const auto& [command, option, choices] :
       std::vector<std::tuple<std::string, std::string, size_t>>{{"ring.config", "ALGO", 4},
                                                                 {"retry.next", "JITTER", 4}}) {
    INFO(command << " " << option);
    const CommandSpec* c = table.Find(command);
    REQUIRE(c != nullptr);
    // The option: an optional block of its token and a oneof of the words.
    const ArgDoc* found = nullptr;
    for (const ArgDoc& a : c->arg_docs) {
      if (a.type == "block" && a.args.size() == 2 && a.args[0].token == option) found = &a;
    }
    REQUIRE(found != nullptr);
    CHECK(found->optional);
    const ArgDoc& words = found->args[1];
    CHECK(words.type == "oneof");
    REQUIRE(words.args.size() == choices);
    for (const ArgDoc& choice : words.args) CHECK(choice.type == "pure-token");
  }
}

// docs/commands.md must document every command the table serves.
TEST_CASE("every command is documented in docs/commands.md", "[command_table]") {
  CommandTable table;
  InfoRegistry info;
  Config config;
  config.enable_test_clock = true;  // document the test-only command too
  std::vector<TimedWork> timed_work;
  FamilyStates states;
  Registry registry{table, info, config, timed_work, states};
  RegisterAll(registry);
  std::ifstream in(std::string(PYLON_SOURCE_DIR) + "/docs/commands.md");
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  std::string docs = text.str();
  for (const CommandSpec* c : table.all()) {
    std::string upper(c->name);
    for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    INFO("command " << upper);
    CHECK(docs.find(upper) != std::string::npos);
    for (const CommandSpec* sub : c->subcommand_order) {
      std::string sub_upper(sub->name);
      for (char& ch : sub_upper) {
        ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      }
      INFO("subcommand " << upper << " " << sub_upper);
      CHECK(docs.find("`" + upper + " " + sub_upper) != std::string::npos);
    }
  }
}

}  // namespace
}  // namespace pylon::daemon
