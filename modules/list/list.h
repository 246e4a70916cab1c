// A Redis list, kept as Redis's quicklist keeps one but leaner: a deque of packed nodes, each one
// contiguous buffer of elements, so that a push or a pop at either end is O(1) and an element
// costs its bytes plus two to four bytes of framing (Redis: a listpack entry's header and backlen
// plus the quicklist node every ~8 KB).
//
// An element in a node is [length][bytes][length reversed]: the leading length lets a walk go
// forward, the trailing one (written so it reads from its last byte, as listpack's backlen) lets
// it go backward, which RPOP, LRANGE with negative indexes and LPOS RANK -1 need. Each length is
// 7 bits a byte, so short elements take 2 bytes of framing.
//
// A node's elements live in buf[head, size): a pop at the front only moves `head`, and a push at
// the front writes into that slack (making room, when there is none, by the node's size again, up
// to its bound), so both ends are O(1) amortized without moving the node's bytes on every call.
//
// Node size follows list-max-listpack-size as Redis's does: negative -1..-5 bound a node's bytes
// to 4, 8, 16, 32 or 64 KB; positive bounds its element count (and its bytes to 8 KB, Redis's
// safety limit). An element larger than the bound gets a node of its own.
//
// Pure: no keyspace, no protocol; the limits come from the caller (the server's config).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pylon::list {

// Redis's list-max-listpack-size.
struct Limits {
  int64_t max_listpack_size = -2;
};

enum class End : uint8_t { kHead, kTail };

class List {
 public:
  // Where an element sits: its node and its offset in the node's buffer.
  struct Pos {
    size_t node = 0;
    size_t off = 0;
  };

  List() = default;

  size_t Size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t node_count() const { return nodes_.size(); }

  void Push(End end, std::string_view value, const Limits& limits);
  // The element at that end (the list is not empty), valid until the next change.
  std::string_view Peek(End end) const;
  // Removes the element at that end (the list is not empty).
  void Pop(End end);
  // Removes n elements from that end (n <= Size()), whole nodes at a time where it can.
  void PopMany(End end, size_t n);

  // The element at index (negative counts from the tail, -1 the last), nullopt out of range.
  std::optional<std::string_view> At(int64_t index) const;
  // LSET: replaces the element at index; false out of range.
  bool Set(int64_t index, std::string_view value, const Limits& limits);
  // LINSERT: inserts value before or after the first element equal to pivot; false when none.
  bool Insert(std::string_view pivot, bool after, std::string_view value, const Limits& limits);
  // LREM: removes up to `count` elements equal to value, from the head (count > 0), from the
  // tail (count < 0) or all of them (0); the number removed.
  size_t Remove(std::string_view value, int64_t count);

  // Walks the elements from `start` (an index in [0, Size())) towards the tail, or the head
  // with `reverse`, calling fn(element); fn returns false to stop.
  template <typename Fn>
  void Walk(size_t start, bool reverse, Fn&& fn) const {
    if (start >= size_) return;
    Pos pos = Locate(start);
    do {
      if (!fn(EntryAt(pos))) return;
    } while (reverse ? Retreat(&pos) : Advance(&pos));
  }

  // Bytes this list owns (itself included), O(1): MEMORY USAGE and the keyspace's accounting.
  size_t Bytes() const;

  // Appends a compact binary form; Deserialize reads it back (its nodes cut by `limits`),
  // nullopt for anything corrupt (truncated, a count the bytes cannot hold, trailing bytes).
  void Serialize(std::string* out) const;
  static std::optional<List> Deserialize(std::string_view in, const Limits& limits);

 private:
  struct Node {
    std::string buf;  // elements in [head, buf.size())
    uint32_t head = 0;
    uint32_t count = 0;
    size_t live() const { return buf.size() - head; }
  };

  // The element at pos, and the moves of a cursor; false past the end.
  std::string_view EntryAt(Pos pos) const;
  bool Advance(Pos* pos) const;
  bool Retreat(Pos* pos) const;
  // The position of element `index` (< Size()), reached from the nearer end.
  Pos Locate(size_t index) const;
  // The most bytes a node holds under the limits (but one element may exceed it alone).
  static size_t NodeBytes(const Limits& limits);
  // Whether an element of `bytes` (framed) may join the node under the limits.
  static bool Fits(const Node& node, size_t bytes, const Limits& limits);
  // Splits a node that an insert or a replace made larger than its limit into two halves.
  void SplitIfOversized(size_t node, const Limits& limits);
  void EraseNode(size_t node);
  // Heap bytes a node's buffer holds, for the running count.
  static size_t HeapOf(const Node& node);

  std::deque<Node> nodes_;
  size_t size_ = 0;
  size_t heap_ = 0;  // HeapOf every node
};

}  // namespace pylon::list
