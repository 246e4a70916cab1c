// Feeds arbitrary bytes to the RESP parser the way a connection does: in pieces, with the
// unconsumed bytes kept contiguous (and moved to a new allocation between reads, as a growing
// buffer would), under both the authenticated and unauthenticated limits. Checks the contract
// and that splitting the input never changes what comes out.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/request_parser.h"

namespace {

using pylon::protocol::kInlineMaxSize;
using pylon::protocol::ParseLimits;
using pylon::protocol::ParseStatus;
using pylon::protocol::RequestParser;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

// The outcome of one stream: each request's arguments (or a marker), then the error if any.
struct Outcome {
  std::vector<std::string> events;
  bool operator==(const Outcome& o) const { return events == o.events; }
};

bool Inside(std::string_view v, const std::string& buf) {
  return v.data() >= buf.data() && v.data() + v.size() <= buf.data() + buf.size();
}

bool Disjoint(std::string_view v, const std::string& buf) {
  return v.data() + v.size() <= buf.data() || v.data() >= buf.data() + buf.size();
}

Outcome Run(std::string_view data, const std::vector<size_t>& cuts, const ParseLimits& limits) {
  RequestParser parser;
  Outcome out;
  std::string pending;
  size_t fed = 0;
  for (size_t i = 0; i <= cuts.size(); ++i) {
    const size_t end = i < cuts.size() ? cuts[i] : data.size();
    // A fresh allocation each time: argv must not depend on where earlier bytes were.
    std::string moved;
    moved.reserve(pending.size() + (end - fed) + 1);
    moved.assign(pending);
    moved.append(data.substr(fed, end - fed));
    pending.swap(moved);
    fed = end;
    for (;;) {
      const ParseStatus st = parser.Parse(pending, limits);
      const auto& argv = parser.argv();
      if (st == ParseStatus::kNeedMore) {
        Check(parser.consumed() == 0, "kNeedMore consumed bytes");
        Check(argv.empty(), "kNeedMore with arguments");
        break;
      }
      if (st == ParseStatus::kError) {
        Check(!parser.error().empty(), "kError without text");
        Check(parser.error().substr(0, 16) == "Protocol error: ", "error text prefix");
        Check(argv.empty(), "kError with arguments");
        out.events.push_back("ERR " + std::string(parser.error()));
        return out;
      }
      Check(parser.consumed() > 0, "a request consumed nothing");
      Check(parser.consumed() <= pending.size(), "consumed past the buffer");
      if (st == ParseStatus::kEmpty) {
        Check(argv.empty(), "kEmpty with arguments");
        out.events.push_back("<empty>");
      } else {
        Check(st == ParseStatus::kCommand, "unknown status");
        Check(!argv.empty(), "kCommand without arguments");
        std::string joined = "cmd";
        for (std::string_view a : argv) {
          // Multibulk arguments and plain inline words are inside the consumed bytes; unescaped
          // inline words are in the parser's scratch, wholly outside the buffer.
          const bool in_request =
              Inside(a, pending) && a.data() + a.size() <= pending.data() + parser.consumed();
          Check(in_request || (pending[0] != '*' && Disjoint(a, pending)),
                "argument outside the request and scratch");
          joined += '|';
          joined += std::to_string(a.size());
          joined += ':';
          joined.append(a.data(), a.size());  // touching every byte lets ASan check the view
        }
        out.events.push_back(std::move(joined));
      }
      pending.erase(0, parser.consumed());
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size == 0) return 0;
  // The first byte chooses the limits; the rest is the stream.
  const uint8_t control = bytes[0];
  const std::string_view data(reinterpret_cast<const char*>(bytes) + 1, size - 1);
  ParseLimits limits;
  limits.authenticated = (control & 1) == 0;
  if (control & 2) limits.max_bulk_len = 64;

  const Outcome whole = Run(data, {}, limits);

  // A few cut points derived from the data itself, so the fuzzer can steer them.
  std::vector<size_t> cuts;
  uint32_t h = 2166136261u ^ control;
  for (size_t i = 0; i < data.size() && cuts.size() < 4; ++i) {
    h = (h ^ static_cast<uint8_t>(data[i])) * 16777619u;
    if ((h & 7) == 0) cuts.push_back(i + 1);
  }
  if (!data.empty()) cuts.push_back(data.size() / 2);
  std::vector<size_t> sorted;
  for (size_t c : cuts) {
    if (c <= data.size() && (sorted.empty() || c > sorted.back())) sorted.push_back(c);
  }
  const Outcome split = Run(data, sorted, limits);

  // The "too big" limits are checked on what has arrived, as in Redis, so pieces can only
  // change the outcome of a stream longer than the limit.
  if (data.size() <= kInlineMaxSize) Check(split == whole, "splitting changed the outcome");

  // Byte by byte for small inputs: the worst case for resumption.
  if (data.size() <= 512) {
    std::vector<size_t> every;
    for (size_t i = 1; i < data.size(); ++i) every.push_back(i);
    Check(Run(data, every, limits) == whole, "byte by byte changed the outcome");
  }
  return 0;
}
