#include "daemon/append_log.h"

#include <xxhash.h>

#include <cstring>

#include "common/wire.h"

namespace pylon::daemon {

namespace wire = common::wire;

namespace {

// One record from the front of a checked batch; false when it does not parse.
bool TakeRecord(std::string_view* in, LogRecord* r) {
  *r = LogRecord{};
  uint8_t kind;
  if (!wire::Get(in, &kind)) return false;
  switch (static_cast<LogRecord::Kind>(kind)) {
    case LogRecord::Kind::kSet:
      r->kind = LogRecord::Kind::kSet;
      return wire::GetText(in, &r->key) && wire::Get(in, &r->expire_at_ms) &&
             wire::GetText(in, &r->dump);
    case LogRecord::Kind::kPatch:
      r->kind = LogRecord::Kind::kPatch;
      return wire::GetText(in, &r->key) && wire::Get(in, &r->expire_at_ms) &&
             wire::GetText(in, &r->ops);
    case LogRecord::Kind::kDel:
      r->kind = LogRecord::Kind::kDel;
      return wire::GetText(in, &r->key);
    case LogRecord::Kind::kFlush:
      r->kind = LogRecord::Kind::kFlush;
      return true;
    case LogRecord::Kind::kFunctions:
      r->kind = LogRecord::Kind::kFunctions;
      return wire::GetText(in, &r->dump);
  }
  return false;
}

// Whether every record of a batch parses (a batch is checked whole before any is applied).
bool Parses(std::string_view batch) {
  LogRecord r;
  while (!batch.empty()) {
    if (!TakeRecord(&batch, &r)) return false;
  }
  return true;
}

}  // namespace

void AppendRecord(const LogRecord& r, std::string* batch) {
  wire::Put(batch, static_cast<uint8_t>(r.kind));
  if (r.kind == LogRecord::Kind::kFlush) return;
  if (r.kind == LogRecord::Kind::kFunctions) {
    wire::PutText(batch, r.dump);
    return;
  }
  wire::PutText(batch, r.key);
  if (r.kind == LogRecord::Kind::kDel) return;
  wire::Put(batch, r.expire_at_ms);
  wire::PutText(batch, r.kind == LogRecord::Kind::kSet ? r.dump : r.ops);
}

std::array<char, kBatchHeaderBytes> BatchHeader(std::string_view records) {
  std::array<char, kBatchHeaderBytes> header;
  const auto length = static_cast<uint32_t>(records.size());
  const auto sum = static_cast<uint64_t>(XXH3_64bits(records.data(), records.size()));
  std::memcpy(header.data(), &length, sizeof(length));
  std::memcpy(header.data() + sizeof(length), &sum, sizeof(sum));
  return header;
}

void AppendBatch(std::string_view records, std::string* out) {
  const std::array<char, kBatchHeaderBytes> header = BatchHeader(records);
  out->append(header.data(), header.size());
  out->append(records);
}

LogReader::Result LogReader::Next(LogRecord* record) {
  while (batch_.empty()) {
    batch_start_ = next_batch_;
    if (batch_start_ == log_.size()) return Result::kEnd;
    std::string_view in = log_.substr(batch_start_);
    uint32_t length;
    uint64_t sum;
    if (!wire::Get(&in, &length) || !wire::Get(&in, &sum) || in.size() < length) {
      return Result::kTornTail;  // cut short: the write a crash interrupted
    }
    const std::string_view payload = in.substr(0, length);
    if (XXH3_64bits(payload.data(), payload.size()) != sum || !Parses(payload)) {
      // Garbage that ends the file is an interrupted write too; with bytes after it, the log
      // itself is damaged.
      const bool last = kBatchHeaderBytes + length == log_.size() - batch_start_;
      return last ? Result::kTornTail : Result::kCorrupt;
    }
    batch_ = payload;
    next_batch_ = batch_start_ + kBatchHeaderBytes + length;
  }
  TakeRecord(&batch_, record);  // checked by Parses
  if (batch_.empty()) batch_start_ = next_batch_;
  return Result::kRecord;
}

}  // namespace pylon::daemon
