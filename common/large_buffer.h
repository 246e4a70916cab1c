// Zeroed memory for one large array (a Bloom filter's bits) that costs the event loop neither
// the zeroing, nor the first touch of its pages, nor their release:
//   - it comes from calloc, which for a large block maps fresh zero pages from the kernel and
//     writes nothing, so creating an array of hundreds of megabytes is immediate;
//   - a block of kBackgroundBytes or more is prefaulted by a background thread
//     (madvise MADV_POPULATE_WRITE, which faults the pages in without writing them), so the loop
//     does not pay the first touch of each page when items start to land (on a virtual machine
//     that is tens of microseconds a page: seconds for a filter of 128 MB);
//   - such a block is freed by the same thread, after its prefault, so unmapping it does not
//     stall the loop either.
// What reaches the array from the loop is never written by the thread: prefaulting changes no
// byte, so the two need no coordination. used_memory counts the whole block from the start.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace pylon::common {

class LargeBuffer {
 public:
  static constexpr size_t kBackgroundBytes = size_t{1} << 20;

  LargeBuffer() = default;
  // `bytes` zero bytes (throws std::bad_alloc when the memory cannot be had).
  explicit LargeBuffer(size_t bytes);

  char* data() const { return data_.get(); }
  size_t size() const { return size_; }

  // Blocks until the background thread has done every job handed to it so far (tests, and
  // measurements that want the memory released).
  static void Drain();

 private:
  struct Release {
    size_t bytes = 0;
    void operator()(char* p) const;
  };
  std::unique_ptr<char, Release> data_;
  size_t size_ = 0;
};

}  // namespace pylon::common
