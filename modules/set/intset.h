// A sorted array of distinct integers stored in the smallest width that holds them all (2, 4 or
// 8 bytes), as Redis's intset: a set of small integers costs two bytes a member and answers
// membership by binary search. The width only grows (an insert that needs more re-encodes every
// member once); removing the wide members does not shrink it back, as in Redis.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace pylon::set {

class IntSet {
 public:
  size_t size() const { return data_.size() / width_; }
  bool empty() const { return data_.empty(); }
  // Bytes per member: 2, 4 or 8.
  size_t width() const { return width_; }

  bool Contains(int64_t v) const;
  // True when v was not a member.
  bool Insert(int64_t v);
  // True when v was a member.
  bool Remove(int64_t v);
  // The i-th smallest member (i < size()).
  int64_t At(size_t i) const;
  // Removes the i-th smallest member.
  void RemoveAt(size_t i);

  // fn(int64_t) for every member in ascending order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    const size_t n = size();
    for (size_t i = 0; i < n; i++) fn(At(i));
  }

  // Heap bytes the array owns (0 while it fits std::string's inline buffer).
  size_t HeapBytes() const;

  // Appends members in ascending order without a search, for a reader that checked the order.
  // False (and nothing appended) when v is not above the current largest member.
  bool Append(int64_t v);

 private:
  static size_t WidthFor(int64_t v);
  // Index of v, or of where it would go (*found says which).
  size_t Search(int64_t v, bool* found) const;
  void Put(size_t i, int64_t v);
  void Widen(size_t width);

  std::string data_;  // size() members of width_ bytes each, host byte order, ascending
  size_t width_ = 2;
};

}  // namespace pylon::set
