#include "tests/support/warren_process.hpp"

#include <fstream>
#include <stdexcept>

#include "service/core/log.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/poll_until.hpp"

namespace warren::test {
namespace fs = std::filesystem;

namespace {
fs::path make_temp_dir() {
  std::string tmpl = (fs::temp_directory_path() / "warren-test-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}
}  // namespace

fs::path write_temp_file(const std::string& name, const std::string& text) {
  auto path = make_temp_dir() / name;
  std::ofstream(path) << text;
  return path;
}

std::string cluster_config(const std::string& name, const std::string& bootstrap, const std::string& offsets_topic) {
  return "[cluster." + name + "]\nclass-name = \"kafka\"\nservers = [\"" + bootstrap +
         "\"]\noffset-refresh = 1\ntopic-refresh = 2\n\n[consumer." + name +
         "]\nclass-name = \"kafka\"\ncluster = \"" + name + "\"\nservers = [\"" + bootstrap +
         "\"]\noffsets-topic = \"" + offsets_topic + "\"\n\n";
}

std::string fast_cluster_config(const std::string& name, const std::string& bootstrap) {
  return cluster_config(name, bootstrap) +
         "[storage.default]\nintervals = 5\n\n[warren]\neval-interval = 1\ncoalesce-ms = 50\n";
}

warren_process::warren_process(const std::string& config_body, std::chrono::milliseconds deadline) {
  dir_ = make_temp_dir();
  config_ = dir_ / "warren.toml";
  port_ = free_port();
  std::ofstream(config_) << config_body << "\n[httpserver.default]\naddress = \"127.0.0.1:" << port_ << "\"\n";
  child_ = std::make_unique<child_process>(std::vector<std::string>{warren_binary(), "--config", config_.string()},
                                           dir_ / "warren.log", dir_);
  bool up = poll_until(
      [&] {
        if (!child_->running()) return true;
        try {
          return get("/burrow/admin").body == "GOOD";
        } catch (const std::exception&) {
          return false;
        }
      },
      deadline, std::chrono::milliseconds(100));
  if (!up || !child_->running())
    throw std::runtime_error("warren did not start; its output:\n" + child_->output());
}

warren_process::~warren_process() {
  child_->terminate(std::chrono::seconds(5));
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

tool_result run_warren(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  std::vector<std::string> argv{warren_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto dir = make_temp_dir();
  child_process child(argv, dir / "out.log");
  tool_result r;
  auto status = child.wait_for(timeout);
  if (!status) {
    r.timed_out = true;
    r.exit_code = child.terminate(std::chrono::seconds(2));
  } else {
    r.exit_code = *status;
  }
  r.output = child.output();
  std::error_code ec;
  fs::remove_all(dir, ec);
  return r;
}

}  // namespace warren::test
