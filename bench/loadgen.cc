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
//                 [--seed S] [--csv] [--subscribe N channel | --psubscribe N pattern [--lagging]]
//                 command [arg ...] [--then command [arg ...]]
//
// With --then each request is a pair, as a client uses commands that go together (CB.ALLOW then
// CB.RECORD; SEM.ACQUIRE then SEM.RELEASE of the token it got): a connection sends P first
// commands, reads their replies, then sends the P second commands and reads theirs. In the
// second command, __rand_int__ repeats the first one's digits (the same key) and __reply__
// becomes the first reply when it is a bulk string (else it is empty). -n counts both commands
// (pairs = n / 2); rps too; latency is per pair of batches.
//
// As in redis-benchmark, each "__rand_int__" in the arguments becomes a 12-digit number below
// the -r keyspace, drawn afresh for each request. The draws are the same in every run (so two
// servers get the same keys); --seed S gives another sequence, for runs that should not repeat
// the keys of the one before.
//
// Pub/sub: --subscribe / --psubscribe open N more connections subscribed to the channel or
// pattern before the run; the command (PUBLISH ...) is then the load, and the run lasts until
// every subscriber has every message (N x -n). It reports deliveries per second as well. With
// --lagging the subscribers never read (on 4 KB receive buffers): the run ends with the
// publishes, and reports the server's used_memory and RSS while they lag (INFO memory, and
// /proc/<process_id>/status: the server must be local).
//
// Prints a summary, or with --csv
// redis-benchmark's header and row: "test","rps","avg_latency_ms","min_latency_ms",
// "p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms". Latency is per batch
// (the time from writing a connection's P requests to reading the last reply). An error reply,
// a lost connection or a malformed reply ends the run with exit status 1.
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "resp_client.h"

namespace {

using namespace pylon_bench;  // NOLINT: the shared helpers of the bench drivers

constexpr std::string_view kRandToken = "__rand_int__";
constexpr size_t kRandDigits = 12;

struct Options {
  std::string host = "127.0.0.1";
  int port = 6379;
  int clients = 50;
  int64_t requests = 100000;
  uint64_t keyspace = 0;  // 0: __rand_int__ stays as it is (redis-benchmark without -r)
  int64_t seed = 0;       // 0: the generator's own start
  int pipeline = 1;
  bool csv = false;
  int subscribers = 0;
  std::string subscribe_command;  // SUBSCRIBE or PSUBSCRIBE
  std::string subscribe_to;
  bool lagging = false;
  std::vector<std::string> command;
  std::vector<std::string> then;  // the second command of a pair (--then), or empty
};

Options ParseOptions(int argc, char** argv) {
  Options o;
  ArgCursor args(argc, argv, &o.host, &o.port);
  std::string_view a;
  while (args.NextOption(&a)) {
    if (a == "-c")
      o.clients = static_cast<int>(args.Positive());
    else if (a == "-n")
      o.requests = args.Positive();
    else if (a == "-r")
      o.keyspace = static_cast<uint64_t>(args.Positive());
    else if (a == "--seed")
      o.seed = args.Positive();
    else if (a == "-P")
      o.pipeline = static_cast<int>(args.Positive());
    else if (a == "--csv")
      o.csv = true;
    else if (a == "--subscribe" || a == "--psubscribe") {
      o.subscribers = static_cast<int>(args.Positive());
      o.subscribe_command = a == "--subscribe" ? "SUBSCRIBE" : "PSUBSCRIBE";
      o.subscribe_to = args.Value();
    } else if (a == "--lagging")
      o.lagging = true;
    else
      Fail("unknown option " + std::string(a));
  }
  o.command = args.Rest();
  const auto then = std::find(o.command.begin(), o.command.end(), "--then");
  if (then != o.command.end()) {
    o.then.assign(then + 1, o.command.end());
    o.command.erase(then, o.command.end());
    if (o.then.empty()) Fail("--then needs a command");
    if (o.subscribers) Fail("--then does not go with --subscribe");
  }
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

// The second command of a pair for one first request: its key digits and the first's reply.
void AppendSecond(const std::vector<std::string>& command, std::string_view digits,
                  std::string_view reply, std::string* out) {
  out->append("*").append(std::to_string(command.size())).append("\r\n");
  for (const std::string& arg : command) {
    std::string a = arg;
    for (size_t p = a.find(kRandToken); p != std::string::npos; p = a.find(kRandToken, p)) {
      a.replace(p, kRandToken.size(), digits);
      p += digits.size();
    }
    static constexpr std::string_view kReplyToken = "__reply__";
    for (size_t p = a.find(kReplyToken); p != std::string::npos; p = a.find(kReplyToken, p)) {
      a.replace(p, kReplyToken.size(), reply);
      p += reply.size();
    }
    out->append("$").append(std::to_string(a.size())).append("\r\n").append(a).append("\r\n");
  }
}

// A bulk string reply's text; empty for any other reply.
std::string_view BulkText(std::string_view reply) {
  if (reply.empty() || reply[0] != '$') return {};
  const size_t header_end = reply.find("\r\n");
  if (header_end == std::string_view::npos || reply[1] == '-') return {};
  return reply.substr(header_end + 2, reply.size() - header_end - 4);
}

struct Connection {
  int fd = -1;
  std::string out;  // P requests; digits rewritten before each batch
  std::vector<size_t> rand_at;
  // --then: the first commands' key digits, their replies, and whether the second half of the
  // pair is in flight.
  std::vector<std::string> digits;
  std::vector<std::string> replies;
  std::string second;
  bool second_half = false;
  std::vector<char> in = std::vector<char>(1 << 16);
  size_t in_len = 0;
  int owed = 0;  // replies still to read for the batch in flight
  int64_t sent_ns = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const Options o = ParseOptions(argc, argv);
  const Template t = Format(o);
  Rng rng = o.seed ? Rng(static_cast<uint64_t>(o.seed)) : Rng();
  const int ep = epoll_create1(0);
  std::vector<Connection> conns(static_cast<size_t>(o.clients));
  for (size_t i = 0; i < conns.size(); i++) {
    Connection& c = conns[i];
    c.fd = Connect(o.host, o.port);
    for (int k = 0; k < o.pipeline; k++) {
      for (size_t at : t.rand_at) c.rand_at.push_back(c.out.size() + at);
      c.out += t.bytes;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev) != 0) Fail("epoll_ctl failed");
  }

  // Subscribers: connected and subscribed before the load starts; epoll tells them apart by
  // the high bit of their index.
  constexpr uint64_t kSubscriberBit = uint64_t{1} << 63;
  std::vector<Connection> subs(static_cast<size_t>(o.subscribers));
  for (size_t i = 0; i < subs.size(); i++) {
    Connection& s = subs[i];
    s.fd = Connect(o.host, o.port, o.lagging ? 4096 : 0);
    WriteAll(s.fd, Encode({o.subscribe_command, o.subscribe_to}));
    ReadReplies(s.fd);  // the confirmation frame
    if (o.lagging) continue;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kSubscriberBit | i;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, s.fd, &ev) != 0) Fail("epoll_ctl failed");
  }
  const int64_t expected = o.lagging ? 0 : o.requests * o.subscribers;
  int64_t delivered = 0, last_delivery_ns = 0;

  // With --then a request is a pair of commands: -n counts both.
  const int64_t commands = o.then.empty() ? 1 : 2;
  const int64_t total = o.requests / commands * commands;
  int64_t issued = 0, answered = 0;
  auto send = [&](Connection& c) {
    const int batch = static_cast<int>(std::min<int64_t>(o.pipeline, (total - issued) / commands));
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
    if (!o.then.empty()) {
      // The second command reuses the first one's digits (its first __rand_int__'s).
      c.digits.assign(static_cast<size_t>(batch), std::string());
      for (size_t k = 0; per_request > 0 && k < static_cast<size_t>(batch); k++) {
        c.digits[k].assign(c.out.data() + c.rand_at[k * per_request], kRandDigits);
      }
      c.replies.clear();
      c.second_half = false;
    }
    c.owed = batch;
    issued += batch * commands;
    c.sent_ns = NowNs();
    WriteAll(c.fd, length == c.out.size() ? c.out : c.out.substr(0, length));
  };

  Histogram latency;
  const int64_t start = NowNs();
  for (Connection& c : conns) send(c);
  std::array<epoll_event, 256> events;
  std::string error;
  while (answered < total || delivered < expected) {
    const int ready = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 10000);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      Fail("nothing for 10 s: " + std::to_string(answered) + " replies, " +
           std::to_string(delivered) + " of " + std::to_string(expected) + " deliveries");
    }
    for (int e = 0; e < ready; e++) {
      const uint64_t tag = events[e].data.u64;
      if (tag & kSubscriberBit) {
        Connection& s = subs[tag & ~kSubscriberBit];
        const ssize_t r = read(s.fd, s.in.data() + s.in_len, s.in.size() - s.in_len);
        if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (r <= 0) Fail("the server closed a subscriber's connection");
        s.in_len += static_cast<size_t>(r);
        size_t pos = 0;
        const int frames = ScanReplies(s.in.data(), s.in_len, &pos, &error);
        if (frames < 0) Fail("a malformed frame");
        std::memmove(s.in.data(), s.in.data() + pos, s.in_len - pos);
        s.in_len -= pos;
        if (s.in_len == s.in.size()) s.in.resize(s.in.size() * 2);
        delivered += frames;
        if (frames > 0) last_delivery_ns = NowNs();
        continue;
      }
      Connection& c = conns[tag];
      if (c.in_len == c.in.size()) c.in.resize(c.in.size() * 2);
      const ssize_t r = read(c.fd, c.in.data() + c.in_len, c.in.size() - c.in_len);
      if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (r <= 0) Fail("the server closed a connection");
      c.in_len += static_cast<size_t>(r);
      size_t pos = 0;
      int replies = 0;
      for (size_t next = pos;; pos = next, replies++) {
        const int one = ScanOne(c.in.data(), c.in_len, &next, &error);
        if (one < 0) Fail("a malformed reply");
        if (one == 0) break;
        if (!o.then.empty() && !c.second_half) {
          c.replies.emplace_back(BulkText({c.in.data() + pos, next - pos}));
        }
      }
      if (!error.empty()) Fail("an error reply: " + error);
      std::memmove(c.in.data(), c.in.data() + pos, c.in_len - pos);
      c.in_len -= pos;
      c.owed -= replies;
      answered += replies;
      if (replies == 0 || c.owed != 0) continue;
      if (!o.then.empty() && !c.second_half) {
        // The first half is answered: the second commands, with its keys and replies.
        c.second.clear();
        for (size_t k = 0; k < c.replies.size(); k++) {
          AppendSecond(o.then, c.digits.empty() ? "" : c.digits[k], c.replies[k], &c.second);
        }
        c.owed = static_cast<int>(c.replies.size());
        c.second_half = true;
        WriteAll(c.fd, c.second);
        continue;
      }
      latency.Add(NowNs() - c.sent_ns);
      send(c);
    }
  }
  const int64_t end = NowNs();
  const double seconds = static_cast<double>(end - start) / 1e9;
  const double rps = static_cast<double>(answered) / seconds;
  // Deliveries per second, from the start to the last delivery.
  const double delivery_seconds = static_cast<double>(last_delivery_ns - start) / 1e9;
  const double dps = delivered > 0 ? static_cast<double>(delivered) / delivery_seconds : 0;
  int64_t used_memory = -1, rss = -1;
  if (o.lagging) {
    // Give the server a moment to hand the sockets what they take, then read its memory while
    // the subscribers still lag.
    usleep(200 * 1000);
    used_memory = InfoField(o.host, o.port, "memory", "used_memory");
    rss = RssBytes(InfoField(o.host, o.port, "server", "process_id"));
  }
  std::string name;
  for (const std::string& a : o.command) name += (name.empty() ? "" : " ") + a;
  if (!o.then.empty()) name += " +";
  for (const std::string& a : o.then) name += " " + a;
  if (name.size() > 60) name = name.substr(0, 57) + "...";
  if (o.csv) {
    std::printf(
        "\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\","
        "\"p95_latency_ms\",\"p99_latency_ms\",\"max_latency_ms\"%s\n",
        o.subscribers ? ",\"delivered_per_sec\",\"used_memory\",\"rss_bytes\"" : "");
    std::printf("\"%s\",\"%.2f\",\"%.3f\",\"%.3f\",\"%.3f\",\"%.3f\",\"%.3f\",\"%.3f\"",
                name.c_str(), rps, latency.AvgMs(), latency.MinMs(), latency.QuantileMs(0.5),
                latency.QuantileMs(0.95), latency.QuantileMs(0.99), latency.MaxMs());
    if (o.subscribers) {
      std::printf(",\"%.2f\",\"%lld\",\"%lld\"", dps, static_cast<long long>(used_memory),
                  static_cast<long long>(rss));
    }
    std::printf("\n");
  } else if (o.subscribers) {
    std::printf(
        "%s: %lld requests in %.2f s, %.0f requests per second; %lld deliveries to %d "
        "subscribers, %.0f per second; used_memory %lld, rss %lld\n",
        name.c_str(), static_cast<long long>(answered), seconds, rps,
        static_cast<long long>(delivered), o.subscribers, dps, static_cast<long long>(used_memory),
        static_cast<long long>(rss));
  } else {
    std::printf(
        "%s: %lld requests in %.2f s, %.0f requests per second; latency ms avg %.3f "
        "p50 %.3f p99 %.3f max %.3f\n",
        name.c_str(), static_cast<long long>(answered), seconds, rps, latency.AvgMs(),
        latency.QuantileMs(0.5), latency.QuantileMs(0.99), latency.MaxMs());
  }
  for (Connection& c : conns) close(c.fd);
  for (Connection& s : subs) close(s.fd);
  close(ep);
  return 0;
}
