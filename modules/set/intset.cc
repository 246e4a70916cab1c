#include "modules/set/intset.h"

namespace pylon::set {

size_t IntSet::WidthFor(int64_t v) {
  if (v >= INT16_MIN && v <= INT16_MAX) return 2;
  if (v >= INT32_MIN && v <= INT32_MAX) return 4;
  return 8;
}

int64_t IntSet::At(size_t i) const {
  const char* p = data_.data() + i * width_;
  switch (width_) {
    case 2: {
      int16_t v;
      std::memcpy(&v, p, 2);
      return v;
    }
    case 4: {
      int32_t v;
      std::memcpy(&v, p, 4);
      return v;
    }
    default: {
      int64_t v;
      std::memcpy(&v, p, 8);
      return v;
    }
  }
}

void IntSet::Put(size_t i, int64_t v) {
  char* p = data_.data() + i * width_;
  switch (width_) {
    case 2: {
      const auto n = static_cast<int16_t>(v);
      std::memcpy(p, &n, 2);
      break;
    }
    case 4: {
      const auto n = static_cast<int32_t>(v);
      std::memcpy(p, &n, 4);
      break;
    }
    default:
      std::memcpy(p, &v, 8);
  }
}

size_t IntSet::Search(int64_t v, bool* found) const {
  size_t lo = 0, hi = size();
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    const int64_t m = At(mid);
    if (m == v) {
      *found = true;
      return mid;
    }
    if (m < v) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  *found = false;
  return lo;
}

bool IntSet::Contains(int64_t v) const {
  // A value wider than the encoding cannot be a member: no search needed.
  if (WidthFor(v) > width_) return false;
  bool found;
  Search(v, &found);
  return found;
}

void IntSet::Widen(size_t width) {
  const size_t n = size();
  std::string wider(n * width, '\0');
  IntSet out;
  out.width_ = width;
  out.data_ = std::move(wider);
  for (size_t i = 0; i < n; i++) out.Put(i, At(i));
  *this = std::move(out);
}

bool IntSet::Insert(int64_t v) {
  if (WidthFor(v) > width_) Widen(WidthFor(v));
  bool found;
  const size_t at = Search(v, &found);
  if (found) return false;
  data_.insert(at * width_, width_, '\0');
  Put(at, v);
  return true;
}

bool IntSet::Append(int64_t v) {
  if (!empty() && At(size() - 1) >= v) return false;
  if (WidthFor(v) > width_) Widen(WidthFor(v));
  data_.append(width_, '\0');
  Put(size() - 1, v);
  return true;
}

bool IntSet::Remove(int64_t v) {
  if (WidthFor(v) > width_) return false;
  bool found;
  const size_t at = Search(v, &found);
  if (!found) return false;
  RemoveAt(at);
  return true;
}

void IntSet::RemoveAt(size_t i) { data_.erase(i * width_, width_); }

size_t IntSet::HeapBytes() const {
  return data_.capacity() > std::string().capacity() ? data_.capacity() + 1 : 0;
}

}  // namespace pylon::set
