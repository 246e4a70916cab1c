// protocol/reply_scanner.h: where each RESP2/RESP3 reply ends, with no decoding; incomplete
// replies wait for more bytes, malformed ones are refused.
#include "protocol/reply_scanner.h"

#include <catch2/catch.hpp>
#include <string>

#include "protocol/reply_buffer.h"
#include "protocol/reply_writer.h"

namespace pylon::protocol {
namespace {

// The length of the one reply at the start of `bytes`: 0 when incomplete, -1 when malformed.
int64_t ReplyLength(const std::string& bytes, std::string* error = nullptr) {
  std::string ignored;
  size_t p = 0;
  const int r = ScanOne(bytes.data(), bytes.size(), &p, error ? error : &ignored);
  return r == 1 ? static_cast<int64_t>(p) : r;
}

TEST_CASE("reply scanner: every reply type, and each cut short is incomplete", "[protocol]") {
  const std::string replies[] = {
      "+OK\r\n",
      "-ERR bad\r\n",
      ":-12\r\n",
      "$5\r\nhe\r\nl\r\n",  // a bulk string's bytes may hold CR LF
      "$-1\r\n",
      "*-1\r\n",
      "*0\r\n",
      "*2\r\n$1\r\na\r\n*1\r\n:1\r\n",
      "_\r\n",
      ",3.5\r\n",
      "#t\r\n",
      "(12345678901234567890\r\n",
      "=8\r\ntxt:abcd\r\n",
      "!3\r\nERR\r\n",
      "%1\r\n+k\r\n*2\r\n:1\r\n:2\r\n",
      "~2\r\n+a\r\n+b\r\n",
      ">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$0\r\n\r\n",
      "|1\r\n+ttl\r\n:3\r\n+OK\r\n",  // an attribute, then the reply it annotates
  };
  for (const std::string& reply : replies) {
    INFO(reply);
    const size_t whole = reply.starts_with("|") ? reply.size() - 5 : reply.size();
    CHECK(ReplyLength(reply) == static_cast<int64_t>(whole));
    for (size_t cut = 0; cut < whole; cut++) CHECK(ReplyLength(reply.substr(0, cut)) == 0);
  }
}

TEST_CASE("reply scanner: malformed replies are refused", "[protocol]") {
  for (const std::string bad : {"?x\r\n", "+OK\rx", "$x\r\n", "*1x\r\n", "$3\r\nabc\r\n*z\r\n"}) {
    INFO(bad);
    if (bad.starts_with("$3")) {
      CHECK(ReplyLength(bad) == 9);  // the first reply is whole; the next one is the bad one
      std::string error;
      size_t pos = 0;
      CHECK(ScanReplies(bad.data(), bad.size(), &pos, &error) == -1);
    } else {
      CHECK(ReplyLength(bad) == -1);
    }
  }
}

TEST_CASE("reply scanner: the first error's text is kept, and ScanReplies counts", "[protocol]") {
  const std::string bytes = "+OK\r\n-MOVED 3 h:1\r\n!4\r\nnope\r\n:1\r\n$3\r\nab";
  std::string error;
  size_t pos = 0;
  CHECK(ScanReplies(bytes.data(), bytes.size(), &pos, &error) == 4);
  CHECK(error == "MOVED 3 h:1");
  CHECK(pos == bytes.size() - 6);  // the partial bulk string waits
}

TEST_CASE("reply scanner: agrees with the reply writer on large nested replies", "[protocol]") {
  for (int resp : {2, 3}) {
    ReplyBuffer buffer;
    ReplyWriter w(&buffer);
    w.set_resp(resp);
    w.MapHeader(100);
    for (int i = 0; i < 100; i++) {
      w.Bulk("key" + std::to_string(i));
      w.ArrayHeader(2);
      w.Integer(i);
      w.Bulk(std::string(static_cast<size_t>(i) * 37, 'x'));
    }
    w.Null();
    std::string_view views[64];
    std::string bytes;
    for (size_t i = 0, n = buffer.Peek(views, 64); i < n; i++) bytes += views[i];
    INFO("RESP" << resp);
    const int64_t first = ReplyLength(bytes);
    REQUIRE(first > 0);
    CHECK(bytes.substr(static_cast<size_t>(first)) == (resp == 2 ? "$-1\r\n" : "_\r\n"));
  }
}

}  // namespace
}  // namespace pylon::protocol
