// BF.* over real sockets: RedisBloom's replies in RESP2 and RESP3, defaults, scaling and a full
// non-scaling filter, SCANDUMP then LOADCHUNK into another key answering the same, INFO # Bloom,
// and bad input with RedisBloom's error texts.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "harness.h"

namespace pylon::e2e {
namespace {

std::vector<std::string> Items(const std::string& prefix, int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; i++) out.push_back(prefix + std::to_string(i));
  return out;
}

std::vector<std::string> With(std::vector<std::string> head, const std::vector<std::string>& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

TEST_CASE("bloom: add, exists, card, info with RedisBloom's defaults and replies", "[bloom]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"BF.ADD", "bf", "a"}) == Reply::Int(1));
  CHECK(Command(c, {"BF.ADD", "bf", "a"}) == Reply::Int(0));
  CHECK(Command(c, {"BF.EXISTS", "bf", "a"}) == Reply::Int(1));
  CHECK(Command(c, {"BF.EXISTS", "bf", "b"}) == Reply::Int(0));
  CHECK(Command(c, {"BF.EXISTS", "nokey", "a"}) == Reply::Int(0));
  CHECK(Command(c, {"BF.MADD", "bf", "a", "b", "c"}) ==
        Reply::Array({Reply::Int(0), Reply::Int(1), Reply::Int(1)}));
  CHECK(Command(c, {"BF.MEXISTS", "bf", "a", "x", "c"}) ==
        Reply::Array({Reply::Int(1), Reply::Int(0), Reply::Int(1)}));
  CHECK(Command(c, {"BF.CARD", "bf"}) == Reply::Int(3));
  CHECK(Command(c, {"BF.CARD", "nokey"}) == Reply::Int(0));
  CHECK(Command(c, {"TYPE", "bf"}) == Reply::Status("MBbloom--"));
  CHECK(Command(c, {"OBJECT", "ENCODING", "bf"}) == Reply::Bulk("scalable"));

  // Defaults: capacity 100, expansion 2, one sub-filter; Size is the bit array (100 items at
  // 0.5 %: 1103 bits, 18 words) and the bookkeeping.
  const Reply info = Command(c, {"BF.INFO", "bf"});
  REQUIRE(info.type == Reply::Type::kArray);
  REQUIRE(info.elements.size() == 10);
  CHECK(info.elements[0] == Reply::Status("Capacity"));
  CHECK(info.elements[1] == Reply::Int(100));
  CHECK(info.elements[2] == Reply::Status("Size"));
  CHECK(info.elements[3].integer >= 18 * 8);
  CHECK(info.elements[3].integer <= 18 * 8 + 256);
  CHECK(info.elements[4] == Reply::Status("Number of filters"));
  CHECK(info.elements[5] == Reply::Int(1));
  CHECK(info.elements[6] == Reply::Status("Number of items inserted"));
  CHECK(info.elements[7] == Reply::Int(3));
  CHECK(info.elements[8] == Reply::Status("Expansion rate"));
  CHECK(info.elements[9] == Reply::Int(2));
  CHECK(Command(c, {"BF.INFO", "bf", "items"}) == Reply::Array({Reply::Int(3)}));
  CHECK(Command(c, {"BF.INFO", "bf", "CAPACITY"}) == Reply::Array({Reply::Int(100)}));

  // Scaling: 250 items past capacity 100 make sub-filters of 100, 200.
  Command(c, With({"BF.MADD", "bf"}, Items("i", 0, 250)));
  CHECK(Command(c, {"BF.INFO", "bf", "FILTERS"}) == Reply::Array({Reply::Int(2)}));
  CHECK(Command(c, {"BF.INFO", "bf", "CAPACITY"}) == Reply::Array({Reply::Int(300)}));
  for (const std::string& item : Items("i", 0, 250)) {
    REQUIRE(Command(c, {"BF.EXISTS", "bf", item}) == Reply::Int(1));
  }

  // RESP3: BF.INFO is a map; the rest are the same integers.
  RawClient r3 = server.Raw();
  REQUIRE(r3.Call({"HELLO", "3"}).type == Reply::Type::kMap);
  const Reply map = r3.Call({"BF.INFO", "bf"});
  REQUIRE(map.type == Reply::Type::kMap);
  CHECK(*map.Field("Expansion rate") == Reply::Int(2));
  CHECK(r3.Call({"BF.EXISTS", "bf", "a"}) == Reply::Int(1));

  const Reply stats = Command(c, {"INFO", "bloom"});
  CHECK(InfoField(stats.str, "bf_filters") == "1");
  CHECK(InfoField(stats.str, "bf_scaled") == "1");
}

TEST_CASE("bloom: reserve, a full non-scaling filter, insert's options", "[bloom]") {
  PylonServer server;
  auto c = server.Connect();
  CHECK(Command(c, {"BF.RESERVE", "ns", "0.01", "10", "NONSCALING"}) == Reply::Ok());
  CHECK(Command(c, {"BF.RESERVE", "ns", "0.01", "10"}) == Reply::Error("ERR item exists"));
  CHECK(Command(c, {"BF.INFO", "ns", "EXPANSION"}) == Reply::Array({Reply::Nil()}));
  CHECK(Command(c, {"OBJECT", "ENCODING", "ns"}) == Reply::Bulk("nonscaling"));
  // Ten distinct items fill it (a false positive would add nothing: add until ten are in).
  const Reply first = Command(c, With({"BF.MADD", "ns"}, Items("x", 0, 10)));
  REQUIRE(first.type == Reply::Type::kArray);
  int added = 0;
  for (const Reply& e : first.elements) added += e.integer == 1;
  for (int i = 10; added < 10; i++)
    added += Command(c, {"BF.ADD", "ns", "x" + std::to_string(i)}).integer;
  // The next new items: refused, and MADD stops at the first refusal.
  const Reply more = Command(c, {"BF.MADD", "ns", "new1", "new2", "new3"});
  REQUIRE(more.type == Reply::Type::kArray);
  CHECK(more.elements.back() == Reply::Error("ERR non scaling filter is full"));
  CHECK(Command(c, {"BF.ADD", "ns", "new4"}) == Reply::Error("ERR non scaling filter is full"));
  CHECK(Command(c, {"BF.CARD", "ns"}) == Reply::Int(10));

  CHECK(Command(c, {"BF.INSERT", "ins", "CAPACITY", "1000", "ERROR", "0.001", "EXPANSION", "4",
                    "ITEMS", "a", "b"}) == Reply::Array({Reply::Int(1), Reply::Int(1)}));
  CHECK(Command(c, {"BF.INFO", "ins", "CAPACITY"}) == Reply::Array({Reply::Int(1000)}));
  CHECK(Command(c, {"BF.INFO", "ins", "EXPANSION"}) == Reply::Array({Reply::Int(4)}));
  CHECK(Command(c, {"BF.INSERT", "absent", "NOCREATE", "ITEMS", "a"}) ==
        Reply::Error("ERR not found"));
  CHECK(Command(c, {"EXISTS", "absent"}) == Reply::Int(0));
}

int64_t InfoInt(const Connection& c, std::string_view section, std::string_view field) {
  return std::stoll(
      InfoField(Command(c, {"INFO", std::string(section)}).str, field).value_or("-1"));
}

TEST_CASE("bloom: bf-max-memory and maxmemory refuse a filter before it is allocated", "[bloom]") {
  PylonServer server;
  auto c = server.Connect();
  const Reply kTooBig = Reply::Error("ERR operation exceeds bloom object memory limit");
  CHECK(Command(c, {"CONFIG", "GET", "bf-max-memory"}) ==
        Reply::Array({Reply::Bulk("bf-max-memory"), Reply::Bulk("134217728")}));
  const int64_t used = InfoInt(c, "memory", "used_memory");
  // 268,435,456 items at 1 %: a 353 MB filter.
  CHECK(Command(c, {"BF.RESERVE", "big", "0.01", "268435456"}) == kTooBig);
  CHECK(Command(c, {"BF.INSERT", "big", "CAPACITY", "268435456", "ITEMS", "a"}) == kTooBig);
  CHECK(Command(c, {"BF.ADD", "big", "a"}).integer == 1);  // the defaults are small
  CHECK(Command(c, {"DEL", "big"}) == Reply::Int(1));
  CHECK(InfoInt(c, "memory", "used_memory") < used + 1000000);  // nothing was allocated
  // 100,000,000 at 1 %: 132 MB with a scaling filter's tightened first error rate, 114 MB
  // without: the limit is on what the filter takes.
  CHECK(Command(c, {"BF.RESERVE", "big", "0.01", "100000000"}) == kTooBig);
  CHECK(Command(c, {"BF.RESERVE", "big", "0.01", "100000000", "NONSCALING"}) == Reply::Ok());
  CHECK(Command(c, {"DEL", "big"}) == Reply::Int(1));

  // A scaling filter that may not grow past the limit: MADD answers the error in the place of
  // the first item that needed the growth, and adds nothing after it.
  REQUIRE(Command(c, {"BF.RESERVE", "s", "0.01", "100"}) == Reply::Ok());
  const int64_t size = Command(c, {"BF.INFO", "s", "SIZE"}).elements.at(0).integer;
  REQUIRE(Command(c, {"CONFIG", "SET", "bf-max-memory", std::to_string(size + 100)}) ==
          Reply::Ok());
  const Reply madd = Command(c, With({"BF.MADD", "s"}, Items("i", 0, 200)));
  REQUIRE(madd.type == Reply::Type::kArray);
  REQUIRE(madd.elements.size() < 200);
  CHECK(madd.elements.back() == kTooBig);
  for (size_t i = 0; i + 1 < madd.elements.size(); i++) {
    REQUIRE(madd.elements[i].type == Reply::Type::kInteger);
  }
  CHECK(Command(c, {"BF.CARD", "s"}) == Reply::Int(100));
  CHECK(Command(c, {"BF.INFO", "s", "FILTERS"}) == Reply::Array({Reply::Int(1)}));
  CHECK(InfoInt(c, "bloom", "bf_items_refused") == 1);
  // Items it holds still answer; a raised limit lets it grow.
  CHECK(Command(c, {"BF.ADD", "s", "i0"}) == Reply::Int(0));
  REQUIRE(Command(c, {"CONFIG", "SET", "bf-max-memory", "128mb"}) == Reply::Ok());
  int64_t added = 0;
  for (int i = 0; added == 0 && i < 100; i++) {  // past any false positive
    added = Command(c, {"BF.ADD", "s", "fresh-" + std::to_string(i)}).integer;
  }
  CHECK(added == 1);
  CHECK(Command(c, {"BF.INFO", "s", "FILTERS"}) == Reply::Array({Reply::Int(2)}));

  // With maxmemory set, a filter that would take the server past it is refused with Redis's
  // -OOM before it is allocated (used memory is well under the limit when the command comes).
  REQUIRE(Command(c, {"CONFIG", "SET", "maxmemory",
                      std::to_string(InfoInt(c, "memory", "used_memory") + (8 << 20))}) ==
          Reply::Ok());
  CHECK(Command(c, {"BF.RESERVE", "mid", "0.01", "20000000"}) ==
        Reply::Error("OOM command not allowed when used memory > 'maxmemory'."));
  CHECK(Command(c, {"EXISTS", "mid"}) == Reply::Int(0));
  CHECK(Command(c, {"BF.RESERVE", "mid", "0.01", "20000"}) == Reply::Ok());
  REQUIRE(Command(c, {"CONFIG", "SET", "maxmemory", "0"}) == Reply::Ok());
  CHECK(Command(c, {"BF.RESERVE", "mid2", "0.01", "20000000"}) == Reply::Ok());

  // LOADCHUNK's header of a filter past the limit is refused the same way.
  const Reply header = Command(c, {"BF.SCANDUMP", "mid2", "0"});
  REQUIRE(header.elements.size() == 2);
  REQUIRE(Command(c, {"CONFIG", "SET", "bf-max-memory", "1mb"}) == Reply::Ok());
  CHECK(Command(c, {"BF.LOADCHUNK", "copy", "1", header.elements[1].str}) == kTooBig);
  CHECK(Command(c, {"EXISTS", "copy"}) == Reply::Int(0));
  CHECK(Command(c, {"CONFIG", "SET", "bf-max-memory", "3gb"}).is_error());
  CHECK(Command(c, {"CONFIG", "SET", "bf-max-memory", "2gb"}) == Reply::Ok());
}

TEST_CASE("bloom: SCANDUMP then LOADCHUNK into another key answers the same", "[bloom]") {
  PylonServer server;
  auto c = server.Connect();
  REQUIRE(Command(c, {"BF.RESERVE", "src", "0.01", "1000", "EXPANSION", "2"}) == Reply::Ok());
  Command(c, With({"BF.MADD", "src"}, Items("in", 0, 5000)));
  REQUIRE(Command(c, {"BF.INFO", "src", "FILTERS"}).elements.at(0).integer == 3);

  int64_t iter = 0;
  int chunks = 0;
  for (;;) {
    const Reply r = Command(c, {"BF.SCANDUMP", "src", std::to_string(iter)});
    REQUIRE(r.type == Reply::Type::kArray);
    REQUIRE(r.elements.size() == 2);
    iter = r.elements[0].integer;
    if (iter == 0) {
      CHECK(r.elements[1] == Reply::Bulk(""));
      break;
    }
    REQUIRE(Command(c, {"BF.LOADCHUNK", "copy", std::to_string(iter), r.elements[1].str}) ==
            Reply::Ok());
    chunks++;
  }
  CHECK(chunks == 4);  // the header, then one chunk per sub-filter
  {
    const char* key = "copy";
    INFO(key);
    CHECK(Command(c, {"BF.CARD", key}) == Command(c, {"BF.CARD", "src"}));
    CHECK(Command(c, {"BF.INFO", key}) == Command(c, {"BF.INFO", "src"}));
    CHECK(Command(c, With({"BF.MEXISTS", key}, Items("in", 0, 5000))) ==
          Command(c, With({"BF.MEXISTS", "src"}, Items("in", 0, 5000))));
    CHECK(Command(c, With({"BF.MEXISTS", key}, Items("out", 0, 5000))) ==
          Command(c, With({"BF.MEXISTS", "src"}, Items("out", 0, 5000))));
  }
}

TEST_CASE("bloom: bad input answers RedisBloom's errors and changes nothing", "[bloom]") {
  PylonServer server;
  auto c = server.Connect();
  REQUIRE(Command(c, {"SET", "str", "v"}) == Reply::Ok());
  const std::string kWrongType =
      "WRONGTYPE Operation against a key holding the wrong kind of value";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"BF.RESERVE", "k", "abc", "100"}, "ERR bad error rate"},
      {{"BF.RESERVE", "k", "0", "100"}, "ERR (0 < error rate range < 1) "},
      {{"BF.RESERVE", "k", "1", "100"}, "ERR (0 < error rate range < 1) "},
      {{"BF.RESERVE", "k", "0.01", "x"}, "ERR bad capacity"},
      {{"BF.RESERVE", "k", "0.01", "0"}, "ERR (capacity should be larger than 0)"},
      {{"BF.RESERVE", "k", "0.01", "100", "EXPANSION"}, "ERR no expansion"},
      {{"BF.RESERVE", "k", "0.01", "100", "EXPANSION", "0"}, "ERR bad expansion"},
      {{"BF.RESERVE", "k", "0.01", "100", "EXPANSION", "2", "NONSCALING"},
       "Nonscaling filters cannot expand"},
      {{"BF.RESERVE", "k", "0.01", "100", "BOGUS"}, "ERR syntax error"},
      {{"BF.RESERVE", "k", "1e-12", "1000000000000"},
       "ERR capacity is too large for this error rate"},
      {{"BF.RESERVE", "k", "0.01", "100", "a", "b", "c", "d"},
       "ERR wrong number of arguments for 'bf.reserve' command"},
      {{"BF.RESERVE", "str", "0.01", "100"}, kWrongType},
      {{"BF.ADD", "str", "a"}, kWrongType},
      {{"BF.EXISTS", "str", "a"}, kWrongType},
      {{"BF.ADD", "k"}, "ERR wrong number of arguments for 'bf.add' command"},
      {{"BF.INSERT", "k", "CAPACITY", "x", "ITEMS", "a"}, "Bad capacity"},
      {{"BF.INSERT", "k", "ERROR", "x", "ITEMS", "a"}, "Bad error rate"},
      {{"BF.INSERT", "k", "EXPANSION", "x", "ITEMS", "a"}, "Bad expansion"},
      {{"BF.INSERT", "k", "ERROR", "2", "ITEMS", "a"}, "Bad argument received"},
      {{"BF.INSERT", "k", "CAPACITY", "0", "ITEMS", "a"}, "Bad argument received"},
      {{"BF.INSERT", "k", "CAPXYZ", "10", "ITEMS", "a"}, "Unknown argument received"},
      {{"BF.INSERT", "k", "NONSCALING", "EXPANSION", "2", "ITEMS", "a"},
       "Nonscaling filters cannot expand"},
      {{"BF.INSERT", "k", "CAPACITY", "10", "ITEMS"},
       "ERR wrong number of arguments for 'bf.insert' command"},
      {{"BF.INSERT", "k", "CAPACITY", "10", "a"}, "Unknown argument received"},
      {{"BF.INFO", "k"}, "ERR not found"},
      {{"BF.SCANDUMP", "k", "0"}, "ERR not found"},
      {{"BF.LOADCHUNK", "k", "x", "data"}, "ERR Second argument must be numeric"},
      {{"BF.LOADCHUNK", "k", "1", "not a header"}, "ERR received bad data"},
      {{"BF.LOADCHUNK", "k", "5", "chunk"}, "ERR not found"},
  };
  for (const auto& [args, error] : cases) {
    INFO(Encode(args));
    CHECK(Command(c, args) == Reply::Error(error));
  }
  CHECK(Command(c, {"EXISTS", "k"}) == Reply::Int(0));
  CHECK(Command(c, {"GET", "str"}) == Reply::Bulk("v"));

  REQUIRE(Command(c, {"BF.ADD", "bf", "a"}) == Reply::Int(1));
  CHECK(Command(c, {"BF.INFO", "bf", "BOGUS"}) == Reply::Error("Invalid information value"));
  CHECK(Command(c, {"BF.SCANDUMP", "bf", "x"}) == Reply::Error("Second argument must be numeric"));
  CHECK(Command(c, {"BF.LOADCHUNK", "bf", "2", "too long for a 1-word sub-filter at offset 0"}) ==
        Reply::Error("ERR received bad data"));
  CHECK(Command(c, {"BF.EXISTS", "bf", "a"}) == Reply::Int(1));
  CHECK(Command(c, {"GET", "bf"}) == Reply::Error(kWrongType));
}

}  // namespace
}  // namespace pylon::e2e
