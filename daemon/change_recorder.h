// A value's changes as operations, for the append-only log (daemon/persistence.h). A queue of a
// million messages or a Bloom filter of megabytes changes by a few bytes a command; writing its
// whole dump at the end of every turn that touched it would make the log's cost grow with the
// value instead of with the writes. A value that keeps a ChangeRecorder appends each change to it
// as an operation that replays to the same state (its inputs resolved: the time it ran at, what a
// random draw gave), and the log writes those operations instead of the dump.
//
// A change recorder records only from a known base: the log has just written the value's whole dump
// (Start). It stops, and the next turn writes the dump again, when
//   - the value is placed under a key (new, renamed, restored: the log's base for that key is
//     not this value's; the keyspace calls Stop),
//   - its operations in one turn outgrow kMaxBytes, or the value's own size when that is more
//     (set_value_bytes): the dump is then likely the smaller record,
//   - the log starts over (appendonly off or on): StartOver bumps a generation that every
//     change recorder compares with, so no value needs visiting. (A rewrite does not: the log is
//     written up to the fork first, so the operations after it apply to the snapshot's state.)
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

namespace pylon::daemon {

class ChangeRecorder {
 public:
  static constexpr size_t kMaxBytes = size_t{1} << 20;

  // Where the value appends its next operation; nullptr when it is not recording.
  std::string* recording() {
    if (generation_ == 0) return nullptr;
    if (generation_ != current_generation_ || ops_.size() > limit_) {
      Stop();
      return nullptr;
    }
    return &ops_;
  }
  // Moves the operations recorded since the base to *out (appended); false when the log must
  // write the whole dump instead (not recording).
  bool Take(std::string* out) {
    if (!recording()) return false;
    out->append(ops_);
    ops_.clear();
    return true;
  }
  // The log has just written the value's dump: record from here.
  void Start() {
    generation_ = current_generation_;
    ops_.clear();
  }
  void Stop() {
    generation_ = 0;
    std::string().swap(ops_);  // a value no longer logged keeps no buffer
  }
  // The size of the value's dump, about: a large value records more operations before its
  // dump is the smaller record (a filter of 128 MB is not dumped for 2 MB of added items).
  void set_value_bytes(size_t bytes) { limit_ = std::max(kMaxBytes, bytes); }
  // Heap bytes held (for a value's MemoryUsage).
  size_t bytes() const { return ops_.capacity() > 15 ? ops_.capacity() + 1 : 0; }

  // Every change recorder stops recording (each finds out when next asked).
  static void StartOver() { current_generation_++; }

 private:
  static inline uint64_t current_generation_ = 1;
  std::string ops_;
  size_t limit_ = kMaxBytes;
  uint64_t generation_ = 0;  // the generation it records in; 0: not recording
};

}  // namespace pylon::daemon
