#pragma once
// Loading and validating the configuration file (Burrow's burrow.toml format plus [warren]).
// Pure functions of (file contents, environment lookup); no logging, no global state; callable
// from any thread. toml++ stays in load.cpp.
//
// Errors: every problem found is reported, not only the first, each as one line
//   FILE:LINE: KEY: REASON        e.g.  conf/burrow.toml:12: cluster.local.servers: missing required key
// KEY is the dotted TOML path. LINE is the line of the offending value; for a missing key it is the
// line of the table header that should contain it. Errors that have no line (file not found) or no
// key (TOML syntax error) leave that part out. Errors are sorted by line.
//
// Differences from Burrow, on purpose (a Burrow file that Burrow accepts loads, except where noted):
// - Burrow panics on bad values; Warren returns all errors. Values of the wrong TOML type are errors
//   (viper would coerce "10" to 10 and "10s" to 0): durations are integers of seconds.
// - Unknown keys and sections are errors (Burrow ignores them), as are keys that belong to another
//   class-name (url-open on an email notifier, offsets-topic on a kafka_zk consumer).
// - group-allowlist/denylist are RE2 patterns (core/pattern.hpp), Go's regexp syntax as in Burrow;
//   a pattern over RE2's size limits is reported. The old group-whitelist/group-blacklist names are rejected.
// - consumer servers (class kafka) defaults to its cluster's servers, client-profile to its cluster's
//   profile (Burrow requires servers and uses the default profile).
// - class-name defaults to the only/usual class for cluster (kafka), consumer (kafka), storage
//   (inmemory), evaluator (caching); notifier class-name is required.
// - [zookeeper] is accepted but never required: Warren does not use ZooKeeper.
// - A file without any [cluster.NAME] is an error (Burrow starts and monitors nothing), unless
//   load_options::allow_no_cluster.
// - Numbers are range-checked (storage intervals 1..4096, timeouts and refresh periods >= 1 s, ports
//   1..65535); Burrow takes any value and fails later or misbehaves.
// - sasl handshake-first = false is rejected: librdkafka always sends SaslHandshake (Warren's
//   default is true). kafka-version must be Sarama's form: X.Y.Z, or 0.X.Y.Z for pre-1.0 versions.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include "service/config/config.hpp"

namespace warren {

/// One configuration problem.
struct config_error {
  /// The file as given to the loader (or the source name given to parse_config).
  std::string file;
  /// 1-based line; 0 = not tied to a line.
  std::uint32_t line = 0;
  /// Dotted key path (`cluster.local.servers`); empty = not tied to a key.
  std::string key;
  /// What is wrong, in words.
  std::string reason;

  /// `FILE:LINE: KEY: REASON`, leaving out LINE when 0 and KEY when empty.
  std::string to_string() const;
  friend bool operator==(const config_error&, const config_error&) = default;
};

/// The loader's outcome: a validated config, or every error found (never empty on failure).
using config_result = boost::system::result<config, std::vector<config_error>>;

/// Called by config_result::value() on failure: throws std::runtime_error with all lines.
[[noreturn]] void throw_exception_from_error(const std::vector<config_error>& errors,
                                             const boost::source_location& loc);

/// What the caller accepts beyond a runnable configuration.
struct load_options {
  /// Accept a file with no [cluster.NAME] (`warren --check-config --allow-empty`, for templates).
  /// Otherwise that is an error at line 1, key `cluster`: Warren has nothing to monitor.
  bool allow_no_cluster = false;
};

/// Looks up an environment variable by name; nullopt = not set.
using env_lookup = std::function<std::optional<std::string>(const std::string& name)>;
/// The process environment (std::getenv).
std::optional<std::string> process_environment(const std::string& name);
/// An empty environment: no overrides (for tests and `--no-env` style use).
std::optional<std::string> no_environment(const std::string& name);

/// Parses and validates a whole configuration from TOML text. Reads no other file: the TLS
/// material of HTTPS listeners is checked only by load_config_file()/load_config_dir(). `source_name` is used as FILE in
/// errors. Environment overrides, as in Burrow: for every key present in the text, the variable
/// PREFIX_PATH (PREFIX = general.env-var-prefix, default "burrow"; PATH = the dotted key; `.` and
/// `-` become `_`; all upper case), when set, replaces the value, parsed according to the type
/// in the file (string; integer; float; bool as true/false/1/0; array of strings split on commas
/// and whitespace). Keys absent from the file cannot be set from the environment.
config_result parse_config(std::string_view toml_text, std::string_view source_name,
                           const env_lookup& env = no_environment, const load_options& options = {});

/// A problem with a file a key names: `key` is the [tls.NAME] key ("certfile", "keyfile", "cafile")
/// or the [notifier.NAME] key ("template-open", ...).
struct file_problem {
  std::string key;
  std::string reason;  ///< names the file
};
/// Loads an HTTPS listener's (certfile, keyfile, cafile or "") and says what is wrong, if anything.
using tls_files_check = std::function<std::optional<file_problem>(
    const std::string& certfile, const std::string& keyfile, const std::string& cafile)>;

/// Loads the files one [notifier.NAME] names (template-open/-close, extra-ca) and parses its
/// templates (those and url-open/-close): each problem's `key` is the module key at fault
/// ("template-open"), its reason names the file and, for a template syntax error, the position
/// (`FILE:LINE:COL: message`). Empty = all good. The loader stays independent of the notifier:
/// load_config_file() passes notifier::check_module.
using notifier_files_check = std::function<std::vector<file_problem>(const notifier_module& module)>;

/// parse_config plus `check` on the TLS profile of every [httpserver.NAME] that has one; a
/// problem is an error at `tls.NAME.KEY` (that key's line). With `notifiers`, also that on every
/// [notifier.NAME]: a problem is an error at `notifier.NAME.KEY` (that key's line).
config_result parse_config_checking_files(std::string_view toml_text, std::string_view source_name,
                                          const env_lookup& env, const load_options& options,
                                          const tls_files_check& check, const notifier_files_check& notifiers = {});

/// Reads `file` and parse_config()s it; sets config::source_file (as given) and source_dir. Also
/// loads the certfile/keyfile (and, with require-client-cert, cafile) of every [tls.NAME] an
/// [httpserver.NAME] serves with, relative to the working directory as in Burrow: a file that is
/// missing or unreadable, not PEM, or a key that does not match the certificate is an error at
/// that key (`tls.NAME.certfile: cannot load certificate FILE: reason`). Also parses every
/// notifier's templates (notifier_files_check): a missing template file or a syntax error is an
/// error at that key (`notifier.NAME.template-open: template syntax error: FILE:LINE:COL: ...`).
config_result load_config_file(const std::filesystem::path& file,
                               const env_lookup& env = process_environment, const load_options& options = {});

/// Burrow's --config-dir: loads DIR/warren.toml if it exists, otherwise DIR/burrow.toml (so a
/// Burrow directory works unchanged, and a warren.toml next to it takes precedence). Neither
/// present is an error naming both.
config_result load_config_dir(const std::filesystem::path& dir,
                              const env_lookup& env = process_environment, const load_options& options = {});

/// All errors, one per line (each ending in '\n'), for printing before exiting with code 2.
std::string format_errors(const std::vector<config_error>& errors);

}  // namespace warren
