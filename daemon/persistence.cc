#include "daemon/persistence.h"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

#include "daemon/change_log.h"

namespace pylon::daemon {

namespace {

int64_t UnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
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
bool WriteSnapshot(const Keyspace& keyspace, const std::string& path) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  std::string batch, framed, dump;
  bool ok = true;
  auto flush = [&] {
    if (batch.empty()) return;
    framed.clear();
    AppendBatch(batch, &framed);
    ok = ok && WriteAll(fd, framed);
    batch.clear();
  };
  keyspace.ForEach([&](Entry* e) {
    dump.clear();
    Keyspace::Dump(*e, &dump);
    AppendRecord({.kind = LogRecord::Kind::kSet,
                  .key = e->key(),
                  .expire_at_ms = e->expire_ms(),
                  .dump = dump},
                 &batch);
    if (batch.size() >= (1 << 20)) flush();
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

AppendOnlyFile::LoadResult AppendOnlyFile::Load(
    const std::string& path, bool load_corrupt,
    const std::function<bool(const LogRecord&)>& apply) {
  LoadResult result;
  std::string log;
  if (!ReadWholeFile(path, &log, &result.error)) {
    result.ok = result.error.empty();  // absent: an empty dataset
    return result;
  }
  LogReader reader(log);
  LogRecord record;
  for (;;) {
    const LogReader::Result r = reader.Next(&record);
    if (r == LogReader::Result::kRecord) {
      if (!apply(record)) {
        result.ok = false;
        result.error = "a record of key '" + std::string(record.key) + "' at byte " +
                       std::to_string(reader.valid_bytes()) + " does not restore";
        return result;
      }
      result.records++;
      continue;
    }
    if (r == LogReader::Result::kEnd) break;
    if (r == LogReader::Result::kCorrupt && !load_corrupt) {
      result.ok = false;
      result.error = "the log " + path + " is corrupt at byte " +
                     std::to_string(reader.valid_bytes()) + " of " + std::to_string(log.size()) +
                     " (a batch with a bad checksum, and more after it); to load what comes "
                     "before it and drop the rest, start with aof-load-corrupt yes";
      return result;
    }
    // A torn tail, or (load_corrupt) a corruption: keep what is valid, cut the rest so that new
    // batches follow valid ones.
    result.truncated = log.size() - reader.valid_bytes();
    if (truncate(path.c_str(), static_cast<off_t>(reader.valid_bytes())) != 0) {
      result.ok = false;
      result.error = "cannot truncate " + path + ": " + std::strerror(errno);
      return result;
    }
    spdlog::warn("{} {} bytes at the end of the log {} (from byte {}): {}",
                 r == LogReader::Result::kTornTail ? "cut a torn write of" : "dropped",
                 result.truncated, path, reader.valid_bytes(),
                 r == LogReader::Result::kTornTail
                     ? "the last write was interrupted (a crash); everything before it is loaded"
                     : "a corrupt batch and all after it (aof-load-corrupt yes)");
    break;
  }
  result.bytes = reader.valid_bytes();
  return result;
}

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
  batch_.clear();
  AppendBatch(records, &batch_);
  last_write_ok_ = WriteAll(fd_, batch_);
  if (!last_write_ok_) {
    spdlog::error("writing the append-only log failed: {}", std::strerror(errno));
    return false;
  }
  size_ += batch_.size();
  switch (policy_) {
    case FsyncPolicy::kAlways:
      last_write_ok_ = Fsync();
      return last_write_ok_;
    case FsyncPolicy::kEverySec: {
      // Ask the thread at most once a second; it fsyncs everything written so far.
      const int64_t now = UnixMs();
      std::lock_guard<std::mutex> lock(mu_);
      if (now - last_request_ms_ >= 1000) {
        last_request_ms_ = now;
        sync_wanted_ = true;
        cv_.notify_one();
      }
      return true;
    }
    case FsyncPolicy::kNo:
      return true;
  }
  return true;
}

bool AppendOnlyFile::Fsync() {
  if (fdatasync(fd_) != 0) {
    spdlog::error("fsync of the append-only log failed: {}", std::strerror(errno));
    return false;
  }
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
    case LogRecord::Kind::kDel: {
      // kExpire, not kPeek: a lookup that may change the table also moves its incremental
      // rehash along, which a load of millions of keys needs (nothing else runs meanwhile).
      KeyRef ref = keyspace_.Locate(r.key, Lookup::kExpire);
      keyspace_.Delete(ref);
      return true;
    }
    case LogRecord::Kind::kSet: {
      KeyRef ref = keyspace_.Locate(r.key, Lookup::kExpire);
      return keyspace_.RestoreInto(ref, r.dump,
                                   r.expire_at_ms >= 0 ? Ttl::At(r.expire_at_ms) : Ttl::Clear());
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

bool KeyspaceLog::Start(const std::string& path, FsyncPolicy policy, bool load_corrupt,
                        std::string* error) {
  const auto start = std::chrono::steady_clock::now();
  loaded_ =
      AppendOnlyFile::Load(path, load_corrupt, [this](const LogRecord& r) { return Apply(r); });
  if (!loaded_.ok) {
    *error = loaded_.error;
    return false;
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  spdlog::info("loaded the append-only log {}: {} records, {} bytes, {} keys, in {} ms", path,
               loaded_.records, loaded_.bytes, keyspace_.size(), ms);
  path_ = path;
  base_size_ = loaded_.bytes;
  return file_.Open(path, policy, error);
}

bool KeyspaceLog::Enable(const std::string& path, FsyncPolicy policy, std::string* error) {
  if (enabled()) return true;
  // Every key as it is now into a temporary file, fsynced, then renamed over the log: a crash
  // leaves the old log or the whole new one.
  const std::string temp = path + ".tmp";
  if (!WriteSnapshot(keyspace_, temp) || rename(temp.c_str(), path.c_str()) != 0) {
    *error = "cannot write the append-only log " + path + ": " + std::strerror(errno);
    unlink(temp.c_str());
    return false;
  }
  dirty_.clear();
  ChangeLog::StartOver();  // the new log's record of every value is its dump
  path_ = path;
  if (!file_.Open(path, policy, error)) return false;
  base_size_ = file_.size();
  return true;
}

void KeyspaceLog::Disable() {
  WriteTurn();
  file_.Close();
  dirty_.clear();
  ChangeLog::StartOver();  // values stop recording operations nobody will write
  if (rewriting()) {
    kill(rewrite_pid_, SIGKILL);
    waitpid(rewrite_pid_, nullptr, 0);
    unlink((path_ + ".rewrite").c_str());
    rewrite_pid_ = -1;
    rewrite_buffer_.clear();
  }
}

bool KeyspaceLog::StartRewrite(std::string* error) {
  if (!enabled()) {
    *error = "the append-only log is off (appendonly no)";
    return false;
  }
  if (rewriting()) {
    *error = "Background append only file rewriting already in progress";
    return false;
  }
  WriteTurn();  // what the loop holds now is in the old log and in the snapshot alike
  const std::string temp = path_ + ".rewrite";
  const pid_t pid = fork();
  if (pid < 0) {
    *error = std::string("fork failed: ") + std::strerror(errno);
    return false;
  }
  if (pid == 0) _exit(WriteSnapshot(keyspace_, temp) ? 0 : 1);
  rewrite_pid_ = pid;
  rewrite_buffer_.clear();
  // The new log holds each value as it was at the fork; operations a value recorded before it
  // and has not given yet are in that state already, and must not be replayed on top of it: every
  // value logs its dump again when it next changes.
  ChangeLog::StartOver();
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
    ok = fd >= 0 && WriteAll(fd, rewrite_buffer_) && fdatasync(fd) == 0;
    if (fd >= 0) close(fd);
  }
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
  rewrite_buffer_.clear();
  rewrites_ += ok;
  last_rewrite_ok_ = ok;
  if (ok) {
    spdlog::info("append-only log rewritten: {} bytes", base_size_);
  } else {
    spdlog::error("append-only log rewrite failed; the old log is kept");
  }
}

void KeyspaceLog::RecordDirty() {
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
    // has no base in the log yet, its dump, and records from there.
    ChangeLog* changes = e->is_object() ? e->object()->change_log() : nullptr;
    dump_.clear();
    if (changes && changes->Take(&dump_)) {
      AppendRecord({.kind = LogRecord::Kind::kPatch,
                    .key = key,
                    .expire_at_ms = e->expire_ms(),
                    .ops = dump_},
                   &records_);
      continue;
    }
    Keyspace::Dump(*e, &dump_);
    AppendRecord(
        {.kind = LogRecord::Kind::kSet, .key = key, .expire_at_ms = e->expire_ms(), .dump = dump_},
        &records_);
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
  const bool ok = file_.WriteTurn(records_);
  if (rewriting()) AppendBatch(records_, &rewrite_buffer_);
  records_.clear();
  return ok;
}

}  // namespace pylon::daemon
