// The memory a container really holds, for MEMORY USAGE and INFO: the collection types will
// need it as the queue's side records do.
#pragma once

#include <malloc.h>

#include <cstddef>
#include <cstdlib>

namespace pylon::common {

// An allocator that adds the usable size of every block it hands out to *bytes (and takes it
// back when the block returns), so that the containers using it are counted as they really are.
template <typename T>
class CountingAllocator {
 public:
  using value_type = T;
  explicit CountingAllocator(size_t* bytes) : bytes_(bytes) {}
  template <typename U>
  CountingAllocator(const CountingAllocator<U>& other) : bytes_(other.bytes_) {}

  T* allocate(size_t n) {
    // malloc, not operator new, so that malloc_usable_size surely applies.
    void* p = std::malloc(n * sizeof(T));
    if (!p) std::abort();  // as Redis: out of memory is fatal
    *bytes_ += malloc_usable_size(p);
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t) {
    *bytes_ -= malloc_usable_size(p);
    std::free(p);
  }

  template <typename U>
  bool operator==(const CountingAllocator<U>& other) const {
    return bytes_ == other.bytes_;
  }

 private:
  template <typename U>
  friend class CountingAllocator;
  size_t* bytes_;
};

}  // namespace pylon::common
