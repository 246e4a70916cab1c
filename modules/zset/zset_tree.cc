// The large form of a sorted set (zset.h): its nodes, the member index (open addressing over
// node pointers) and the counted B+tree that orders them.
#include <algorithm>
#include <cstring>
#include <functional>
#include <new>
#include <string>
#include <vector>

#include "modules/zset/zset.h"

namespace pylon::zset {
namespace {

// The tree is at most this high: 62-way nodes at least half full hold far more than 2^64.
constexpr int kMaxHeight = 24;

size_t HashOf(std::string_view member) { return std::hash<std::string_view>{}(member); }

// An index slot is a node pointer with the top 16 bits of its member's hash above it (user
// space pointers take 47 bits on x86-64 and arm64 Linux): a probe compares tags and reads a
// node only when they match, so a lookup costs about one cache miss even in a long run.
static_assert(sizeof(uintptr_t) == 8, "index slots pack a tag above a 48-bit pointer");
constexpr int kTagShift = 48;
constexpr uintptr_t kPointerBits = (uintptr_t{1} << kTagShift) - 1;

uintptr_t SlotOf(const Node* n, size_t hash) {
  return reinterpret_cast<uintptr_t>(n) |
         ((static_cast<uintptr_t>(hash) >> kTagShift) << kTagShift);
}
Node* NodeIn(uintptr_t slot) { return reinterpret_cast<Node*>(slot & kPointerBits); }
bool TagMatches(uintptr_t slot, size_t hash) {
  return (slot >> kTagShift) == (static_cast<uintptr_t>(hash) >> kTagShift);
}

}  // namespace

// What malloc takes for a request of n bytes (glibc: an 8-byte header, 16-byte granules).
size_t ZSet::AllocatedBytes(size_t n) { return std::max<size_t>(32, (n + 8 + 15) & ~size_t{15}); }

// --- large form: nodes and the member index ------------------------------------------------------

Node* ZSet::NewNode(std::string_view member, double score) {
  void* raw = ::operator new(sizeof(Node) + member.size());
  Node* n = new (raw) Node{score, static_cast<uint32_t>(member.size())};
  std::memcpy(n + 1, member.data(), member.size());
  node_bytes_ += AllocatedBytes(sizeof(Node) + member.size());
  return n;
}

void ZSet::FreeNode(Node* n) {
  node_bytes_ -= AllocatedBytes(sizeof(Node) + n->size);
  ::operator delete(n);
}

Node* ZSet::IndexFind(std::string_view member) const {
  if (!slots_) return nullptr;
  const size_t hash = HashOf(member);
  for (size_t i = hash & slot_mask_;; i = (i + 1) & slot_mask_) {
    const uintptr_t slot = slots_[i];
    if (!slot) return nullptr;
    if (TagMatches(slot, hash) && NodeIn(slot)->member() == member) return NodeIn(slot);
  }
}

void ZSet::IndexResize(size_t capacity) {
  uintptr_t* old = slots_;
  const size_t old_capacity = slots_ ? slot_mask_ + 1 : 0;
  slots_ = new uintptr_t[capacity]();
  slot_mask_ = capacity - 1;
  for (size_t i = 0; i < old_capacity; i++) {
    if (!old[i]) continue;
    const size_t hash = HashOf(NodeIn(old[i])->member());
    size_t j = hash & slot_mask_;
    while (slots_[j]) j = (j + 1) & slot_mask_;
    slots_[j] = old[i];
  }
  delete[] old;
}

void ZSet::IndexClear() {
  for (size_t i = 0; slots_ && i <= slot_mask_; i++) {
    if (slots_[i]) ::operator delete(NodeIn(slots_[i]));
  }
  delete[] slots_;
  slots_ = nullptr;
  slot_mask_ = 0;
  index_size_ = 0;
}

void ZSet::IndexInsert(Node* n) {
  // At most 3/4 full: linear probing stays short.
  if (!slots_ || (index_size_ + 1) * 4 > (slot_mask_ + 1) * 3) {
    IndexResize(slots_ ? (slot_mask_ + 1) * 2 : 16);
  }
  const size_t hash = HashOf(n->member());
  size_t i = hash & slot_mask_;
  while (slots_[i]) i = (i + 1) & slot_mask_;
  slots_[i] = SlotOf(n, hash);
  index_size_++;
}

void ZSet::IndexErase(std::string_view member) {
  const size_t hash = HashOf(member);
  size_t i = hash & slot_mask_;
  while (!TagMatches(slots_[i], hash) || NodeIn(slots_[i])->member() != member) {
    i = (i + 1) & slot_mask_;
  }
  // Backward shift: each later member of the run moves into the hole unless its home lies
  // cyclically in (hole, its slot], so no tombstones are needed.
  for (size_t j = (i + 1) & slot_mask_; slots_[j]; j = (j + 1) & slot_mask_) {
    const size_t home = HashOf(NodeIn(slots_[j])->member()) & slot_mask_;
    const bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
    if (!stays) {
      slots_[i] = slots_[j];
      i = j;
    }
  }
  slots_[i] = 0;
  index_size_--;
  const size_t capacity = slot_mask_ + 1;
  if (capacity > 16 && index_size_ * 8 < capacity) IndexResize(capacity / 2);
}

// --- large form: the counted B+tree --------------------------------------------------------------

void ZSet::TreeInsert(Node* n) {
  const std::string_view member = n->member();
  if (!root_) {
    Leaf* leaf = new Leaf;
    node_bytes_ += AllocatedBytes(sizeof(Leaf));
    leaf->items[0] = n;
    leaf->count = 1;
    root_ = leaf;
    height_ = 1;
    first_leaf_ = last_leaf_ = leaf;
    return;
  }
  Inner* path[kMaxHeight];
  size_t index[kMaxHeight];
  int depth = 0;
  void* cur = root_;
  for (int level = height_; level > 1; level--) {
    Inner* in = static_cast<Inner*>(cur);
    // The last child whose least member is not above n (the first when there is none).
    size_t lo = 1, hi = in->count;
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if (Compare(in->min[mid]->score, in->min[mid]->member(), n->score, member) <= 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    const size_t i = lo - 1;
    in->below[i]++;
    path[depth] = in;
    index[depth++] = i;
    cur = in->child[i];
  }
  Leaf* leaf = static_cast<Leaf*>(cur);
  size_t pos = 0, hi = leaf->count;
  while (pos < hi) {
    const size_t mid = (pos + hi) / 2;
    const Node* m = leaf->items[mid];
    if (Compare(m->score, m->member(), n->score, member) < 0) {
      pos = mid + 1;
    } else {
      hi = mid;
    }
  }
  std::memmove(&leaf->items[pos + 1], &leaf->items[pos], (leaf->count - pos) * sizeof(Node*));
  leaf->items[pos] = n;
  leaf->count++;
  if (pos == 0) {
    for (int d = depth - 1; d >= 0; d--) {
      path[d]->min[index[d]] = n;
      if (index[d] != 0) break;
    }
  }
  if (leaf->count <= Leaf::kCapacity) return;

  // Split the leaf; appending to the last leaf leaves it full (members added in order, as
  // timestamps are, then fill their leaves instead of leaving them half empty).
  const size_t keep = (!leaf->next && pos == leaf->count - 1) ? leaf->count - 1 : leaf->count / 2;
  Leaf* right = new Leaf;
  node_bytes_ += AllocatedBytes(sizeof(Leaf));
  right->count = leaf->count - static_cast<uint32_t>(keep);
  std::memcpy(right->items, &leaf->items[keep], right->count * sizeof(Node*));
  leaf->count = static_cast<uint32_t>(keep);
  right->next = leaf->next;
  right->prev = leaf;
  if (right->next) {
    right->next->prev = right;
  } else {
    last_leaf_ = right;
  }
  leaf->next = right;

  void* new_child = right;
  const Node* new_min = right->items[0];
  size_t new_below = right->count;
  for (int d = depth - 1;; d--) {
    if (d < 0) {
      Inner* root = new Inner;
      node_bytes_ += AllocatedBytes(sizeof(Inner));
      root->count = 2;
      root->child[0] = root_;
      root->min[0] =
          height_ == 1 ? static_cast<Leaf*>(root_)->items[0] : static_cast<Inner*>(root_)->min[0];
      root->below[0] = index_size_ - new_below;
      root->child[1] = new_child;
      root->min[1] = new_min;
      root->below[1] = new_below;
      root_ = root;
      height_++;
      return;
    }
    Inner* p = path[d];
    const size_t i = index[d];
    p->below[i] -= new_below;
    const size_t at = i + 1, tail = p->count - at;
    std::memmove(&p->child[at + 1], &p->child[at], tail * sizeof(void*));
    std::memmove(&p->min[at + 1], &p->min[at], tail * sizeof(Node*));
    std::memmove(&p->below[at + 1], &p->below[at], tail * sizeof(size_t));
    p->child[at] = new_child;
    p->min[at] = new_min;
    p->below[at] = new_below;
    p->count++;
    if (p->count <= Inner::kCapacity) return;
    const size_t split = at == p->count - 1 ? p->count - 1 : p->count / 2;
    Inner* sibling = new Inner;
    node_bytes_ += AllocatedBytes(sizeof(Inner));
    sibling->count = p->count - static_cast<uint32_t>(split);
    std::memcpy(sibling->child, &p->child[split], sibling->count * sizeof(void*));
    std::memcpy(sibling->min, &p->min[split], sibling->count * sizeof(Node*));
    std::memcpy(sibling->below, &p->below[split], sibling->count * sizeof(size_t));
    p->count = static_cast<uint32_t>(split);
    new_child = sibling;
    new_min = sibling->min[0];
    new_below = 0;
    for (size_t c = 0; c < sibling->count; c++) new_below += sibling->below[c];
  }
}

void ZSet::TreeErase(const Node* n) {
  const std::string_view member = n->member();
  Inner* path[kMaxHeight];
  size_t index[kMaxHeight];
  int depth = 0;
  void* cur = root_;
  for (int level = height_; level > 1; level--) {
    Inner* in = static_cast<Inner*>(cur);
    size_t lo = 1, hi = in->count;
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if (Compare(in->min[mid]->score, in->min[mid]->member(), n->score, member) <= 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    const size_t i = lo - 1;
    in->below[i]--;
    path[depth] = in;
    index[depth++] = i;
    cur = in->child[i];
  }
  Leaf* leaf = static_cast<Leaf*>(cur);
  size_t pos = 0, hi = leaf->count;
  while (pos < hi) {
    const size_t mid = (pos + hi) / 2;
    const Node* m = leaf->items[mid];
    if (Compare(m->score, m->member(), n->score, member) < 0) {
      pos = mid + 1;
    } else {
      hi = mid;
    }
  }
  leaf->count--;
  std::memmove(&leaf->items[pos], &leaf->items[pos + 1], (leaf->count - pos) * sizeof(Node*));

  // Sets the least member of the subtree at `level` (path index d) upward while it is the
  // first child.
  auto fix_min = [&](int d, const Node* least) {
    for (; d >= 0; d--) {
      path[d]->min[index[d]] = least;
      if (index[d] != 0) break;
    }
  };

  if (leaf->count == 0) {
    (leaf->prev ? leaf->prev->next : first_leaf_) = leaf->next;
    (leaf->next ? leaf->next->prev : last_leaf_) = leaf->prev;
    delete leaf;
    node_bytes_ -= AllocatedBytes(sizeof(Leaf));
    int d = depth - 1;
    for (; d >= 0; d--) {
      Inner* p = path[d];
      const size_t i = index[d], tail = p->count - i - 1;
      std::memmove(&p->child[i], &p->child[i + 1], tail * sizeof(void*));
      std::memmove(&p->min[i], &p->min[i + 1], tail * sizeof(Node*));
      std::memmove(&p->below[i], &p->below[i + 1], tail * sizeof(size_t));
      p->count--;
      if (p->count > 0) {
        if (i == 0) fix_min(d - 1, p->min[0]);
        break;
      }
      delete p;
      node_bytes_ -= AllocatedBytes(sizeof(Inner));
    }
    if (d < 0) {
      root_ = nullptr;
      height_ = 0;
      return;
    }
  } else {
    if (pos == 0) fix_min(depth - 1, leaf->items[0]);
    // A leaf left under a quarter full takes in its next sibling when both fit in one.
    if (depth > 0 && leaf->count < Leaf::kCapacity / 4) {
      Inner* p = path[depth - 1];
      const size_t i = index[depth - 1];
      if (i + 1 < p->count) {
        Leaf* sibling = static_cast<Leaf*>(p->child[i + 1]);
        if (leaf->count + sibling->count <= Leaf::kCapacity / 2) {
          std::memcpy(&leaf->items[leaf->count], sibling->items, sibling->count * sizeof(Node*));
          leaf->count += sibling->count;
          p->below[i] += p->below[i + 1];
          leaf->next = sibling->next;
          (sibling->next ? sibling->next->prev : last_leaf_) = leaf;
          delete sibling;
          node_bytes_ -= AllocatedBytes(sizeof(Leaf));
          const size_t tail = p->count - i - 2;
          std::memmove(&p->child[i + 1], &p->child[i + 2], tail * sizeof(void*));
          std::memmove(&p->min[i + 1], &p->min[i + 2], tail * sizeof(Node*));
          std::memmove(&p->below[i + 1], &p->below[i + 2], tail * sizeof(size_t));
          p->count--;
        }
      }
    }
  }
  // A root with one child gives way to it.
  while (height_ > 1 && static_cast<Inner*>(root_)->count == 1) {
    Inner* old = static_cast<Inner*>(root_);
    root_ = old->child[0];
    delete old;
    node_bytes_ -= AllocatedBytes(sizeof(Inner));
    height_--;
  }
}

size_t ZSet::TreeRank(const Node* n) const {
  const std::string_view member = n->member();
  return TreeCountBefore(
      [&](const Node* m) { return Compare(m->score, m->member(), n->score, member) < 0; });
}

std::pair<const ZSet::Leaf*, size_t> ZSet::TreeSelect(size_t rank) const {
  const void* cur = root_;
  for (int level = height_; level > 1; level--) {
    const Inner* in = static_cast<const Inner*>(cur);
    size_t c = 0;
    while (rank >= in->below[c]) rank -= in->below[c++];
    cur = in->child[c];
  }
  return {static_cast<const Leaf*>(cur), rank};
}

void ZSet::FreeTree() {
  // Leaves are linked; inner nodes are freed level by level from the root.
  for (const Leaf* leaf = first_leaf_; leaf;) {
    const Leaf* next = leaf->next;
    delete leaf;
    leaf = next;
  }
  std::vector<Inner*> level;
  if (height_ > 1) level.push_back(static_cast<Inner*>(root_));
  for (int h = height_; h > 2; h--) {
    std::vector<Inner*> below;
    for (Inner* in : level) {
      for (size_t c = 0; c < in->count; c++) below.push_back(static_cast<Inner*>(in->child[c]));
    }
    for (Inner* in : level) delete in;
    level = std::move(below);
  }
  for (Inner* in : level) delete in;
  root_ = nullptr;
  height_ = 0;
  first_leaf_ = last_leaf_ = nullptr;
}

void ZSet::ConvertToLarge() {
  if (large_) return;
  std::string buf = std::move(buf_);
  buf_.clear();
  buf_.shrink_to_fit();
  const size_t n = count_;
  count_ = 0;
  large_ = true;
  IndexResize(16);
  const char* p = buf.data();
  const char* end = p + buf.size();
  for (size_t i = 0; i < n && p < end; i++) {
    std::string_view member;
    double score;
    p = ReadEntry(p, &member, &score);
    Node* node = NewNode(member, score);
    IndexInsert(node);
    TreeInsert(node);
  }
}
}  // namespace pylon::zset
