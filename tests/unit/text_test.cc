#include "protocol/text.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <limits>
#include <string>

using pylon::protocol::EqualsIgnoreCase;
using pylon::protocol::FormatInt64;
using pylon::protocol::GlobMatch;
using pylon::protocol::ParseDouble;
using pylon::protocol::ParseInt64;
using pylon::protocol::ToLower;

TEST_CASE("ParseInt64 accepts what Redis string2ll accepts", "[text]") {
  struct Case {
    std::string_view in;
    int64_t want;
  };
  const Case ok[] = {
      {"0", 0},
      {"1", 1},
      {"-1", -1},
      {"42", 42},
      {"1234567890", 1234567890},
      {"9223372036854775807", std::numeric_limits<int64_t>::max()},
      {"-9223372036854775808", std::numeric_limits<int64_t>::min()},
      {"-9223372036854775807", -9223372036854775807LL},
  };
  for (const Case& c : ok) {
    INFO(c.in);
    int64_t v = 7;
    REQUIRE(ParseInt64(c.in, &v));
    CHECK(v == c.want);
  }
}

TEST_CASE("ParseInt64 refuses what Redis string2ll refuses", "[text]") {
  // Checked against redis-server 7.0.15: INCRBY k -0 / +1 / 9223372036854775808 are refused.
  const std::string_view bad[] = {
      "",
      "-",
      "-0",  // string2ll wants 1-9 after '-'
      "00",
      "01",
      "-01",
      "+1",
      " 1",
      "1 ",
      "1a",
      "a",
      "1.0",
      "9223372036854775808",
      "-9223372036854775809",
      "18446744073709551615",
      "18446744073709551616",
      "99999999999999999999",
      "000000000000000000001",  // 21 bytes: too long before looking at it
      std::string_view("1\0", 2),
  };
  for (std::string_view s : bad) {
    INFO(std::string(s));
    int64_t v = 7;
    CHECK_FALSE(ParseInt64(s, &v));
    CHECK(v == 7);  // untouched on failure
  }
}

TEST_CASE("ParseDouble follows getDoubleFromObject", "[text]") {
  // Answers of redis-server 7.0.15 to ZADD z <score> m.
  double d = 0;
  CHECK(ParseDouble("1.5", &d));
  CHECK(d == 1.5);
  CHECK(ParseDouble("0x10", &d));
  CHECK(d == 16);
  CHECK(ParseDouble(".5", &d));
  CHECK(d == 0.5);
  CHECK(ParseDouble("5.", &d));
  CHECK(d == 5);
  CHECK(ParseDouble("1e5", &d));
  CHECK(d == 100000);
  CHECK(ParseDouble("inf", &d));
  CHECK(d == std::numeric_limits<double>::infinity());
  CHECK(ParseDouble("-inf", &d));
  CHECK(d == -std::numeric_limits<double>::infinity());
  CHECK(ParseDouble("infinity", &d));
  CHECK(ParseDouble("4.9e-324", &d));  // denormal: ERANGE but not zero, accepted
  CHECK(d > 0);
  CHECK(ParseDouble("-0", &d));
  CHECK(d == 0);

  d = 3;
  CHECK_FALSE(ParseDouble("", &d));
  CHECK_FALSE(ParseDouble(" 1", &d));
  CHECK_FALSE(ParseDouble("\t1", &d));
  CHECK_FALSE(ParseDouble("1 ", &d));
  CHECK_FALSE(ParseDouble("nan", &d));
  CHECK_FALSE(ParseDouble("-nan", &d));
  CHECK_FALSE(ParseDouble("1e400", &d));   // overflow
  CHECK_FALSE(ParseDouble("1e-400", &d));  // underflow to zero
  CHECK_FALSE(ParseDouble("abc", &d));
  CHECK_FALSE(ParseDouble("1.5x", &d));
  CHECK_FALSE(ParseDouble(std::string_view("1.5\0", 4), &d));
  CHECK(d == 3);

  // Longer than the stack copy.
  std::string longnum = "1." + std::string(300, '0');
  CHECK(ParseDouble(longnum, &d));
  CHECK(d == 1);
  CHECK_FALSE(ParseDouble(longnum + "x", &d));
}

TEST_CASE("FormatInt64 round-trips", "[text]") {
  char buf[32];
  const int64_t values[] = {0,
                            1,
                            -1,
                            9,
                            10,
                            99,
                            100,
                            12345,
                            -12345,
                            1000000007,
                            std::numeric_limits<int64_t>::max(),
                            std::numeric_limits<int64_t>::min()};
  for (int64_t v : values) {
    const size_t n = FormatInt64(v, buf);
    CHECK(std::string(buf, n) == std::to_string(v));
  }
  for (int64_t v = 1; v > 0 && v < std::numeric_limits<int64_t>::max() / 10; v *= 10) {
    for (int64_t w : {v - 1, v, v + 1, -v, -v + 1}) {
      const size_t n = FormatInt64(w, buf);
      REQUIRE(std::string(buf, n) == std::to_string(w));
    }
  }
}

TEST_CASE("GlobMatch agrees with Redis KEYS", "[text]") {
  struct Case {
    std::string_view pattern;
    std::string_view str;
    bool match;
  };
  // Each expected answer is what redis-server 7.0.15's KEYS <pattern> said about key <str>,
  // except "*" against "": KEYS and SCAN skip matching for a lone "*", and stringmatchlen says
  // no (PSUBSCRIBE * does not receive PUBLISH "" x: 0 receivers).
  const Case cases[] = {
      {"*", "", false},
      {"*", "anything", true},
      {"", "", true},
      {"", "a", false},
      {"a", "", false},
      {"h?llo", "hello", true},
      {"h?llo", "hllo", false},
      {"h*llo", "hllo", true},
      {"h*llo", "heeeello", true},
      {"h[ae]llo", "hello", true},
      {"h[ae]llo", "hillo", false},
      {"h[^e]llo", "hallo", true},
      {"h[^e]llo", "hello", false},
      {"h[a-b]llo", "hbllo", true},
      {"h[a-b]llo", "hcllo", false},
      {"h[b-a]llo", "hallo", true},
      {"h\\*llo", "h*llo", true},
      {"h\\*llo", "hello", false},
      {"a\\", "a\\", true},
      {"\\", "\\", true},
      {"[abc", "a", true},
      {"[abc", "b", true},
      {"[abc", "d", false},
      {"[", "[", false},
      {"[^", "x", true},
      {"[]", "]", false},
      {"[\\]]", "]", true},
      {"[\\-]", "-", true},
      {"[a-]", "-", false},
      {"[a-]", "a", true},
      {"[-a]", "-", true},
      {"*a*a*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
       false},
      {"*a*a*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
       true},
      {"a*", "a", true},
      {"a**", "a", true},
      {"a*b*", "ab", true},
      {"*?", "", false},
      {"*?", "x", true},
      {"?*", "", false},
      {"**a", "ba", true},
      {"*[xy]", "aaay", true},
      {"[a-c]*", "cat", true},
      {"a*?*b", "ab", false},
      {"a*?*b", "axb", true},
      {"\\?", "?", true},
      {"\\?", "x", false},
      {"[\x80-\xff]", "\x90", true},  // bytes compare as signed chars, as in Redis
      {"[a-\xff]", "b", false},
      {"H?LLO", "hello", false},
      {"[^a-z]", "A", true},
      {"foo*", "foo", true},
      {"*foo", "xfoox", false},
      {"*.txt", "a.txt", true},
      {"a[", "a[", false},
  };
  for (const Case& c : cases) {
    INFO("pattern '" << std::string(c.pattern) << "' string '" << std::string(c.str) << "'");
    CHECK(GlobMatch(c.pattern, c.str) == c.match);
  }
}

TEST_CASE("GlobMatch nocase", "[text]") {
  CHECK(GlobMatch("H?LLO", "hello", true));
  CHECK(GlobMatch("h[A-C]t", "hbt", true));
  CHECK(GlobMatch("h[a-c]t", "HBT", true));
  CHECK(GlobMatch("[XYZ]", "y", true));
  CHECK_FALSE(GlobMatch("[XYZ]", "y", false));
  CHECK_FALSE(GlobMatch("[^XYZ]", "y", true));
  CHECK(GlobMatch("FOO*", "foobar", true));
}

TEST_CASE("GlobMatch does not blow up on abusive patterns", "[text]") {
  // Exponential without Redis's "skip longer matches" rule; must finish at once.
  const std::string str(5000, 'a');
  std::string pattern;
  for (int i = 0; i < 30; ++i) pattern += "*a";
  pattern += "*b";
  const auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(GlobMatch(pattern, str));
  CHECK(GlobMatch(pattern, str + "b"));
  // Deep nesting is refused instead of exhausting the stack (Redis: nesting > 1000).
  std::string deep;
  for (int i = 0; i < 3000; ++i) deep += "a*";
  CHECK_FALSE(GlobMatch(deep, std::string(3000, 'a')));
  CHECK(GlobMatch("a*a*", "aa"));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  // A generous bound (it takes milliseconds); the exponential version would take years.
  CHECK(elapsed < std::chrono::seconds(20));
}

TEST_CASE("EqualsIgnoreCase and ToLower", "[text]") {
  CHECK(EqualsIgnoreCase("GET", "get"));
  CHECK(EqualsIgnoreCase("", ""));
  CHECK(EqualsIgnoreCase("MiXeD-1", "mixed-1"));
  CHECK_FALSE(EqualsIgnoreCase("get", "gets"));
  CHECK_FALSE(EqualsIgnoreCase("a", "b"));
  CHECK_FALSE(EqualsIgnoreCase("\xc0", "\xe0"));  // ASCII only, as Redis's strcasecmp in C
  CHECK(ToLower("HeLLo World 42") == "hello world 42");
  CHECK(ToLower("\xC0") == "\xC0");
}
