#include "protocol/request_parser.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using pylon::protocol::kInlineMaxSize;
using pylon::protocol::ParseLimits;
using pylon::protocol::ParseStatus;
using pylon::protocol::RequestParser;
using pylon::protocol::SplitArgs;

namespace {

using Command = std::vector<std::string>;

// What the connection does: keep the unconsumed bytes, call Parse until it needs more, drop
// consumed bytes after each request. Records commands, "<empty>" for kEmpty and "ERR <text>".
// With move_buffer, every feed copies the pending bytes to a new allocation, since the parser
// must not depend on where the bytes are.
class Feeder {
 public:
  explicit Feeder(ParseLimits limits = {}, bool move_buffer = false)
      : limits_(limits), move_buffer_(move_buffer) {}

  void Feed(std::string_view bytes) {
    if (failed_) return;
    if (move_buffer_) {
      std::string moved;
      moved.reserve(pending_.size() + bytes.size() + 1);
      moved = pending_;
      pending_.swap(moved);
    }
    pending_.append(bytes);
    for (;;) {
      const ParseStatus st = parser_.Parse(pending_, limits_);
      if (st == ParseStatus::kNeedMore) {
        REQUIRE(parser_.consumed() == 0);
        REQUIRE(parser_.argv().empty());
        return;
      }
      if (st == ParseStatus::kError) {
        events_.push_back({"ERR " + std::string(parser_.error())});
        failed_ = true;
        return;
      }
      REQUIRE(parser_.consumed() > 0);
      REQUIRE(parser_.consumed() <= pending_.size());
      if (st == ParseStatus::kEmpty) {
        REQUIRE(parser_.argv().empty());
        events_.push_back({"<empty>"});
      } else {
        REQUIRE_FALSE(parser_.argv().empty());
        events_.emplace_back(parser_.argv().begin(), parser_.argv().end());
      }
      pending_.erase(0, parser_.consumed());
    }
  }

  const std::vector<Command>& events() const { return events_; }
  const std::string& pending() const { return pending_; }

 private:
  RequestParser parser_;
  ParseLimits limits_;
  bool move_buffer_;
  bool failed_ = false;
  std::string pending_;
  std::vector<Command> events_;
};

std::string Bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}

std::string Multibulk(const Command& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) out += Bulk(a);
  return out;
}

std::vector<Command> ParseAll(std::string_view input, ParseLimits limits = {}) {
  Feeder f(limits);
  f.Feed(input);
  return f.events();
}

// A stream with every kind of request: pipelined multibulk, inline (plain, quoted, with and
// without \r), empty requests, binary bulks, a bulk not followed by "\r\n".
struct Sample {
  std::string bytes;
  std::vector<Command> want;
};

Sample MakeSample(size_t big) {
  Sample s;
  auto add = [&](const Command& c) {
    s.bytes += Multibulk(c);
    s.want.push_back(c);
  };
  add({"SET", "key", "value"});
  add({"GET", "key"});
  s.bytes += "PING\r\n";
  s.want.push_back({"PING"});
  s.bytes += "*0\r\n";
  s.want.push_back({"<empty>"});
  add({"ECHO", std::string("bin\r\n\0ary", 10)});
  s.bytes += "  ECHO \"quoted \\x41\\n\" 'it\\'s' plain\n";
  s.want.push_back({"ECHO", "quoted A\n", "it's", "plain"});
  s.bytes += "\r\n";
  s.want.push_back({"<empty>"});
  s.bytes += "*-1\r\n";
  s.want.push_back({"<empty>"});
  add({"SET", "big", std::string(big, 'x')});
  add({""});
  s.bytes += "*1\r\n$4\r\nPINGxx";  // Redis skips the two bytes after a bulk unseen
  s.want.push_back({"PING"});
  s.bytes += "\n";
  s.want.push_back({"<empty>"});
  s.bytes += "GET k\r\n";
  s.want.push_back({"GET", "k"});
  return s;
}

}  // namespace

TEST_CASE("parser: a pipelined stream in one piece", "[parser]") {
  const Sample s = MakeSample(3000);
  Feeder f;
  f.Feed(s.bytes);
  CHECK(f.events() == s.want);
  CHECK(f.pending().empty());
}

TEST_CASE("parser: the stream split in two at every point", "[parser]") {
  const Sample s = MakeSample(300);
  for (size_t cut = 0; cut <= s.bytes.size(); ++cut) {
    INFO("cut at " << cut);
    Feeder f({}, /*move_buffer=*/cut % 2 == 0);
    f.Feed(std::string_view(s.bytes).substr(0, cut));
    f.Feed(std::string_view(s.bytes).substr(cut));
    REQUIRE(f.events() == s.want);
    REQUIRE(f.pending().empty());
  }
}

TEST_CASE("parser: the stream byte by byte, with a big bulk", "[parser]") {
  // Moving the buffer on every byte copies it each time, so that run uses a smaller bulk.
  for (bool move : {false, true}) {
    const Sample s = MakeSample(move ? 3000 : 100 * 1000);
    Feeder f({}, move);
    for (char c : s.bytes) f.Feed(std::string_view(&c, 1));
    CHECK(f.events() == s.want);
    CHECK(f.pending().empty());
  }
}

TEST_CASE("parser: a large bulk in 16KB reads", "[parser]") {
  const std::string value(8 * 1024 * 1024 + 7, 'v');
  const std::string bytes = Multibulk({"SET", "k", value}) + "PING\r\n";
  Feeder f;
  for (size_t i = 0; i < bytes.size(); i += 16384) {
    f.Feed(std::string_view(bytes).substr(i, 16384));
  }
  REQUIRE(f.events().size() == 2);
  CHECK(f.events()[0][2] == value);
  CHECK(f.events()[1] == Command{"PING"});
}

TEST_CASE("parser: arguments are views into the buffer", "[parser]") {
  RequestParser p;
  const std::string mb = Multibulk({"SET", "key", "value"});
  REQUIRE(p.Parse(mb, {}) == ParseStatus::kCommand);
  REQUIRE(p.argv().size() == 3);
  for (auto a : p.argv()) {
    CHECK(a.data() >= mb.data());
    CHECK(a.data() + a.size() <= mb.data() + mb.size());
  }
  const std::string in = "SET key \"a b\" value\r\n";
  REQUIRE(p.Parse(in, {}) == ParseStatus::kCommand);
  REQUIRE(p.argv().size() == 4);
  CHECK(p.argv()[0].data() == in.data());  // plain tokens: zero-copy
  CHECK(p.argv()[1].data() == in.data() + 4);
  CHECK(p.argv()[2] == "a b");  // quoted: unescaped into the scratch
  CHECK(p.argv()[3].data() == in.data() + 14);
  CHECK(p.consumed() == in.size());
}

TEST_CASE("parser: vectors are reused across commands", "[parser]") {
  RequestParser p;
  const std::string mb = Multibulk({"SET", "key", "value"});
  REQUIRE(p.Parse(mb, {}) == ParseStatus::kCommand);
  const auto* data = p.argv().data();
  for (int i = 0; i < 100; ++i) {
    REQUIRE(p.Parse(mb, {}) == ParseStatus::kCommand);
    REQUIRE(p.argv().data() == data);
  }
}

TEST_CASE("parser: resumes after kNeedMore without consuming", "[parser]") {
  RequestParser p;
  std::string buf = "*2\r\n$4\r\nECHO\r\n$5\r\nhel";
  CHECK(p.Parse(buf, {}) == ParseStatus::kNeedMore);
  CHECK(p.consumed() == 0);
  buf += "lo\r";  // the trailing "\n" is still missing
  CHECK(p.Parse(buf, {}) == ParseStatus::kNeedMore);
  buf += "\n*1\r\n";
  REQUIRE(p.Parse(buf, {}) == ParseStatus::kCommand);
  CHECK(p.argv()[1] == "hello");
  CHECK(p.consumed() == buf.size() - 4);
}

TEST_CASE("parser: empty requests", "[parser]") {
  // redis-server 7.0.15 answers just +PONG to each of "<x>PING\r\n".
  CHECK(ParseAll("*0\r\n") == std::vector<Command>{{"<empty>"}});
  CHECK(ParseAll("*-1\r\n") == std::vector<Command>{{"<empty>"}});
  CHECK(ParseAll("*-5\r\n") == std::vector<Command>{{"<empty>"}});
  CHECK(ParseAll("\r\n") == std::vector<Command>{{"<empty>"}});
  CHECK(ParseAll("\n") == std::vector<Command>{{"<empty>"}});
  CHECK(ParseAll("   \t \r\n") == std::vector<Command>{{"<empty>"}});
  CHECK(ParseAll("*0\r\nPING\r\n") == std::vector<Command>{{"<empty>"}, {"PING"}});
}

TEST_CASE("parser: Redis's lenient framing", "[parser]") {
  // Each as redis-server 7.0.15 treats it.
  // The byte after '\r' in a header is skipped unseen.
  CHECK(ParseAll("*1\rX$4\rXPINGXX") == std::vector<Command>{{"PING"}});
  // "$4\r\r\n": the header ends at the first '\r', the bulk is "\nPIN"; "G\r" skipped, "\n" left.
  CHECK(ParseAll("*1\r\n$4\r\r\nPING\r\n") == std::vector<Command>{{"\nPIN"}, {"<empty>"}});
  CHECK(ParseAll("*1\r\n$4\r\nPINGxxPING\r\n") == std::vector<Command>{{"PING"}, {"PING"}});
  CHECK(ParseAll("PING\n") == std::vector<Command>{{"PING"}});
  CHECK(ParseAll("PING\r\r\n") == std::vector<Command>{{"PING"}});
  CHECK(ParseAll("*2\r\n$4\r\nECHO\r\n$0\r\n\r\n") == std::vector<Command>{{"ECHO", ""}});
  // A count above 1024*1024 is fine in 7.0 (it waits for the arguments).
  CHECK(ParseAll("*2000000\r\n").empty());
  CHECK(ParseAll("*2147483647\r\n").empty());
}

TEST_CASE("parser: a NUL hides the line end, as strchr does in Redis", "[parser]") {
  // redis-server 7.0.15 does not answer any of these: it waits for more bytes.
  CHECK(ParseAll(std::string("PING\0\r\n", 7)).empty());
  CHECK(ParseAll(std::string("*1\0\r\n", 5)).empty());
  CHECK(ParseAll(std::string("*1\r\n\0\r\n", 7)).empty());
  CHECK(ParseAll(std::string("*1\r\n$3\0\r\nfoo\r\n", 13)).empty());
  // ... until the size limit: then the "too big" errors.
  CHECK(ParseAll(std::string("*1\0", 3) + std::string(70000, '1')) ==
        std::vector<Command>{{"ERR Protocol error: too big mbulk count string"}});
  CHECK(ParseAll(std::string("PING\0", 5) + std::string(70000, '\n')) ==
        std::vector<Command>{{"ERR Protocol error: too big inline request"}});
  // A NUL inside a bulk is data.
  CHECK(ParseAll(std::string("*1\r\n$3\r\nf\0o\r\n", 13)) ==
        std::vector<Command>{{std::string("f\0o", 3)}});
}

TEST_CASE("parser: protocol errors with Redis's texts", "[parser]") {
  struct Case {
    std::string in;
    std::string want;
  };
  // Every text is what redis-server 7.0.15 answered (after "-ERR ").
  const Case cases[] = {
      {"*1\r\n$-1\r\n", "Protocol error: invalid bulk length"},
      {"*3000000000\r\n", "Protocol error: invalid multibulk length"},
      {"*2147483648\r\n", "Protocol error: invalid multibulk length"},
      {"*+1\r\n", "Protocol error: invalid multibulk length"},
      {"*01\r\n", "Protocol error: invalid multibulk length"},
      {"*-0\r\n", "Protocol error: invalid multibulk length"},
      {"*abc\r\n", "Protocol error: invalid multibulk length"},
      {"*\r\n", "Protocol error: invalid multibulk length"},
      {"* 1\r\n", "Protocol error: invalid multibulk length"},
      {"*1\r\n$04\r\nPING\r\n", "Protocol error: invalid bulk length"},
      {"*1\r\n$+4\r\nPING\r\n", "Protocol error: invalid bulk length"},
      {"*1\r\n$\r\n", "Protocol error: invalid bulk length"},
      {"*1\r\n$536870913\r\n", "Protocol error: invalid bulk length"},
      {"*1\r\nx4\r\nPING\r\n", "Protocol error: expected '$', got 'x'"},
      {"*1\r\n\r\n", "Protocol error: expected '$', got ' '"},
      {"*1\r\n\n\r\n", "Protocol error: expected '$', got ' '"},
      {"*1\r\n\x80\r\n", "Protocol error: expected '$', got '\x80'"},
      {"*2\r\n$1\r\na\r\n:1\r\n", "Protocol error: expected '$', got ':'"},
      {"ECHO \"abc\r\n", "Protocol error: unbalanced quotes in request"},
      {"ECHO 'abc\r\n", "Protocol error: unbalanced quotes in request"},
      {"ECHO \"a\"b\r\n", "Protocol error: unbalanced quotes in request"},
      {"ECHO 'a'b\r\n", "Protocol error: unbalanced quotes in request"},
      {"ECHO \"\\\r\n", "Protocol error: unbalanced quotes in request"},
      {std::string(65537, 'a'), "Protocol error: too big inline request"},
      {"*" + std::string(70000, '1'), "Protocol error: too big mbulk count string"},
      {"*1\r\n$" + std::string(70000, '1'), "Protocol error: too big bulk count string"},
  };
  for (const Case& c : cases) {
    INFO("input " << c.in.substr(0, 40));
    const auto events = ParseAll(c.in);
    REQUIRE(events.size() == 1);
    CHECK(events[0] == Command{"ERR " + c.want});
  }
  // The limits are strict: exactly 64KB without a line end still waits.
  CHECK(ParseAll(std::string(65536, 'a')).empty());
  CHECK(ParseAll("*" + std::string(65535, '1')).empty());
  // A line end found beyond 64KB is accepted (Redis only checks when there is none).
  CHECK(ParseAll(std::string(70000, 'a') + "\r\n") ==
        std::vector<Command>{{std::string(70000, 'a')}});
}

TEST_CASE("parser: errors are the same fed byte by byte", "[parser]") {
  const std::string inputs[] = {
      "*1\r\n$-1\r\n",       "*3000000000\r\n", "*1\r\nx4\r\nPING\r\n", "ECHO \"abc\r\n",
      "*1\r\n$04\r\nab\r\n", "*12\r\n",         "*1\r\n$20000\r\n",
  };
  for (const auto& in : inputs) {
    for (bool auth : {true, false}) {
      ParseLimits limits;
      limits.authenticated = auth;
      Feeder whole(limits);
      whole.Feed(in);
      Feeder bytes(limits);
      for (char c : in) bytes.Feed(std::string_view(&c, 1));
      INFO(in << " auth " << auth);
      CHECK(bytes.events() == whole.events());
    }
  }
}

TEST_CASE("parser: commands before an error are returned", "[parser]") {
  const auto events = ParseAll("PING\r\n*1\r\n$4\r\nPING\r\n*x\r\nPING\r\n");
  CHECK(events ==
        std::vector<Command>{{"PING"}, {"PING"}, {"ERR Protocol error: invalid multibulk length"}});
}

TEST_CASE("parser: unauthenticated limits", "[parser]") {
  ParseLimits unauth;
  unauth.authenticated = false;
  // redis-server 7.0.15 with requirepass, before AUTH:
  CHECK(ParseAll("*10\r\n", unauth).empty());  // waits for the arguments
  CHECK(ParseAll("*11\r\n", unauth) ==
        std::vector<Command>{{"ERR Protocol error: unauthenticated multibulk length"}});
  CHECK(ParseAll("*1\r\n$16384\r\n", unauth).empty());
  CHECK(ParseAll("*1\r\n$16385\r\n", unauth) ==
        std::vector<Command>{{"ERR Protocol error: unauthenticated bulk length"}});
  // The generic checks come first.
  CHECK(ParseAll("*1\r\n$-1\r\n", unauth) ==
        std::vector<Command>{{"ERR Protocol error: invalid bulk length"}});
  CHECK(ParseAll("*3000000000\r\n", unauth) ==
        std::vector<Command>{{"ERR Protocol error: invalid multibulk length"}});
  // Inline requests have no such limit.
  CHECK(ParseAll("a b c d e f g h i j k l\r\n", unauth) ==
        std::vector<Command>{{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"}});
  // Authenticated: no limit.
  const Command many(11, "x");
  CHECK(ParseAll(Multibulk(many)) == std::vector<Command>{many});
  const Command big{std::string(16385, 'y')};
  CHECK(ParseAll(Multibulk(big)) == std::vector<Command>{big});
  CHECK(ParseAll(Multibulk(big), unauth) ==
        std::vector<Command>{{"ERR Protocol error: unauthenticated bulk length"}});
}

TEST_CASE("parser: proto-max-bulk-len", "[parser]") {
  ParseLimits limits;
  limits.max_bulk_len = 10;
  CHECK(ParseAll("*1\r\n$10\r\n0123456789\r\n", limits) == std::vector<Command>{{"0123456789"}});
  CHECK(ParseAll("*1\r\n$11\r\n", limits) ==
        std::vector<Command>{{"ERR Protocol error: invalid bulk length"}});
}

TEST_CASE("parser: the parser is reusable after an error and after Reset", "[parser]") {
  RequestParser p;
  CHECK(p.Parse("*x\r\n", {}) == ParseStatus::kError);
  CHECK(p.error() == "Protocol error: invalid multibulk length");
  CHECK(p.Parse("PING\r\n", {}) == ParseStatus::kCommand);
  CHECK(p.Parse("*2\r\n$3\r\nGET", {}) == ParseStatus::kNeedMore);
  p.Reset();
  REQUIRE(p.Parse("ECHO x\r\n", {}) == ParseStatus::kCommand);
  CHECK(p.argv().size() == 2);
  CHECK(p.Parse("", {}) == ParseStatus::kNeedMore);
}

TEST_CASE("parser: inline splitting as redis-server does it", "[parser]") {
  // Answers of redis-server 7.0.15 to ECHO with these arguments.
  CHECK(ParseAll("ECHO \"a\\x41\\n\" \r\n") == std::vector<Command>{{"ECHO", "aA\n"}});
  CHECK(ParseAll("ECHO 'a\\'b'\r\n") == std::vector<Command>{{"ECHO", "a'b"}});
  CHECK(ParseAll("ECHO 'a\\nb'\r\n") == std::vector<Command>{{"ECHO", "a\\nb"}});
  CHECK(ParseAll("ECHO \"a\\\"b\"\r\n") == std::vector<Command>{{"ECHO", "a\"b"}});
  CHECK(ParseAll("ECHO \"\\q\\t\"\r\n") == std::vector<Command>{{"ECHO", "q\t"}});
  CHECK(ParseAll("ECHO \"\\xZZ\"\r\n") == std::vector<Command>{{"ECHO", "xZZ"}});
  CHECK(ParseAll("ECHO a\"b c\"\r\n") == std::vector<Command>{{"ECHO", "ab c"}});
  CHECK(ParseAll("ECHO \"\"\r\n") == std::vector<Command>{{"ECHO", ""}});
  CHECK(ParseAll("ECHO ''\r\n") == std::vector<Command>{{"ECHO", ""}});
  CHECK(ParseAll("ECHO \"x\"\v\r\n") == std::vector<Command>{{"ECHO", "x"}});
  CHECK(ParseAll("ECHO \"x\"\vy\r\n") == std::vector<Command>{{"ECHO", "x", "y"}});
  CHECK(ParseAll("\vECHO\va\r\n") == std::vector<Command>{{"ECHO\va"}});
  CHECK(ParseAll("ECHO\ta\r\n") == std::vector<Command>{{"ECHO", "a"}});
  CHECK(ParseAll("SET k \"\\x00\\xff\"\r\n") ==
        std::vector<Command>{{"SET", "k", std::string("\0\xff", 2)}});
}

TEST_CASE("SplitArgs for the config file", "[parser]") {
  std::string storage;
  std::vector<std::string_view> out;
  REQUIRE(SplitArgs("bind 127.0.0.1 \"::1\"  'x y'", &storage, &out));
  CHECK(out == std::vector<std::string_view>{"bind", "127.0.0.1", "::1", "x y"});
  REQUIRE(SplitArgs("", &storage, &out));
  CHECK(out.empty());
  REQUIRE(SplitArgs("   ", &storage, &out));
  CHECK(out.empty());
  CHECK_FALSE(SplitArgs("a \"b", &storage, &out));
  CHECK_FALSE(SplitArgs("a 'b'c", &storage, &out));
  REQUIRE(SplitArgs("a \"\\x41\\x4a\"", &storage, &out));
  CHECK(out == std::vector<std::string_view>{"a", "AJ"});
  // A NUL ends the line, as in the C string Redis splits.
  REQUIRE(SplitArgs(std::string_view("a b\0c", 5), &storage, &out));
  CHECK(out == std::vector<std::string_view>{"a", "b"});
  // Views point into storage.
  REQUIRE(SplitArgs("one two", &storage, &out));
  for (auto v : out) {
    CHECK(v.data() >= storage.data());
    CHECK(v.data() + v.size() <= storage.data() + storage.size());
  }
}
