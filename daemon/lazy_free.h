// Frees large values on a background thread, as Redis's lazyfree: UNLINK and FLUSHALL ASYNC take
// a key out of the keyspace at once and leave the freeing of its value, which for a collection
// of ten million elements takes a second or more, to this thread, so that no command waits on it.
//
// Only values whose type allows it (ValueType::free_anywhere: the destructor touches nothing but
// the value's own memory, as Redis's collections) go there; a family value that books into its
// server's state when it goes is freed where it lives, on the loop.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "daemon/value.h"

namespace pylon::daemon {

class LazyFree {
 public:
  // Values smaller than this are freed at once: a handoff costs more than the free.
  static constexpr size_t kMinBytes = 64 * 1024;

  LazyFree() = default;
  // Frees what is still queued, then stops the thread.
  ~LazyFree();
  LazyFree(const LazyFree&) = delete;
  LazyFree& operator=(const LazyFree&) = delete;

  // Whether `value` (of `bytes`, its accounted size) is worth freeing in the background.
  static bool Worth(const Value& value, size_t bytes) {
    return value.type().free_anywhere && bytes >= kMinBytes;
  }
  // Queues the value; the thread starts on first use.
  void Submit(std::unique_ptr<Value> value);

  // INFO memory's lazyfree_pending_objects and lazyfreed_objects.
  size_t pending() const { return pending_.load(std::memory_order_relaxed); }
  uint64_t freed() const { return freed_.load(std::memory_order_relaxed); }
  void ResetStats() { freed_.store(0, std::memory_order_relaxed); }

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Value>> queue_;
  bool stopping_ = false;
  std::thread thread_;
  std::atomic<size_t> pending_{0};
  std::atomic<uint64_t> freed_{0};
};

}  // namespace pylon::daemon
