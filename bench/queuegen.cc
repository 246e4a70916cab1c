// pylon-queuegen: the driver of the queue benchmark (bench/queue.sh). It runs the same workload
// on pylond's queue (Q.PUSH, Q.POP, Q.ACK) and on Redis Streams (XADD, XREADGROUP, XACK).
//
//   pylon-queuegen [-h host] [-p port] [--streams] [--queue name] [--size bytes] [--csv]
//                  [-c workers] [-n cycles] [--lease ms] [--spin]  (cycles)
//                  --fill N [--batch B]                           (memory)
//
// Cycles: each of the -c worker connections loops one full cycle per message: push one message
// of --size bytes, pop one (a lease of --lease ms, long enough that nothing is delivered twice),
// ack the id the pop returned: three round trips, one request in flight per connection. The
// workers share the -n cycles; the run reports completed cycles (messages) per second, the
// latency of a whole cycle (push sent to ack answered), the server's CPU time per message
// (/proc/PID/task/*/schedstat: the server must be local) and how busy this driver was (its CPU
// time over the wall time: near 100 % its own core set the rate). With --spin it waits for
// replies by polling instead of sleeping, for a driver pinned to a core of its own: neither it
// nor the server then pays for a wake-up per reply; the polls that found nothing are not counted
// as busy.
//
// A pop that finds nothing is sent again (counted as empty_pops). It should not happen: a worker
// pops only after its own push was answered, so there are always at least as many messages
// pushed as pops waiting. More than 100 in a row for one worker, an error reply, a reply of the
// wrong shape, an ack that does not answer 1, or a lost connection ends the run with exit 1.
// Before the run the queue is deleted (and, for Streams, the group g created at its end); after
// it, nothing may be left (Q.LEN, or XPENDING's count, must be 0), and the queue is deleted.
//
// Memory (--fill N): on the deleted queue, N pushes pipelined in batches of B (one batch in
// flight), then bytes per message: the growth of the server's used_memory (INFO memory, read once
// it stops moving) and of its RSS, divided by N. Q.LEN / XLEN must then be N.
//
// Prints a summary line, or with --csv a header and one row.
#include <sys/epoll.h>
#include <sys/resource.h>
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

constexpr int kMaxEmptyPopsInARow = 100;
constexpr int kSilenceMs = 10000;  // no reply for this long fails the run

struct Options {
  std::string host = "127.0.0.1";
  int port = 6379;
  bool streams = false;
  std::string queue = "bench:queue";
  int64_t size = 100;
  bool csv = false;
  int workers = 1;
  int64_t cycles = 10000;
  int64_t lease_ms = 60000;
  bool spin = false;
  int64_t fill = 0;
  int64_t batch = 1000;
};

Options ParseOptions(int argc, char** argv) {
  Options o;
  ArgCursor args(argc, argv, &o.host, &o.port);
  std::string_view a;
  while (args.NextOption(&a)) {
    if (a == "--streams")
      o.streams = true;
    else if (a == "--queue")
      o.queue = args.Value();
    else if (a == "--size")
      o.size = args.Positive();
    else if (a == "--csv")
      o.csv = true;
    else if (a == "-c")
      o.workers = static_cast<int>(args.Positive());
    else if (a == "-n")
      o.cycles = args.Positive();
    else if (a == "--lease")
      o.lease_ms = args.Positive();
    else if (a == "--spin")
      o.spin = true;
    else if (a == "--fill")
      o.fill = args.Positive();
    else if (a == "--batch")
      o.batch = args.Positive();
    else
      Fail("unknown option " + std::string(a));
  }
  if (!args.Rest().empty()) Fail("unexpected argument " + args.Rest().front());
  return o;
}

// The commands of one side and where the values the driver needs sit in their replies (paths as
// in ElementAt).
struct Dialect {
  std::string name;
  std::vector<std::string> push;  // every push is the same
  std::vector<std::string> pop;   // with the worker's consumer name at consumer_at, if any
  int consumer_at = -1;
  std::vector<std::string> ack;  // the id is appended
  std::vector<int> id_at, payload_at;
  std::vector<std::vector<std::string>> setup;  // after the queue is deleted, before the cycles
  std::vector<std::string> left;                // after the cycles its integer must be 0
  std::vector<int> left_at;
  std::vector<std::string> length;  // messages stored: N after --fill N
};

// pylond: a pop answers [[id, payload, deliveries]], or a null array.
Dialect QueueDialect(const Options& o, const std::string& payload) {
  return {.name = "Q.PUSH/Q.POP/Q.ACK",
          .push = {"Q.PUSH", o.queue, payload},
          .pop = {"Q.POP", o.queue, "COUNT", "1", "LEASE", std::to_string(o.lease_ms)},
          .ack = {"Q.ACK", o.queue},
          .id_at = {0, 0},
          .payload_at = {0, 1},
          .left = {"Q.LEN", o.queue},
          .length = {"Q.LEN", o.queue}};
}

// Redis: a stream with one consumer group g, a consumer per worker; a pop answers
// [[stream, [[id, [d, payload]]]]], or a null array.
Dialect StreamsDialect(const Options& o, const std::string& payload) {
  return {.name = "XADD/XREADGROUP/XACK",
          .push = {"XADD", o.queue, "*", "d", payload},
          .pop = {"XREADGROUP", "GROUP", "g", "consumer", "COUNT", "1", "STREAMS", o.queue, ">"},
          .consumer_at = 3,
          .ack = {"XACK", o.queue, "g"},
          .id_at = {0, 1, 0, 0},
          .payload_at = {0, 1, 0, 1, 1},
          .setup = {{"XGROUP", "CREATE", o.queue, "g", "$", "MKSTREAM"}},
          .left = {"XPENDING", o.queue, "g"},
          .left_at = {0},
          .length = {"XLEN", o.queue}};
}

// The start of a reply, printable, for error messages.
std::string Preview(std::string_view reply) {
  std::string out;
  for (const char ch : reply.substr(0, 120)) {
    if (ch == '\r') continue;
    out += ch == '\n' ? ' ' : ch;
  }
  return out;
}

// The integer reply of one command on a connection of its own.
int64_t CallInteger(const Options& o, const std::vector<std::string>& args,
                    const std::vector<int>& at = {}) {
  const int fd = Connect(o.host, o.port);
  const std::string reply = Call(fd, args);
  close(fd);
  const std::optional<int64_t> n = IntegerAt(reply, at);
  if (!n) Fail(args.front() + " answered " + Preview(reply) + " (expected an integer)");
  return *n;
}

// Deletes the queue and runs the dialect's setup: every run starts from nothing.
void ResetQueue(const Options& o, const Dialect& d, bool with_setup) {
  const int fd = Connect(o.host, o.port);
  Call(fd, {"DEL", o.queue});
  if (with_setup) {
    for (const std::vector<std::string>& args : d.setup) Call(fd, args);
  }
  close(fd);
}

int64_t ServerPid(const Options& o) { return InfoField(o.host, o.port, "server", "process_id"); }

// This process's CPU time (user + system) so far, in ns.
int64_t OwnCpuNs() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1000000000ll +
         (u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1000ll;
}

enum class Step { kPush, kPop, kAck };

const char* StepName(Step step) {
  switch (step) {
    case Step::kPush:
      return "a push";
    case Step::kPop:
      return "a pop";
    case Step::kAck:
      return "an ack";
  }
  return "?";
}

struct Worker {
  int fd = -1;
  std::string pop;  // this worker's pop, encoded once
  std::string ack;  // the ack in flight (its id changes every cycle)
  std::string in;   // bytes read, not yet a whole reply
  Step step = Step::kPush;
  int64_t cycle_start_ns = 0;
  int empty_pops_in_a_row = 0;
};

// The cycles of all workers on one epoll loop: a worker sends its next request as soon as the
// reply to the previous one is in, so a single thread keeps 16 connections busy without the
// context switches that a thread per connection would cost on the driver's one core.
class CycleRun {
 public:
  CycleRun(const Options& o, const Dialect& d)
      : o_(o), d_(d), push_(Encode(d.push)), workers_(static_cast<size_t>(o.workers)) {}

  void Run() {
    const int64_t pid = ServerPid(o_);
    ResetQueue(o_, d_, true);
    const int ep = epoll_create1(0);
    for (size_t i = 0; i < workers_.size(); i++) Open(ep, i);
    const int64_t server_cpu0 = ProcessCpuNs(pid), own_cpu0 = OwnCpuNs();
    start_ns_ = NowNs();
    for (Worker& w : workers_) StartCycle(w);
    Loop(ep);
    end_ns_ = NowNs();
    server_cpu_ns_ = server_cpu0 < 0 ? -1 : ProcessCpuNs(pid) - server_cpu0;
    own_cpu_ns_ = OwnCpuNs() - own_cpu0;
    for (Worker& w : workers_) close(w.fd);
    close(ep);
    const int64_t left = CallInteger(o_, d_.left, d_.left_at);
    if (left != 0) Fail(std::to_string(left) + " messages left after the cycles (expected 0)");
    ResetQueue(o_, d_, false);
  }

  void Print() const {
    const double seconds = static_cast<double>(end_ns_ - start_ns_) / 1e9;
    const double rate = static_cast<double>(completed_) / seconds;
    const double server_us =
        server_cpu_ns_ < 0 ? -1 : static_cast<double>(server_cpu_ns_) / 1e3 / completed_;
    const double busy = 100.0 * static_cast<double>(own_cpu_ns_ - idle_ns_) /
                        static_cast<double>(end_ns_ - start_ns_);
    if (o_.csv) {
      std::printf(
          "\"test\",\"workers\",\"cycles\",\"seconds\",\"msgs_per_sec\",\"avg_latency_ms\","
          "\"p50_latency_ms\",\"p99_latency_ms\",\"max_latency_ms\",\"empty_pops\","
          "\"server_cpu_us_per_msg\",\"driver_cpu_pct\"\n");
      std::printf(
          "\"%s\",\"%d\",\"%lld\",\"%.3f\",\"%.2f\",\"%.3f\",\"%.3f\",\"%.3f\",\"%.3f\",\"%lld\","
          "\"%.3f\",\"%.1f\"\n",
          d_.name.c_str(), o_.workers, static_cast<long long>(completed_), seconds, rate,
          latency_.AvgMs(), latency_.QuantileMs(0.5), latency_.QuantileMs(0.99), latency_.MaxMs(),
          static_cast<long long>(empty_pops_), server_us, busy);
      return;
    }
    std::printf(
        "%s: %d worker%s, %lld cycles in %.2f s, %.0f messages per second; cycle latency ms "
        "p50 %.3f p99 %.3f max %.3f; %lld empty pops; server CPU %.2f us per message; driver "
        "busy %.0f%%\n",
        d_.name.c_str(), o_.workers, o_.workers == 1 ? "" : "s", static_cast<long long>(completed_),
        seconds, rate, latency_.QuantileMs(0.5), latency_.QuantileMs(0.99), latency_.MaxMs(),
        static_cast<long long>(empty_pops_), server_us, busy);
  }

 private:
  void Open(int ep, size_t i) {
    Worker& w = workers_[i];
    w.fd = Connect(o_.host, o_.port);
    std::vector<std::string> pop = d_.pop;
    if (d_.consumer_at >= 0)
      pop[static_cast<size_t>(d_.consumer_at)] = std::string("c").append(std::to_string(i));
    w.pop = Encode(pop);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, w.fd, &ev) != 0) Fail("epoll_ctl failed");
  }

  // Waits for replies and handles them. With --spin it polls without sleeping (for a driver with
  // a core of its own): no wake-up to pay per reply, which at one worker is a good part of a
  // round trip; the time spent in polls that found nothing is counted as idle, not busy.
  void Loop(int ep) {
    std::array<epoll_event, 64> events;
    int64_t last_reply_ns = NowNs();
    while (finished_workers_ < workers_.size()) {
      const int64_t poll_ns = o_.spin ? NowNs() : 0;
      const int ready =
          epoll_wait(ep, events.data(), static_cast<int>(events.size()), o_.spin ? 0 : kSilenceMs);
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0) Fail(std::string("epoll_wait: ") + std::strerror(errno));
      if (ready == 0) {
        const int64_t now = NowNs();
        if (now - last_reply_ns >= kSilenceMs * 1000000ll) {
          Fail("no reply for 10 s after " + std::to_string(completed_) + " cycles");
        }
        if (o_.spin) idle_ns_ += now - poll_ns;
        continue;
      }
      for (int e = 0; e < ready; e++) Read(workers_[events[e].data.u64]);
      last_reply_ns = NowNs();
    }
  }

  void Send(Worker& w, Step step, std::string_view request) {
    w.step = step;
    WriteAll(w.fd, request);
  }

  void StartCycle(Worker& w) {
    if (started_ == o_.cycles) {
      finished_workers_++;
      return;
    }
    started_++;
    w.cycle_start_ns = NowNs();
    Send(w, Step::kPush, push_);
  }

  // One request is in flight per connection, so a read holds at most the start of one reply.
  void Read(Worker& w) {
    char chunk[16384];
    const ssize_t r = read(w.fd, chunk, sizeof chunk);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (r <= 0) Fail("the server closed a worker's connection");
    w.in.append(chunk, static_cast<size_t>(r));
    size_t end = 0;
    std::string error;
    const int complete = ScanOne(w.in.data(), w.in.size(), &end, &error);
    if (complete < 0) Fail(std::string("a malformed reply to ") + StepName(w.step));
    if (complete == 0) return;
    if (!error.empty()) Fail(std::string("an error reply to ") + StepName(w.step) + ": " + error);
    if (end != w.in.size()) Fail("more than one reply to one request: " + Preview(w.in));
    OnReply(w, w.in);
    w.in.clear();
  }

  void OnReply(Worker& w, std::string_view reply) {
    switch (w.step) {
      case Step::kPush:
        if (!reply.starts_with('$')) Fail("a push answered " + Preview(reply) + " (not an id)");
        Send(w, Step::kPop, w.pop);
        return;
      case Step::kPop:
        OnPopped(w, reply);
        return;
      case Step::kAck:
        if (IntegerAt(reply, {}) != 1) Fail("an ack answered " + Preview(reply) + " (not 1)");
        latency_.Add(NowNs() - w.cycle_start_ns);
        completed_++;
        StartCycle(w);
        return;
    }
  }

  // Acks the message popped, or pops again when there was none.
  void OnPopped(Worker& w, std::string_view reply) {
    std::string_view id, payload;
    const Lookup found = BulkAt(reply, d_.id_at, &id);
    if (found == Lookup::kNull) {
      empty_pops_++;
      if (++w.empty_pops_in_a_row > kMaxEmptyPopsInARow) {
        Fail("pops found nothing " + std::to_string(kMaxEmptyPopsInARow) +
             " times in a row after a push: a message was lost");
      }
      Send(w, Step::kPop, w.pop);
      return;
    }
    if (found != Lookup::kFound || BulkAt(reply, d_.payload_at, &payload) != Lookup::kFound ||
        static_cast<int64_t>(payload.size()) != o_.size) {
      Fail("a pop answered " + Preview(reply) + " (not one message of " + std::to_string(o_.size) +
           " bytes)");
    }
    w.empty_pops_in_a_row = 0;
    std::vector<std::string> ack = d_.ack;
    ack.emplace_back(id);
    w.ack = Encode(ack);
    Send(w, Step::kAck, w.ack);
  }

  const Options& o_;
  const Dialect& d_;
  const std::string push_;
  std::vector<Worker> workers_;
  int64_t started_ = 0, completed_ = 0, empty_pops_ = 0;
  size_t finished_workers_ = 0;
  Histogram latency_;
  int64_t start_ns_ = 0, end_ns_ = 0, server_cpu_ns_ = -1, own_cpu_ns_ = 0;
  int64_t idle_ns_ = 0;  // in polls that found nothing (--spin)
};

// Pushes o.fill messages in batches of o.batch, one batch in flight (so no large query buffer is
// counted); returns the seconds it took.
double PushAll(const Options& o, const Dialect& d) {
  const std::string one = Encode(d.push);
  std::string batch;
  for (int64_t i = 0; i < o.batch; i++) batch += one;
  const int fd = Connect(o.host, o.port);
  const int64_t start = NowNs();
  for (int64_t sent = 0; sent < o.fill;) {
    const int64_t n = std::min(o.batch, o.fill - sent);
    WriteAll(fd, std::string_view(batch).substr(0, one.size() * static_cast<size_t>(n)));
    ReadReplies(fd, static_cast<int>(n));  // an error reply ends the run
    sent += n;
  }
  const double seconds = static_cast<double>(NowNs() - start) / 1e9;
  close(fd);
  return seconds;
}

void RunFill(const Options& o, const Dialect& d) {
  const int64_t pid = ServerPid(o);
  ResetQueue(o, d, false);
  const int64_t used0 = SettledUsedMemory(o.host, o.port), rss0 = RssBytes(pid);
  const double seconds = PushAll(o, d);
  const int64_t stored = CallInteger(o, d.length);
  if (stored != o.fill) {
    Fail(d.length.front() + " is " + std::to_string(stored) + " after " + std::to_string(o.fill) +
         " pushes");
  }
  const int64_t used1 = SettledUsedMemory(o.host, o.port), rss1 = RssBytes(pid);
  ResetQueue(o, d, false);
  const double n = static_cast<double>(o.fill);
  const double used_per = static_cast<double>(used1 - used0) / n;
  const double rss_per = static_cast<double>(rss1 - rss0) / n;
  if (o.csv) {
    std::printf(
        "\"test\",\"messages\",\"payload_bytes\",\"seconds\",\"used_memory_before\","
        "\"used_memory_after\",\"used_memory_per_msg\",\"rss_before\",\"rss_after\","
        "\"rss_per_msg\"\n");
    std::printf(
        "\"%s\",\"%lld\",\"%lld\",\"%.3f\",\"%lld\",\"%lld\",\"%.2f\",\"%lld\",\"%lld\","
        "\"%.2f\"\n",
        d.push.front().c_str(), static_cast<long long>(o.fill), static_cast<long long>(o.size),
        seconds, static_cast<long long>(used0), static_cast<long long>(used1), used_per,
        static_cast<long long>(rss0), static_cast<long long>(rss1), rss_per);
    return;
  }
  std::printf(
      "%s: %lld messages of %lld bytes in %.2f s; bytes per message: used_memory %.1f, RSS "
      "%.1f\n",
      d.push.front().c_str(), static_cast<long long>(o.fill), static_cast<long long>(o.size),
      seconds, used_per, rss_per);
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = ParseOptions(argc, argv);
  const std::string payload(static_cast<size_t>(o.size), 'p');
  const Dialect d = o.streams ? StreamsDialect(o, payload) : QueueDialect(o, payload);
  if (o.fill > 0) {
    RunFill(o, d);
    return 0;
  }
  CycleRun run(o, d);
  run.Run();
  run.Print();
  return 0;
}
