// InfoWriter: how every family writes its INFO section, line by line.
#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <string>

#include "daemon/info.h"

namespace pylon::daemon {
namespace {

TEST_CASE("info writer: one name:value line per field, in order", "[info]") {
  std::string out = "# Section\r\n";
  InfoWriter(out)
      .Field("zero", uint64_t{0})
      .Field("most", std::numeric_limits<uint64_t>::max())
      .Field("least", std::numeric_limits<int64_t>::min())
      .Field("gauge", int64_t{-3});
  CHECK(out ==
        "# Section\r\nzero:0\r\nmost:18446744073709551615\r\nleast:-9223372036854775808\r\n"
        "gauge:-3\r\n");
}

}  // namespace
}  // namespace pylon::daemon
