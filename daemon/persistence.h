// The append-only log on disk (appendonly yes): the server hands it each loop turn's records
// (daemon/append_log.h) before any reply of that turn is sent, and it writes them as one batch.
//
//   appendfsync always    the batch is written and fsynced before the turn's replies leave:
//                         one fsync per turn whatever the number of writes in it (group
//                         commit), and an acknowledged write is on disk.
//   appendfsync everysec  the batch is written (to the page cache); a background thread
//                         fsyncs at most once a second, so a slow disk never blocks the loop.
//                         A crash of the machine (not of the process) may lose the last
//                         second or so of acknowledged writes.
//   appendfsync no        the batch is written; the kernel flushes when it likes.
//
// Start-up replays the log while the server already listens, a slice at a time, answering
// clients between slices with -LOADING (KeyspaceLog::BeginLoad, LoadSome). A torn tail (the last
// batch cut short by a crash) is truncated with one log line; a corrupt batch with more after it
// stops start-up, unless aof-load-corrupt yes, which keeps what comes before it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "daemon/append_log.h"
#include "daemon/keyspace.h"

namespace pylon::daemon {

enum class FsyncPolicy { kAlways, kEverySec, kNo };
// "always", "everysec", "no".
FsyncPolicy ParseFsyncPolicy(std::string_view name);

class AppendOnlyFile {
 public:
  AppendOnlyFile() = default;
  ~AppendOnlyFile();
  AppendOnlyFile(const AppendOnlyFile&) = delete;
  AppendOnlyFile& operator=(const AppendOnlyFile&) = delete;

  // Opens the log for appending (creating it). False and *error on failure.
  bool Open(const std::string& path, FsyncPolicy policy, std::string* error);
  bool is_open() const { return fd_ >= 0; }
  void set_policy(FsyncPolicy policy) { policy_ = policy; }
  FsyncPolicy policy() const { return policy_; }

  // Writes one turn's records as a batch (nothing when empty) and applies the fsync policy.
  // False when the write (or, under always, the fsync) failed: whatever part of the batch got
  // written is cut off again, so the caller can write the records again later.
  bool WriteTurn(std::string_view records);
  // everysec: after a failed fsync, tries again (at most once a second; the cron calls it, since
  // writes are refused meanwhile and would not ask).
  void RetryFailedSync();
  // Fsyncs whatever was written (shutdown), then closes.
  void Close();

  uint64_t size() const { return size_; }
  uint64_t fsyncs() const { return fsyncs_; }
  int64_t last_fsync_ms() const;  // unix ms of the last completed fsync (0: none yet)
  // Whether the last write, and the last fsync, succeeded; if not, the error (strerror).
  bool last_write_ok() const { return last_write_ok_ && fsync_ok_; }
  std::string last_error() const;

 private:
  bool Fsync();
  void RequestSync();  // everysec: wakes the thread, at most once a second
  void SyncLoop();     // the everysec thread

  int fd_ = -1;
  FsyncPolicy policy_ = FsyncPolicy::kEverySec;
  uint64_t size_ = 0;
  uint64_t fsyncs_ = 0;
  bool last_write_ok_ = true;
  int write_errno_ = 0;
  std::atomic<bool> fsync_ok_ = true;  // the everysec thread's fsyncs set it too
  std::atomic<int> fsync_errno_ = 0;

  // everysec: the loop asks, the thread fsyncs, at most once a second.
  std::thread syncer_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool sync_wanted_ = false;
  bool stopping_ = false;
  int64_t last_fsync_ms_ = 0;
  int64_t last_request_ms_ = 0;
};

// The keyspace's side of the log: which keys each turn changed (the keyspace listener reports
// them), and, at the end of the turn, what each became.
class KeyspaceLog {
 public:
  // `states`: the server's family states, which the values the log restores book into.
  KeyspaceLog(Keyspace& keyspace, FamilyStates& states);
  ~KeyspaceLog();

  bool enabled() const { return file_.is_open(); }
  const AppendOnlyFile& file() const { return file_; }
  AppendOnlyFile& file() { return file_; }

  // Start-up, in slices, so that the server answers while it loads (-LOADING, INFO loading:1).
  // BeginLoad reads the log at `path` whole (absent: an empty dataset). Each LoadSome replays
  // about `bytes` more of it into the keyspace (empty when the load began; nothing else may
  // change it meanwhile), waiting delay_us after each record (key-load-delay, for tests). The
  // last one cuts a torn tail (with load_corrupt, also a corrupt batch and all after it) and
  // opens the log for appending. kFailed, with *error: the log cannot be loaded and start-up
  // must stop (a corrupt batch, a record that does not restore, a file that cannot be opened).
  bool BeginLoad(const std::string& path, FsyncPolicy policy, bool load_corrupt,
                 std::string* error);
  enum class LoadState { kLoading, kDone, kFailed };
  LoadState LoadSome(uint64_t bytes, int delay_us, std::string* error);
  bool loading() const { return load_ != nullptr; }
  struct LoadStats {
    uint64_t records = 0;       // replayed
    uint64_t total_bytes = 0;   // the log's size
    uint64_t loaded_bytes = 0;  // replayed so far (the whole batches)
    uint64_t truncated = 0;     // bytes cut from the end (a torn tail, or past a corruption)
    int64_t start_unix_ms = 0;
  };
  const LoadStats& load_stats() const { return load_stats_; }
  // CONFIG SET appendonly yes on a running server: writes every key as it is now into a new
  // log at `path` (a temporary file renamed over it), then appends to it. O(keys), in the loop.
  bool Enable(const std::string& path, FsyncPolicy policy, std::string* error);
  // appendonly no: fsyncs and closes; changes are no longer logged. A rewrite in progress is
  // abandoned.
  void Disable();

  // BGREWRITEAOF, and automatically past a growth threshold: compacts the log into one record
  // per key, without stopping the server. A forked child writes the keyspace as it was at the
  // fork (the kernel's copy-on-write keeps that state for it) into a temporary file; meanwhile
  // the loop goes on and every batch it writes to the log is also written to a tail file. When
  // the child is done (FinishRewrite, from the cron), the tail is appended to the new file, which
  // is fsynced and renamed over the log, and appending continues there: no write is lost, and
  // a crash at any point leaves the old log or the complete new one. A fork, not a rewrite in
  // the loop: the child needs no coordination with writes (the snapshot cannot change under
  // it) and the loop pays only the fork and the buffer; the cost is the memory pages written
  // during the rewrite, copied once each.
  bool StartRewrite(std::string* error);
  // Reaps a finished child and swaps the files; nothing when no rewrite is done yet.
  void FinishRewrite();
  bool rewriting() const { return rewrite_pid_ > 0; }
  uint64_t rewrites() const { return rewrites_; }
  bool last_rewrite_ok() const { return last_rewrite_ok_; }
  // The log's size after the last rewrite (or the load): automatic rewrites measure growth
  // from it.
  uint64_t base_size() const { return base_size_; }
  void set_policy(FsyncPolicy policy) { file_.set_policy(policy); }

  void KeyModified(std::string_view key) {
    if (enabled()) dirty_.emplace_back(key);
  }
  // The function libraries (FUNCTION LOAD ...) are logged too, whole, when they change: they
  // are few and small. `dump` gives FUNCTION DUMP's payload; `restore` replaces every library
  // with a payload's (false and *error when it does not load).
  struct FunctionsPort {
    std::function<std::string()> dump;
    std::function<bool(std::string_view payload, std::string* error)> restore;
    std::function<bool()> empty;
  };
  void set_functions(FunctionsPort port) { functions_ = std::move(port); }
  void FunctionsChanged() {
    if (enabled()) functions_dirty_ = true;
  }
  // Before every key goes (FLUSHALL): the turn's changes so far, then the flush.
  void BeforeFlush();
  // The end of a loop turn, before any of its replies leave: the changed keys' states, written
  // as one batch under the fsync policy. False when the log could not be written; the records
  // are kept and written again, ahead of the next turn's, at the next call.
  bool WriteTurn();

 private:
  // FUNCTION DUMP's payload when there are libraries, else empty (a snapshot then has none).
  std::string FunctionsSnapshot() const;
  // Appends a record of each dirty key's current state to records_ and forgets them.
  void RecordDirty();
  bool Apply(const LogRecord& record);
  void CloseRewriteTail();  // closes and removes it
  // The end of a load: cuts what is not valid, opens the log.
  LoadState FinishLoad(LogReader::Result end, std::string* error);

  Keyspace& keyspace_;
  FamilyStates& states_;
  std::string path_;
  AppendOnlyFile file_;
  int rewrite_pid_ = -1;
  // The batches written since the fork go to a file beside the log too (path_ + ".rewrite-tail"),
  // appended to the new log when the child is done: kept on disk, not in memory, so a rewrite
  // costs no second copy of what the loop writes meanwhile.
  int rewrite_tail_fd_ = -1;
  bool rewrite_tail_ok_ = true;
  uint64_t rewrites_ = 0;
  bool last_rewrite_ok_ = true;
  uint64_t base_size_ = 0;
  struct Load;  // a load in progress: the log's bytes and where the replay is
  std::unique_ptr<Load> load_;
  LoadStats load_stats_;
  std::vector<std::string> dirty_;
  FunctionsPort functions_;
  bool functions_dirty_ = false;
  // This turn's records, each value serialised straight into it (kept: no allocation per turn
  // once grown; given back after a turn that logged a large value).
  std::string records_;
};

}  // namespace pylon::daemon
