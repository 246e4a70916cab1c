// What the process holds on the heap, for INFO memory and maxmemory.
#pragma once

#include <cstddef>

namespace pylon::daemon {

// Bytes allocated and not yet freed, as Redis's zmalloc_used_memory: every malloc, calloc,
// realloc, aligned allocation and free in the process (operator new included) is counted by
// its usable size, in O(1), so maxmemory can be checked before every command. Under a sanitizer
// (which owns malloc) the sanitizer's own count is read instead.
size_t AllocatedBytes();

}  // namespace pylon::daemon
