// The append-only log's format: records round-trip, a log cut at every byte offset loads the
// whole batches before the cut and reports a torn tail, and a damaged batch is a torn tail when
// it ends the log and a corruption when more follows.
#include "daemon/append_log.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace pylon::daemon {
namespace {

struct Seen {
  LogRecord::Kind kind;
  std::string key;
  int64_t expire_at_ms;
  std::string bytes;  // kSet: the dump; kPatch: the operations
  bool operator==(const Seen&) const = default;
};

// Reads every record; the result that ended the read.
LogReader::Result ReadAll(std::string_view log, std::vector<Seen>* out, size_t* valid) {
  LogReader reader(log);
  LogRecord r;
  for (;;) {
    const LogReader::Result result = reader.Next(&r);
    if (result != LogReader::Result::kRecord) {
      *valid = reader.valid_bytes();
      return result;
    }
    const std::string_view bytes = r.kind == LogRecord::Kind::kPatch ? r.ops : r.dump;
    out->push_back({r.kind, std::string(r.key), r.expire_at_ms, std::string(bytes)});
  }
}

// Three batches: a set with an expiry and binary data, a delete, a set and a value's operations,
// a flush.
std::string SampleLog(std::vector<size_t>* boundaries, std::vector<Seen>* records) {
  std::string log, batch;
  const std::string binary("d\0u\r\nmp", 7);
  *records = {{LogRecord::Kind::kSet, "k1", 1795454177000, binary},
              {LogRecord::Kind::kDel, "k2", -1, ""},
              {LogRecord::Kind::kSet, "", -1, "x"},
              {LogRecord::Kind::kPatch, "q", 1795454177001, binary},
              {LogRecord::Kind::kFlush, "", -1, ""}};
  const std::vector<std::vector<size_t>> batches = {{0}, {1, 2, 3}, {4}};
  boundaries->push_back(0);
  for (const auto& indices : batches) {
    batch.clear();
    for (size_t i : indices) {
      const Seen& s = (*records)[i];
      const bool patch = s.kind == LogRecord::Kind::kPatch;
      AppendRecord({.kind = s.kind,
                    .key = s.key,
                    .expire_at_ms = s.expire_at_ms,
                    .dump = patch ? "" : s.bytes,
                    .ops = patch ? s.bytes : ""},
                   &batch);
    }
    AppendBatch(batch, &log);
    boundaries->push_back(log.size());
  }
  return log;
}

TEST_CASE("append log: records round-trip, batch by batch", "[append_log]") {
  std::vector<size_t> boundaries;
  std::vector<Seen> expected;
  const std::string log = SampleLog(&boundaries, &expected);
  std::vector<Seen> seen;
  size_t valid = 0;
  CHECK(ReadAll(log, &seen, &valid) == LogReader::Result::kEnd);
  CHECK(seen == expected);
  CHECK(valid == log.size());
  std::vector<Seen> none;
  CHECK(ReadAll("", &none, &valid) == LogReader::Result::kEnd);
}

TEST_CASE("append log: cut at every byte offset, the whole batches before the cut load",
          "[append_log]") {
  std::vector<size_t> boundaries;
  std::vector<Seen> expected;
  const std::string log = SampleLog(&boundaries, &expected);
  const size_t per_batch[] = {1, 3, 1};
  for (size_t cut = 0; cut <= log.size(); cut++) {
    INFO("cut at " << cut << " of " << log.size());
    size_t whole = 0, records = 0;  // batches entirely before the cut, and their records
    while (whole + 1 < boundaries.size() && boundaries[whole + 1] <= cut) {
      records += per_batch[whole];
      whole++;
    }
    std::vector<Seen> seen;
    size_t valid = 0;
    const LogReader::Result result = ReadAll(std::string_view(log).substr(0, cut), &seen, &valid);
    CHECK(result ==
          (cut == boundaries[whole] ? LogReader::Result::kEnd : LogReader::Result::kTornTail));
    CHECK(valid == boundaries[whole]);
    CHECK(seen == std::vector<Seen>(expected.begin(), expected.begin() + records));
  }
}

TEST_CASE("append log: a damaged batch is a torn tail at the end, a corruption before",
          "[append_log]") {
  std::vector<size_t> boundaries;
  std::vector<Seen> expected;
  const std::string log = SampleLog(&boundaries, &expected);
  for (size_t at = 0; at < log.size(); at++) {
    std::string damaged = log;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x5A);
    size_t batch = 0;
    while (boundaries[batch + 1] <= at) batch++;
    INFO("byte " << at << " in batch " << batch);
    std::vector<Seen> seen;
    size_t valid = 0;
    const LogReader::Result result = ReadAll(damaged, &seen, &valid);
    // A changed length can make the batch look longer than the file (torn) or shorter (its
    // checksum then fails): either way nothing of it, nor after it, is read.
    CHECK(valid == boundaries[batch]);
    if (batch + 1 == boundaries.size() - 1) {
      CHECK(result == LogReader::Result::kTornTail);
    } else {
      CHECK(result != LogReader::Result::kEnd);
      CHECK(result != LogReader::Result::kRecord);
    }
  }
  // A checksum byte of the middle batch: a corruption, with the first batch read.
  std::string damaged = log;
  damaged[boundaries[1] + 4] ^= 1;
  std::vector<Seen> seen;
  size_t valid = 0;
  CHECK(ReadAll(damaged, &seen, &valid) == LogReader::Result::kCorrupt);
  CHECK(seen.size() == 1);
  CHECK(valid == boundaries[1]);
}

}  // namespace
}  // namespace pylon::daemon
