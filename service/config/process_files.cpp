#include "service/config/process_files.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string_view>

namespace warren {
namespace {

std::string errno_text() { return std::strerror(errno); }

// The PID in the file, or 0 when the file is unreadable or holds no number.
pid_t read_pid(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[32] = {};
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return 0;
  long pid = 0;
  if (std::sscanf(buf, " %ld", &pid) != 1 || pid <= 0 || pid > 0x3fffffff) return 0;
  return static_cast<pid_t>(pid);
}

bool alive(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

}  // namespace

pid_file::pid_file(std::string path) : path_(std::move(path)) {
  if (path_.empty()) return;
  // O_EXCL: of two instances starting at once, exactly one creates the file.
  for (int attempt = 0; attempt < 2; ++attempt) {
    int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
      std::string text = std::to_string(::getpid()) + "\n";
      bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
      ok = (::close(fd) == 0) && ok;
      if (!ok) {
        std::string why = errno_text();
        ::unlink(path_.c_str());
        throw std::runtime_error("cannot write PID file " + path_ + ": " + why);
      }
      return;
    }
    if (errno != EEXIST) throw std::runtime_error("cannot create PID file " + path_ + ": " + errno_text());
    pid_t other = read_pid(path_);
    if (other > 0 && other != ::getpid() && alive(other))
      throw std::runtime_error("PID file " + path_ + " names process " + std::to_string(other) +
                               ", which is running: stop it, or set general.pidfile to another path");
    // Burrow: a PID file of a dead process is stale and replaced.
    if (::unlink(path_.c_str()) != 0 && errno != ENOENT)
      throw std::runtime_error("cannot remove stale PID file " + path_ + ": " + errno_text());
    replaced_stale_ = true;
  }
  throw std::runtime_error("cannot create PID file " + path_ + ": another process keeps creating it");
}

pid_file::~pid_file() {
  if (!path_.empty() && read_pid(path_) == ::getpid()) ::unlink(path_.c_str());
}

void redirect_output(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open stdout-logfile " + path + ": " + errno_text());
  std::fflush(stdout);
  std::fflush(stderr);
  bool ok = ::dup2(fd, STDOUT_FILENO) >= 0 && ::dup2(fd, STDERR_FILENO) >= 0;
  std::string why = ok ? "" : errno_text();
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot redirect output to " + path + ": " + why);
}

}  // namespace warren
