// The Redis version Pylon answers as (INFO's redis_version, HELLO's version, scripts'
// redis.REDIS_VERSION): clients gate features on it, so it names the Redis whose behaviour Pylon
// keeps, not Pylon's own release.
#pragma once

#include <string_view>

namespace pylon::common {

inline constexpr std::string_view kRedisVersion = "7.0.15";
// As Redis's REDIS_VERSION_NUM: 0x00MMmmpp (major, minor, patch a byte each).
inline constexpr int kRedisVersionNum = 0x07000f;

}  // namespace pylon::common
