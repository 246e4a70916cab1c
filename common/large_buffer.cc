#include "common/large_buffer.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <new>
#include <thread>

namespace pylon::common {
namespace {

// One thread for every large buffer, started at the first one. Jobs run in order, so a
// block's prefault is done before its release.
class PageWorker {
 public:
  static PageWorker& Get() {
    // Never destroyed (a detached thread may still use it while statics go at exit).
    static PageWorker* worker = new PageWorker();
    return *worker;
  }

  void Prefault(char* p, size_t bytes) { Push({p, bytes, false}); }
  void Free(char* p) { Push({p, 0, true}); }

  void Drain() {
    std::unique_lock<std::mutex> lock(mu_);
    idle_.wait(lock, [this] { return jobs_.empty() && !busy_; });
  }

 private:
  struct Job {
    char* p;
    size_t bytes;
    bool free;
  };

  PageWorker() {
    std::thread([this] { Run(); }).detach();
  }

  void Push(Job job) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      jobs_.push_back(job);
    }
    wake_.notify_one();
  }

  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      wake_.wait(lock, [this] { return !jobs_.empty(); });
      const Job job = jobs_.front();
      jobs_.pop_front();
      busy_ = true;
      lock.unlock();
      if (job.free) {
        std::free(job.p);
      } else {
        PrefaultPages(job.p, job.bytes);
      }
      lock.lock();
      busy_ = false;
      if (jobs_.empty()) idle_.notify_all();
    }
  }

  // The whole pages inside [p, p + bytes), in slices; nothing when the kernel has no
  // MADV_POPULATE_WRITE (before Linux 5.14): the pages are then faulted in as they are used.
  static void PrefaultPages(char* p, size_t bytes) {
    const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    const uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + page - 1) & ~(page - 1);
    const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + bytes) & ~(page - 1);
    constexpr uintptr_t kSlice = uintptr_t{2} << 20;
    for (uintptr_t at = begin; at < end; at += kSlice) {
      const size_t length = static_cast<size_t>(std::min(kSlice, end - at));
      if (madvise(reinterpret_cast<void*>(at), length, MADV_POPULATE_WRITE) != 0) return;
    }
  }

  std::mutex mu_;
  std::condition_variable wake_, idle_;
  std::deque<Job> jobs_;
  bool busy_ = false;
};

}  // namespace

LargeBuffer::LargeBuffer(size_t bytes)
    : data_(static_cast<char*>(std::calloc(bytes ? bytes : 1, 1)), Release{bytes}), size_(bytes) {
  if (!data_) throw std::bad_alloc();
  if (bytes >= kBackgroundBytes) PageWorker::Get().Prefault(data_.get(), bytes);
}

void LargeBuffer::Release::operator()(char* p) const {
  if (bytes >= kBackgroundBytes) {
    PageWorker::Get().Free(p);
  } else {
    std::free(p);
  }
}

void LargeBuffer::Drain() { PageWorker::Get().Drain(); }

}  // namespace pylon::common
