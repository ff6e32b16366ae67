// warren: a Kafka consumer-lag monitor that speaks Burrow's HTTP API v3.
// Exit codes: 0 clean shutdown, 1 start-up failure, 2 bad configuration or usage.
#include <cstdio>
#include <cstring>
#include <string>

#include "service/app.hpp"
#include "service/config/load.hpp"
#include "service/core/log.hpp"

namespace {
constexpr const char* usage =
    "usage: warren [--config-dir DIR | --config FILE] [--check-config]\n"
    "       warren --version | --help\n"
    "\n"
    "  --config-dir DIR  load DIR/warren.toml, else DIR/burrow.toml (Burrow's option; default .)\n"
    "  --config FILE     load FILE\n"
    "  --check-config    validate the configuration, print the problems, exit 0 (good) or 2 (bad)\n"
    "  --version         print the version\n"
    "  --help            print this help\n"
    "\n"
    "Environment: BURROW_<SECTION>_<NAME>_<KEY> overrides a key present in the file\n"
    "(prefix from general.env-var-prefix), as in Burrow.\n";
}  // namespace

int main(int argc, char** argv) {
  std::string config_dir = ".", config_file;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "warren: %s needs a value\n%s", name, usage);
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--help" || a == "-h") {
      std::fputs(usage, stdout);
      return 0;
    } else if (a == "--version") {
      std::printf("warren %s\n", WARREN_VERSION);
      return 0;
    } else if (a == "--config-dir") {
      config_dir = value("--config-dir");
    } else if (a.rfind("--config-dir=", 0) == 0) {
      config_dir = a.substr(13);
    } else if (a == "--config") {
      config_file = value("--config");
    } else if (a.rfind("--config=", 0) == 0) {
      config_file = a.substr(9);
    } else if (a == "--check-config") {
      check_only = true;
    } else {
      std::fprintf(stderr, "warren: unknown argument %s\n%s", a.c_str(), usage);
      return 2;
    }
  }

  auto loaded = config_file.empty() ? warren::load_config_dir(config_dir) : warren::load_config_file(config_file);
  if (!loaded) {
    std::fputs(warren::format_errors(loaded.error()).c_str(), stderr);
    return 2;
  }
  const warren::config& cfg = *loaded;
  if (check_only) {
    std::printf("%s: configuration is valid\n", cfg.source_file.c_str());
    return 0;
  }
  if (auto level = warren::parse_log_level(cfg.logging.level)) warren::set_log_level(*level);
  try {
    warren::app a(cfg);
    return a.run();
  } catch (const std::exception& e) {
    warren::log_error("main", "start-up failed: ", e.what());
    return 1;
  }
}
