#pragma once
// An exclusive advisory lock on a file (flock), held for the lifetime of the object: one writer per run
// directory (<run_dir>/.lock, issue #20) and per results DB (<db>.lock). The file holds "pid N on HOST" of the
// holder so that the process refused can name it. flock locks are released by the kernel when the holder
// dies (kill -9 included), so a stale lock file never blocks anyone; the file itself is left in place
// (deleting it would let two processes lock two different inodes under one name).
#include <string>

namespace fufi {

class FileLock {
 public:
  // Tries once, without waiting. IoError when the lock file cannot be created or opened.
  explicit FileLock(std::string path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

  bool held() const { return fd_ >= 0; }
  // When not held: who holds it ("pid 123 on node7"), as the holder wrote it, or "holder unknown".
  const std::string& holder() const { return holder_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string holder_;
  int fd_ = -1;
};

}  // namespace fufi
