#include "daemon/memory.h"

#include <malloc.h>

#include <atomic>
#include <cerrno>
#include <cstdint>

#if defined(__SANITIZE_ADDRESS__)
#define PYLON_SANITIZED_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define PYLON_SANITIZED_MALLOC 1
#endif
#endif

#ifdef PYLON_SANITIZED_MALLOC
// From the sanitizer runtime (g++ 12 ships no header for its allocator interface).
extern "C" size_t __sanitizer_get_current_allocated_bytes();

namespace pylon::daemon {
size_t AllocatedBytes() { return __sanitizer_get_current_allocated_bytes(); }
}  // namespace pylon::daemon

#else
// glibc supports replacing malloc by symbol interposition ("Replacing malloc" in its manual):
// these definitions take the place of libc's for the whole process, libraries included, and
// forward to glibc's own allocator. The count is atomic: libuv's thread pool allocates too.
extern "C" {
void* __libc_malloc(size_t size);
void* __libc_calloc(size_t count, size_t size);
void* __libc_realloc(void* p, size_t size);
void __libc_free(void* p);
void* __libc_memalign(size_t alignment, size_t size);
void* __libc_valloc(size_t size);
void* __libc_pvalloc(size_t size);
}

namespace {

std::atomic<size_t> allocated{0};

void* Counted(void* p) {
  if (p) allocated.fetch_add(malloc_usable_size(p), std::memory_order_relaxed);
  return p;
}

}  // namespace

extern "C" {

void* malloc(size_t size) { return Counted(__libc_malloc(size)); }
void* calloc(size_t count, size_t size) { return Counted(__libc_calloc(count, size)); }
void free(void* p) {
  if (!p) return;
  allocated.fetch_sub(malloc_usable_size(p), std::memory_order_relaxed);
  __libc_free(p);
}
void* realloc(void* p, size_t size) {
  const size_t before = p ? malloc_usable_size(p) : 0;
  void* q = __libc_realloc(p, size);
  // realloc(p, 0) frees p; a failed realloc leaves p as it was.
  if (q || (p && size == 0)) allocated.fetch_sub(before, std::memory_order_relaxed);
  return Counted(q);
}
void* memalign(size_t alignment, size_t size) { return Counted(__libc_memalign(alignment, size)); }
void* aligned_alloc(size_t alignment, size_t size) {
  return Counted(__libc_memalign(alignment, size));
}
int posix_memalign(void** out, size_t alignment, size_t size) {
  if (alignment < sizeof(void*) || (alignment & (alignment - 1)) != 0) return EINVAL;
  void* p = Counted(__libc_memalign(alignment, size));
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}
void* valloc(size_t size) { return Counted(__libc_valloc(size)); }
void* pvalloc(size_t size) { return Counted(__libc_pvalloc(size)); }

}  // extern "C"

namespace pylon::daemon {
size_t AllocatedBytes() { return allocated.load(std::memory_order_relaxed); }
}  // namespace pylon::daemon

#endif
