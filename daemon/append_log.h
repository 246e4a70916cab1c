// The append-only log's records and their framing (daemon/persistence.h writes and replays
// them). A record says what a key became, not which command made it so: the key's value as its
// type dumps it, with its absolute expiry, or its deletion, or that every key went. So a replay
// sets the same state whatever the clock or the random numbers say then: a lease's end, a
// generated token or an evicted key are in the log as the state they produced. A large value
// that keeps a change recorder (daemon/change_recorder.h: queues, Bloom filters) is recorded by the
// operations that changed it since its last record, their times and random draws resolved, so
// they too replay to the state they produced.
//
// Records are written a loop turn at a time, as one batch with one checksum:
//   batch:  [payload length: u32][XXH3-64 of the payload: u64][payload: records]
//   record: [kind: u8], then kSet: key (u32 length + bytes), expiry (i64 unix ms, -1: none),
//           dump (u32 length + bytes); kPatch: key, expiry, operations (u32 length + bytes);
//           kDel: key; kFlush: nothing; kFunctions: the function libraries, all of them, as
//           FUNCTION DUMP's payload (u32 length + bytes).
// Integers are in host byte order: the log is read back by the build that wrote it. A batch is
// all or nothing: the writes of one turn, a transaction included, are never half replayed.
//
// Reading tells a torn tail (a crash in the middle of a write: the last batch is cut short, or
// its checksum fails with nothing after it) from a corrupt middle (a batch that fails with
// bytes after it), so start-up can cut the first and refuse the second.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/wire.h"

namespace pylon::daemon {

namespace wire = common::wire;

struct LogRecord {
  enum class Kind : uint8_t { kSet = 1, kDel = 2, kFlush = 3, kPatch = 4, kFunctions = 5 };
  Kind kind = Kind::kSet;
  std::string_view key;
  int64_t expire_at_ms = -1;  // kSet, kPatch: -1 when the key has no expiry
  std::string_view dump;      // kSet: Keyspace::Dump's bytes; kFunctions: the libraries
  std::string_view ops;       // kPatch: the value's operations since its last record
};

// Appends one record to a batch being built.
void AppendRecord(const LogRecord& record, std::string* batch);
// Appends a kSet or kPatch record whose payload (the dump, or the operations) write_payload
// appends to *batch itself: a dump of megabytes is serialised once, straight into the batch
// the log writes from, never into a buffer of its own first.
template <typename WritePayload>
void AppendRecordWith(LogRecord::Kind kind, std::string_view key, int64_t expire_at_ms,
                      WritePayload&& write_payload, std::string* batch) {
  wire::Put(batch, static_cast<uint8_t>(kind));
  wire::PutText(batch, key);
  wire::Put(batch, expire_at_ms);
  const size_t length_at = batch->size();
  wire::Put(batch, uint32_t{0});
  write_payload(batch);
  const auto length = static_cast<uint32_t>(batch->size() - length_at - sizeof(uint32_t));
  std::memcpy(batch->data() + length_at, &length, sizeof(length));
}

// A batch's frame: [payload length: u32][XXH3-64 of the payload: u64], written before it (the
// payload need not be copied behind it: a writev sends both).
inline constexpr size_t kBatchHeaderBytes = sizeof(uint32_t) + sizeof(uint64_t);
std::array<char, kBatchHeaderBytes> BatchHeader(std::string_view records);
// Appends the framed batch of `records` to *out.
void AppendBatch(std::string_view records, std::string* out);

class LogReader {
 public:
  explicit LogReader(std::string_view log) : log_(log) {}

  enum class Result { kRecord, kEnd, kTornTail, kCorrupt };
  // The next record (views into the log); kEnd at a clean end. After kTornTail or kCorrupt,
  // valid_bytes() is where the bad batch starts: what is valid ends there.
  Result Next(LogRecord* record);
  size_t valid_bytes() const { return batch_start_; }
  // Where the records not read yet start (within a batch, past the records read from it).
  size_t read_bytes() const { return batch_.empty() ? batch_start_ : next_batch_ - batch_.size(); }

 private:
  std::string_view log_;
  size_t batch_start_ = 0;  // where the current batch starts
  std::string_view batch_;  // the current batch's records not read yet
  size_t next_batch_ = 0;   // where the next batch starts
};

}  // namespace pylon::daemon
