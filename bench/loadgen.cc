// pylon-loadgen: a lean RESP load generator with redis-benchmark's options and CSV row, for the
// runs where redis-benchmark itself is the ceiling.
//
// At pipeline 1 redis-benchmark spends more CPU per request than a server does answering it
// (~20 us against ~12 on this VM), so on a machine with one core per side every server looks
// equally fast. This tool does the least a client can: requests are written into a buffer
// formatted once (only the random key digits change), replies are skipped by a small RESP
// scanner without being decoded, and each connection costs one read and one write per batch.
//
//   pylon-loadgen [-h host] [-p port] [-c clients] [-n requests] [-r keyspace] [-P pipeline]
//                 [--csv] command [arg ...]
//
// As in redis-benchmark, each "__rand_int__" in the arguments becomes a 12-digit number below
// the -r keyspace, drawn afresh for each request. Prints a summary, or with --csv
// redis-benchmark's header and row: "test","rps","avg_latency_ms","min_latency_ms",
// "p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms". Latency is per batch
// (the time from writing a connection's P requests to reading the last reply). An error reply,
// a lost connection or a malformed reply ends the run with exit status 1.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::string_view kRandToken = "__rand_int__";
constexpr size_t kRandDigits = 12;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

[[noreturn]] void Fail(const std::string& message) {
  std::fprintf(stderr, "pylon-loadgen: %s\n", message.c_str());
  std::exit(1);
}

// xorshift64*: cheap, and good enough to spread keys over the keyspace.
struct Rng {
  uint64_t state = 0x9E3779B97F4A7C15ull;
  uint64_t Next() {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545F4914F6CDD1Dull;
  }
};

// Complete replies are counted without being decoded (RESP2 and RESP3). A reply split across
// reads is scanned again from its start once more bytes came: replies here are small.

// One whole reply at data[*p..size): 1 (and *p moves past it), 0 when incomplete, -1 when
// malformed. Keeps the text of the first error reply in *error.
int ScanOne(const char* data, size_t size, size_t* p, std::string* error) {
  if (*p >= size) return 0;
  const char type = data[*p];
  const char* line = data + *p + 1;
  const char* end = static_cast<const char*>(std::memchr(line, '\r', size - *p - 1));
  if (!end || end + 1 >= data + size) return 0;
  if (end[1] != '\n') return -1;
  const std::string_view text(line, static_cast<size_t>(end - line));
  size_t next = static_cast<size_t>(end + 2 - data);
  int64_t n = 0;
  switch (type) {
    case '+':
    case ':':
    case '_':
    case ',':
    case '#':
    case '(':
      break;
    case '-':
      if (error->empty()) error->assign(text);
      break;
    case '$':
    case '=':
    case '!':
    case '%':
    case '*':
    case '~':
    case '>':
    case '|': {
      const auto [stop, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (ec != std::errc() || stop != text.data() + text.size()) return -1;
      if (type == '$' || type == '=' || type == '!') {
        if (n >= 0) {
          if (size - next < static_cast<size_t>(n) + 2) return 0;
          if (type == '!' && error->empty()) error->assign(data + next, static_cast<size_t>(n));
          next += static_cast<size_t>(n) + 2;
        }
        break;
      }
      const int64_t elements = (type == '%' || type == '|') ? 2 * n : n;
      for (int64_t i = 0; i < elements; i++) {
        const int r = ScanOne(data, size, &next, error);
        if (r <= 0) return r;
      }
      break;
    }
    default:
      return -1;
  }
  *p = next;
  return 1;
}

// The complete replies at data[*pos..size), *pos moved past them (a partial reply at the end
// stays); -1 when one is malformed.
int ScanReplies(const char* data, size_t size, size_t* pos, std::string* error) {
  int complete = 0;
  while (true) {
    size_t p = *pos;
    const int r = ScanOne(data, size, &p, error);
    if (r < 0) return -1;
    if (r == 0) return complete;
    *pos = p;
    complete++;
  }
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

struct Options {
  std::string host = "127.0.0.1";
  int port = 6379;
  int clients = 50;
  int64_t requests = 100000;
  uint64_t keyspace = 0;  // 0: __rand_int__ stays as it is (redis-benchmark without -r)
  int pipeline = 1;
  bool csv = false;
  std::vector<std::string> command;
};

Options ParseOptions(int argc, char** argv) {
  Options o;
  int i = 1;
  auto value = [&](const char* name) -> std::string {
    if (i + 1 >= argc) Fail(std::string("missing value after ") + name);
    return argv[++i];
  };
  auto number = [&](const char* name) -> int64_t {
    const std::string v = value(name);
    char* stop;
    const long long n = std::strtoll(v.c_str(), &stop, 10);
    if (*stop || n < 1) Fail(std::string(name) + " wants a positive integer, got '" + v + "'");
    return n;
  };
  for (; i < argc && argv[i][0] == '-'; i++) {
    const std::string_view a = argv[i];
    if (a == "-h")
      o.host = value("-h");
    else if (a == "-p")
      o.port = static_cast<int>(number("-p"));
    else if (a == "-c")
      o.clients = static_cast<int>(number("-c"));
    else if (a == "-n")
      o.requests = number("-n");
    else if (a == "-r")
      o.keyspace = static_cast<uint64_t>(number("-r"));
    else if (a == "-P")
      o.pipeline = static_cast<int>(number("-P"));
    else if (a == "--csv")
      o.csv = true;
    else
      Fail("unknown option " + std::string(a));
  }
  for (; i < argc; i++) o.command.emplace_back(argv[i]);
  if (o.command.empty()) Fail("no command given");
  return o;
}

// One request formatted as a RESP array, and where its random digits go.
struct Template {
  std::string bytes;
  std::vector<size_t> rand_at;  // offsets of each __rand_int__'s 12 digits
};

Template Format(const Options& o) {
  Template t;
  t.bytes.append("*").append(std::to_string(o.command.size())).append("\r\n");
  for (const std::string& arg : o.command) {
    std::string a = arg;
    std::vector<size_t> at;
    if (o.keyspace) {
      for (size_t p = a.find(kRandToken); p != std::string::npos; p = a.find(kRandToken, p)) {
        a.replace(p, kRandToken.size(), std::string(kRandDigits, '0'));
        at.push_back(p);
        p += kRandDigits;
      }
    }
    t.bytes.append("$").append(std::to_string(a.size())).append("\r\n");
    for (size_t p : at) t.rand_at.push_back(t.bytes.size() + p);
    t.bytes.append(a).append("\r\n");
  }
  return t;
}

struct Connection {
  int fd = -1;
  std::string out;  // P requests; digits rewritten before each batch
  std::vector<size_t> rand_at;
  std::vector<char> in = std::vector<char>(1 << 16);
  size_t in_len = 0;
  int owed = 0;  // replies still to read for the batch in flight
  int64_t sent_ns = 0;
};

int Connect(const Options& o) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) Fail(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(o.port));
  if (inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr) != 1) Fail("-h wants an IPv4 address");
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    Fail("cannot connect to " + o.host + ":" + std::to_string(o.port) + ": " +
         std::strerror(errno));
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

void WriteAll(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t w = write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) Fail(std::string("write: ") + std::strerror(errno));
    done += static_cast<size_t>(w);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = ParseOptions(argc, argv);
  const Template t = Format(o);
  Rng rng;
  const int ep = epoll_create1(0);
  std::vector<Connection> conns(static_cast<size_t>(o.clients));
  for (size_t i = 0; i < conns.size(); i++) {
    Connection& c = conns[i];
    c.fd = Connect(o);
    for (int k = 0; k < o.pipeline; k++) {
      for (size_t at : t.rand_at) c.rand_at.push_back(c.out.size() + at);
      c.out += t.bytes;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev) != 0) Fail("epoll_ctl failed");
  }

  int64_t issued = 0, answered = 0;
  auto send = [&](Connection& c) {
    const int batch = static_cast<int>(std::min<int64_t>(o.pipeline, o.requests - issued));
    if (batch <= 0) return;
    const size_t length =
        c.out.size() / static_cast<size_t>(o.pipeline) * static_cast<size_t>(batch);
    const size_t per_request = c.rand_at.size() / static_cast<size_t>(o.pipeline);
    for (size_t k = 0; k < per_request * static_cast<size_t>(batch); k++) {
      uint64_t v = rng.Next() % o.keyspace;
      char* digits = c.out.data() + c.rand_at[k];
      for (size_t d = kRandDigits; d-- > 0;) {
        digits[d] = static_cast<char>('0' + v % 10);
        v /= 10;
      }
    }
    c.owed = batch;
    issued += batch;
    c.sent_ns = NowNs();
    WriteAll(c.fd, length == c.out.size() ? c.out : c.out.substr(0, length));
  };

  Histogram latency;
  const int64_t start = NowNs();
  for (Connection& c : conns) send(c);
  std::array<epoll_event, 256> events;
  std::string error;
  while (answered < o.requests) {
    const int ready = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 10000);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) Fail("no reply for 10 s");
    for (int e = 0; e < ready; e++) {
      Connection& c = conns[events[e].data.u64];
      if (c.in_len == c.in.size()) c.in.resize(c.in.size() * 2);
      const ssize_t r = read(c.fd, c.in.data() + c.in_len, c.in.size() - c.in_len);
      if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (r <= 0) Fail("the server closed a connection");
      c.in_len += static_cast<size_t>(r);
      size_t pos = 0;
      const int replies = ScanReplies(c.in.data(), c.in_len, &pos, &error);
      if (replies < 0) Fail("a malformed reply");
      if (!error.empty()) Fail("an error reply: " + error);
      std::memmove(c.in.data(), c.in.data() + pos, c.in_len - pos);
      c.in_len -= pos;
      c.owed -= replies;
      answered += replies;
      if (replies > 0 && c.owed == 0) {
        latency.Add(NowNs() - c.sent_ns);
        send(c);
      }
    }
  }
  const double seconds = static_cast<double>(NowNs() - start) / 1e9;
  const double rps = static_cast<double>(answered) / seconds;
  std::string name;
  for (const std::string& a : o.command) name += (name.empty() ? "" : " ") + a;
  if (o.csv) {
    std::printf(
        "\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\","
        "\"p95_latency_ms\",\"p99_latency_ms\",\"max_latency_ms\"\n");
    std::printf("\"%s\",\"%.2f\",\"%.3f\",\"%.3f\",\"%.3f\",\"%.3f\",\"%.3f\",\"%.3f\"\n",
                name.c_str(), rps, latency.AvgMs(), latency.MinMs(), latency.QuantileMs(0.5),
                latency.QuantileMs(0.95), latency.QuantileMs(0.99), latency.MaxMs());
  } else {
    std::printf(
        "%s: %lld requests in %.2f s, %.0f requests per second; latency ms avg %.3f "
        "p50 %.3f p99 %.3f max %.3f\n",
        name.c_str(), static_cast<long long>(answered), seconds, rps, latency.AvgMs(),
        latency.QuantileMs(0.5), latency.QuantileMs(0.99), latency.MaxMs());
  }
  for (Connection& c : conns) close(c.fd);
  close(ep);
  return 0;
}
