// SHA-1 as scripts are named by it (EVALSHA, SCRIPT LOAD, redis.sha1hex): 40 lower-case hex
// digits. From OpenSSL.
#pragma once

#include <string>
#include <string_view>

namespace pylon::scripting {

std::string Sha1Hex(std::string_view data);

}  // namespace pylon::scripting
