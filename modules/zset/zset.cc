// The sorted set (zset.h): its compact form, the operations over both forms, and the dump. The
// large form's index and tree are in zset_tree.cc.
#include "modules/zset/zset.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <unordered_set>

#include "common/wire.h"

namespace pylon::zset {

int ZSet::Compare(double score_a, std::string_view a, double score_b, std::string_view b) {
  if (score_a < score_b) return -1;
  if (score_a > score_b) return 1;
  const int c = std::memcmp(a.data(), b.data(), std::min(a.size(), b.size()));
  if (c != 0) return c;
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

ZSet::~ZSet() { FreeLarge(); }

void ZSet::FreeLarge() {
  FreeTree();
  IndexClear();
  node_bytes_ = 0;
}

ZSet::ZSet(ZSet&& other) noexcept { *this = std::move(other); }

ZSet& ZSet::operator=(ZSet&& other) noexcept {
  if (this == &other) return *this;
  FreeLarge();
  large_ = std::exchange(other.large_, false);
  count_ = std::exchange(other.count_, 0);
  buf_ = std::move(other.buf_);
  other.buf_.clear();
  slots_ = std::exchange(other.slots_, nullptr);
  slot_mask_ = std::exchange(other.slot_mask_, 0);
  index_size_ = std::exchange(other.index_size_, 0);
  root_ = std::exchange(other.root_, nullptr);
  height_ = std::exchange(other.height_, 0);
  first_leaf_ = std::exchange(other.first_leaf_, nullptr);
  last_leaf_ = std::exchange(other.last_leaf_, nullptr);
  node_bytes_ = std::exchange(other.node_bytes_, 0);
  return *this;
}

// --- compact form ------------------------------------------------------------------------------

// [score: 8 bytes][length: 7 bits a byte][member]
void ZSet::PutEntry(std::string* out, std::string_view member, double score) {
  // Redis's listpack keeps a score as text, and "-0" reads back as the integer 0: a compact set
  // has no negative zero (a large one keeps it, as Redis's skiplist).
  if (score == 0) score = 0;
  char raw[8];
  std::memcpy(raw, &score, 8);
  out->append(raw, 8);
  size_t n = member.size();
  while (n >= 0x80) {
    out->push_back(static_cast<char>(0x80 | (n & 0x7f)));
    n >>= 7;
  }
  out->push_back(static_cast<char>(n));
  out->append(member);
}

// The buffer is our own, written by PutEntry: no bounds to check.
const char* ZSet::ReadEntry(const char* p, std::string_view* member, double* score) {
  std::memcpy(score, p, 8);
  p += 8;
  size_t n = 0;
  for (int shift = 0;; shift += 7) {
    const auto b = static_cast<unsigned char>(*p++);
    n |= static_cast<size_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
  }
  *member = std::string_view(p, n);
  return p + n;
}

size_t ZSet::FindCompact(std::string_view member, double* score) const {
  const char* begin = buf_.data();
  const char* end = begin + buf_.size();
  for (const char* p = begin; p < end;) {
    const char* entry = p;
    std::string_view m;
    p = ReadEntry(p, &m, score);
    if (m == member) return static_cast<size_t>(entry - begin);
  }
  return std::string::npos;
}

void ZSet::InsertCompact(std::string_view member, double score) {
  const char* begin = buf_.data();
  const char* end = begin + buf_.size();
  const char* p = begin;
  while (p < end) {
    std::string_view m;
    double s;
    const char* next = ReadEntry(p, &m, &s);
    if (Compare(s, m, score, member) > 0) break;
    p = next;
  }
  std::string entry;
  PutEntry(&entry, member, score);
  buf_.insert(static_cast<size_t>(p - begin), entry);
  count_++;
}

std::vector<size_t> ZSet::CompactOffsets() const {
  std::vector<size_t> offsets;
  offsets.reserve(count_);
  const char* begin = buf_.data();
  const char* end = begin + buf_.size();
  for (const char* p = begin; p < end;) {
    offsets.push_back(static_cast<size_t>(p - begin));
    std::string_view m;
    double s;
    p = ReadEntry(p, &m, &s);
  }
  return offsets;
}

// --- the operations ------------------------------------------------------------------------------

std::optional<double> ZSet::Score(std::string_view member) const {
  if (large_) {
    const Node* n = IndexFind(member);
    if (!n) return std::nullopt;
    return n->score;
  }
  double score;
  if (FindCompact(member, &score) == std::string::npos) return std::nullopt;
  return score;
}

bool ZSet::Set(std::string_view member, double score, const Limits& limits) {
  if (!large_) {
    double old;
    const size_t at = FindCompact(member, &old);
    if (at != std::string::npos) {
      if (old == score) return false;
      std::string_view m;
      const char* end = ReadEntry(buf_.data() + at, &m, &old);
      buf_.erase(at, static_cast<size_t>(end - buf_.data()) - at);
      count_--;
      InsertCompact(member, score);
      return false;
    }
    if (count_ + 1 <= limits.max_listpack_entries && member.size() <= limits.max_listpack_value) {
      InsertCompact(member, score);
      return true;
    }
    ConvertToLarge();
  }
  Node* n = IndexFind(member);
  if (n) {
    if (n->score != score) {
      TreeErase(n);
      n->score = score;
      TreeInsert(n);
    }
    return false;
  }
  n = NewNode(member, score);
  IndexInsert(n);
  TreeInsert(n);
  return true;
}

bool ZSet::Remove(std::string_view member) {
  if (!large_) {
    double score;
    const size_t at = FindCompact(member, &score);
    if (at == std::string::npos) return false;
    std::string_view m;
    const char* end = ReadEntry(buf_.data() + at, &m, &score);
    buf_.erase(at, static_cast<size_t>(end - buf_.data()) - at);
    count_--;
    return true;
  }
  Node* n = IndexFind(member);
  if (!n) return false;
  TreeErase(n);
  IndexErase(member);
  FreeNode(n);
  return true;
}

std::optional<size_t> ZSet::Rank(std::string_view member) const {
  if (large_) {
    const Node* n = IndexFind(member);
    if (!n) return std::nullopt;
    return TreeRank(n);
  }
  const char* p = buf_.data();
  const char* end = p + buf_.size();
  for (size_t rank = 0; p < end; rank++) {
    std::string_view m;
    double s;
    p = ReadEntry(p, &m, &s);
    if (m == member) return rank;
  }
  return std::nullopt;
}

namespace {

// member < text as Redis's sdscmp orders them (memcmp, then the shorter first).
int CompareText(std::string_view a, std::string_view b) {
  const int c = std::memcmp(a.data(), b.data(), std::min(a.size(), b.size()));
  if (c != 0) return c;
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

}  // namespace

template <typename Before>
size_t ZSet::CountPrefix(Before&& before) const {
  if (large_) {
    return TreeCountBefore([&](const Node* node) { return before(node->member(), node->score); });
  }
  size_t counted = 0;
  Walk(0, false, [&](std::string_view member, double score) {
    if (!before(member, score)) return false;
    counted++;
    return true;
  });
  return counted;
}

size_t ZSet::RanksBelow(const ScoreBound& min) const {
  return CountPrefix([&](std::string_view, double score) {
    return min.exclusive ? score <= min.value : score < min.value;
  });
}

size_t ZSet::RanksUpTo(const ScoreBound& max) const {
  return CountPrefix([&](std::string_view, double score) {
    return max.exclusive ? score < max.value : score <= max.value;
  });
}

size_t ZSet::RanksBelow(const LexBound& min) const {
  switch (min.kind) {
    case LexBound::Kind::kMinusInfinity:
      return 0;
    case LexBound::Kind::kPlusInfinity:
      return Size();
    case LexBound::Kind::kInclusive:
      return CountPrefix(
          [&](std::string_view member, double) { return CompareText(member, min.text) < 0; });
    case LexBound::Kind::kExclusive:
      return CountPrefix(
          [&](std::string_view member, double) { return CompareText(member, min.text) <= 0; });
  }
  return 0;
}

size_t ZSet::RanksUpTo(const LexBound& max) const {
  switch (max.kind) {
    case LexBound::Kind::kMinusInfinity:
      return 0;
    case LexBound::Kind::kPlusInfinity:
      return Size();
    case LexBound::Kind::kInclusive:
      return CountPrefix(
          [&](std::string_view member, double) { return CompareText(member, max.text) <= 0; });
    case LexBound::Kind::kExclusive:
      return CountPrefix(
          [&](std::string_view member, double) { return CompareText(member, max.text) < 0; });
  }
  return 0;
}

std::pair<std::string_view, double> ZSet::At(size_t rank) const {
  std::pair<std::string_view, double> out;
  Walk(rank, false, [&](std::string_view member, double score) {
    out = {member, score};
    return false;
  });
  return out;
}

size_t ZSet::RemoveRanks(size_t first, size_t last) {
  last = std::min(last, Size());
  if (first >= last) return 0;
  const size_t removed = last - first;
  if (!large_) {
    const std::vector<size_t> offsets = CompactOffsets();
    const size_t from = offsets[first];
    const size_t to = last < offsets.size() ? offsets[last] : buf_.size();
    buf_.erase(from, to - from);
    count_ -= removed;
    return removed;
  }
  std::vector<Node*> doomed;
  doomed.reserve(removed);
  auto [leaf, pos] = TreeSelect(first);
  while (doomed.size() < removed) {
    doomed.push_back(leaf->items[pos]);
    if (++pos == leaf->count) {
      leaf = leaf->next;
      pos = 0;
    }
  }
  for (Node* n : doomed) {
    TreeErase(n);
    IndexErase(n->member());
    FreeNode(n);
  }
  return removed;
}

void ZSet::CompactIfSmall(const Limits& limits) {
  if (!large_ || Size() > limits.max_listpack_entries) return;
  std::string buf;
  bool fits = true;
  Walk(0, false, [&](std::string_view member, double score) {
    if (member.size() > limits.max_listpack_value) {
      fits = false;
      return false;
    }
    PutEntry(&buf, member, score);
    return true;
  });
  if (!fits) return;
  const size_t n = Size();
  *this = ZSet();
  buf_ = std::move(buf);
  count_ = n;
}

size_t ZSet::Bytes() const {
  if (!large_) return sizeof(*this) + (buf_.capacity() > 15 ? AllocatedBytes(buf_.capacity()) : 0);
  return sizeof(*this) + node_bytes_ +
         (slots_ ? AllocatedBytes((slot_mask_ + 1) * sizeof(uintptr_t)) : 0);
}

// [format u8][large u8][count u32] then count x ([score: 8 bytes][member text]), ascending.
constexpr uint8_t kFormat = 1;

void ZSet::Serialize(std::string* out) const {
  common::wire::Put(out, kFormat);
  common::wire::Put(out, static_cast<uint8_t>(large_));
  common::wire::Put(out, static_cast<uint32_t>(Size()));
  Walk(0, false, [&](std::string_view member, double score) {
    uint64_t bits;
    std::memcpy(&bits, &score, 8);
    common::wire::Put(out, bits);
    common::wire::PutText(out, member);
    return true;
  });
}

std::optional<ZSet> ZSet::Deserialize(std::string_view in) {
  uint8_t format, large;
  uint32_t count;
  if (!common::wire::Get(&in, &format) || format != kFormat || !common::wire::Get(&in, &large) ||
      large > 1 || !common::wire::Get(&in, &count)) {
    return std::nullopt;
  }
  // Each member takes at least its score and its 4-byte length: a larger count is corrupt.
  if (count > in.size() / 12) return std::nullopt;
  ZSet z;
  if (large) z.ConvertToLarge();
  std::unordered_set<std::string_view> seen;  // the compact form's members, to refuse one twice
  double prev_score = 0;
  std::string_view prev;
  for (uint32_t i = 0; i < count; i++) {
    uint64_t bits;
    std::string_view member;
    if (!common::wire::Get(&in, &bits) || !common::wire::GetText(&in, &member)) {
      return std::nullopt;
    }
    double score;
    std::memcpy(&score, &bits, 8);
    if (std::isnan(score) || member.size() > UINT32_MAX) return std::nullopt;
    if (i > 0 && Compare(prev_score, prev, score, member) >= 0) return std::nullopt;
    prev_score = score;
    prev = member;
    if (large) {
      if (z.IndexFind(member)) return std::nullopt;
      Node* n = z.NewNode(member, score);
      z.IndexInsert(n);
      z.TreeInsert(n);
    } else {
      // Appended as they come, in order: InsertCompact's scan would make a long dump quadratic.
      if (!seen.insert(member).second) return std::nullopt;
      PutEntry(&z.buf_, member, score);
      z.count_++;
    }
  }
  if (!in.empty()) return std::nullopt;
  return z;
}

bool ZSet::CheckInvariants() const {
  if (!large_) {
    size_t n = 0;
    bool ok = true;
    double ps = 0;
    std::string_view pm;
    Walk(0, false, [&](std::string_view m, double s) {
      if (n > 0 && Compare(ps, pm, s, m) >= 0) ok = false;
      ps = s;
      pm = m;
      n++;
      return true;
    });
    return ok && n == count_;
  }
  // Every leaf in order, counts matching, each indexed node in the tree.
  size_t n = 0;
  const Node* prev = nullptr;
  const Leaf* before = nullptr;
  for (const Leaf* leaf = first_leaf_; leaf; leaf = leaf->next) {
    if (leaf->prev != before || leaf->count == 0) return false;
    for (size_t i = 0; i < leaf->count; i++) {
      const Node* node = leaf->items[i];
      if (prev && Compare(prev->score, prev->member(), node->score, node->member()) >= 0) {
        return false;
      }
      if (IndexFind(node->member()) != node) return false;
      if (TreeRank(node) != n) return false;
      prev = node;
      n++;
    }
    before = leaf;
  }
  if (before != last_leaf_ || n != index_size_) return false;
  // Inner counts and least members.
  std::function<bool(const void*, int, size_t*, const Node**)> check =
      [&](const void* node, int level, size_t* total, const Node** least) {
        if (level == 1) {
          const Leaf* leaf = static_cast<const Leaf*>(node);
          *total = leaf->count;
          *least = leaf->items[0];
          return true;
        }
        const Inner* in = static_cast<const Inner*>(node);
        if (in->count == 0) return false;
        *total = 0;
        for (size_t c = 0; c < in->count; c++) {
          size_t t;
          const Node* l;
          if (!check(in->child[c], level - 1, &t, &l)) return false;
          if (t != in->below[c] || l != in->min[c]) return false;
          *total += t;
          if (c == 0) *least = l;
        }
        return true;
      };
  if (!root_) return n == 0;
  size_t total;
  const Node* least;
  return check(root_, height_, &total, &least) && total == n;
}

}  // namespace pylon::zset