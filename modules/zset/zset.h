// A Redis sorted set (member -> score, ordered by (score, member)), with Redis 7.0's complexity
// in less memory than its skiplist + dict:
//
//  - small sets (up to zset-max-listpack-entries members of up to zset-max-listpack-value bytes)
//    are one sorted buffer of [score][length][member] entries, as Redis's listpack: a linear scan
//    over a few cache lines, two to nine bytes of overhead per member;
//  - larger ones keep each member once, in a node of its own (score, length, bytes), reached
//    both from an open-addressing hash of node pointers (ZSCORE, ZADD's lookup in O(1)) and from
//    a B+tree of node pointers ordered by (score, member) whose inner nodes count the members
//    below each child, so rank, select by rank and range bounds are O(log n) and a range of m
//    members O(log n + m). A member costs its node plus about two pointers (~60 bytes for a
//    16-byte member, Redis ~120).
//
// Everything is stated in ranks (0-based, ascending): a score or lex bound is turned into the
// number of members below it, so ZCOUNT, ZRANGEBYSCORE, ZREMRANGEBYLEX... are rank arithmetic.
//
// Pure: no keyspace, no protocol; the limits come from the caller (the server's config).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pylon::zset {

// Redis's zset-max-listpack-entries and zset-max-listpack-value.
struct Limits {
  size_t max_listpack_entries = 128;
  size_t max_listpack_value = 64;
};

// One end of a score range: "(1.5" is {1.5, exclusive}.
struct ScoreBound {
  double value = 0;
  bool exclusive = false;
};

// One end of a lex range: "[a" inclusive, "(a" exclusive, "-" and "+" the open ends.
struct LexBound {
  enum class Kind { kInclusive, kExclusive, kMinusInfinity, kPlusInfinity };
  Kind kind = Kind::kInclusive;
  std::string_view text;
};

// A large set's member: score, length and bytes in one allocation.
struct Node {
  double score;
  uint32_t size;
  std::string_view member() const { return {reinterpret_cast<const char*>(this + 1), size}; }
};

class ZSet {
 public:
  ZSet() = default;
  ~ZSet();
  ZSet(ZSet&& other) noexcept;
  ZSet& operator=(ZSet&& other) noexcept;
  ZSet(const ZSet&) = delete;
  ZSet& operator=(const ZSet&) = delete;

  size_t Size() const { return large_ ? index_size_ : count_; }
  bool empty() const { return Size() == 0; }

  std::optional<double> Score(std::string_view member) const;
  // Adds member at score, or moves it there; true when it is new. May convert to the large form.
  bool Set(std::string_view member, double score, const Limits& limits);
  bool Remove(std::string_view member);
  // Ascending 0-based rank; nullopt when absent.
  std::optional<size_t> Rank(std::string_view member) const;

  // Members below a bound: those a range starting at `min` skips (its first rank), and those up
  // to `max` (one past its last rank).
  size_t RanksBelow(const ScoreBound& min) const;
  size_t RanksUpTo(const ScoreBound& max) const;
  // The same for lex ranges (meaningful when all scores are equal, as Redis says).
  size_t RanksBelow(const LexBound& min) const;
  size_t RanksUpTo(const LexBound& max) const;

  // fn(member, score) -> bool (false stops) over the members from `rank` on, ascending or, with
  // reverse, descending (rank is then counted from the end: 0 is the highest). The views are
  // valid during the call only.
  template <typename Fn>
  void Walk(size_t rank, bool reverse, Fn&& fn) const;
  // The member at an ascending rank (< Size()).
  std::pair<std::string_view, double> At(size_t rank) const;
  // Removes the ascending ranks [first, last); returns how many.
  size_t RemoveRanks(size_t first, size_t last);

  // Back to the compact form when small enough (Redis's zsetConvertToListpackIfNeeded, which
  // ZUNIONSTORE, ZINTERSTORE and ZDIFFSTORE apply to their result).
  void CompactIfSmall(const Limits& limits);

  // Bytes this set owns (itself included), O(1).
  size_t Bytes() const;
  // What OBJECT ENCODING answers: "listpack" or "skiplist".
  std::string_view Encoding() const { return large_ ? "skiplist" : "listpack"; }
  bool large() const { return large_; }

  // Appends a compact binary form; Deserialize reads it back, nullopt for anything corrupt
  // (truncated, NaN, a member twice, out of order, trailing bytes).
  void Serialize(std::string* out) const;
  static std::optional<ZSet> Deserialize(std::string_view in);

  // Checks the large form's invariants (counts, order, links, index); for tests.
  bool CheckInvariants() const;

 private:
  struct Leaf;
  struct Inner;
  // The ordering key of a member: score, then bytes as memcmp, then length (Redis's sdscmp).
  static int Compare(double score_a, std::string_view a, double score_b, std::string_view b);

  // --- compact form ---
  static void PutEntry(std::string* out, std::string_view member, double score);
  static const char* ReadEntry(const char* p, std::string_view* member, double* score);
  size_t FindCompact(std::string_view member, double* score) const;  // offset or npos
  void InsertCompact(std::string_view member, double score);
  std::vector<size_t> CompactOffsets() const;

  // --- large form ---
  void ConvertToLarge();
  Node* NewNode(std::string_view member, double score);
  void FreeNode(Node* n);
  // The member index (open addressing, linear probing, backward-shift deletion).
  Node* IndexFind(std::string_view member) const;
  void IndexInsert(Node* n);
  void IndexErase(std::string_view member);
  void IndexResize(size_t capacity);
  void IndexClear();  // frees the nodes and the index
  // The tree.
  void TreeInsert(Node* n);
  void TreeErase(const Node* n);
  size_t TreeRank(const Node* n) const;
  // Members for which before(node) holds: a prefix of the order.
  template <typename Before>
  size_t TreeCountBefore(Before&& before) const;
  // Members for which before(member, score) holds, in either form.
  template <typename Before>
  size_t CountPrefix(Before&& before) const;
  std::pair<const Leaf*, size_t> TreeSelect(size_t rank) const;
  void FreeTree();
  // What malloc takes for a request of n bytes, for Bytes().
  static size_t AllocatedBytes(size_t n);
  // Frees the large form's nodes, index and tree (the destructor, a move over this set).
  void FreeLarge();

  bool large_ = false;
  // compact form
  size_t count_ = 0;
  std::string buf_;
  // large form
  uintptr_t* slots_ = nullptr;  // node pointers tagged with their hash (zset_tree.cc)
  size_t slot_mask_ = 0;        // capacity - 1 (capacity a power of two), 0 while there is none
  size_t index_size_ = 0;
  void* root_ = nullptr;  // a Leaf when height_ is 1
  int height_ = 0;        // 0: empty
  Leaf* first_leaf_ = nullptr;
  Leaf* last_leaf_ = nullptr;
  size_t node_bytes_ = 0;  // nodes and tree nodes, as allocated
};

// An inner node of the tree: its children, the least member under each (to route a key down)
// and how many members each holds (for ranks).
struct ZSet::Inner {
  static constexpr size_t kCapacity = 62;
  uint32_t count = 0;
  void* child[kCapacity + 1];  // Inner* above level 2, Leaf* at level 2
  const Node* min[kCapacity + 1];
  size_t below[kCapacity + 1];
};

// The tree's leaves.
struct ZSet::Leaf {
  static constexpr size_t kCapacity = 62;
  uint32_t count = 0;
  Leaf* prev = nullptr;
  Leaf* next = nullptr;
  Node* items[kCapacity + 1];  // one spare: a leaf overflows, then splits
};

template <typename Fn>
void ZSet::Walk(size_t rank, bool reverse, Fn&& fn) const {
  const size_t n = Size();
  if (rank >= n) return;
  if (!large_) {
    std::string_view member;
    double score;
    if (!reverse) {
      const char* p = buf_.data();
      const char* end = p + buf_.size();
      for (size_t i = 0; p < end; i++) {
        p = ReadEntry(p, &member, &score);
        if (i >= rank && !fn(member, score)) return;
      }
      return;
    }
    const std::vector<size_t> offsets = CompactOffsets();
    for (size_t i = n - rank; i-- > 0;) {
      ReadEntry(buf_.data() + offsets[i], &member, &score);
      if (!fn(member, score)) return;
    }
    return;
  }
  auto [leaf, pos] = TreeSelect(reverse ? n - 1 - rank : rank);
  while (leaf) {
    const Node* node = leaf->items[pos];
    if (!fn(node->member(), node->score)) return;
    if (reverse) {
      if (pos > 0) {
        pos--;
      } else {
        leaf = leaf->prev;
        if (leaf) pos = leaf->count - 1;
      }
    } else if (++pos == leaf->count) {
      leaf = leaf->next;
      pos = 0;
    }
  }
}

template <typename Before>
size_t ZSet::TreeCountBefore(Before&& before) const {
  if (!root_) return 0;
  size_t rank = 0;
  const void* cur = root_;
  for (int level = height_; level > 1; level--) {
    const Inner* in = static_cast<const Inner*>(cur);
    if (!before(in->min[0])) return rank;
    size_t lo = 1, hi = in->count;  // the last child whose least member is before
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if (before(in->min[mid])) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    for (size_t c = 0; c + 1 < lo; c++) rank += in->below[c];
    cur = in->child[lo - 1];
  }
  const Leaf* leaf = static_cast<const Leaf*>(cur);
  size_t lo = 0, hi = leaf->count;
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (before(leaf->items[mid])) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return rank + lo;
}

}  // namespace pylon::zset
