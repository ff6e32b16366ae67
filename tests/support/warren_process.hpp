#pragma once
// Runs the real `warren` binary for integration tests: writes a config file into a temp dir, starts
// the process and waits (with a deadline) until /burrow/admin answers GOOD.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/http_client.hpp"
#include "tests/support/kafka_harness.hpp"

namespace warren::test {

/// Config text for one cluster+consumer named `name` pointing at `bootstrap` (fast refreshes).
std::string cluster_config(const std::string& name, const std::string& bootstrap,
                           const std::string& offsets_topic = "__consumer_offsets");

/// cluster_config plus short windows and frequent evaluation, so statuses move within seconds
/// (intervals 5, eval-interval 1 s, coalesce-ms 50).
std::string fast_cluster_config(const std::string& name, const std::string& bootstrap);

class warren_process {
 public:
  /// `config_body` is TOML without [httpserver]; one is added on a free loopback port.
  explicit warren_process(const std::string& config_body, std::chrono::milliseconds deadline = std::chrono::seconds(30));
  ~warren_process();

  std::uint16_t port() const { return port_; }
  http_reply get(const std::string& target) const { return http_get(port_, target); }
  child_process& process() { return *child_; }
  std::string output() const { return child_->output(); }
  const std::filesystem::path& config_path() const { return config_; }

 private:
  std::filesystem::path dir_;
  std::filesystem::path config_;
  std::uint16_t port_ = 0;
  std::unique_ptr<child_process> child_;
};

/// Runs `warren ARGS...` to completion (e.g. --check-config); exit code and output.
tool_result run_warren(const std::vector<std::string>& args, std::chrono::milliseconds timeout = std::chrono::seconds(20));

/// Writes `text` to a new file in a fresh temp dir and returns its path.
std::filesystem::path write_temp_file(const std::string& name, const std::string& text);

}  // namespace warren::test
