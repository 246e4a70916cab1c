// MD5 as RFC 1321 section 3 describes it: pad the message to 448 bits mod 512, append the bit
// length as a 64-bit little-endian number, then run each 512-bit block through four rounds of
// sixteen operations on the state words A, B, C, D.
#include "modules/ring/md5.h"

#include <bit>
#include <cmath>
#include <cstring>

namespace pylon::ring {
namespace {

constexpr size_t kBlockBytes = 64;

// Step 4's table T: T[i] is the integer part of 2^32 * |sin(i + 1)| (i in radians). Computed
// rather than transcribed; the RFC test vectors catch any difference.
const std::array<uint32_t, 64>& SineTable() {
  static const std::array<uint32_t, 64> table = [] {
    std::array<uint32_t, 64> t{};
    for (size_t i = 0; i < t.size(); i++) {
      t[i] = static_cast<uint32_t>(std::floor(std::ldexp(std::fabs(std::sin(i + 1.0)), 32)));
    }
    return t;
  }();
  return table;
}

// Rotation amounts: one row of four per round, repeated through the round's sixteen steps.
constexpr uint8_t kShift[4][4] = {
    {7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};

uint32_t LoadLittleEndian(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

void StoreLittleEndian(uint32_t v, uint8_t* p) {
  for (int i = 0; i < 4; i++) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

struct State {
  // Step 3's initial buffer (the RFC lists it byte by byte, low-order first).
  uint32_t a = 0x67452301, b = 0xefcdab89, c = 0x98badcfe, d = 0x10325476;

  void Transform(const uint8_t* block) {
    uint32_t x[16];
    for (int i = 0; i < 16; i++) x[i] = LoadLittleEndian(block + 4 * i);
    const auto& t = SineTable();
    uint32_t aa = a, bb = b, cc = c, dd = d;
    for (int step = 0; step < 64; step++) {
      const int round = step / 16;
      uint32_t mixed;  // The round's auxiliary function F, G, H or I of (B, C, D).
      int word;        // Which word of the block the step adds.
      switch (round) {
        case 0:
          mixed = (bb & cc) | (~bb & dd);
          word = step;
          break;
        case 1:
          mixed = (bb & dd) | (cc & ~dd);
          word = (5 * step + 1) % 16;
          break;
        case 2:
          mixed = bb ^ cc ^ dd;
          word = (3 * step + 5) % 16;
          break;
        default:
          mixed = cc ^ (bb | ~dd);
          word = (7 * step) % 16;
          break;
      }
      // The RFC's [abcd k s i]: a = b + ((a + f(b,c,d) + X[k] + T[i]) <<< s), after which the
      // roles rotate (a takes d's place, and so on); shifting the names does the rotation.
      const uint32_t sum = aa + mixed + x[word] + t[step];
      const uint32_t next_b = bb + std::rotl(sum, kShift[round][step % 4]);
      aa = dd;
      dd = cc;
      cc = bb;
      bb = next_b;
    }
    a += aa;
    b += bb;
    c += cc;
    d += dd;
  }
};

}  // namespace

Md5Digest Md5(std::string_view data) {
  State state;
  const auto* bytes = reinterpret_cast<const uint8_t*>(data.data());
  const size_t whole = data.size() / kBlockBytes * kBlockBytes;
  for (size_t offset = 0; offset < whole; offset += kBlockBytes) state.Transform(bytes + offset);

  // The tail, the 0x80 pad byte, zeros up to 56 mod 64, and the length: one or two blocks.
  uint8_t tail[2 * kBlockBytes] = {};
  const size_t rest = data.size() - whole;
  std::memcpy(tail, bytes + whole, rest);
  tail[rest] = 0x80;
  const size_t tail_bytes = rest + 1 + 8 <= kBlockBytes ? kBlockBytes : 2 * kBlockBytes;
  const uint64_t bit_length = static_cast<uint64_t>(data.size()) * 8;
  for (int i = 0; i < 8; i++)
    tail[tail_bytes - 8 + i] = static_cast<uint8_t>(bit_length >> (8 * i));
  for (size_t offset = 0; offset < tail_bytes; offset += kBlockBytes)
    state.Transform(tail + offset);

  Md5Digest digest;
  StoreLittleEndian(state.a, digest.data());
  StoreLittleEndian(state.b, digest.data() + 4);
  StoreLittleEndian(state.c, digest.data() + 8);
  StoreLittleEndian(state.d, digest.data() + 12);
  return digest;
}

std::string Md5Hex(std::string_view data) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(32);
  for (uint8_t byte : Md5(data)) {
    hex.push_back(kHex[byte >> 4]);
    hex.push_back(kHex[byte & 15]);
  }
  return hex;
}

uint32_t Md5Word(const Md5Digest& digest, unsigned word) {
  return LoadLittleEndian(digest.data() + 4 * word);
}

}  // namespace pylon::ring
