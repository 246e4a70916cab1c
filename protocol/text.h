// Small text helpers shared by every layer, with Redis's exact semantics (so "+1", "01" or
// " 1" are refused where Redis refuses them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pylon::protocol {

// Redis string2ll: optional '-', digits, no leading zeros (except "0"), no '+', no spaces, no
// overflow. False otherwise.
bool ParseInt64(std::string_view s, int64_t* out);

// Redis's getDoubleFromObject rules: strtod on the whole string, no leading space, not NaN.
bool ParseDouble(std::string_view s, double* out);

// Redis's string2ld (INCRBYFLOAT, HINCRBYFLOAT): strtold on the whole text, no leading space,
// no NaN, no overflow or underflow; "inf" accepted. Texts of kLongDoubleChars or more fail.
bool ParseLongDouble(std::string_view s, long double* out);
// Redis's ld2string in human mode (%.17Lf, trailing zeros and a bare point removed, "-0" as
// "0"); returns the length, 0 if it does not fit. kLongDoubleChars always suffices.
inline constexpr size_t kLongDoubleChars = 5 * 1024;
size_t FormatLongDouble(long double v, char* buf, size_t size);

// Writes v in decimal into buf (at least 21 bytes); returns the length. Fast path for replies.
size_t FormatInt64(int64_t v, char* buf);

// Redis glob match (stringmatchlen): * ? [abc] [^a] [a-z] and \ escapes; optionally caseless.
// Exactly stringmatchlen, quirks included: an empty string matches no non-empty pattern, not even
// "*" (KEYS and SCAN special-case a lone "*" before matching; callers that mimic them must too).
// Polynomial time (Redis's "skip longer matches" rule) and bounded recursion (nesting > 1000
// fails the match).
bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase = false);

bool EqualsIgnoreCase(std::string_view a, std::string_view b);
std::string ToLower(std::string_view s);

}  // namespace pylon::protocol
