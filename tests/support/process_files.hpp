#pragma once
// Small file helpers for tests of the process's own files (PID file, log files, stdout-logfile).
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace warren::test {

/// A fresh, empty temporary directory (mkdtemp); removed by the returned guard's destructor.
class temp_directory {
 public:
  temp_directory();
  ~temp_directory();
  temp_directory(const temp_directory&) = delete;
  temp_directory& operator=(const temp_directory&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

/// The whole file ("" when it does not exist).
std::string read_text(const std::filesystem::path& file);
/// Writes `text` to `file`, replacing it.
void write_text(const std::filesystem::path& file, const std::string& text);
/// File names in `dir`, sorted.
std::vector<std::string> file_names(const std::filesystem::path& dir);
/// The PID of a process that has just exited and been reaped (a stale PID for PID-file tests).
pid_t dead_pid();

}  // namespace warren::test
