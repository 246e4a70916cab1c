#include "protocol/reply_writer.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>

using pylon::protocol::FormatDouble;
using pylon::protocol::ReplyBuffer;
using pylon::protocol::ReplyWriter;

namespace {

std::string Drain(ReplyBuffer& b) {
  std::string_view views[64];
  std::string out;
  const size_t n = b.Peek(views, 64);
  for (size_t i = 0; i < n; ++i) out += views[i];
  b.Consume(b.size());
  return out;
}

// Writes with fn under RESP2 and RESP3 and returns both encodings.
template <typename Fn>
std::pair<std::string, std::string> Both(Fn fn) {
  ReplyBuffer b;
  ReplyWriter w2(&b, 2);
  fn(w2);
  std::string r2 = Drain(b);
  ReplyWriter w3(&b, 3);
  fn(w3);
  return {r2, Drain(b)};
}

using P = std::pair<std::string, std::string>;

}  // namespace

// The expected bytes are what redis-server 7.0.15 sends for the same reply kinds (GET of a
// missing key, ZSCORE, HELLO, CONFIG GET, SMEMBERS, BLPOP timeout, CLIENT INFO, ...).
TEST_CASE("writer: simple types", "[writer]") {
  CHECK(Both([](ReplyWriter& w) { w.Simple("PONG"); }) == P{"+PONG\r\n", "+PONG\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.Ok(); }) == P{"+OK\r\n", "+OK\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.Integer(1); }) == P{":1\r\n", ":1\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.Integer(-9223372036854775807LL - 1); }) ==
        P{":-9223372036854775808\r\n", ":-9223372036854775808\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.Bulk("hello"); }) == P{"$5\r\nhello\r\n", "$5\r\nhello\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.Bulk(""); }) == P{"$0\r\n\r\n", "$0\r\n\r\n"});
  // A default-constructed view has a null data(): still "$0\r\n\r\n" (UBSan watches the copy).
  CHECK(Both([](ReplyWriter& w) { w.Bulk(std::string_view()); }) == P{"$0\r\n\r\n", "$0\r\n\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.BulkInt(-42); }) == P{"$3\r\n-42\r\n", "$3\r\n-42\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.Null(); }) == P{"$-1\r\n", "_\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.NullArray(); }) == P{"*-1\r\n", "_\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.Bool(true); }) == P{":1\r\n", "#t\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.Bool(false); }) == P{":0\r\n", "#f\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.BigNumber("1234567890123456789012"); }) ==
        P{"$22\r\n1234567890123456789012\r\n", "(1234567890123456789012\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.Raw("+RAW\r\n"); }) == P{"+RAW\r\n", "+RAW\r\n"});
}

TEST_CASE("writer: doubles as Redis 7.0 (%.17g)", "[writer]") {
  CHECK(Both([](ReplyWriter& w) { w.Double(1.5); }) == P{"$3\r\n1.5\r\n", ",1.5\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.Double(0.1); }) ==
        P{"$19\r\n0.10000000000000001\r\n", ",0.10000000000000001\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.Double(100000); }) == P{"$6\r\n100000\r\n", ",100000\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.Double(4.9406564584124654e-324); }) ==
        P{"$23\r\n4.9406564584124654e-324\r\n", ",4.9406564584124654e-324\r\n"});
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(Both([&](ReplyWriter& w) { w.Double(inf); }) == P{"$3\r\ninf\r\n", ",inf\r\n"});
  CHECK(Both([&](ReplyWriter& w) { w.Double(-inf); }) == P{"$4\r\n-inf\r\n", ",-inf\r\n"});
  char buf[64];
  const size_t n = FormatDouble(std::nan(""), buf, sizeof(buf));
  CHECK(std::string(buf, n).find("nan") != std::string::npos);
  CHECK(FormatDouble(1e300, buf, 4) == 3);  // truncated to fit, terminated
  CHECK(std::string(buf) == "1.0");
}

TEST_CASE("writer: errors", "[writer]") {
  CHECK(Both([](ReplyWriter& w) { w.Error("ERR unknown command"); }) ==
        P{"-ERR unknown command\r\n", "-ERR unknown command\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.Error("ERR bad\r\nthing\n"); }) ==
        P{"-ERR bad  thing \r\n", "-ERR bad  thing \r\n"});
  CHECK(Both([](ReplyWriter& w) { w.Error("-WRONGTYPE x"); }) ==
        P{"-WRONGTYPE x\r\n", "-WRONGTYPE x\r\n"});
  const std::string long_text = "ERR " + std::string(10000, 'e') + "\n" + std::string(10000, 'f');
  std::string want = "-" + long_text + "\r\n";
  want[1 + 4 + 10000] = ' ';
  CHECK(Both([&](ReplyWriter& w) { w.Error(long_text); }) == P{want, want});
}

TEST_CASE("writer: verbatim", "[writer]") {
  CHECK(Both([](ReplyWriter& w) { w.Verbatim("id=94"); }) ==
        P{"$5\r\nid=94\r\n", "=9\r\ntxt:id=94\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.Verbatim("# x", "markdown"); }) ==
        P{"$3\r\n# x\r\n", "=7\r\nmar:# x\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.Verbatim("", "m"); }) == P{"$0\r\n\r\n", "=4\r\nm  :\r\n"});
}

TEST_CASE("writer: aggregates", "[writer]") {
  CHECK(Both([](ReplyWriter& w) { w.ArrayHeader(3); }) == P{"*3\r\n", "*3\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.ArrayHeader(0); }) == P{"*0\r\n", "*0\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.MapHeader(7); }) == P{"*14\r\n", "%7\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.SetHeader(0); }) == P{"*0\r\n", "~0\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.PushHeader(3); }) == P{"*3\r\n", ">3\r\n"});
  CHECK(Both([](ReplyWriter& w) { w.AttributeHeader(1); }) == P{"|1\r\n", "|1\r\n"});
  // CONFIG GET port, as Redis 7.0.15 answers it.
  CHECK(Both([](ReplyWriter& w) {
          w.MapHeader(1);
          w.Bulk("port");
          w.Bulk("0");
        }) == P{"*2\r\n$4\r\nport\r\n$1\r\n0\r\n", "%1\r\n$4\r\nport\r\n$1\r\n0\r\n"});
}

TEST_CASE("writer: big strings", "[writer]") {
  const std::string big(3 * ReplyBuffer::kChunkSize + 5, 'b');
  CHECK(Both([&](ReplyWriter& w) { w.Bulk(big); }) ==
        P{"$49157\r\n" + big + "\r\n", "$49157\r\n" + big + "\r\n"});
  CHECK(Both([&](ReplyWriter& w) { w.Simple(big); }) == P{"+" + big + "\r\n", "+" + big + "\r\n"});
  CHECK(Both([&](ReplyWriter& w) { w.BigNumber(big); }).second == "(" + big + "\r\n");
  CHECK(Both([&](ReplyWriter& w) { w.Verbatim(big); }).second == "=49161\r\ntxt:" + big + "\r\n");
}

TEST_CASE("writer: many small replies across chunks", "[writer]") {
  ReplyBuffer b;
  ReplyWriter w(&b);
  std::string want;
  for (int i = 0; i < 20000; ++i) {
    w.Integer(i);
    want += ":" + std::to_string(i) + "\r\n";
    w.Bulk("v" + std::to_string(i));
    want +=
        "$" + std::to_string(1 + std::to_string(i).size()) + "\r\nv" + std::to_string(i) + "\r\n";
  }
  CHECK(b.size() == want.size());
  CHECK(Drain(b) == want);
}

TEST_CASE("writer: deferred headers", "[writer]") {
  // An array of [bulk, map{a: set{1}}] with every count deferred, resolved innermost first.
  auto write = [](ReplyWriter& w) {
    auto outer = w.BeginDeferred();
    w.Bulk("x");
    auto map = w.BeginDeferred();
    w.Bulk("a");
    auto set = w.BeginDeferred();
    w.Integer(1);
    w.EndDeferredSet(set, 1);
    w.EndDeferredMap(map, 1);
    w.EndDeferredArray(outer, 2);
  };
  CHECK(Both(write) == P{"*2\r\n$1\r\nx\r\n*2\r\n$1\r\na\r\n*1\r\n:1\r\n",
                         "*2\r\n$1\r\nx\r\n%1\r\n$1\r\na\r\n~1\r\n:1\r\n"});
  // Nested marks at the same position (the first element is itself deferred).
  CHECK(Both([](ReplyWriter& w) {
          auto outer = w.BeginDeferred();
          auto inner = w.BeginDeferred();
          w.Integer(7);
          w.EndDeferredArray(inner, 1);
          w.EndDeferredArray(outer, 1);
        }) == P{"*1\r\n*1\r\n:7\r\n", "*1\r\n*1\r\n:7\r\n"});
}

TEST_CASE("writer: deferred headers across chunk boundaries", "[writer]") {
  const size_t k = ReplyBuffer::kChunkSize;
  for (size_t fill = k - 40; fill <= k + 3; ++fill) {
    INFO("fill " << fill);
    ReplyBuffer b;
    ReplyWriter w(&b, 3);
    b.Append(std::string(fill, '.'));
    auto outer = w.BeginDeferred();
    std::string body;
    for (int i = 0; i < 3; ++i) {
      auto inner = w.BeginDeferred();
      std::string elems;
      for (int j = 0; j < 1000; ++j) {
        w.Integer(j);
        elems += ":" + std::to_string(j) + "\r\n";
      }
      w.EndDeferredSet(inner, 1000);
      body += "~1000\r\n" + elems;
    }
    w.EndDeferredMap(outer, 12345);
    REQUIRE(Drain(b) == std::string(fill, '.') + "%12345\r\n" + body);
  }
}
