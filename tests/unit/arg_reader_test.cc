// The argument reader (daemon/arg_reader.h): typed reads, Redis's error texts, and the first
// error kept however many reads follow it.
#include "daemon/arg_reader.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <string_view>
#include <vector>

namespace pylon::daemon {
namespace {

TEST_CASE("arg reader: tokens, integers, doubles and choices in Redis's words", "[arg_reader]") {
  const std::vector<std::string_view> args = {"CMD", "key",  "limit", "10",  "RATE",
                                              "0.5", "ALGO", "gcra",  "TTL", "100"};
  ArgReader r(args, 2);
  CHECK(r.remaining() == 8);
  CHECK(r.Peek() == "limit");
  CHECK_FALSE(r.Token("PERIOD"));  // not this one: nothing read
  CHECK(r.Token("LIMIT"));         // any case
  CHECK(r.Int(1, 100, "ERR LIMIT out of range") == 10);
  CHECK(r.Token("rate"));
  CHECK(r.Double() == 0.5);
  CHECK(r.Token("ALGO"));
  CHECK(r.Choice({"token", "GCRA"}, "ERR unknown ALGO") == 1);
  CHECK(r.Token("TTL"));
  CHECK(r.Duration("TTL", 1) == 100);
  CHECK_FALSE(r.HasNext());
  CHECK(r.ok());
  CHECK(r.position() == args.size());
}

TEST_CASE("arg reader: flags gather into a bit set, and an unknown word is the caller's",
          "[arg_reader]") {
  const std::vector<std::string_view> args = {"CMD", "key", "xx", "GT", "nx", "FOO", "LT"};
  ArgReader r(args, 2);
  uint32_t flags = 0;
  while (r.HasNext()) {
    const uint32_t flag = r.Flag({"NX", "XX", "GT", "LT"});
    if (flag == 0) break;  // "FOO": not read, for the caller to refuse in its own words
    flags |= flag;
  }
  CHECK(flags == (1u | 2u | 4u));
  CHECK(r.Peek() == "FOO");
  CHECK(r.ok());
  r.Fail("ERR Unsupported option FOO");
  CHECK(r.Flag({"FOO"}) == 0);  // after an error nothing is read
  CHECK(r.Peek() == "FOO");
  ArgReader end(args, args.size());
  CHECK(end.Flag({"NX"}) == 0);  // at the end: no flag, and no error either
  CHECK(end.ok());
}

TEST_CASE("arg reader: an option without its value is a syntax error", "[arg_reader]") {
  const std::vector<std::string_view> args = {"CMD", "key", "ttl", "5", "LEASE"};
  ArgReader r(args, 2);
  CHECK_FALSE(r.Option("LEASE"));  // another word: nothing read, no error
  CHECK(r.ok());
  CHECK(r.Option("TTL"));
  CHECK(r.Int() == 5);
  CHECK_FALSE(r.Option("LEASE"));  // the last argument: no value follows
  CHECK(r.error() == kErrSyntax);
  CHECK(r.position() == 4);  // the word is left unread
}

TEST_CASE("arg reader: the first error is kept, and reads after it read nothing", "[arg_reader]") {
  const std::vector<std::string_view> args = {"CMD", "x", "5", "-1", "nan", "inf"};
  SECTION("not an integer") {
    ArgReader r(args, 1);
    CHECK(r.Int() == 0);
    CHECK(r.error() == "ERR value is not an integer or out of range");
    CHECK(r.Int() == 0);  // "5" is not read: the error stands
    CHECK(r.position() == 2);
    CHECK_FALSE(r.HasNext());
    r.Fail("ERR another");
    CHECK(r.error() == "ERR value is not an integer or out of range");
  }
  SECTION("out of range, with the shared texts") {
    ArgReader r(args, 2);
    CHECK(r.Bounded("MAX", 6, 10) == 0);
    CHECK(r.error() == "ERR MAX must be from 6 to 10");
    ArgReader d(args, 3);
    d.Duration("LEASE", 1);
    CHECK(d.error() == "ERR LEASE must be from 1 to 4398046511104 ms");
    ArgReader i(args, 3);
    i.Int(0, 5, "ERR COST must be 0 or more");
    CHECK(i.error() == "ERR COST must be 0 or more");
  }
  SECTION("doubles as Redis reads them: inf yes, NaN no") {
    ArgReader r(args, 5);
    CHECK(std::isinf(r.Double()));
    ArgReader nan(args, 4);
    nan.Double();
    CHECK(nan.error() == "ERR value is not a valid float");
  }
  SECTION("a value past the end is a syntax error; so is an unknown choice's text") {
    ArgReader r(args, 5);
    r.Next();
    CHECK(r.Next().empty());
    CHECK(r.error() == "ERR syntax error");
    ArgReader c(args, 1);
    c.Choice({"a", "b"}, "ERR pick a or b");
    CHECK(c.error() == "ERR pick a or b");
  }
}

}  // namespace
}  // namespace pylon::daemon
