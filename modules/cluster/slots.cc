#include "modules/cluster/slots.h"

#include <xxhash.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <cstdio>
#include <set>
#include <utility>

#include "modules/ring/ketama.h"
#include "modules/ring/node.h"

namespace pylon::cluster {

static_assert(kMaxNodes <= UINT16_MAX + 1, "the owner table stores node indices as uint16_t");

namespace {

// One table entry per leading byte, computed at compile time from the polynomial itself so the
// table cannot drift from the documented algorithm.
constexpr std::array<uint16_t, 256> MakeCrc16Table() {
  constexpr uint16_t kPolynomial = 0x1021;
  std::array<uint16_t, 256> table{};
  for (unsigned byte = 0; byte < 256; byte++) {
    uint16_t crc = static_cast<uint16_t>(byte << 8);
    for (int bit = 0; bit < 8; bit++) {
      crc = static_cast<uint16_t>((crc & 0x8000) ? (crc << 1) ^ kPolynomial : crc << 1);
    }
    table[byte] = crc;
  }
  return table;
}

constexpr std::array<uint16_t, 256> kCrc16Table = MakeCrc16Table();

// The key bytes Redis Cluster hashes: the first {tag} when it is non-empty, else the whole key.
std::string_view HashedPart(std::string_view key) {
  const size_t open = key.find('{');
  if (open == std::string_view::npos) return key;
  const size_t close = key.find('}', open + 1);
  if (close == std::string_view::npos || close == open + 1) return key;
  return key.substr(open + 1, close - open - 1);
}

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool IsDecimalDigit(char c) { return c >= '0' && c <= '9'; }

bool IsIpv4Address(std::string_view text) {
  int parts = 0;
  while (true) {
    size_t digits = 0;
    while (digits < text.size() && IsDecimalDigit(text[digits])) digits++;
    // No leading zeros: "010" is octal to some parsers and decimal to others.
    if (digits == 0 || digits > 3 || (digits > 1 && text[0] == '0')) return false;
    int value = 0;
    std::from_chars(text.data(), text.data() + digits, value);
    if (value > 255) return false;
    parts++;
    text.remove_prefix(digits);
    if (text.empty()) return parts == 4;
    if (text[0] != '.' || parts == 4) return false;
    text.remove_prefix(1);
  }
}

// Counts the 16-bit groups in a ':'-separated run of an IPv6 address (a dotted IPv4 tail counts
// as two), or -1 if a group is malformed. `may_end_in_ipv4` is false for the run before "::".
int Ipv6GroupCount(std::string_view run, bool may_end_in_ipv4) {
  if (run.empty()) return 0;
  int groups = 0;
  while (true) {
    const size_t colon = run.find(':');
    const std::string_view group = run.substr(0, colon);
    if (colon == std::string_view::npos && may_end_in_ipv4 &&
        group.find('.') != std::string_view::npos) {
      return IsIpv4Address(group) ? groups + 2 : -1;
    }
    if (group.empty() || group.size() > 4 || !std::all_of(group.begin(), group.end(), IsHexDigit))
      return -1;
    groups++;
    if (colon == std::string_view::npos) return groups;
    run.remove_prefix(colon + 1);
  }
}

// RFC 4291 text form: eight groups, or fewer with one "::". Zone ids ("%eth0") are refused: they
// name an interface of one machine, which other nodes cannot share.
bool IsIpv6Address(std::string_view text) {
  const size_t gap = text.find("::");
  if (gap == std::string_view::npos) return Ipv6GroupCount(text, true) == 8;
  if (text.find("::", gap + 1) != std::string_view::npos) return false;
  const int before = Ipv6GroupCount(text.substr(0, gap), false);
  const int after = Ipv6GroupCount(text.substr(gap + 2), true);
  return before >= 0 && after >= 0 && before + after <= 7;
}

// RFC 1123 host names and IPv4 addresses, plus '_' which some internal DNS setups use.
bool IsHostName(std::string_view text) {
  constexpr size_t kMaxHostNameLength = 253;
  if (text.empty() || text.size() > kMaxHostNameLength) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDecimalDigit(c) || c == '-' ||
           c == '.' || c == '_';
  });
}

// Parses a port or weight in 1..65535 that must fill `text`. On failure, *error says why, naming
// the field.
bool ParseSmallNumber(std::string_view text, std::string_view field, int64_t* value,
                      std::string* error) {
  if (text.empty()) {
    *error = "missing " + std::string(field);
    return false;
  }
  if (!IsDecimalDigit(text[0])) {
    *error = std::string(field) + " must be a number between 1 and 65535";
    return false;
  }
  const auto [end, status] = std::from_chars(text.data(), text.data() + text.size(), *value);
  if (status == std::errc::result_out_of_range || (status == std::errc() && *value > 65535) ||
      (status == std::errc() && *value < 1)) {
    *error = std::string(field) + " must be between 1 and 65535";
    return false;
  }
  if (end != text.data() + text.size()) {
    *error = "unexpected '" + std::string(end, text.data() + text.size()) + "' after the " +
             std::string(field);
    return false;
  }
  return true;
}

// One membership word into *node (id left empty). On failure, *error says why.
bool ParseWord(std::string_view word, Node* node, std::string* error) {
  std::string_view rest;
  if (!word.empty() && word[0] == '[') {
    const size_t close = word.find(']');
    if (close == std::string_view::npos) {
      *error = "missing ']' after the IPv6 address";
      return false;
    }
    node->host = std::string(word.substr(1, close - 1));
    if (node->host.empty()) {
      *error = "empty host";
      return false;
    }
    if (!IsIpv6Address(node->host)) {
      *error = "'" + node->host + "' is not an IPv6 address";
      return false;
    }
    rest = word.substr(close + 1);
    if (rest.empty() || rest[0] != ':') {
      *error = "missing ':' and port after ']'";
      return false;
    }
    rest.remove_prefix(1);
  } else {
    const size_t colon = word.find(':');
    if (colon == std::string_view::npos) {
      *error = "missing port (expected host:port or host:port@weight)";
      return false;
    }
    // Host names and IPv4 addresses have no ':', so a second one before the weight is most
    // likely an IPv6 address without its brackets.
    const size_t second_colon = word.find(':', colon + 1);
    if (second_colon != std::string_view::npos && second_colon < word.find('@')) {
      *error = "too many ':' (an IPv6 address must be in brackets: [addr]:port)";
      return false;
    }
    node->host = std::string(word.substr(0, colon));
    if (node->host.empty()) {
      *error = "empty host";
      return false;
    }
    if (!IsHostName(node->host)) {
      *error = "'" + node->host + "' is not a host name or address";
      return false;
    }
    rest = word.substr(colon + 1);
  }

  const size_t at = rest.find('@');
  int64_t port = 0;
  if (!ParseSmallNumber(rest.substr(0, at), "port", &port, error)) return false;
  int64_t weight = 1;
  if (at != std::string_view::npos &&
      !ParseSmallNumber(rest.substr(at + 1), "weight", &weight, error)) {
    return false;
  }
  node->port = static_cast<int>(port);
  node->weight = static_cast<uint32_t>(weight);
  return true;
}

void AppendHex64(uint64_t value, std::string* out) {
  char digits[17];
  std::snprintf(digits, sizeof(digits), "%016llx", static_cast<unsigned long long>(value));
  out->append(digits, 16);
}

}  // namespace

uint16_t Crc16(std::string_view data) {
  uint16_t crc = 0;
  for (char c : data) {
    const auto byte = static_cast<uint8_t>(c);
    crc = static_cast<uint16_t>((crc << 8) ^ kCrc16Table[((crc >> 8) ^ byte) & 0xff]);
  }
  return crc;
}

int KeySlot(std::string_view key) { return Crc16(HashedPart(key)) & (kSlots - 1); }

std::string Node::address() const {
  const std::string port_text = std::to_string(port);
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + port_text;
  return host + ":" + port_text;
}

std::string NodeId(std::string_view address) {
  const XXH128_hash_t wide = XXH3_128bits(address.data(), address.size());
  const uint64_t narrow = XXH3_64bits(address.data(), address.size());
  std::string id;
  AppendHex64(wide.high64, &id);
  AppendHex64(wide.low64, &id);
  AppendHex64(narrow, &id);
  id.resize(40);
  return id;
}

bool ParseMembership(const std::vector<std::string>& words, std::vector<Node>* out,
                     std::string* error) {
  if (words.empty()) {
    *error = "the cluster needs at least one node";
    return false;
  }
  if (words.size() > kMaxNodes) {
    *error = "a cluster holds at most " + std::to_string(kMaxNodes) + " nodes";
    return false;
  }
  std::vector<Node> nodes;
  nodes.reserve(words.size());
  std::set<std::string> addresses;
  for (const std::string& word : words) {
    Node node;
    std::string problem;
    if (!ParseWord(word, &node, &problem)) {
      *error = "invalid cluster node '" + word + "': " + problem;
      return false;
    }
    std::string address = node.address();
    node.id = NodeId(address);
    if (!addresses.insert(std::move(address)).second) {
      *error = "duplicate cluster node '" + node.address() + "'";
      return false;
    }
    nodes.push_back(std::move(node));
  }
  *out = std::move(nodes);
  return true;
}

SlotMap SlotMap::Build(std::vector<Node> nodes) { return Build(std::move(nodes), kVnodes); }

SlotMap SlotMap::Build(std::vector<Node> nodes, uint32_t vnodes) {
  assert(nodes.size() <= kMaxNodes);
  SlotMap map;
  if (nodes.empty()) return map;

  // Sorting makes the map independent of the order the words were configured in; the weight
  // breaks ties between duplicate addresses (which ParseMembership refuses) deterministically.
  std::vector<std::pair<std::string, Node>> by_address;
  by_address.reserve(nodes.size());
  for (Node& node : nodes) {
    std::string address = node.address();
    if (node.id.empty()) node.id = NodeId(address);
    by_address.emplace_back(std::move(address), std::move(node));
  }
  std::sort(by_address.begin(), by_address.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second.weight < b.second.weight;
  });

  // The ring names each node by its address, so a node keeps its points whatever else changes.
  std::vector<ring::Node> ring_nodes;
  ring_nodes.reserve(by_address.size());
  for (auto& [address, node] : by_address) {
    // A zero weight would divide by zero in ketama's point count; ParseMembership refuses it.
    ring_nodes.push_back({address, std::max<uint32_t>(node.weight, 1)});
    map.nodes_.push_back(std::move(node));
  }
  const ring::KetamaContinuum continuum =
      ring::KetamaContinuum::Build(ring_nodes, std::max<uint32_t>(vnodes, 4));
  // Never empty: the heaviest node's share is at least 1/n, which earns it vnodes/4 >= 1 hashes.
  const std::vector<ring::KetamaPoint>& points = continuum.points();

  map.owners_.resize(kSlots);
  for (int slot = 0; slot < kSlots; slot++) {
    const uint32_t position = (static_cast<uint32_t>(slot) << 18) | (1u << 17);
    map.owners_[slot] = static_cast<uint16_t>(points[continuum.Successor(position)].node);
  }

  for (int slot = 0; slot < kSlots; slot++) {
    const int owner = map.owners_[slot];
    if (!map.ranges_.empty() && map.ranges_.back().node == owner) {
      map.ranges_.back().last = slot;
    } else {
      map.ranges_.push_back({.first = slot, .last = slot, .node = owner});
    }
  }
  return map;
}

int SlotMap::owner(int slot) const {
  if (owners_.empty() || slot < 0 || slot >= kSlots) return -1;
  return owners_[slot];
}

std::vector<int> SlotMap::SlotsOf(int node) const {
  std::vector<int> slots;
  if (node < 0 || static_cast<size_t>(node) >= nodes_.size()) return slots;
  for (const Range& range : ranges_) {
    if (range.node != node) continue;
    for (int slot = range.first; slot <= range.last; slot++) slots.push_back(slot);
  }
  return slots;
}

int SlotMap::Moved(const SlotMap& before, const SlotMap& after) {
  // Addresses per node index once, rather than per slot.
  auto addresses = [](const SlotMap& map) {
    std::vector<std::string> out;
    for (const Node& node : map.nodes()) out.push_back(node.address());
    return out;
  };
  const std::vector<std::string> before_addresses = addresses(before);
  const std::vector<std::string> after_addresses = addresses(after);
  int moved = 0;
  for (int slot = 0; slot < kSlots; slot++) {
    const int was = before.owner(slot);
    const int is = after.owner(slot);
    if (was < 0 && is < 0) continue;
    if (was < 0 || is < 0 || before_addresses[was] != after_addresses[is]) moved++;
  }
  return moved;
}

}  // namespace pylon::cluster
