// What the benchmark drivers (pylon-loadgen, pylon-queuegen, pylon-cachegen) share: a RESP reply
// scanner that finds where replies end without decoding them, a path lookup into a reply for the
// few values a driver needs, blocking loopback sockets, a latency histogram, a seeded random
// generator, and the server's memory and CPU read from INFO and /proc. Header-only: each driver is
// one translation unit.
#pragma once

#include <arpa/inet.h>
#include <glob.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/reply_scanner.h"

namespace pylon_bench {

inline int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// xorshift64*: cheap, good enough to spread keys over a key space, and the same sequence on every
// machine for the same seed (std:: distributions are not: their algorithms are left to the
// library).
struct Rng {
  uint64_t state = 0x9E3779B97F4A7C15ull;
  Rng() = default;
  // A zero state would stay zero: the seed is mixed into the default state instead.
  explicit Rng(uint64_t seed) : state(0x9E3779B97F4A7C15ull ^ (seed * 0xBF58476D1CE4E5B9ull)) {
    if (state == 0) state = 1;
  }
  uint64_t Next() {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545F4914F6CDD1Dull;
  }
  // Uniform in [0, 1), from the top 53 bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
};

// Prints "<program>: message" and exits 1: every driver failure ends the run.
[[noreturn]] inline void Fail(const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", program_invocation_short_name, message.c_str());
  std::exit(1);
}

// A cursor over the command line: options first, then the arguments that are not options.
// The options every driver takes, -h host and -p port, are read into *host and *port as they
// come; NextOption yields the others. Value and Positive read the argument after the current
// option; a missing or bad one ends the run.
class ArgCursor {
 public:
  ArgCursor(int argc, char** argv, std::string* host, int* port)
      : argc_(argc), argv_(argv), host_(host), port_(port) {}

  // Moves to the next option ("-x", "--name") that is not -h or -p; false at the first argument
  // that is not an option.
  bool NextOption(std::string_view* option) {
    while (i_ < argc_ && argv_[i_][0] == '-') {
      option_ = argv_[i_++];
      if (option_ == "-h") {
        *host_ = Value();
      } else if (option_ == "-p") {
        *port_ = static_cast<int>(Positive());
      } else {
        *option = option_;
        return true;
      }
    }
    return false;
  }
  std::string Value() {
    if (i_ >= argc_) Fail("missing value after " + std::string(option_));
    return argv_[i_++];
  }
  int64_t Positive() {
    const std::string v = Value();
    char* stop;
    const long long n = std::strtoll(v.c_str(), &stop, 10);
    if (*stop || n < 1) Fail(std::string(option_) + " wants a positive integer, got '" + v + "'");
    return n;
  }
  // The arguments after the options.
  std::vector<std::string> Rest() { return {argv_ + i_, argv_ + argc_}; }

 private:
  int argc_;
  char** argv_;
  std::string* host_;
  int* port_;
  int i_ = 1;
  std::string_view option_;
};

// Complete replies are found by protocol/reply_scanner.h, shared with the server's peer links.
using pylon::protocol::ScanOne;
using pylon::protocol::ScanReplies;

// The number on a reply's first line ("*3", ":1", "$100"), from the byte after the type.
inline std::optional<int64_t> HeaderNumber(std::string_view reply) {
  const size_t end = reply.find('\r');
  if (reply.size() < 2 || end == std::string_view::npos) return std::nullopt;
  int64_t n = 0;
  const auto [stop, ec] = std::from_chars(reply.data() + 1, reply.data() + end, n);
  if (ec != std::errc() || stop != reply.data() + end) return std::nullopt;
  return n;
}

// What a lookup into a reply found.
enum class Lookup { kFound, kNull, kBadShape };

// The element at `path` in one complete reply (already delimited by ScanOne): path holds the
// index to take in each nested array, outermost first ({} is the reply itself, {0, 1} the second
// element of the first element). *element starts at the element's type byte. Siblings are
// skipped by ScanOne: nothing is decoded but the array headers on the path. kNull when the reply
// or an array on the path is null.
inline Lookup ElementAt(std::string_view reply, const std::vector<int>& path,
                        std::string_view* element) {
  std::string ignored;
  size_t at = 0;
  for (const int index : path) {
    const std::string_view rest = reply.substr(std::min(at, reply.size()));
    if (rest.starts_with('_')) return Lookup::kNull;
    const std::optional<int64_t> n = HeaderNumber(rest);
    if (!rest.starts_with('*') || !n) return Lookup::kBadShape;
    if (*n < 0) return Lookup::kNull;
    if (index >= *n) return Lookup::kBadShape;
    at += rest.find('\n') + 1;
    for (int i = 0; i < index; i++) {
      if (ScanOne(reply.data(), reply.size(), &at, &ignored) != 1) return Lookup::kBadShape;
    }
  }
  if (at >= reply.size()) return Lookup::kBadShape;
  *element = reply.substr(at);
  return Lookup::kFound;
}

// The bulk string at `path` (see ElementAt), its bytes in *bulk.
inline Lookup BulkAt(std::string_view reply, const std::vector<int>& path, std::string_view* bulk) {
  std::string_view e;
  const Lookup found = ElementAt(reply, path, &e);
  if (found != Lookup::kFound) return found;
  if (e.starts_with('_')) return Lookup::kNull;
  const std::optional<int64_t> length = HeaderNumber(e);
  if (!e.starts_with('$') || !length) return Lookup::kBadShape;
  if (*length < 0) return Lookup::kNull;
  const size_t start = e.find('\n') + 1;
  if (e.size() < start + static_cast<size_t>(*length)) return Lookup::kBadShape;
  *bulk = e.substr(start, static_cast<size_t>(*length));
  return Lookup::kFound;
}

// The integer at `path` (see ElementAt); nullopt when it is not an integer.
inline std::optional<int64_t> IntegerAt(std::string_view reply, const std::vector<int>& path) {
  std::string_view e;
  if (ElementAt(reply, path, &e) != Lookup::kFound || !e.starts_with(':')) return std::nullopt;
  return HeaderNumber(e);
}

// Latency histogram: 1 us buckets up to 10 ms, then 100 us buckets up to 10 s.
class Histogram {
 public:
  void Add(int64_t ns) {
    const int64_t us = ns / 1000;
    count_++;
    sum_ns_ += ns;
    min_ns_ = std::min(min_ns_, ns);
    max_ns_ = std::max(max_ns_, ns);
    const size_t i = us < 10000 ? static_cast<size_t>(us)
                                : 10000 + static_cast<size_t>(std::min<int64_t>(us / 100, 99999));
    buckets_[std::min(i, buckets_.size() - 1)]++;
  }
  double AvgMs() const { return count_ ? sum_ns_ / 1e6 / static_cast<double>(count_) : 0; }
  double MinMs() const { return count_ ? min_ns_ / 1e6 : 0; }
  double MaxMs() const { return max_ns_ / 1e6; }
  // The upper edge of the bucket holding the q-quantile, in ms.
  double QuantileMs(double q) const {
    const auto want = static_cast<uint64_t>(q * static_cast<double>(count_));
    uint64_t seen = 0;
    for (size_t i = 0; i < buckets_.size(); i++) {
      seen += buckets_[i];
      if (seen > want) return i < 10000 ? (i + 1) / 1000.0 : (i - 10000 + 1) / 10.0;
    }
    return MaxMs();
  }

 private:
  std::vector<uint64_t> buckets_ = std::vector<uint64_t>(10000 + 100000);
  uint64_t count_ = 0;
  int64_t sum_ns_ = 0;
  int64_t min_ns_ = INT64_MAX;
  int64_t max_ns_ = 0;
};

// A blocking TCP connection with Nagle off. receive_buffer (bytes, 0: the default) is set
// before connect, so that the window the server sees is small from the start.
inline int Connect(const std::string& host, int port, int receive_buffer = 0) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) Fail(std::string("socket: ") + std::strerror(errno));
  if (receive_buffer) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(int));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) Fail("-h wants an IPv4 address");
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    Fail("cannot connect to " + host + ":" + std::to_string(port) + ": " + std::strerror(errno));
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

inline void WriteAll(int fd, std::string_view bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t w = write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) Fail(std::string("write: ") + std::strerror(errno));
    done += static_cast<size_t>(w);
  }
}

// The pieces of a command in RESP: an array header, then one bulk string per argument. Drivers
// that build many commands into one buffer append them directly.
inline void AppendArrayHeader(std::string* out, size_t elements) {
  out->append("*").append(std::to_string(elements)).append("\r\n");
}
inline void AppendBulk(std::string* out, std::string_view a) {
  out->append("$").append(std::to_string(a.size())).append("\r\n").append(a).append("\r\n");
}

// One command as a RESP array of bulk strings.
inline std::string Encode(const std::vector<std::string>& args) {
  std::string out;
  AppendArrayHeader(&out, args.size());
  for (const std::string& a : args) AppendBulk(&out, a);
  return out;
}

// Reads from a blocking socket until `count` whole replies are there; returns their bytes. A
// malformed reply ends the run, and so does an error reply unless errors_ok (the caller then
// looks at each reply itself).
inline std::string ReadReplies(int fd, int count = 1, bool errors_ok = false) {
  std::string buf;
  std::string error;
  char chunk[65536];
  while (true) {
    size_t pos = 0;
    const int n = ScanReplies(buf.data(), buf.size(), &pos, &error);
    if (n < 0) Fail("a malformed reply");
    if (!error.empty() && !errors_ok) Fail("an error reply: " + error);
    if (n >= count) return buf.substr(0, pos);
    const ssize_t r = read(fd, chunk, sizeof chunk);
    if (r <= 0) Fail("the server closed a connection");
    buf.append(chunk, static_cast<size_t>(r));
  }
}

// Sends one command on a blocking connection and returns its reply (an error reply fails).
inline std::string Call(int fd, const std::vector<std::string>& args) {
  WriteAll(fd, Encode(args));
  return ReadReplies(fd);
}

// The number of a field in an INFO reply (`info` is the whole reply, `section` only names it in
// the message when the field is missing).
inline int64_t InfoNumber(const std::string& info, const std::string& section,
                          const std::string& field) {
  std::string key;
  key.append("\n").append(field).append(":");
  const size_t at = info.find(key);
  if (at == std::string::npos) Fail("INFO " + section + " has no " + field);
  return std::strtoll(info.c_str() + at + field.size() + 2, nullptr, 10);
}

// A field of INFO <section>, asked on a connection of its own.
inline int64_t InfoField(const std::string& host, int port, const std::string& section,
                         const std::string& field) {
  const int fd = Connect(host, port);
  const std::string reply = Call(fd, {"INFO", section});
  close(fd);
  return InfoNumber(reply, section, field);
}

// used_memory once it stops moving (a closed client's buffers are freed on the server's next
// loop turn): two equal readings 100 ms apart, or the last one after 5 s.
inline int64_t SettledUsedMemory(const std::string& host, int port) {
  int64_t last = InfoField(host, port, "memory", "used_memory");
  for (int i = 0; i < 50; i++) {
    usleep(100 * 1000);
    const int64_t now = InfoField(host, port, "memory", "used_memory");
    if (now == last) break;
    last = now;
  }
  return last;
}

// VmRSS of a local process, in bytes.
inline int64_t RssBytes(int64_t pid) {
  FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/status").c_str(), "r");
  if (!f) Fail("cannot read the server's /proc status (is it local?)");
  char line[256];
  int64_t kb = -1;
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, "VmRSS:", 6) == 0) kb = std::strtoll(line + 6, nullptr, 10);
  }
  std::fclose(f);
  return kb * 1024;
}

// CPU time a local process has used so far, all its threads, in ns (the scheduler's own count,
// /proc/PID/task/*/schedstat); -1 when it cannot be read.
inline int64_t ProcessCpuNs(int64_t pid) {
  glob_t found{};
  const std::string pattern = "/proc/" + std::to_string(pid) + "/task/*/schedstat";
  if (glob(pattern.c_str(), 0, nullptr, &found) != 0) return -1;
  int64_t sum = 0;
  for (size_t i = 0; i < found.gl_pathc; i++) {
    FILE* f = std::fopen(found.gl_pathv[i], "r");
    long long ns = 0;
    if (f && std::fscanf(f, "%lld", &ns) == 1) sum += ns;
    if (f) std::fclose(f);
  }
  globfree(&found);
  return sum;
}

}  // namespace pylon_bench
