#pragma once
// app: owns the io_context (one thread), the blocking pool and every actor. Starts them in
// dependency order (store, evaluator, HTTP, cluster pollers, offsets readers), stops them in
// reverse on SIGINT/SIGTERM, and returns from run() when all work has finished.
#include <memory>

namespace warren {
struct config;

class app {
 public:
  explicit app(const config& cfg);
  ~app();
  app(const app&) = delete;
  app& operator=(const app&) = delete;

  /// Runs until a signal; returns the process exit code (0 after a clean shutdown, 1 when a
  /// component cannot start, e.g. an HTTP address already in use).
  int run();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace warren
