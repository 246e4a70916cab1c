#include "protocol/reply_buffer.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <string>

using pylon::protocol::ReplyBuffer;

namespace {

std::string Contents(const ReplyBuffer& b) {
  std::string_view views[64];
  std::string out;
  const size_t n = b.Peek(views, 64);
  for (size_t i = 0; i < n; ++i) out += views[i];
  return out;
}

std::string Pattern(size_t n, size_t seed = 0) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i + seed) % 26);
  return s;
}

}  // namespace

TEST_CASE("buffer: append, peek and consume across chunks", "[buffer]") {
  ReplyBuffer b;
  CHECK(b.empty());
  std::string want;
  for (size_t i = 0; i < 50; ++i) {
    const std::string piece = Pattern(997 + i * 13, i);
    b.Append(piece);
    want += piece;
    b.Append('|');
    want += '|';
  }
  REQUIRE(b.size() == want.size());
  REQUIRE(want.size() > 3 * ReplyBuffer::kChunkSize);
  CHECK(Contents(b) == want);

  // Peek fills at most max_views, in order.
  std::string_view two[2];
  REQUIRE(b.Peek(two, 2) == 2);
  CHECK(two[0].size() == ReplyBuffer::kChunkSize);
  CHECK(std::string(two[0]) + std::string(two[1]) == want.substr(0, two[0].size() + two[1].size()));

  // Consume in odd amounts, including across chunk boundaries.
  size_t off = 0;
  for (size_t step : {1, 7000, 16384, 9999, 3, 20000}) {
    b.Consume(step);
    off += step;
    REQUIRE(b.size() == want.size() - off);
    REQUIRE(Contents(b) == want.substr(off));
  }
  b.Consume(b.size());
  CHECK(b.empty());
  CHECK(Contents(b).empty());
  b.Append("again");
  CHECK(Contents(b) == "again");
  b.Consume(1000);  // more than there is: clamps
  CHECK(b.empty());
}

TEST_CASE("buffer: reserve and commit write straight into the tail", "[buffer]") {
  ReplyBuffer b;
  b.Append(std::string(ReplyBuffer::kChunkSize - 3, 'x'));
  char* p = b.Reserve(10);  // does not fit in the first chunk: a fresh one
  std::memcpy(p, "0123456789", 10);
  b.Commit(6);
  CHECK(b.size() == ReplyBuffer::kChunkSize + 3);
  CHECK(Contents(b) == std::string(ReplyBuffer::kChunkSize - 3, 'x') + "012345");
  p = b.Reserve(ReplyBuffer::kChunkSize);
  std::memset(p, 'z', ReplyBuffer::kChunkSize);
  b.Commit(ReplyBuffer::kChunkSize);
  CHECK(b.size() == 2 * ReplyBuffer::kChunkSize + 3);
  b.Reserve(5);
  b.Commit(0);
  CHECK(b.size() == 2 * ReplyBuffer::kChunkSize + 3);
}

TEST_CASE("buffer: a string bigger than a chunk", "[buffer]") {
  ReplyBuffer b;
  b.Append("head");
  const std::string big = Pattern(5 * ReplyBuffer::kChunkSize + 123);
  b.Append(big);
  b.Append("tail");
  CHECK(b.size() == big.size() + 8);
  CHECK(Contents(b) == "head" + big + "tail");
  // One allocation for the rest of the big string, not a chunk per 16KB.
  std::string_view views[16];
  CHECK(b.Peek(views, 16) == 3);
  b.Consume(b.size() - 2);
  CHECK(Contents(b) == "il");
}

TEST_CASE("buffer: memory does not grow over fill and drain cycles", "[buffer]") {
  ReplyBuffer b;
  const std::string piece = Pattern(3000);
  size_t steady = 0;
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 12; ++i) b.Append(piece);  // a bit over two chunks
    b.Consume(b.size());
    if (round == 1) steady = b.memory();
    if (round > 1) REQUIRE(b.memory() == steady);
  }
  CHECK(steady <= 4 * ReplyBuffer::kChunkSize);
  // A big string's chunk is released once sent.
  b.Append(std::string(10 * ReplyBuffer::kChunkSize, 'q'));
  b.Append("x");
  b.Consume(b.size());
  CHECK(b.memory() <= 4 * ReplyBuffer::kChunkSize);
}

TEST_CASE("buffer: clear", "[buffer]") {
  ReplyBuffer b;
  b.Append(Pattern(3 * ReplyBuffer::kChunkSize));
  b.Clear();
  CHECK(b.empty());
  CHECK(Contents(b).empty());
  b.Append("x");
  CHECK(Contents(b) == "x");
}

TEST_CASE("buffer: insert at a mark", "[buffer]") {
  ReplyBuffer b;
  b.Append("ab");
  auto m = b.MarkEnd();
  b.Append("cd");
  b.InsertAt(m, "XY");
  CHECK(Contents(b) == "abXYcd");
  // A mark at the end inserts by appending.
  auto end = b.MarkEnd();
  b.InsertAt(end, "!");
  CHECK(Contents(b) == "abXYcd!");
  // A mark taken after an insertion accounts for it.
  auto m2 = b.MarkEnd();
  b.Append("ef");
  b.InsertAt(m2, "-");
  CHECK(Contents(b) == "abXYcd!-ef");
  // Marks survive consumption of the bytes before them.
  auto m3 = b.MarkEnd();
  b.Append("gh");
  b.Consume(5);
  b.InsertAt(m3, "+");
  CHECK(Contents(b) == "d!-ef+gh");
  // At the very front of what is left.
  auto m4 = b.MarkEnd();
  b.Append("ij");
  b.Consume(b.size() - 2);
  b.InsertAt(m4, "<");
  CHECK(Contents(b) == "<ij");
}

TEST_CASE("buffer: insert at every position around chunk boundaries", "[buffer]") {
  const size_t k = ReplyBuffer::kChunkSize;
  for (size_t before = k - 40; before <= k + 5; ++before) {
    for (size_t after : {size_t{0}, size_t{1}, size_t{30}, size_t{100}, k + 10}) {
      for (size_t consumed : {size_t{0}, size_t{17}}) {
        INFO("before " << before << " after " << after << " consumed " << consumed);
        ReplyBuffer b;
        const std::string head = Pattern(before, 1);
        const std::string tail = Pattern(after, 2);
        const std::string ins = "*12345678901234567890\r\n";
        b.Append(head);
        auto m = b.MarkEnd();
        b.Append(tail);
        b.Consume(consumed);
        b.InsertAt(m, ins);
        REQUIRE(b.size() == before + after + ins.size() - consumed);
        REQUIRE(Contents(b) == (head + ins + tail).substr(consumed));
        // Later appends still land at the end.
        b.Append("END");
        REQUIRE(Contents(b) == (head + ins + tail).substr(consumed) + "END");
      }
    }
  }
}

TEST_CASE("buffer: nested marks resolved innermost first", "[buffer]") {
  const size_t k = ReplyBuffer::kChunkSize;
  for (size_t fill : {size_t{0}, k - 10, k - 3, k, k + 1}) {
    INFO("fill " << fill);
    ReplyBuffer b;
    const std::string pre(fill, '.');
    b.Append(pre);
    auto outer = b.MarkEnd();
    auto inner_same = b.MarkEnd();  // the first element of the outer is itself deferred
    b.Append("A");
    auto inner = b.MarkEnd();
    b.Append(std::string(k / 2, 'B'));
    b.InsertAt(inner, "[inner]");
    b.InsertAt(inner_same, "[first]");
    b.InsertAt(outer, "[outer]");
    CHECK(Contents(b) == pre + "[outer][first]A[inner]" + std::string(k / 2, 'B'));
  }
}

TEST_CASE("buffer: shared bytes are queued by reference and let go once sent", "[buffer][shared]") {
  using pylon::protocol::SharedBytes;
  SharedBytes::Ref message = SharedBytes::Copy(Pattern(3000, 7));
  ReplyBuffer a, b;
  a.Append("+x\r\n");
  a.AppendShared(message);
  a.Append(":1\r\n");
  b.AppendShared(message);
  b.AppendShared(message);
  CHECK(message.use_count() == 4);  // ours, one in a, two in b
  CHECK(Contents(a) == "+x\r\n" + Pattern(3000, 7) + ":1\r\n");
  CHECK(Contents(b) == Pattern(3000, 7) + Pattern(3000, 7));
  CHECK(a.size() == 4 + 3000 + 4);
  // A reply after a shared chunk goes into a small owned chunk, not a standard one.
  CHECK(a.memory() < ReplyBuffer::kChunkSize + 3000 + 2048);

  // Sent in pieces that end inside and exactly at the shared bytes' end.
  a.Consume(4 + 1000);
  CHECK(Contents(a) == Pattern(3000, 7).substr(1000) + ":1\r\n");
  CHECK(message.use_count() == 4);
  a.Consume(2000);
  CHECK(message.use_count() == 3);  // released as soon as it was sent
  CHECK(Contents(a) == ":1\r\n");
  b.Consume(3000);
  CHECK(message.use_count() == 2);
  b.Clear();
  CHECK(message.use_count() == 1);
  CHECK(b.empty());

  // Appending after a fully sent shared tail writes to a fresh owned chunk.
  b.AppendShared(message);
  b.Consume(3000);
  b.Append("+ok\r\n");
  CHECK(Contents(b) == "+ok\r\n");
  CHECK(message.use_count() == 1);
}

TEST_CASE("buffer: a mark next to shared bytes", "[buffer][shared]") {
  using pylon::protocol::SharedBytes;
  SharedBytes::Ref message = SharedBytes::Copy("*3\r\n$7\r\nmessage\r\n");
  ReplyBuffer b;
  // Mark before the shared bytes, at the very front.
  auto front = b.MarkEnd();
  b.AppendShared(message);
  b.InsertAt(front, "<");
  // Mark right after them.
  auto after = b.MarkEnd();
  b.Append("tail");
  b.InsertAt(after, ">");
  CHECK(Contents(b) == "<*3\r\n$7\r\nmessage\r\n>tail");
  CHECK(b.size() == 1 + message.size() + 1 + 4);
  b.Consume(b.size());
  CHECK(message.use_count() == 1);
}
