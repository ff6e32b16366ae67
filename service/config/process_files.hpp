#pragma once
// The files [general] asks the process itself to keep: the PID file (general.pidfile) and the
// redirection of stdout/stderr (general.stdout-logfile). Used by main() once, on the main thread,
// after the configuration is loaded and before anything is served.
#include <string>

namespace warren {

/// Owns general.pidfile for the life of the process, as Burrow does: the file is created holding
/// this process's PID; destruction removes it if it still names this process.
class pid_file {
 public:
  /// `path` empty = no PID file. If the file exists and names another live process, throws
  /// std::runtime_error saying so (the caller exits 1); a stale file (dead process, garbage, or
  /// this very PID, e.g. PID 1 in a restarted container) is replaced. Throws std::runtime_error
  /// when the file cannot be written.
  explicit pid_file(std::string path);
  ~pid_file();
  pid_file(const pid_file&) = delete;
  pid_file& operator=(const pid_file&) = delete;

  /// True when a stale file was replaced (for one log line by the caller).
  bool replaced_stale() const { return replaced_stale_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool replaced_stale_ = false;
};

/// Redirects stdout and stderr to `path`, created if missing and appended to (Burrow renames the
/// old file aside instead; Warren appends so restarts do not pile up dated files). Throws
/// std::runtime_error naming the file when it cannot be opened.
void redirect_output(const std::string& path);

}  // namespace warren
