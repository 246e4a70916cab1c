#include "modules/list/list.h"

#include <algorithm>
#include <cstring>

#include "common/wire.h"

namespace pylon::list {
namespace {

constexpr uint8_t kFormat = 1;
// Redis's node byte bounds for list-max-listpack-size -1..-5, and its safety limit for a
// positive (count) setting.
constexpr size_t kNodeBytes[] = {4096, 8192, 16384, 32768, 65536};
constexpr size_t kSafetyBytes = 8192;

size_t LengthBytes(size_t n) {
  size_t bytes = 1;
  while (n >= 0x80) {
    n >>= 7;
    bytes++;
  }
  return bytes;
}

size_t FramedBytes(size_t n) { return 2 * LengthBytes(n) + n; }

// Writes [length][bytes][length reversed] at p, which has FramedBytes(value.size()) bytes.
void WriteEntry(char* p, std::string_view value) {
  const size_t n = value.size();
  const size_t len_bytes = LengthBytes(n);
  size_t v = n;
  for (size_t i = 0; i < len_bytes; i++, v >>= 7) {
    p[i] = static_cast<char>((v & 0x7f) | (i + 1 < len_bytes ? 0x80 : 0));
  }
  p += len_bytes;
  std::memcpy(p, value.data(), n);
  p += n;
  // Reversed: the last byte holds the lowest 7 bits, each byte flags that another precedes it.
  v = n;
  for (size_t i = 0; i < len_bytes; i++, v >>= 7) {
    p[len_bytes - 1 - i] = static_cast<char>((v & 0x7f) | (i + 1 < len_bytes ? 0x80 : 0));
  }
}

// The length at the front of an entry starting at p, and the bytes it took. Our own buffer:
// no bounds to check.
size_t ReadLength(const char* p, size_t* len_bytes) {
  size_t n = 0;
  size_t i = 0;
  for (int shift = 0;; shift += 7) {
    const auto b = static_cast<unsigned char>(p[i++]);
    n |= static_cast<size_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
  }
  *len_bytes = i;
  return n;
}

// The framed size of the entry that ends just before `end`.
size_t FramedBytesBefore(const char* end) {
  const char* p = end - 1;
  size_t n = static_cast<unsigned char>(*p) & 0x7f;
  for (int shift = 7; static_cast<unsigned char>(*p) & 0x80; shift += 7) {
    --p;
    n |= static_cast<size_t>(static_cast<unsigned char>(*p) & 0x7f) << shift;
  }
  return FramedBytes(n);
}

size_t FramedBytesAt(const char* p) {
  size_t len_bytes;
  const size_t n = ReadLength(p, &len_bytes);
  return 2 * len_bytes + n;
}

}  // namespace

size_t List::HeapOf(const Node& node) {
  // Every std::string has an inline buffer; past it the capacity (and its NUL) is on the heap.
  return node.buf.capacity() > std::string().capacity() ? node.buf.capacity() + 1 : 0;
}

size_t List::NodeBytes(const Limits& limits) {
  const int64_t fill = limits.max_listpack_size;
  return fill < 0 ? kNodeBytes[static_cast<size_t>(std::min<int64_t>(-fill, 5)) - 1] : kSafetyBytes;
}

bool List::Fits(const Node& node, size_t bytes, const Limits& limits) {
  if (node.count == 0) return true;
  const int64_t fill = limits.max_listpack_size;
  if (fill > 0 && node.count >= static_cast<uint64_t>(fill)) return false;
  return node.live() + bytes <= NodeBytes(limits);
}

void List::Push(End end, std::string_view value, const Limits& limits) {
  const size_t bytes = FramedBytes(value.size());
  if (end == End::kTail) {
    if (nodes_.empty() || !Fits(nodes_.back(), bytes, limits)) nodes_.emplace_back();
    Node& node = nodes_.back();
    heap_ -= HeapOf(node);
    const size_t at = node.buf.size();
    if (at + bytes > node.buf.capacity()) {
      // Doubling, but never past the node's bound: a full node would otherwise hold up to twice
      // its bytes in capacity it can never use.
      const size_t bound = std::max(NodeBytes(limits), at + bytes);
      // A fresh string: libstdc++ rounds a growing reserve up to twice the old capacity.
      std::string grown;
      grown.reserve(std::min(std::max(2 * node.buf.capacity(), at + bytes), bound));
      grown.append(node.buf);
      node.buf.swap(grown);
    }
    node.buf.resize(at + bytes);
    WriteEntry(node.buf.data() + at, value);
    node.count++;
    heap_ += HeapOf(node);
  } else {
    if (nodes_.empty() || !Fits(nodes_.front(), bytes, limits)) nodes_.emplace_front();
    Node& node = nodes_.front();
    heap_ -= HeapOf(node);
    if (node.head < bytes) {
      // Room at the front by the node's size again (at least the element, at most what the
      // node's bound leaves): O(1) amortized, and no capacity a full node cannot use.
      const size_t room = NodeBytes(limits) > node.live() ? NodeBytes(limits) - node.live() : 0;
      const size_t slack = std::max(bytes, std::min(std::max<size_t>(node.live(), 64), room));
      std::string grown(slack + node.live(), '\0');
      std::memcpy(grown.data() + slack, node.buf.data() + node.head, node.live());
      node.buf = std::move(grown);
      node.head = static_cast<uint32_t>(slack);
    }
    node.head -= static_cast<uint32_t>(bytes);
    WriteEntry(node.buf.data() + node.head, value);
    node.count++;
    heap_ += HeapOf(node);
  }
  size_++;
}

std::string_view List::Peek(End end) const {
  if (end == End::kHead) return EntryAt({0, nodes_.front().head});
  const Node& node = nodes_.back();
  return EntryAt(
      {nodes_.size() - 1, node.buf.size() - FramedBytesBefore(node.buf.data() + node.buf.size())});
}

void List::EraseNode(size_t node) {
  heap_ -= HeapOf(nodes_[node]);
  nodes_.erase(nodes_.begin() + static_cast<std::ptrdiff_t>(node));
}

void List::Pop(End end) {
  const size_t index = end == End::kHead ? 0 : nodes_.size() - 1;
  Node& node = nodes_[index];
  size_--;
  if (--node.count == 0) {
    EraseNode(index);
    return;
  }
  // The buffer keeps its capacity: the next push at this end reuses it.
  if (end == End::kHead) {
    node.head += static_cast<uint32_t>(FramedBytesAt(node.buf.data() + node.head));
  } else {
    node.buf.resize(node.buf.size() - FramedBytesBefore(node.buf.data() + node.buf.size()));
  }
}

void List::PopMany(End end, size_t n) {
  while (n > 0) {
    const Node& node = end == End::kHead ? nodes_.front() : nodes_.back();
    if (node.count <= n) {
      n -= node.count;
      size_ -= node.count;
      EraseNode(end == End::kHead ? 0 : nodes_.size() - 1);
    } else {
      Pop(end);
      n--;
    }
  }
}

std::string_view List::EntryAt(Pos pos) const {
  size_t len_bytes;
  const char* p = nodes_[pos.node].buf.data() + pos.off;
  const size_t n = ReadLength(p, &len_bytes);
  return {p + len_bytes, n};
}

bool List::Advance(Pos* pos) const {
  const Node& node = nodes_[pos->node];
  pos->off += FramedBytesAt(node.buf.data() + pos->off);
  if (pos->off < node.buf.size()) return true;
  if (pos->node + 1 >= nodes_.size()) return false;
  pos->node++;
  pos->off = nodes_[pos->node].head;
  return true;
}

bool List::Retreat(Pos* pos) const {
  if (pos->off == nodes_[pos->node].head) {
    if (pos->node == 0) return false;
    pos->node--;
    pos->off = nodes_[pos->node].buf.size();
  }
  const Node& node = nodes_[pos->node];
  pos->off -= FramedBytesBefore(node.buf.data() + pos->off);
  return true;
}

List::Pos List::Locate(size_t index) const {
  Pos pos;
  if (index < size_ / 2) {
    // From the head, skipping whole nodes.
    while (index >= nodes_[pos.node].count) index -= nodes_[pos.node++].count;
    pos.off = nodes_[pos.node].head;
    for (; index > 0; index--) Advance(&pos);
    return pos;
  }
  size_t from_tail = size_ - 1 - index;
  pos.node = nodes_.size() - 1;
  while (from_tail >= nodes_[pos.node].count) from_tail -= nodes_[pos.node--].count;
  pos.off = nodes_[pos.node].buf.size();
  Retreat(&pos);
  for (; from_tail > 0; from_tail--) Retreat(&pos);
  return pos;
}

std::optional<std::string_view> List::At(int64_t index) const {
  if (index < 0) index += static_cast<int64_t>(size_);
  if (index < 0 || static_cast<uint64_t>(index) >= size_) return std::nullopt;
  return EntryAt(Locate(static_cast<size_t>(index)));
}

void List::SplitIfOversized(size_t index, const Limits& limits) {
  Node& node = nodes_[index];
  if (node.count < 2) return;
  const int64_t fill = limits.max_listpack_size;
  const size_t byte_limit = NodeBytes(limits);
  const bool too_many = fill > 0 && node.count > static_cast<uint64_t>(fill);
  if (!too_many && node.live() <= byte_limit) return;
  // The first half stays, the second moves to a new node after it.
  size_t off = node.head;
  const uint32_t keep = node.count / 2;
  for (uint32_t i = 0; i < keep; i++) off += FramedBytesAt(node.buf.data() + off);
  Node tail;
  tail.buf.assign(node.buf, off);
  tail.count = node.count - keep;
  heap_ -= HeapOf(node);
  node.buf.resize(off);
  node.buf.shrink_to_fit();
  node.count = keep;
  heap_ += HeapOf(node) + HeapOf(tail);
  nodes_.insert(nodes_.begin() + static_cast<std::ptrdiff_t>(index) + 1, std::move(tail));
}

bool List::Set(int64_t index, std::string_view value, const Limits& limits) {
  if (index < 0) index += static_cast<int64_t>(size_);
  if (index < 0 || static_cast<uint64_t>(index) >= size_) return false;
  const Pos pos = Locate(static_cast<size_t>(index));
  Node& node = nodes_[pos.node];
  const size_t old_bytes = FramedBytesAt(node.buf.data() + pos.off);
  const size_t new_bytes = FramedBytes(value.size());
  heap_ -= HeapOf(node);
  if (new_bytes != old_bytes) node.buf.replace(pos.off, old_bytes, new_bytes, '\0');
  WriteEntry(node.buf.data() + pos.off, value);
  heap_ += HeapOf(node);
  SplitIfOversized(pos.node, limits);
  return true;
}

bool List::Insert(std::string_view pivot, bool after, std::string_view value,
                  const Limits& limits) {
  if (size_ == 0) return false;
  Pos pos{0, nodes_.front().head};
  while (EntryAt(pos) != pivot) {
    if (!Advance(&pos)) return false;
  }
  Node& node = nodes_[pos.node];
  size_t at = pos.off;
  if (after) at += FramedBytesAt(node.buf.data() + at);
  const size_t bytes = FramedBytes(value.size());
  heap_ -= HeapOf(node);
  node.buf.insert(at, bytes, '\0');
  WriteEntry(node.buf.data() + at, value);
  node.count++;
  heap_ += HeapOf(node);
  size_++;
  SplitIfOversized(pos.node, limits);
  return true;
}

size_t List::Remove(std::string_view value, int64_t count) {
  const bool from_tail = count < 0;
  const uint64_t limit =
      count == 0 ? UINT64_MAX
                 : (from_tail ? 0 - static_cast<uint64_t>(count) : static_cast<uint64_t>(count));
  size_t removed = 0;
  std::vector<size_t> offsets;  // the node's element offsets, in order
  std::vector<bool> drop;
  for (size_t k = 0; k < nodes_.size() && removed < limit;) {
    const size_t index = from_tail ? nodes_.size() - 1 - k : k;
    Node& node = nodes_[index];
    offsets.clear();
    for (size_t off = node.head; off < node.buf.size();
         off += FramedBytesAt(node.buf.data() + off)) {
      offsets.push_back(off);
    }
    drop.assign(offsets.size(), false);
    size_t dropped = 0;
    for (size_t j = 0; j < offsets.size() && removed < limit; j++) {
      const size_t e = from_tail ? offsets.size() - 1 - j : j;
      if (EntryAt({index, offsets[e]}) == value) {
        drop[e] = true;
        dropped++;
        removed++;
      }
    }
    if (dropped == 0) {
      k++;
      continue;
    }
    size_ -= dropped;
    if (dropped == node.count) {
      // The walk's next node now has this k: from the head it moved into this index, from the
      // tail the count of nodes shrank by one.
      EraseNode(index);
      continue;
    }
    // Compact the node's kept elements in place, in order.
    size_t write = node.head;
    for (size_t e = 0; e < offsets.size(); e++) {
      if (drop[e]) continue;
      const size_t bytes = FramedBytesAt(node.buf.data() + offsets[e]);
      std::memmove(node.buf.data() + write, node.buf.data() + offsets[e], bytes);
      write += bytes;
    }
    heap_ -= HeapOf(node);
    node.buf.resize(write);
    node.count -= static_cast<uint32_t>(dropped);
    heap_ += HeapOf(node);
    k++;
  }
  return removed;
}

size_t List::Bytes() const { return sizeof(*this) + nodes_.size() * sizeof(Node) + heap_; }

void List::Serialize(std::string* out) const {
  common::wire::Put(out, kFormat);
  common::wire::Put(out, static_cast<uint64_t>(size_));
  Walk(0, false, [&](std::string_view v) {
    common::wire::PutText(out, v);
    return true;
  });
}

std::optional<List> List::Deserialize(std::string_view in, const Limits& limits) {
  uint8_t format;
  uint64_t count;
  if (!common::wire::Get(&in, &format) || format != kFormat || !common::wire::Get(&in, &count)) {
    return std::nullopt;
  }
  // Each element takes at least its 4-byte length: a larger count is corrupt.
  if (count > in.size() / 4) return std::nullopt;
  List list;
  for (uint64_t i = 0; i < count; i++) {
    std::string_view v;
    if (!common::wire::GetText(&in, &v)) return std::nullopt;
    list.Push(End::kTail, v, limits);
  }
  if (!in.empty()) return std::nullopt;
  return list;
}

}  // namespace pylon::list
