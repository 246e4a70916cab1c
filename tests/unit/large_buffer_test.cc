// LargeBuffer (common/large_buffer.h): zeroed memory whose prefault and release run on a
// background thread. What the loop writes is never changed by the prefault, small and large
// buffers alike start zeroed, and a released large buffer's memory goes back.
#include "common/large_buffer.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "daemon/memory.h"

namespace pylon::common {
namespace {

TEST_CASE("large buffer: zeroed, and the background prefault changes no byte written meanwhile",
          "[large_buffer]") {
  for (const size_t bytes : {size_t{0}, size_t{100}, LargeBuffer::kBackgroundBytes - 1,
                             LargeBuffer::kBackgroundBytes, size_t{64} << 20}) {
    INFO(bytes << " bytes");
    LargeBuffer buffer(bytes);
    REQUIRE(buffer.size() == bytes);
    REQUIRE(buffer.data() != nullptr);
    // Written at once, while the thread may still be prefaulting the same pages.
    for (size_t i = 0; i < bytes; i += 4093) {
      CHECK(buffer.data()[i] == 0);
      buffer.data()[i] = static_cast<char>(i % 251 + 1);
    }
    LargeBuffer::Drain();
    size_t wrong = 0, zero_wrong = 0;
    for (size_t i = 0; i < bytes; i++) {
      if (i % 4093 == 0) {
        wrong += buffer.data()[i] != static_cast<char>(i % 251 + 1);
      } else {
        zero_wrong += buffer.data()[i] != 0;
      }
    }
    CHECK(wrong == 0);
    CHECK(zero_wrong == 0);
  }
}

TEST_CASE("large buffer: a released large buffer's memory goes back, off the caller's thread",
          "[large_buffer]") {
  LargeBuffer::Drain();
  const size_t before = daemon::AllocatedBytes();
  {
    std::vector<LargeBuffer> buffers;
    for (int i = 0; i < 4; i++) buffers.emplace_back(size_t{16} << 20);
    CHECK(daemon::AllocatedBytes() >= before + (size_t{64} << 20));
  }
  LargeBuffer::Drain();
  CHECK(daemon::AllocatedBytes() < before + (size_t{1} << 20));
}

}  // namespace
}  // namespace pylon::common
