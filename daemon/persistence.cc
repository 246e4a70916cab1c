#include "daemon/persistence.h"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <initializer_list>
#include <utility>

#include "daemon/change_recorder.h"

namespace pylon::daemon {

namespace {

// The turn's record buffer is kept across turns up to this size; past it, given back.
constexpr size_t kKeptRecordBytes = size_t{4} << 20;

int64_t UnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Writes every part, in order, with as few system calls as the kernel allows (writev); false
// (errno set) when a write fails, with *written what got written.
bool WriteParts(int fd, std::initializer_list<std::string_view> parts, size_t* written = nullptr) {
  constexpr size_t kMaxParts = 2;
  iovec all[kMaxParts];
  size_t count = 0, total = 0;
  for (std::string_view part : parts) {
    all[count++] = {const_cast<char*>(part.data()), part.size()};
    total += part.size();
  }
  size_t done = 0;
  bool ok = true;
  while (done < total) {
    // Skip what went out already: the parts before `done`, and the front of the one it is in.
    iovec left[kMaxParts];
    int n_left = 0;
    size_t offset = done;
    for (size_t i = 0; i < count; i++) {
      if (offset >= all[i].iov_len) {
        offset -= all[i].iov_len;
        continue;
      }
      left[n_left++] = {static_cast<char*>(all[i].iov_base) + offset, all[i].iov_len - offset};
      offset = 0;
    }
    const ssize_t n = writev(fd, left, n_left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      ok = false;
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (written) *written = done;
  return ok;
}

bool WriteAll(int fd, std::string_view data, size_t* written = nullptr) {
  return WriteParts(fd, {data}, written);
}

// Writes a batch: its frame, then the records from where they were built (no copy of them
// behind the frame).
bool WriteBatch(int fd, std::string_view records, size_t* written = nullptr) {
  const std::array<char, kBatchHeaderBytes> header = BatchHeader(records);
  return WriteParts(fd, {std::string_view(header.data(), header.size()), records}, written);
}

// Copies the file at `from` to the end of fd, in slices (a rewrite's tail: whatever the loop
// wrote while the child wrote the snapshot).
bool AppendFile(const std::string& from, int fd) {
  const int in = open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return errno == ENOENT;  // nothing was written meanwhile
  std::string slice(size_t{1} << 20, '\0');
  bool ok = true;
  for (;;) {
    const ssize_t n = read(in, slice.data(), slice.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = n == 0;
      break;
    }
    if (!WriteAll(fd, std::string_view(slice.data(), static_cast<size_t>(n)))) {
      ok = false;
      break;
    }
  }
  close(in);
  return ok;
}

// Reads the file into *out with one allocation of its size (a log can be gigabytes: no
// growing buffer, no second copy). False with *error empty when the file does not exist.
bool ReadWholeFile(const std::string& path, std::string* out, std::string* error) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) *error = "cannot open the log " + path + ": " + std::strerror(errno);
    return false;
  }
  struct stat st {};
  bool ok = fstat(fd, &st) == 0;
  if (ok) {
    out->resize(static_cast<size_t>(st.st_size));
    for (size_t done = 0; ok && done < out->size();) {
      const ssize_t n = read(fd, out->data() + done, out->size() - done);
      if (n < 0 && errno == EINTR) continue;
      ok = n > 0;
      if (ok) done += static_cast<size_t>(n);
    }
  }
  if (!ok) *error = "cannot read the log " + path + ": " + std::strerror(errno);
  close(fd);
  return ok;
}

// Every key into `path` as batches of about 1 MB, fsynced. Plain system calls
// only (a rewrite's child has one thread, and must not touch what the parent's threads hold).
// Each value is dumped straight into the batch, which is written from there: a value of
// megabytes is in memory once more, not three times.
bool WriteSnapshot(const Keyspace& keyspace, std::string_view functions, const std::string& path) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  constexpr size_t kBatchBytes = size_t{1} << 20;
  std::string batch;
  bool ok = true;
  auto flush = [&] {
    if (batch.empty()) return;
    ok = ok && WriteBatch(fd, batch);
    // A batch that held a large value gives its memory back.
    if (batch.capacity() > 2 * kBatchBytes) std::string().swap(batch);
    batch.clear();
  };
  if (!functions.empty())
    AppendRecord({.kind = LogRecord::Kind::kFunctions, .dump = functions}, &batch);
  keyspace.ForEach([&](Entry* e) {
    AppendRecordWith(
        LogRecord::Kind::kSet, e->key(), e->expire_ms(),
        [e](std::string* out) { Keyspace::Dump(*e, out); }, &batch);
    if (batch.size() >= kBatchBytes) flush();
  });
  flush();
  ok = ok && fdatasync(fd) == 0;
  close(fd);
  return ok;
}

}  // namespace

FsyncPolicy ParseFsyncPolicy(std::string_view name) {
  if (name == "always") return FsyncPolicy::kAlways;
  if (name == "no") return FsyncPolicy::kNo;
  return FsyncPolicy::kEverySec;
}

AppendOnlyFile::~AppendOnlyFile() { Close(); }

bool AppendOnlyFile::Open(const std::string& path, FsyncPolicy policy, std::string* error) {
  fd_ = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    *error = "cannot open the log " + path + ": " + std::strerror(errno);
    return false;
  }
  struct stat st {};
  size_ = fstat(fd_, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  policy_ = policy;
  stopping_ = false;
  syncer_ = std::thread([this] { SyncLoop(); });
  return true;
}

bool AppendOnlyFile::WriteTurn(std::string_view records) {
  if (fd_ < 0 || records.empty()) return true;
  const bool was_ok = last_write_ok_;
  size_t written = 0;
  last_write_ok_ = WriteBatch(fd_, records, &written);
  if (!last_write_ok_) {
    write_errno_ = errno;
    // One line when writing starts failing, not one per turn.
    if (was_ok) {
      spdlog::error("writing the append-only log failed: {}", std::strerror(write_errno_));
    }
    // A partial batch would read as a torn tail followed by more: a corruption. Cut it off, so
    // that the retry follows whole batches.
    if (written > 0 && ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
      spdlog::error("cutting a partial write off the append-only log failed: {}",
                    std::strerror(errno));
    }
    return false;
  }
  if (!was_ok) spdlog::warn("writing the append-only log works again");
  size_ += kBatchHeaderBytes + records.size();
  switch (policy_) {
    case FsyncPolicy::kAlways:
      return Fsync();
    case FsyncPolicy::kEverySec:
      RequestSync();
      return true;
    case FsyncPolicy::kNo:
      return true;
  }
  return true;
}

void AppendOnlyFile::RequestSync() {
  // At most once a second; the thread fsyncs everything written so far.
  const int64_t now = UnixMs();
  std::lock_guard<std::mutex> lock(mu_);
  if (now - last_request_ms_ >= 1000) {
    last_request_ms_ = now;
    sync_wanted_ = true;
    cv_.notify_one();
  }
}

void AppendOnlyFile::RetryFailedSync() {
  if (fd_ >= 0 && !fsync_ok_ && policy_ == FsyncPolicy::kEverySec) RequestSync();
}

bool AppendOnlyFile::Fsync() {
  if (fdatasync(fd_) != 0) {
    fsync_errno_ = errno;
    if (fsync_ok_.exchange(false)) {
      spdlog::error("fsync of the append-only log failed: {}", std::strerror(fsync_errno_));
    }
    return false;
  }
  fsync_ok_ = true;
  std::lock_guard<std::mutex> lock(mu_);
  fsyncs_++;
  last_fsync_ms_ = UnixMs();
  return true;
}

void AppendOnlyFile::SyncLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return sync_wanted_ || stopping_; });
    if (stopping_) return;
    sync_wanted_ = false;
    lock.unlock();
    Fsync();
    lock.lock();
  }
}

std::string AppendOnlyFile::last_error() const {
  if (!last_write_ok_) return std::strerror(write_errno_);
  if (!fsync_ok_) return std::strerror(fsync_errno_);
  return "";
}

int64_t AppendOnlyFile::last_fsync_ms() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_fsync_ms_;
}

void AppendOnlyFile::Close() {
  if (syncer_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_one();
    syncer_.join();
  }
  if (fd_ >= 0) {
    Fsync();
    close(fd_);
    fd_ = -1;
  }
}

bool KeyspaceLog::Apply(const LogRecord& r) {
  switch (r.kind) {
    case LogRecord::Kind::kFlush:
      keyspace_.Clear();
      return true;
    case LogRecord::Kind::kFunctions: {
      std::string error;
      if (functions_.restore && !functions_.restore(r.dump, &error)) {
        spdlog::error("the log's function libraries do not load: {}", error);
        return false;
      }
      return true;
    }
    case LogRecord::Kind::kDel: {
      // kExpire, not kPeek: a lookup that may change the table also moves its incremental
      // rehash along, which a load of millions of keys needs (nothing else runs meanwhile).
      KeyRef ref = keyspace_.Locate(r.key, Lookup::kExpire);
      keyspace_.Delete(ref);
      return true;
    }
    case LogRecord::Kind::kSet: {
      KeyRef ref = keyspace_.Locate(r.key, Lookup::kExpire);
      return keyspace_.RestoreInto(
          ref, r.dump, r.expire_at_ms >= 0 ? Ttl::At(r.expire_at_ms) : Ttl::Clear(), states_);
    }
    case LogRecord::Kind::kPatch: {
      // kPeek: a key whose expiry passed while the server was down is still there to patch (it
      // expires after the load, as every key does).
      KeyRef ref = keyspace_.Locate(r.key, Lookup::kPeek);
      return keyspace_.ApplyChanges(ref, r.ops, r.expire_at_ms);
    }
  }
  return false;
}

struct KeyspaceLog::Load {
  explicit Load(std::string log) : bytes(std::move(log)), reader(bytes) {}
  std::string path;
  FsyncPolicy policy = FsyncPolicy::kEverySec;
  bool load_corrupt = false;
  std::chrono::steady_clock::time_point started;
  std::string bytes;  // the whole log, read with one allocation of its size
  LogReader reader;   // views into bytes
};

KeyspaceLog::KeyspaceLog(Keyspace& keyspace, FamilyStates& states)
    : keyspace_(keyspace), states_(states) {}
KeyspaceLog::~KeyspaceLog() = default;

bool KeyspaceLog::BeginLoad(const std::string& path, FsyncPolicy policy, bool load_corrupt,
                            std::string* error) {
  std::string bytes;
  if (!ReadWholeFile(path, &bytes, error) && !error->empty()) return false;  // absent: empty
  load_ = std::make_unique<Load>(std::move(bytes));
  load_->path = path;
  load_->policy = policy;
  load_->load_corrupt = load_corrupt;
  load_->started = std::chrono::steady_clock::now();
  load_stats_ = {.total_bytes = load_->bytes.size(), .start_unix_ms = UnixMs()};
  return true;
}

KeyspaceLog::LoadState KeyspaceLog::LoadSome(uint64_t bytes, int delay_us, std::string* error) {
  LogReader& reader = load_->reader;
  const uint64_t until = reader.read_bytes() + bytes;
  LogRecord record;
  for (;;) {
    const LogReader::Result r = reader.Next(&record);
    if (r != LogReader::Result::kRecord) return FinishLoad(r, error);
    if (!Apply(record)) {
      *error = "a record of key '" + std::string(record.key) + "' at byte " +
               std::to_string(reader.valid_bytes()) + " of the log " + load_->path +
               " does not restore";
      load_.reset();
      return LoadState::kFailed;
    }
    load_stats_.records++;
    if (delay_us > 0) usleep(static_cast<useconds_t>(delay_us));
    if (reader.read_bytes() >= until) break;
  }
  load_stats_.loaded_bytes = reader.read_bytes();
  return LoadState::kLoading;
}

KeyspaceLog::LoadState KeyspaceLog::FinishLoad(LogReader::Result end, std::string* error) {
  const std::unique_ptr<Load> load = std::move(load_);
  const std::string& path = load->path;
  const size_t valid = load->reader.valid_bytes();
  if (end == LogReader::Result::kCorrupt && !load->load_corrupt) {
    *error = "the log " + path + " is corrupt at byte " + std::to_string(valid) + " of " +
             std::to_string(load->bytes.size()) +
             " (a batch with a bad checksum, and more after it); to load what comes before it "
             "and drop the rest, start with aof-load-corrupt yes";
    return LoadState::kFailed;
  }
  if (end != LogReader::Result::kEnd) {
    // A torn tail, or (load_corrupt) a corruption: keep what is valid, cut the rest so that new
    // batches follow valid ones.
    load_stats_.truncated = load->bytes.size() - valid;
    if (truncate(path.c_str(), static_cast<off_t>(valid)) != 0) {
      *error = "cannot truncate " + path + ": " + std::strerror(errno);
      return LoadState::kFailed;
    }
    spdlog::warn("{} {} bytes at the end of the log {} (from byte {}): {}",
                 end == LogReader::Result::kTornTail ? "cut a torn write of" : "dropped",
                 load_stats_.truncated, path, valid,
                 end == LogReader::Result::kTornTail
                     ? "the last write was interrupted (a crash); everything before it is loaded"
                     : "a corrupt batch and all after it (aof-load-corrupt yes)");
  }
  load_stats_.loaded_bytes = valid;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - load->started)
                      .count();
  spdlog::info("loaded the append-only log {}: {} records, {} bytes, {} keys, in {} ms", path,
               load_stats_.records, valid, keyspace_.size(), ms);
  path_ = path;
  base_size_ = valid;
  return file_.Open(path, load->policy, error) ? LoadState::kDone : LoadState::kFailed;
}

bool KeyspaceLog::Enable(const std::string& path, FsyncPolicy policy, std::string* error) {
  if (enabled()) return true;
  if (loading()) {
    *error = "the append-only log is loading";
    return false;
  }
  // Every key as it is now into a temporary file, fsynced, then renamed over the log: a crash
  // leaves the old log or the whole new one.
  const std::string temp = path + ".tmp";
  if (!WriteSnapshot(keyspace_, FunctionsSnapshot(), temp) ||
      rename(temp.c_str(), path.c_str()) != 0) {
    *error = "cannot write the append-only log " + path + ": " + std::strerror(errno);
    unlink(temp.c_str());
    return false;
  }
  dirty_.clear();
  // The new log's record of every value is its dump: values that log their changes record
  // from there (not from their next dump, which for a filter of megabytes would be a stall).
  ChangeRecorder::StartOver();
  keyspace_.ForEach([](Entry* e) {
    if (ChangeRecorder* changes = e->is_object() ? e->object()->change_recorder() : nullptr) {
      changes->Start();
    }
  });
  path_ = path;
  if (!file_.Open(path, policy, error)) return false;
  base_size_ = file_.size();
  return true;
}

void KeyspaceLog::Disable() {
  load_.reset();  // a shutdown while loading: the log stays as it is
  if (!WriteTurn()) {
    spdlog::error("{} bytes of acknowledged writes could not be written to the append-only log: {}",
                  records_.size(), file_.last_error());
  }
  records_.clear();
  file_.Close();
  dirty_.clear();
  ChangeRecorder::StartOver();  // values stop recording operations nobody will write
  if (rewriting()) {
    kill(rewrite_pid_, SIGKILL);
    waitpid(rewrite_pid_, nullptr, 0);
    unlink((path_ + ".rewrite").c_str());
    rewrite_pid_ = -1;
    CloseRewriteTail();
  }
}

void KeyspaceLog::CloseRewriteTail() {
  if (rewrite_tail_fd_ >= 0) close(rewrite_tail_fd_);
  rewrite_tail_fd_ = -1;
  unlink((path_ + ".rewrite-tail").c_str());
}

bool KeyspaceLog::StartRewrite(std::string* error) {
  if (loading()) {
    *error = "the append-only log is loading";
    return false;
  }
  if (!enabled()) {
    *error = "the append-only log is off (appendonly no)";
    return false;
  }
  if (rewriting()) {
    *error = "Background append only file rewriting already in progress";
    return false;
  }
  // What the loop holds now goes to the old log first: at the fork every change recorder is then
  // empty, each value's last record is the state the snapshot has, and the operations values
  // record after the fork replay onto the snapshot as they do onto the old log. (Records still
  // unwritten would reach the tail too and be replayed twice: no rewrite while the disk fails.)
  if (!WriteTurn()) {
    *error = "the append-only log cannot be written: " + file_.last_error();
    return false;
  }
  const std::string tail = path_ + ".rewrite-tail";
  rewrite_tail_fd_ = open(tail.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (rewrite_tail_fd_ < 0) {
    *error = "cannot open " + tail + ": " + std::strerror(errno);
    return false;
  }
  rewrite_tail_ok_ = true;
  const std::string temp = path_ + ".rewrite";
  const std::string functions = FunctionsSnapshot();  // dumped here: the child runs no Lua code
  const pid_t pid = fork();
  if (pid < 0) {
    *error = std::string("fork failed: ") + std::strerror(errno);
    CloseRewriteTail();
    return false;
  }
  if (pid == 0) _exit(WriteSnapshot(keyspace_, functions, temp) ? 0 : 1);
  rewrite_pid_ = pid;
  spdlog::info("append-only log rewrite started by pid {}", pid);
  return true;
}

void KeyspaceLog::FinishRewrite() {
  if (!rewriting()) return;
  int status = 0;
  if (waitpid(rewrite_pid_, &status, WNOHANG) != rewrite_pid_) return;  // still writing
  rewrite_pid_ = -1;
  const std::string temp = path_ + ".rewrite";
  bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (ok) {
    // The batches written since the fork go after the snapshot, then the new log replaces the
    // old one and appending continues there.
    const int fd = open(temp.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    ok = fd >= 0 && rewrite_tail_ok_ && AppendFile(path_ + ".rewrite-tail", fd) &&
         fdatasync(fd) == 0;
    if (fd >= 0) close(fd);
  }
  CloseRewriteTail();
  std::string error;
  if (ok && rename(temp.c_str(), path_.c_str()) == 0) {
    const FsyncPolicy policy = file_.policy();
    file_.Close();
    ok = file_.Open(path_, policy, &error);
    if (!ok) spdlog::error("after the rewrite: {}", error);
    base_size_ = file_.size();
  } else {
    ok = false;
    unlink(temp.c_str());
  }
  rewrites_ += ok;
  last_rewrite_ok_ = ok;
  if (ok) {
    spdlog::info("append-only log rewritten: {} bytes", base_size_);
  } else {
    spdlog::error("append-only log rewrite failed; the old log is kept");
  }
}

std::string KeyspaceLog::FunctionsSnapshot() const {
  return functions_.empty && !functions_.empty() ? functions_.dump() : std::string();
}

void KeyspaceLog::RecordDirty() {
  if (functions_dirty_ && functions_.dump) {
    const std::string payload = functions_.dump();
    AppendRecord({.kind = LogRecord::Kind::kFunctions, .dump = payload}, &records_);
  }
  functions_dirty_ = false;
  if (dirty_.empty()) return;
  // A key changed several times in a turn is recorded once, as it ended.
  std::sort(dirty_.begin(), dirty_.end());
  dirty_.erase(std::unique(dirty_.begin(), dirty_.end()), dirty_.end());
  for (const std::string& key : dirty_) {
    const Entry* e = keyspace_.Locate(key, Lookup::kPeek).entry;
    if (!e) {
      AppendRecord({.kind = LogRecord::Kind::kDel, .key = key}, &records_);
      continue;
    }
    // A value that logs its changes gives its operations since its last record, or, when it
    // has no base in the log yet, its dump, and records from there. Either is written straight
    // into the turn's records.
    ChangeRecorder* changes = e->is_object() ? e->object()->change_recorder() : nullptr;
    if (changes && changes->recording()) {
      AppendRecordWith(
          LogRecord::Kind::kPatch, key, e->expire_ms(),
          [changes](std::string* out) { changes->Take(out); }, &records_);
      continue;
    }
    AppendRecordWith(
        LogRecord::Kind::kSet, key, e->expire_ms(),
        [e](std::string* out) { Keyspace::Dump(*e, out); }, &records_);
    if (changes) changes->Start();
  }
  dirty_.clear();
}

void KeyspaceLog::BeforeFlush() {
  if (!enabled()) return;
  RecordDirty();
  AppendRecord({.kind = LogRecord::Kind::kFlush}, &records_);
}

bool KeyspaceLog::WriteTurn() {
  if (!enabled()) return true;
  RecordDirty();
  if (records_.empty()) return true;
  if (!file_.WriteTurn(records_)) return false;  // kept, to be written again next turn
  if (rewriting() && rewrite_tail_ok_) {
    // A tail that cannot be written fails the rewrite when it ends (the old log is kept).
    rewrite_tail_ok_ = WriteBatch(rewrite_tail_fd_, records_);
    if (!rewrite_tail_ok_) {
      spdlog::error("writing the rewrite's tail failed: {}", std::strerror(errno));
    }
  }
  // A turn that logged a large value gives its memory back (used_memory would keep it).
  if (records_.capacity() > kKeptRecordBytes) std::string().swap(records_);
  records_.clear();
  return true;
}

}  // namespace pylon::daemon
