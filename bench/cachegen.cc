// pylon-cachegen: the driver of the cache benchmark (bench/cache.sh). It generates a replayable
// trace of key requests and replays it cache-aside against a server, counting hits and misses.
//
//   pylon-cachegen [-h host] [-p port] [--trace zipf:S|scan] [--keys N] [--requests R]
//                  [--warmup W] [--seed X] [--scan L] [--size V] [--batch B] [--csv]  (replay)
//   pylon-cachegen [-h host] [-p port] --measure K [--size V] [--csv]        (bytes per key)
//   pylon-cachegen [-h host] [-p port] --stats                               (counters, CSV)
//   pylon-cachegen --dump [--trace ...] [--keys N] [--requests R] [--seed X] (the trace)
//
// The trace (the same for every server and policy: it depends on the options only):
// - zipf:S: R draws from a Zipf(S) distribution over N keys (rank r has weight 1 / r^S), by an
//   exact inverse-CDF table and a binary search. Ranks map to key ids through a seeded random
//   permutation of 0..N-1, so that popularity does not follow key order (nor hash order).
// - scan: zipf:1.0 with a sequential scan mixed in: of every 5 x L requests, the last L are keys
//   N, N+1, ... in order (L = N / 20, the --scan option), each requested once in the whole trace:
//   one-hit wonders, outside the Zipf key space. That is 20 % of the requests, in runs of L keys
//   (a scan of 5 % of the key space: half of a 10 % cache, five times a 1 % one).
// Key id i is the key "key:%012d" (16 bytes, as redis-benchmark's).
//
// Replay, cache-aside, one connection, on a FLUSHALL'ed server: the trace is cut into batches of
// B requests (the warm-up boundary also ends a batch). A batch sends its B GETs in one write,
// reads the B replies, and counts a hit for each bulk reply of V bytes and a miss for each null;
// every key that missed is then SET to a value of V bytes. Those SETs (once per key, even if it
// missed twice in the batch) go out in front of the next batch's GETs, in the same write: the
// server runs the same commands in the same order for every server and policy. A key that
// appears twice in one batch and is missing counts two misses (the batch's GETs are all sent
// before any SET): with B = 64 this differs little from a strictly sequential replay, which would
// need a round trip per request. A SET refused with -OOM (the server could not get under its
// maxmemory) is counted (set_errors) and the replay goes on, as a cache-aside client would: the
// key just stays uncached. Any other error reply ends the run.
//
// Warm-up: the first W requests (default R / 5) fill the cache and are not counted. The hits and
// misses of the other requests are counted twice: here, and as the growth of the server's INFO
// keyspace_hits / keyspace_misses over them. The two must agree, or the run fails (exit 1):
// a server that counted differently from what it answered would make the figures meaningless.
// It prints, with --csv, a header and one row: the counts, the miss ratio, the keys evicted
// during the counted part and during the warm-up, the keys held at the end (DBSIZE), used_memory,
// the rate of the whole replay (GETs and SETs per second) and the SETs refused.
//
// Measure (--measure K): FLUSHALL, then K keys ids 0..K-1 with V-byte values SET in batches of
// 1,000 (one in flight); bytes per key = the growth of used_memory (read once it stops moving) /
// K. DBSIZE must be K. FLUSHALL again.
//
// Stats (--stats): one CSV row (with its header) of DBSIZE, used_memory, keyspace_hits,
// keyspace_misses, evicted_keys and the server's CPU time so far (/proc: a local server), for
// the script's readings around load runs.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "resp_client.h"

namespace {

using namespace pylon_bench;  // NOLINT: the shared helpers of the bench drivers

constexpr int64_t kMeasureBatch = 1000;

struct Options {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string trace = "zipf:1.0";
  int64_t keys = 1000000;
  int64_t requests = 5000000;
  int64_t warmup = -1;  // -1: requests / 5
  int64_t seed = 1;
  int64_t size = 100;
  int64_t batch = 64;
  int64_t scan_run = 0;  // 0: keys / 20
  bool csv = false;
  int64_t measure = 0;
  bool stats = false;
  bool dump = false;
};

int64_t NonNegative(const std::string& v, const char* option) {
  char* stop;
  const long long n = std::strtoll(v.c_str(), &stop, 10);
  if (v.empty() || *stop || n < 0)
    Fail(std::string(option) + " wants a number >= 0, got '" + v + "'");
  return n;
}

Options ParseOptions(int argc, char** argv) {
  Options o;
  ArgCursor args(argc, argv, &o.host, &o.port);
  std::string_view a;
  while (args.NextOption(&a)) {
    if (a == "--trace")
      o.trace = args.Value();
    else if (a == "--keys")
      o.keys = args.Positive();
    else if (a == "--requests")
      o.requests = args.Positive();
    else if (a == "--warmup")
      o.warmup = NonNegative(args.Value(), "--warmup");
    else if (a == "--seed")
      o.seed = args.Positive();
    else if (a == "--size")
      o.size = args.Positive();
    else if (a == "--batch")
      o.batch = args.Positive();
    else if (a == "--scan")
      o.scan_run = args.Positive();
    else if (a == "--csv")
      o.csv = true;
    else if (a == "--measure")
      o.measure = args.Positive();
    else if (a == "--stats")
      o.stats = true;
    else if (a == "--dump")
      o.dump = true;
    else
      Fail("unknown option " + std::string(a));
  }
  if (!args.Rest().empty()) Fail("unexpected argument " + args.Rest().front());
  if (o.warmup < 0) o.warmup = o.requests / 5;
  if (o.warmup >= o.requests) Fail("--warmup must be below --requests");
  if (o.scan_run == 0) o.scan_run = std::max<int64_t>(1, o.keys / 20);
  if (o.keys > UINT32_MAX) Fail("--keys must fit in 32 bits");
  return o;
}

// What --trace names: the Zipf exponent, and whether a scan is mixed in.
struct TraceKind {
  double s = 1.0;
  bool scan = false;
};

TraceKind ParseTrace(const std::string& name) {
  if (name == "scan") return {1.0, true};
  if (name.starts_with("zipf:")) {
    char* stop;
    const double s = std::strtod(name.c_str() + 5, &stop);
    if (*stop == '\0' && s > 0 && s < 10) return {s, false};
  }
  Fail("--trace wants zipf:S (0 < S < 10) or scan, got '" + name + "'");
}

// Zipf(s) over ranks 0..n-1 (rank r has weight 1 / (r + 1)^s), sampled exactly: the cumulative
// distribution in a table (8 bytes a rank) and a binary search for a uniform draw.
class ZipfTable {
 public:
  ZipfTable(int64_t n, double s) : cdf_(static_cast<size_t>(n)) {
    double sum = 0;
    for (size_t r = 0; r < cdf_.size(); r++) {
      sum += std::pow(static_cast<double>(r + 1), -s);
      cdf_[r] = sum;
    }
    for (double& c : cdf_) c /= sum;
    cdf_.back() = 1.0;  // so that every u in [0, 1) finds a rank
  }
  uint32_t Rank(double u) const {
    return static_cast<uint32_t>(std::upper_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
  }

 private:
  std::vector<double> cdf_;
};

// The key ids of one trace, in order. Deterministic: the options (kind, keys, seed) fix the
// permutation and the draws.
class Trace {
 public:
  Trace(const Options& o, const TraceKind& kind)
      : keys_(o.keys),
        scan_(kind.scan),
        scan_run_(o.scan_run),
        zipf_(o.keys, kind.s),
        key_of_rank_(static_cast<size_t>(o.keys)),
        draws_(static_cast<uint64_t>(o.seed)) {
    // Fisher-Yates with a generator of its own, so the permutation does not depend on the kind.
    Rng shuffle(static_cast<uint64_t>(o.seed) + 0x5151);
    for (size_t i = 0; i < key_of_rank_.size(); i++) key_of_rank_[i] = static_cast<uint32_t>(i);
    for (size_t i = key_of_rank_.size() - 1; i > 0; i--) {
      std::swap(key_of_rank_[i], key_of_rank_[shuffle.Next() % (i + 1)]);
    }
  }

  uint64_t Next() {
    const int64_t i = position_++;
    // The last scan_run_ requests of every 5 x scan_run_ are the scan (20 %).
    if (scan_ && i % (5 * scan_run_) >= 4 * scan_run_)
      return static_cast<uint64_t>(keys_) + scanned_++;
    return key_of_rank_[zipf_.Rank(draws_.Uniform())];
  }

 private:
  int64_t keys_;
  bool scan_;
  int64_t scan_run_;
  ZipfTable zipf_;
  std::vector<uint32_t> key_of_rank_;
  Rng draws_;
  int64_t position_ = 0;
  uint64_t scanned_ = 0;
};

// "key:%012d" without a printf per request.
void AppendKey(std::string* out, uint64_t id) {
  char key[] = "key:000000000000";
  for (size_t d = sizeof key - 2; d >= 4 && id > 0; d--, id /= 10)
    key[d] = static_cast<char>('0' + id % 10);
  if (id > 0) Fail("a key id needs more than 12 digits");
  AppendBulk(out, std::string_view(key, sizeof key - 1));
}

void AppendGet(std::string* out, uint64_t id) {
  AppendArrayHeader(out, 2);
  AppendBulk(out, "GET");
  AppendKey(out, id);
}

void AppendSet(std::string* out, uint64_t id, std::string_view value) {
  AppendArrayHeader(out, 3);
  AppendBulk(out, "SET");
  AppendKey(out, id);
  AppendBulk(out, value);
}

// The start of a reply, printable, for error messages.
std::string Preview(std::string_view reply) {
  std::string out;
  for (const char ch : reply.substr(0, 80)) {
    if (ch != '\r') out += ch == '\n' ? ' ' : ch;
  }
  return out;
}

// The server's counters that the replay is checked against.
struct ServerStats {
  int64_t hits = 0, misses = 0, evicted = 0, dbsize = 0, used_memory = 0;
};

ServerStats ReadStats(const Options& o) {
  const int fd = Connect(o.host, o.port);
  const std::string stats = Call(fd, {"INFO", "stats"});
  const std::string memory = Call(fd, {"INFO", "memory"});
  const std::optional<int64_t> dbsize = IntegerAt(Call(fd, {"DBSIZE"}), {});
  close(fd);
  if (!dbsize) Fail("DBSIZE did not answer an integer");
  return {.hits = InfoNumber(stats, "stats", "keyspace_hits"),
          .misses = InfoNumber(stats, "stats", "keyspace_misses"),
          .evicted = InfoNumber(stats, "stats", "evicted_keys"),
          .dbsize = *dbsize,
          .used_memory = InfoNumber(memory, "memory", "used_memory")};
}

void FlushAll(const Options& o) {
  const int fd = Connect(o.host, o.port);
  Call(fd, {"FLUSHALL"});
  close(fd);
}

// Counts of one part of the replay (the warm-up, or the counted rest).
struct Counts {
  int64_t gets = 0, hits = 0, misses = 0, sets = 0;
};

// The cache-aside replay of a trace on one connection (see the top of the file).
class Replay {
 public:
  Replay(const Options& o, const TraceKind& kind)
      : o_(o), trace_(o, kind), value_(static_cast<size_t>(o.size), 'v') {}

  void Run() {
    FlushAll(o_);
    start_ = ReadStats(o_);  // FLUSHALL leaves the counters: every figure is a difference
    fd_ = Connect(o_.host, o_.port);
    const int64_t start_ns = NowNs();
    for (int64_t done = 0; done < o_.requests;) {
      if (done == o_.warmup) before_ = ReadStats(o_);
      const int64_t end = done < o_.warmup ? o_.warmup : o_.requests;
      const int64_t n = std::min(o_.batch, end - done);
      RunBatch(n, done < o_.warmup ? warm_ : counted_);
      done += n;
    }
    SendAndCheck(0, counted_);  // the last batch's SETs
    seconds_ = static_cast<double>(NowNs() - start_ns) / 1e9;
    close(fd_);
    after_ = ReadStats(o_);
    Check();
  }

  void Print() const {
    const double miss_ratio = static_cast<double>(counted_.misses) / counted_.gets;
    const double ops = static_cast<double>(warm_.gets + warm_.sets + counted_.gets + counted_.sets);
    if (o_.csv) {
      std::printf(
          "\"trace\",\"keys\",\"requests\",\"warmup\",\"batch\",\"value_bytes\",\"gets\",\"hits\","
          "\"misses\",\"miss_ratio\",\"info_hits\",\"info_misses\",\"sets\",\"evicted\","
          "\"evicted_warmup\",\"dbsize\",\"used_memory\",\"seconds\",\"ops_per_sec\","
          "\"set_errors\"\n");
      std::printf(
          "\"%s\",\"%lld\",\"%lld\",\"%lld\",\"%lld\",\"%lld\",\"%lld\",\"%lld\",\"%lld\",\"%.6f\","
          "\"%lld\",\"%lld\",\"%lld\",\"%lld\",\"%lld\",\"%lld\",\"%lld\",\"%.3f\",\"%.0f\","
          "\"%lld\"\n",
          o_.trace.c_str(), L(o_.keys), L(o_.requests), L(o_.warmup), L(o_.batch), L(o_.size),
          L(counted_.gets), L(counted_.hits), L(counted_.misses), miss_ratio,
          L(after_.hits - before_.hits), L(after_.misses - before_.misses), L(counted_.sets),
          L(after_.evicted - before_.evicted), L(before_.evicted - start_.evicted),
          L(after_.dbsize), L(after_.used_memory), seconds_, ops / seconds_, L(set_errors_));
      return;
    }
    std::printf(
        "%s over %lld keys: %lld requests (%lld of warm-up), miss ratio %.4f (%lld hits, %lld "
        "misses; INFO agrees), %lld keys evicted, %lld held at the end, %.1f s, %.0f ops/s; %lld "
        "SETs refused (OOM)\n",
        o_.trace.c_str(), L(o_.keys), L(o_.requests), L(o_.warmup), miss_ratio, L(counted_.hits),
        L(counted_.misses), L(after_.evicted - before_.evicted), L(after_.dbsize), seconds_,
        ops / seconds_, L(set_errors_));
  }

 private:
  static long long L(int64_t v) { return static_cast<long long>(v); }

  // One batch: the previous batch's SETs, then n GETs, in one write; then the SETs for its misses
  // are queued for the next write.
  void RunBatch(int64_t n, Counts& counts) {
    batch_keys_.clear();
    for (int64_t k = 0; k < n; k++) {
      batch_keys_.push_back(trace_.Next());
      AppendGet(&out_, batch_keys_.back());
    }
    SendAndCheck(n, counts);
  }

  // Writes out_ (pending_sets_ SETs, then `gets` GETs of batch_keys_), reads every reply: each SET
  // must answer +OK; each GET a V-byte value (a hit) or a null (a miss, whose SET is queued).
  void SendAndCheck(int64_t gets, Counts& counts) {
    const int64_t sets = pending_sets_;
    if (sets + gets == 0) return;
    WriteAll(fd_, out_);
    out_.clear();
    pending_sets_ = 0;
    missed_.clear();
    const std::string replies = ReadReplies(fd_, static_cast<int>(sets + gets), true);
    size_t at = 0;
    std::string error;
    for (int64_t r = 0; r < sets + gets; r++) {
      const size_t begin = at;
      ScanOne(replies.data(), replies.size(), &at, &error);  // complete: ReadReplies checked
      const std::string_view reply(replies.data() + begin, at - begin);
      if (r < sets) {
        OnSetReply(reply);
        continue;
      }
      OnGetReply(reply, batch_keys_[static_cast<size_t>(r - sets)], counts);
    }
  }

  // -OOM is counted (see the top of the file); any other answer but +OK ends the run.
  void OnSetReply(std::string_view reply) {
    if (reply == "+OK\r\n") return;
    if (!reply.starts_with("-OOM")) Fail("a SET answered " + Preview(reply));
    set_errors_++;
  }

  void OnGetReply(std::string_view reply, uint64_t key, Counts& counts) {
    counts.gets++;
    if (reply.starts_with('-')) Fail("a GET answered " + Preview(reply));
    const std::optional<int64_t> length = HeaderNumber(reply);
    if (reply.starts_with('_') || (reply.starts_with('$') && length == -1)) {
      counts.misses++;
      if (std::find(missed_.begin(), missed_.end(), key) == missed_.end()) {
        missed_.push_back(key);
        AppendSet(&out_, key, value_);
        pending_sets_++;
        counts.sets++;
      }
      return;
    }
    if (!reply.starts_with('$') || length != o_.size) {
      Fail("a GET answered " + Preview(reply) + " (not a value of " + std::to_string(o_.size) +
           " bytes, nor a null)");
    }
    counts.hits++;
  }

  // The server's counters must have grown by exactly what the replay saw.
  void Check() const {
    const int64_t hits = after_.hits - before_.hits, misses = after_.misses - before_.misses;
    if (hits != counted_.hits || misses != counted_.misses) {
      Fail("INFO disagrees with the replies: keyspace_hits grew by " + std::to_string(hits) +
           " and keyspace_misses by " + std::to_string(misses) + ", the replies had " +
           std::to_string(counted_.hits) + " hits and " + std::to_string(counted_.misses) +
           " misses");
    }
  }

  const Options& o_;
  Trace trace_;
  const std::string value_;
  int fd_ = -1;
  std::string out_;           // the next write: pending SETs, then a batch's GETs
  int64_t pending_sets_ = 0;  // SETs at the front of out_
  std::vector<uint64_t> batch_keys_;
  std::vector<uint64_t> missed_;  // keys of the batch being read that already have a SET queued
  Counts warm_, counted_;
  ServerStats start_, before_, after_;  // at the start, after the warm-up, at the end
  double seconds_ = 0;
  int64_t set_errors_ = 0;  // SETs refused with -OOM, warm-up included
};

// --measure: bytes per key of K keys with V-byte values in an empty server.
void RunMeasure(const Options& o) {
  FlushAll(o);
  const int64_t before = SettledUsedMemory(o.host, o.port);
  const std::string value(static_cast<size_t>(o.size), 'v');
  const int fd = Connect(o.host, o.port);
  std::string out;
  for (int64_t id = 0; id < o.measure;) {
    const int64_t n = std::min(kMeasureBatch, o.measure - id);
    for (int64_t k = 0; k < n; k++) AppendSet(&out, static_cast<uint64_t>(id + k), value);
    WriteAll(fd, out);
    out.clear();
    ReadReplies(fd, static_cast<int>(n));  // an error reply (an OOM) ends the run
    id += n;
  }
  close(fd);
  const int64_t dbsize = ReadStats(o).dbsize;
  if (dbsize != o.measure) {
    Fail("DBSIZE is " + std::to_string(dbsize) + " after " + std::to_string(o.measure) + " SETs");
  }
  const int64_t after = SettledUsedMemory(o.host, o.port);
  FlushAll(o);
  const double per_key = static_cast<double>(after - before) / static_cast<double>(o.measure);
  if (o.csv) {
    std::printf(
        "\"keys\",\"value_bytes\",\"used_memory_before\",\"used_memory_after\","
        "\"bytes_per_key\"\n\"%lld\",\"%lld\",\"%lld\",\"%lld\",\"%.2f\"\n",
        static_cast<long long>(o.measure), static_cast<long long>(o.size),
        static_cast<long long>(before), static_cast<long long>(after), per_key);
    return;
  }
  std::printf("%lld keys with %lld-byte values: used_memory %lld -> %lld, %.1f bytes per key\n",
              static_cast<long long>(o.measure), static_cast<long long>(o.size),
              static_cast<long long>(before), static_cast<long long>(after), per_key);
}

// With the server's CPU time so far (all threads; -1 if the server is not local), so that two
// readings around a load run give its CPU time per request.
void RunStats(const Options& o) {
  const ServerStats s = ReadStats(o);
  const int64_t cpu_ns = ProcessCpuNs(InfoField(o.host, o.port, "server", "process_id"));
  std::printf(
      "\"dbsize\",\"used_memory\",\"keyspace_hits\",\"keyspace_misses\",\"evicted_keys\","
      "\"server_cpu_ns\"\n\"%lld\",\"%lld\",\"%lld\",\"%lld\",\"%lld\",\"%lld\"\n",
      static_cast<long long>(s.dbsize), static_cast<long long>(s.used_memory),
      static_cast<long long>(s.hits), static_cast<long long>(s.misses),
      static_cast<long long>(s.evicted), static_cast<long long>(cpu_ns));
}

void RunDump(const Options& o, const TraceKind& kind) {
  Trace trace(o, kind);
  for (int64_t i = 0; i < o.requests; i++) {
    std::printf("%llu\n", static_cast<unsigned long long>(trace.Next()));
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = ParseOptions(argc, argv);
  const TraceKind kind = ParseTrace(o.trace);
  if (o.dump) {
    RunDump(o, kind);
  } else if (o.stats) {
    RunStats(o);
  } else if (o.measure > 0) {
    RunMeasure(o);
  } else {
    Replay replay(o, kind);
    replay.Run();
    replay.Print();
  }
  return 0;
}
