// warren: a Kafka consumer-lag monitor that speaks Burrow's HTTP API v3.
// Exit codes: 0 clean shutdown, 1 start-up failure (log file, PID file of a running instance,
// listener), 2 bad configuration or usage.
//
// Start-up order, as Burrow: load and validate the configuration; redirect stdout/stderr
// (general.stdout-logfile); open the log ([logging]); take the PID file (general.pidfile); serve.
// On an orderly exit the PID file is removed and the log flushed.
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "service/app.hpp"
#include "service/config/load.hpp"
#include "service/config/process_files.hpp"
#include "service/core/log.hpp"
#include "service/app_settings.hpp"

namespace {
constexpr const char* usage =
    "usage: warren [--config-dir DIR | --config FILE] [--check-config [--allow-empty]]\n"
    "       warren --version | --help\n"
    "\n"
    "  --config-dir DIR  load DIR/warren.toml, else DIR/burrow.toml (Burrow's option; default .)\n"
    "  --config FILE     load FILE\n"
    "  --check-config    validate the configuration, print the problems, exit 0 (good) or 2 (bad)\n"
    "  --allow-empty     with --check-config: accept a file without any [cluster.NAME] (a template)\n"
    "  --version         print the version\n"
    "  --help            print this help\n"
    "\n"
    "Environment: BURROW_<SECTION>_<NAME>_<KEY> overrides a key present in the file\n"
    "(prefix from general.env-var-prefix), as in Burrow.\n";

warren::log_options log_options_from(const warren::logging_options& l) {
  warren::log_options o;
  o.format = l.format == "json" ? warren::log_format::json : warren::log_format::text;
  o.localtime = l.use_localtime;
  o.filename = l.filename;
  o.max_bytes = l.rotate_bytes();
  o.max_backups = l.maxbackups;
  o.max_age_days = l.maxage;
  o.compress = l.use_compression;
  return o;
}
}  // namespace

int main(int argc, char** argv) {
  std::string config_dir = ".", config_file;
  bool check_only = false, allow_empty = false;
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
    } else if (a == "--allow-empty") {
      allow_empty = true;
    } else {
      std::fprintf(stderr, "warren: unknown argument %s\n%s", a.c_str(), usage);
      return 2;
    }
  }
  if (allow_empty && !check_only) {
    std::fprintf(stderr, "warren: --allow-empty only applies to --check-config (Warren cannot run without a "
                         "[cluster.NAME])\n%s", usage);
    return 2;
  }

  warren::load_options options;
  options.allow_no_cluster = allow_empty;
  auto loaded = config_file.empty() ? warren::load_config_dir(config_dir, warren::process_environment, options)
                                    : warren::load_config_file(config_file, warren::process_environment, options);
  if (!loaded) {
    std::fputs(warren::format_errors(loaded.error()).c_str(), stderr);
    return 2;
  }
  const warren::config& cfg = *loaded;
  if (check_only) {
    std::printf("%s: configuration is valid\n", cfg.source_file.c_str());
    return 0;
  }

  try {
    if (!cfg.general.stdout_logfile.empty()) warren::redirect_output(cfg.general.stdout_logfile);
    if (auto level = warren::parse_log_level(cfg.logging.level)) warren::set_log_level(*level);
    warren::configure_log(log_options_from(cfg.logging));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "warren: %s\n", e.what());
    return 1;
  }

  int code = 1;
  try {
    std::optional<warren::pid_file> pid;
    try {
      pid.emplace(cfg.general.pidfile);
    } catch (const std::exception& e) {
      warren::log_error("main", "start-up failed: ", e.what());
      warren::shutdown_log();
      return 1;
    }
    if (pid->replaced_stale()) warren::log_info("main", "replaced stale PID file ", pid->path());
    for (const auto& note : warren::kafka::kafka_version_notes(cfg)) warren::log_info("main", note);
    warren::app a(cfg);
    code = a.run();
  } catch (const std::exception& e) {
    warren::log_error("main", "start-up failed: ", e.what());
    code = 1;
  }
  warren::shutdown_log();
  return code;
}
