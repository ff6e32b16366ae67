#include "service/config/load.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <set>
#include <sstream>
#include <stdexcept>
#include <utility>

#include <toml++/toml.h>

#include "service/core/pattern.hpp"

#include "service/http/tls_files.hpp"

namespace warren {

std::string config_error::to_string() const {
  std::string out = file;
  if (line != 0) out += ":" + std::to_string(line);
  out += ": ";
  if (!key.empty()) out += key + ": ";
  out += reason;
  return out;
}

std::string format_errors(const std::vector<config_error>& errors) {
  std::string out;
  for (const auto& e : errors) out += e.to_string() + "\n";
  return out;
}

void throw_exception_from_error(const std::vector<config_error>& errors, const boost::source_location&) {
  throw std::runtime_error("invalid configuration:\n" + format_errors(errors));
}

std::optional<std::string> process_environment(const std::string& name) {
  // Read once at start-up, before any thread exists, so getenv's lack of thread safety is moot.
  if (const char* v = std::getenv(name.c_str())) return std::string(v);
  return std::nullopt;
}

std::optional<std::string> no_environment(const std::string&) { return std::nullopt; }

namespace {

// Values large enough for any sane setting, small enough that seconds * 1000 never overflows.
constexpr std::int64_t max_seconds = 1'000'000'000;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::uint32_t line_of(const toml::node& n) { return n.source().begin.line; }

// "a string (\"10s\")", "an integer (5)", ... for "expected X, got Y" messages.
std::string describe(const toml::node& n) {
  std::ostringstream out;
  switch (n.type()) {
    case toml::node_type::string: out << "a string (" << in_quotes(n.as_string()->get()) << ")"; break;
    case toml::node_type::integer: out << "an integer (" << n.as_integer()->get() << ")"; break;
    case toml::node_type::floating_point: out << "a float (" << n.as_floating_point()->get() << ")"; break;
    case toml::node_type::boolean: out << "a boolean (" << (n.as_boolean()->get() ? "true" : "false") << ")"; break;
    case toml::node_type::array: out << "an array"; break;
    case toml::node_type::table: out << "a table"; break;
    case toml::node_type::date: out << "a date"; break;
    case toml::node_type::time: out << "a time"; break;
    case toml::node_type::date_time: out << "a date-time"; break;
    default: out << "nothing"; break;
  }
  return out.str();
}

struct error_sink {
  std::string file;
  std::vector<config_error> errors;
  void add(std::uint32_t line, std::string key, std::string reason) {
    errors.push_back(config_error{file, line, std::move(key), std::move(reason)});
  }
};

// Returns why `addr` is not a usable `host:port`, or nullopt when it is. Servers need a host and a
// port >= 1; listeners may leave the host empty (all interfaces) and use port 0 (random).
std::optional<std::string> address_problem(std::string_view addr, bool listener) {
  std::string_view host;
  std::string_view port;
  if (!addr.empty() && addr.front() == '[') {
    auto close = addr.find("]:");
    if (close == std::string_view::npos) return "expected [ipv6]:port";
    host = addr.substr(1, close - 1);
    port = addr.substr(close + 2);
    if (host.empty() || host.find_first_not_of("0123456789abcdefABCDEF:.%") != std::string_view::npos)
      return "bad IPv6 address in brackets";
  } else {
    auto colon = addr.rfind(':');
    if (colon == std::string_view::npos) return "expected host:port";
    host = addr.substr(0, colon);
    port = addr.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return "an IPv6 host must be written in brackets: [::1]:port";
    for (char c : host) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_')
        return "bad character " + in_quotes(std::string(1, c)) + " in host";
    }
  }
  if (host.empty() && !listener) return "expected host:port, the host is empty";
  unsigned value = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc{} || p != port.data() + port.size() || value > 65535)
    return "port must be a number 0..65535";
  if (value == 0 && !listener) return "port must not be 0";
  return std::nullopt;
}

// Reads one TOML table into a struct, key by key, remembering which keys were consumed so that
// finish() can report the rest as unknown.
class table_reader {
 public:
  table_reader(const toml::table& table, std::string path, error_sink& sink)
      : table_(table), path_(std::move(path)), sink_(sink) {}

  std::uint32_t line() const { return line_of(table_); }
  const std::string& path() const { return path_; }
  std::string key_path(std::string_view key) const { return path_ + "." + std::string(key); }
  bool has(std::string_view key) const { return table_.get(key) != nullptr; }
  std::uint32_t line_of_key(std::string_view key) const {
    const toml::node* n = table_.get(key);
    return n ? line_of(*n) : line();
  }

  void error(std::string_view key, std::string reason) const {
    sink_.add(line_of_key(key), key_path(key), std::move(reason));
  }
  void missing(std::string_view key) const { sink_.add(line(), key_path(key), "missing required key"); }

  // The node for `key`, marking it known and consumed; nullptr when absent.
  const toml::node* take(std::string_view key) {
    known_.insert(std::string(key));
    const toml::node* n = table_.get(key);
    if (n) used_.insert(std::string(key));
    return n;
  }

  // Returns false when the key is present but not a string (already reported).
  bool read(std::string_view key, std::string& out) {
    const toml::node* n = take(key);
    if (!n) return true;
    if (auto v = n->as_string()) {
      out = v->get();
      return true;
    }
    error(key, "expected a string, got " + describe(*n));
    return false;
  }

  void read(std::string_view key, bool& out) {
    const toml::node* n = take(key);
    if (!n) return;
    if (auto v = n->as_boolean()) out = v->get();
    else error(key, "expected true or false, got " + describe(*n));
  }

  template <class Int>
  void read_int(std::string_view key, Int& out, std::int64_t min, std::int64_t max) {
    const toml::node* n = take(key);
    if (!n) return;
    auto v = n->as_integer();
    if (!v) return error(key, "expected an integer, got " + describe(*n));
    std::int64_t x = v->get();
    if (x < min || x > max)
      return error(key, "must be " + std::to_string(min) + ".." + std::to_string(max) + ", got " + std::to_string(x));
    out = static_cast<Int>(x);
  }

  void read_seconds(std::string_view key, std::chrono::seconds& out, std::int64_t min = 0) {
    const toml::node* n = take(key);
    if (!n) return;
    auto v = n->as_integer();
    if (!v) return error(key, "expected an integer number of seconds, got " + describe(*n));
    std::int64_t x = v->get();
    if (x < 0) return error(key, "must not be negative (seconds), got " + std::to_string(x));
    if (x < min) return error(key, "must be at least " + std::to_string(min) + " (seconds), got " + std::to_string(x));
    if (x > max_seconds) return error(key, "must be at most " + std::to_string(max_seconds) + " (seconds)");
    out = std::chrono::seconds(x);
  }

  void read_number(std::string_view key, double& out, double min, double max) {
    const toml::node* n = take(key);
    if (!n) return;
    double x = 0;
    if (auto f = n->as_floating_point()) x = f->get();
    else if (auto i = n->as_integer()) x = static_cast<double>(i->get());
    else return error(key, "expected a number, got " + describe(*n));
    if (!(x >= min && x <= max)) {
      std::ostringstream out_range;
      out_range << "must be " << min << ".." << max << ", got " << x;
      return error(key, out_range.str());
    }
    out = x;
  }

  // Returns false when the key is present but not an array of strings (already reported).
  bool read(std::string_view key, std::vector<std::string>& out) {
    const toml::node* n = take(key);
    if (!n) return true;
    auto arr = n->as_array();
    if (!arr) {
      error(key, "expected an array of strings, got " + describe(*n) + " (write " + std::string(key) + " = [\"...\"])");
      return false;
    }
    std::vector<std::string> values;
    for (const auto& item : *arr) {
      auto s = item.as_string();
      if (!s) {
        error(key, "expected an array of strings, an element is " + describe(item));
        return false;
      }
      values.push_back(s->get());
    }
    out = std::move(values);
    return true;
  }

  void read(std::string_view key, std::map<std::string, std::string>& out) {
    const toml::node* n = take(key);
    if (!n) return;
    auto tbl = n->as_table();
    if (!tbl) return error(key, "expected a table of strings, got " + describe(*n));
    std::map<std::string, std::string> values;
    for (const auto& [k, v] : *tbl) {
      auto s = v.as_string();
      if (!s) {
        sink_.add(line_of(v), key_path(key) + "." + std::string(k.str()), "expected a string, got " + describe(v));
        continue;
      }
      values.emplace(std::string(k.str()), s->get());
    }
    out = std::move(values);
  }

  // A list of host:port servers.
  void read_servers(std::string_view key, std::vector<std::string>& out) {
    std::vector<std::string> values;
    if (!read(key, values) || !has(key)) return;
    bool ok = true;
    for (const auto& s : values) {
      if (auto problem = address_problem(s, false)) {
        error(key, in_quotes(s) + ": " + *problem);
        ok = false;
      }
    }
    if (values.empty()) error(key, "must not be empty");
    else if (ok) out = std::move(values);
  }

  // A group regex; the old Burrow names are read only to be rejected with the new name.
  void read_group_filters(std::string& allowlist, std::string& denylist) {
    read_regex("group-allowlist", allowlist);
    read_regex("group-denylist", denylist);
    if (take("group-whitelist"))
      error("group-whitelist", "renamed to group-allowlist (Burrow rejects the old name too)");
    if (take("group-blacklist"))
      error("group-blacklist", "renamed to group-denylist (Burrow rejects the old name too)");
  }

  void read_regex(std::string_view key, std::string& out) {
    std::string value;
    if (!read(key, value)) return;
    if (value.empty()) {
      out.clear();
      return;
    }
    // RE2 (core/pattern.hpp), Go's syntax as in Burrow: compiled in linear time without recursion,
    // so only its own size limits apply.
    auto compiled = pattern::compile(value);
    if (auto* e = std::get_if<pattern_error>(&compiled)) {
      error(key, "invalid regular expression " + in_quotes(value.size() > 200 ? value.substr(0, 200) + "..." : value) +
                     ": " + e->message);
      return;
    }
    out = std::move(value);
  }

  // Keys that are valid elsewhere but mean nothing for this class-name.
  void not_for_class(std::string_view class_name, std::initializer_list<std::string_view> keys) {
    for (auto key : keys) {
      if (take(key)) error(key, "not used by class-name " + in_quotes(class_name));
    }
  }

  // Reports every key that no read consumed.
  void finish() const {
    for (const auto& [k, v] : table_) {
      std::string key(k.str());
      if (used_.contains(key)) continue;
      std::string reason = v.is_table() ? "unknown section" : "unknown key";
      std::string dashed = key;
      std::replace(dashed.begin(), dashed.end(), '_', '-');
      dashed = lower(dashed);
      if (dashed != key && known_.contains(dashed)) reason += " (did you mean " + dashed + "?)";
      sink_.add(line_of(v), key_path(key), std::move(reason));
    }
  }

 private:
  const toml::table& table_;
  std::string path_;
  error_sink& sink_;
  std::set<std::string> known_;
  std::set<std::string> used_;
};

// ---- environment overrides ------------------------------------------------------------------

std::string env_name(std::string_view prefix, std::string_view path) {
  std::string name = prefix.empty() ? std::string(path) : std::string(prefix) + "_" + std::string(path);
  for (auto& c : name) {
    if (c == '.' || c == '-') c = '_';
  }
  return upper(std::move(name));
}

std::optional<bool> parse_env_bool(std::string_view s) {
  // Go's strconv.ParseBool, which viper uses.
  static const std::set<std::string_view> yes{"1", "t", "T", "TRUE", "true", "True"};
  static const std::set<std::string_view> no{"0", "f", "F", "FALSE", "false", "False"};
  if (yes.contains(s)) return true;
  if (no.contains(s)) return false;
  return std::nullopt;
}

void override_value(toml::node& node, const std::string& path, const std::string& var, const std::string& text,
                    error_sink& sink) {
  auto fail = [&](std::string what) {
    sink.add(line_of(node), path, "environment variable " + var + "=" + in_quotes(text) + ": " + what);
  };
  switch (node.type()) {
    case toml::node_type::string: node.as_string()->get() = text; break;
    case toml::node_type::integer: {
      std::int64_t v = 0;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (text.empty() || ec != std::errc{} || p != text.data() + text.size()) return fail("not an integer");
      node.as_integer()->get() = v;
      break;
    }
    case toml::node_type::floating_point: {
      char* end = nullptr;
      double v = std::strtod(text.c_str(), &end);
      if (text.empty() || end != text.c_str() + text.size()) return fail("not a number");
      node.as_floating_point()->get() = v;
      break;
    }
    case toml::node_type::boolean: {
      auto v = parse_env_bool(text);
      if (!v) return fail("not a boolean (true/false/1/0)");
      node.as_boolean()->get() = *v;
      break;
    }
    case toml::node_type::array: {
      auto& arr = *node.as_array();
      bool strings = std::all_of(arr.begin(), arr.end(), [](const toml::node& n) { return n.is_string(); });
      if (!strings) return fail("only arrays of strings can be set from the environment");
      arr.clear();
      std::string item;
      for (char c : text + ",") {
        if (c == ',' || std::isspace(static_cast<unsigned char>(c))) {
          if (!item.empty()) arr.push_back(item);
          item.clear();
        } else {
          item += c;
        }
      }
      break;
    }
    default: return fail("this kind of value cannot be set from the environment");
  }
}

// Burrow (viper) lets PREFIX_SECTION_NAME_KEY override any key that exists in the file.
void apply_environment(toml::table& table, const std::string& path, const std::string& prefix, const env_lookup& env,
                       error_sink& sink) {
  for (auto&& [k, v] : table) {
    std::string full = path.empty() ? std::string(k.str()) : path + "." + std::string(k.str());
    if (auto sub = v.as_table()) {
      apply_environment(*sub, full, prefix, env, sink);
      continue;
    }
    if (full == "general.env-var-prefix") continue;
    if (auto arr = v.as_array(); arr && arr->is_array_of_tables() && !arr->empty()) continue;
    std::string var = env_name(prefix, full);
    if (auto value = env(var)) override_value(v, full, var, *value, sink);
  }
}

// ---- sections -------------------------------------------------------------------------------

const toml::table* section_table(const toml::table& root, std::string_view name, error_sink& sink) {
  const toml::node* n = root.get(name);
  if (!n) return nullptr;
  if (auto t = n->as_table()) return t;
  sink.add(line_of(*n), std::string(name), "expected a [" + std::string(name) + "] table, got " + describe(*n));
  return nullptr;
}

// Calls fn(reader, name) for every [section.NAME] table.
template <class Fn>
void for_each_module(const toml::table& root, std::string_view section, error_sink& sink, Fn&& fn) {
  const toml::table* t = section_table(root, section, sink);
  if (!t) return;
  for (const auto& [k, v] : *t) {
    std::string name(k.str());
    std::string path = std::string(section) + "." + name;
    auto module = v.as_table();
    if (!module) {
      sink.add(line_of(v), path,
               "expected a [" + std::string(section) + ".NAME] table, got " + describe(v) +
                   " (settings go in a named table such as [" + std::string(section) + ".local])");
      continue;
    }
    if (name.empty()) {
      sink.add(line_of(*module), path, "the module name must not be empty");
      continue;
    }
    table_reader r(*module, path, sink);
    fn(r, name);
    r.finish();
  }
}

void read_class(table_reader& r, std::string& out, std::initializer_list<std::string_view> allowed,
                std::string_view what) {
  if (!r.read("class-name", out)) return;
  if (std::find(allowed.begin(), allowed.end(), out) != allowed.end()) return;
  std::string list;
  for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  std::string reason = "unknown " + std::string(what) + " class-name " + in_quotes(out) + " (expected " + list + ")";
  if (what == "notifier" && out == "slack")
    reason += "; Burrow removed the slack notifier (PR #278): use class-name = \"http\" with url-open = your Slack "
              "incoming-webhook URL, template-open = \"config/templates/slack-open.tmpl\" and, for resolutions, "
              "send-close = true, url-close = the same URL, template-close = \"config/templates/slack-close.tmpl\"";
  r.error("class-name", std::move(reason));
}

void check_reference(const table_reader& r, std::string_view key, const std::string& name, bool exists,
                     std::string_view section) {
  if (name.empty() || exists) return;
  r.error(key, in_quotes(name) + " is not defined (no [" + std::string(section) + "." + name + "])");
}

void read_general(const toml::table& root, config& cfg, error_sink& sink) {
  if (auto t = section_table(root, "general", sink)) {
    table_reader r(*t, "general", sink);
    auto& g = cfg.general;
    r.read("pidfile", g.pidfile);
    r.read("stdout-logfile", g.stdout_logfile);
    r.read("access-control-allow-origin", g.access_control_allow_origin);
    r.read("env-var-prefix", g.env_var_prefix);
    r.finish();
  }
}

void read_logging(const toml::table& root, config& cfg, error_sink& sink) {
  if (auto t = section_table(root, "logging", sink)) {
    table_reader r(*t, "logging", sink);
    auto& l = cfg.logging;
    r.read("filename", l.filename);
    std::string level = l.level;
    r.read("level", level);
    static const std::set<std::string> levels{"debug", "trace", "info", "warn", "warning", "error", "panic", "fatal"};
    if (levels.contains(lower(level))) l.level = lower(level);
    else r.error("level", "unknown log level " + in_quotes(level) + " (debug, info, warn, error, panic, fatal)");
    r.read_int("maxsize", l.maxsize, 0, 1'000'000);
    r.read_int("maxsize-bytes", l.maxsize_bytes, 0, std::int64_t{1} << 50);
    r.read_int("maxbackups", l.maxbackups, 0, 1'000'000);
    r.read_int("maxage", l.maxage, 0, 100'000);
    r.read("use-localtime", l.use_localtime);
    r.read("use-compression", l.use_compression);
    if (r.read("format", l.format) && l.format != "text" && l.format != "json")
      r.error("format", "unknown log format " + in_quotes(l.format) + " (\"text\" or \"json\")");
    r.finish();
  }
}

void read_profiles(const toml::table& root, config& cfg, error_sink& sink) {
  for_each_module(root, "tls", sink, [&](table_reader& r, const std::string& name) {
    tls_profile p;
    p.name = name;
    r.read("certfile", p.certfile);
    r.read("keyfile", p.keyfile);
    r.read("cafile", p.cafile);
    r.read("noverify", p.noverify);
    if (p.certfile.empty() != p.keyfile.empty())
      r.error(p.certfile.empty() ? "keyfile" : "certfile", "certfile and keyfile must be given together");
    cfg.tls.emplace(name, std::move(p));
  });
  for_each_module(root, "sasl", sink, [&](table_reader& r, const std::string& name) {
    sasl_profile p;
    p.name = name;
    std::string mechanism;
    r.read("mechanism", mechanism);
    mechanism = upper(mechanism);
    if (mechanism.empty()) mechanism = "PLAIN";
    if (mechanism == "PLAIN" || mechanism == "SCRAM-SHA-256" || mechanism == "SCRAM-SHA-512" ||
        mechanism == "OAUTHBEARER")
      p.mechanism = mechanism;
    else
      r.error("mechanism", "unknown SASL mechanism " + in_quotes(mechanism) +
                               " (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER)");
    r.read("handshake-first", p.handshake_first);
    if (!p.handshake_first)
      r.error("handshake-first",
              "false is not supported: librdkafka always sends SaslHandshake first, as every broker with "
              "PLAIN or SCRAM (Kafka 0.10+) requires; remove the key or set it to true");
    r.read("username", p.username);
    r.read("password", p.password);
    // OAUTHBEARER: the user name is the JWT subject in librdkafka's space-separated
    // sasl.oauthbearer.config (principal=NAME), which has no quoting.
    if (p.mechanism == "OAUTHBEARER" &&
        (p.username.empty() || p.username.find_first_of(" \t\r\n=") != std::string::npos))
      r.error("username", "OAUTHBEARER needs a username (the token's subject) without spaces or '='");
    cfg.sasl.emplace(name, std::move(p));
  });
  for_each_module(root, "iam", sink, [&](table_reader& r, const std::string& name) {
    iam_profile p;
    p.name = name;
    r.read("region", p.region);
    if (!r.has("region")) r.missing("region");
    r.read("role-arn", p.role_arn);
    r.read("profile", p.profile);
    cfg.iam.emplace(name, std::move(p));
  });
  for_each_module(root, "client-profile", sink, [&](table_reader& r, const std::string& name) {
    client_profile p;
    p.name = name;
    r.read("client-id", p.client_id);
    r.read("kafka-version", p.kafka_version);
    // Burrow: an empty kafka-version means Sarama's 0.10.2.0.
    if (p.kafka_version.empty()) p.kafka_version = "0.10.2.0";
    // Sarama's ParseKafkaVersion: X.Y.Z, or 0.X.Y.Z before Kafka 1.0.
    static const pattern version = std::get<pattern>(pattern::compile(R"(^([0-9]+\.[0-9]+\.[0-9]+|0\.[0-9]+\.[0-9]+\.[0-9]+)$)"));
    if (!version.search(p.kafka_version))
      r.error("kafka-version", "not a Kafka version " + in_quotes(p.kafka_version) +
                                   " (X.Y.Z such as \"2.8.0\", or 0.X.Y.Z such as \"0.10.2.0\")");
    r.read("tls", p.tls);
    r.read("sasl", p.sasl);
    r.read("iam", p.iam);
    check_reference(r, "tls", p.tls, cfg.tls.contains(p.tls), "tls");
    check_reference(r, "sasl", p.sasl, cfg.sasl.contains(p.sasl), "sasl");
    check_reference(r, "iam", p.iam, cfg.iam.contains(p.iam), "iam");
    // Burrow signs SASL/OAUTHBEARER tokens with AWS SigV4 for MSK; librdkafka 2.0.2 has no such
    // mechanism and Warren does not implement one, so connecting without it would be silent failure.
    if (!p.iam.empty() && cfg.iam.contains(p.iam))
      r.error("iam", "AWS MSK IAM authentication is not supported by Warren (librdkafka has no AWS_MSK_IAM "
                     "mechanism); use SASL/SCRAM on MSK instead: sasl = \"NAME\" with [sasl.NAME] mechanism = "
                     "\"SCRAM-SHA-512\" and tls");
    r.read_seconds("dial-timeout", p.dial_timeout, 1);
    r.read_seconds("read-timeout", p.read_timeout, 1);
    cfg.client_profiles.emplace(name, std::move(p));
  });
  // Burrow's built-in profile, used by modules that name none.
  if (!cfg.client_profiles.contains("default")) {
    client_profile p;
    p.name = "default";
    cfg.client_profiles.emplace("default", std::move(p));
  }
}

void read_zookeeper(const toml::table& root, config& cfg, error_sink& sink) {
  if (auto t = section_table(root, "zookeeper", sink)) {
    table_reader r(*t, "zookeeper", sink);
    auto& z = cfg.zookeeper;
    r.read_servers("servers", z.servers);
    r.read_seconds("timeout", z.timeout, 1);
    r.read("root-path", z.root_path);
    r.read("tls", z.tls);
    check_reference(r, "tls", z.tls, cfg.tls.contains(z.tls), "tls");
    r.finish();
  }
}

// Burrow panics when more than one storage or evaluator module is configured. Keep the first in
// the file and report the others.
template <class Map>
void single_module(Map& modules, const std::map<std::string, std::uint32_t>& lines, std::string_view section,
                   error_sink& sink) {
  if (modules.size() <= 1) return;
  auto first = std::min_element(lines.begin(), lines.end(),
                                [](const auto& a, const auto& b) { return a.second < b.second; });
  for (const auto& [name, line] : lines) {
    if (name == first->first) continue;
    sink.add(line, std::string(section) + "." + name,
             "only one " + std::string(section) + " module is allowed; " + std::string(section) + "." + first->first +
                 " is already defined");
  }
}

void read_storage(const toml::table& root, config& cfg, error_sink& sink) {
  std::map<std::string, std::uint32_t> lines;
  for_each_module(root, "storage", sink, [&](table_reader& r, const std::string& name) {
    storage_module m;
    m.name = name;
    lines[name] = r.line();
    read_class(r, m.class_name, {"inmemory"}, "storage");
    r.read_int("intervals", m.intervals, 1, 4096);  // the store's ring limit (storage/model.hpp)
    r.read_seconds("expire-group", m.expire_group, 1);
    r.read_int("workers", m.workers, 1, 100'000);
    r.read_int("queue-depth", m.queue_depth, 0, 1'000'000);
    r.read_seconds("min-distance", m.min_distance);
    r.read_group_filters(m.group_allowlist, m.group_denylist);
    cfg.storage.emplace(name, std::move(m));
  });
  single_module(cfg.storage, lines, "storage", sink);
  if (cfg.storage.empty()) cfg.storage.emplace("default", storage_module{});
}

void read_evaluator(const toml::table& root, config& cfg, error_sink& sink) {
  std::map<std::string, std::uint32_t> lines;
  for_each_module(root, "evaluator", sink, [&](table_reader& r, const std::string& name) {
    evaluator_module m;
    m.name = name;
    lines[name] = r.line();
    read_class(r, m.class_name, {"caching"}, "evaluator");
    r.read_seconds("expire-cache", m.expire_cache);
    r.read_number("minimum-complete", m.minimum_complete, 0.0, 1.0);
    r.read_int("allowed-lag", m.allowed_lag, 0, std::numeric_limits<std::int64_t>::max());
    cfg.evaluators.emplace(name, std::move(m));
  });
  single_module(cfg.evaluators, lines, "evaluator", sink);
  if (cfg.evaluators.empty()) cfg.evaluators.emplace("default", evaluator_module{});
}

void read_httpservers(const toml::table& root, config& cfg, error_sink& sink, const tls_files_check* check) {
  for_each_module(root, "httpserver", sink, [&](table_reader& r, const std::string& name) {
    httpserver_module m;
    m.name = name;
    r.read("address", m.address);
    if (auto problem = address_problem(m.address, true)) r.error("address", in_quotes(m.address) + ": " + *problem);
    r.read_seconds("timeout", m.timeout, 1);
    r.read_seconds("header-timeout", m.header_timeout, 1);
    r.read_seconds("idle-timeout", m.idle_timeout, 1);
    r.read_int("max-connections", m.max_connections, 1, 1'000'000);
    r.read("tls", m.tls);
    r.read("require-client-cert", m.require_client_cert);
    check_reference(r, "tls", m.tls, cfg.tls.contains(m.tls), "tls");
    if (auto it = cfg.tls.find(m.tls); it != cfg.tls.end()) {
      const tls_profile& p = it->second;
      if (p.certfile.empty()) {
        r.error("tls", "tls profile " + in_quotes(m.tls) + " needs certfile and keyfile to serve HTTPS");
      } else if (check && *check) {
        // The listener's certificate, key and (for mTLS) CA are loaded now, so a bad file is a
        // configuration error rather than a failed start.
        auto problem = (*check)(p.certfile, p.keyfile, m.require_client_cert ? p.cafile : "");
        if (problem) {
          const std::string key = "tls." + m.tls + "." + problem->key;
          const toml::node* n = root.at_path(key).node();
          sink.add(n ? line_of(*n) : r.line_of_key("tls"), key, problem->reason);
        }
      }
    }
    if (m.require_client_cert) {
      if (m.tls.empty()) r.error("require-client-cert", "needs tls (a [tls.NAME] profile with a cafile)");
      else if (auto it = cfg.tls.find(m.tls); it != cfg.tls.end() && it->second.cafile.empty())
        r.error("require-client-cert", "tls profile " + in_quotes(m.tls) + " needs a cafile to verify client certificates");
    }
    cfg.httpservers.emplace(name, std::move(m));
  });
  // Burrow: no [httpserver] section = one listener on ":0" (random port).
  if (cfg.httpservers.empty()) cfg.httpservers.emplace("default", httpserver_module{});
}

void read_notifiers(const toml::table& root, config& cfg, error_sink& sink, const notifier_files_check* check) {
  for_each_module(root, "notifier", sink, [&](table_reader& r, const std::string& name) {
    notifier_module m;
    m.name = name;
    if (!r.has("class-name")) r.missing("class-name");
    else read_class(r, m.class_name, {"http", "email", "null", "alertmanager"}, "notifier");
    r.read("cluster", m.cluster);
    check_reference(r, "cluster", m.cluster, cfg.clusters.contains(m.cluster), "cluster");
    r.read_group_filters(m.group_allowlist, m.group_denylist);
    r.read_seconds("interval", m.interval, 1);
    m.send_interval = m.interval;
    r.read_seconds("send-interval", m.send_interval);
    r.read_int("threshold", m.threshold, 1, 3);
    r.read("send-once", m.send_once);
    r.read("send-close", m.send_close);
    r.read("extras", m.extras);
    r.read("template-open", m.template_open);
    r.read("template-close", m.template_close);

    r.read("url-open", m.url_open);
    r.read("method-open", m.method_open);
    r.read("url-close", m.url_close);
    r.read("method-close", m.method_close);
    for (auto key : {"method-open", "method-close"}) {
      std::string& method = std::string_view(key) == "method-open" ? m.method_open : m.method_close;
      method = upper(method);
      bool token = !method.empty() && std::all_of(method.begin(), method.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
      if (!token) r.error(key, "not an HTTP method " + in_quotes(method));
    }
    r.read_seconds("timeout", m.timeout, 1);
    r.read_seconds("keepalive", m.keepalive);
    r.read("disable-http-keepalive", m.disable_http_keepalive);
    r.read("extra-ca", m.extra_ca);
    r.read("noverify", m.noverify);
    r.read("username", m.username);
    r.read("password", m.password);
    r.read("headers", m.headers);

    r.read("server", m.server);
    r.read_int("port", m.port, 1, 65535);
    r.read("auth-type", m.auth_type);
    r.read("from", m.from);
    r.read("to", m.to);

    auto require = [&](std::string_view key) {
      if (!r.has(key)) r.missing(key);
    };
    if (m.class_name == "http") {
      r.not_for_class(m.class_name, {"server", "port", "auth-type", "from", "to"});
      require("url-open");
      require("template-open");
      if (m.send_close) {
        require("url-close");
        require("template-close");
      }
    } else if (m.class_name == "email") {
      r.not_for_class(m.class_name, {"url-open", "method-open", "url-close", "method-close", "timeout", "keepalive",
                                     "disable-http-keepalive", "headers"});
      for (auto key : {"server", "port", "from", "to", "template-open"}) require(key);
      if (m.send_close) require("template-close");
      m.auth_type = lower(m.auth_type);
      if (m.auth_type != "" && m.auth_type != "plain" && m.auth_type != "crammd5")
        r.error("auth-type", "unknown auth-type " + in_quotes(m.auth_type) + " (\"\", \"plain\", \"crammd5\")");
      if (!m.server.empty()) {
        if (auto problem = address_problem(m.server + ":" + std::to_string(m.port == 0 ? 25 : m.port), false))
          r.error("server", in_quotes(m.server) + ": " + *problem);
      }
    } else if (m.class_name == "alertmanager") {
      // Warren: POST url-open (Alertmanager's /api/v2/alerts) with labels and the rendered templates
      // as the description annotation (notifier/alertmanager.hpp).
      r.not_for_class(m.class_name, {"server", "port", "auth-type", "from", "to", "method-open", "method-close"});
      require("url-open");
    } else if (m.class_name == "null") {
      r.not_for_class(m.class_name, {"url-open", "method-open", "url-close", "method-close", "timeout", "keepalive",
                                     "disable-http-keepalive", "headers", "server", "port", "auth-type", "from", "to",
                                     "extra-ca", "noverify", "username", "password"});
    }
    // Template files and syntax are checked now (a hook: the notifier is not the loader's business),
    // so a bad template is a configuration error rather than a failed start or a failed send.
    if (check && *check && !m.class_name.empty())
      for (auto& problem : (*check)(m)) r.error(problem.key, std::move(problem.reason));
    cfg.notifiers.emplace(name, std::move(m));
  });
}

void read_clusters(const toml::table& root, config& cfg, error_sink& sink) {
  for_each_module(root, "cluster", sink, [&](table_reader& r, const std::string& name) {
    cluster_module m;
    m.name = name;
    read_class(r, m.class_name, {"kafka"}, "cluster");
    if (!r.has("servers")) r.missing("servers");
    r.read_servers("servers", m.servers);
    r.read("client-profile", m.client_profile);
    if (m.client_profile.empty()) m.client_profile = "default";
    check_reference(r, "client-profile", m.client_profile, cfg.client_profiles.contains(m.client_profile),
                    "client-profile");
    r.read_seconds("offset-refresh", m.offset_refresh, 1);
    r.read_seconds("topic-refresh", m.topic_refresh, 1);
    r.read_seconds("groups-reaper-refresh", m.groups_reaper_refresh);
    cfg.clusters.emplace(name, std::move(m));
  });
}

void read_consumers(const toml::table& root, config& cfg, error_sink& sink) {
  // Issue 14: [warren] cluster-group is the default of every class kafka consumer (read_warren
  // reads and checks the key itself; a bad value is reported there).
  std::string default_group;
  if (auto g = root.at_path("warren.cluster-group").value<std::string>()) default_group = *g;
  for_each_module(root, "consumer", sink, [&](table_reader& r, const std::string& name) {
    consumer_module m;
    m.name = name;
    read_class(r, m.class_name, {"kafka", "kafka_zk", "kafka-admin"}, "consumer");
    r.read("cluster", m.cluster);
    const cluster_module* cluster = nullptr;
    if (!r.has("cluster")) r.missing("cluster");
    else if (auto it = cfg.clusters.find(m.cluster); it != cfg.clusters.end()) cluster = &it->second;
    else if (!m.cluster.empty()) r.error("cluster", in_quotes(m.cluster) + " is not defined (no [cluster." + m.cluster + "])");
    else r.error("cluster", "must name a [cluster.NAME]");
    r.read_servers("servers", m.servers);
    r.read_group_filters(m.group_allowlist, m.group_denylist);

    r.read("client-profile", m.client_profile);
    r.read("offsets-topic", m.offsets_topic);
    r.read("start-latest", m.start_latest);
    r.read("backfill-earliest", m.backfill_earliest);
    r.read("zookeeper-path", m.zookeeper_path);
    r.read_seconds("zookeeper-timeout", m.zookeeper_timeout, 1);
    r.read("self-report", m.self_report);

    // Warren (issue 13): keys of the kafka-admin class only.
    if (m.class_name == "kafka-admin") {
      r.not_for_class(m.class_name, {"zookeeper-path", "zookeeper-timeout", "offsets-topic", "start-latest",
                                     "backfill-earliest", "self-report"});
      m.offsets_topic.clear();
      m.self_report = false;  // no offsets-topic position to report
      if (!r.has("servers") && cluster) m.servers = cluster->servers;
      if (m.client_profile.empty()) m.client_profile = cluster ? cluster->client_profile : "default";
      check_reference(r, "client-profile", m.client_profile, cfg.client_profiles.contains(m.client_profile),
                      "client-profile");
      r.read_seconds("offset-refresh", m.admin_offset_refresh, 1);
      r.read_seconds("group-refresh", m.admin_group_refresh, 1);
      r.read_int("max-in-flight", m.admin_max_in_flight, 1, 1000);
      r.read_seconds("request-timeout", m.admin_request_timeout, 1);
      r.read_seconds("max-backoff", m.admin_max_backoff, 1);
      if (m.admin_offset_refresh.count() == 0) m.admin_offset_refresh = cluster ? cluster->offset_refresh : std::chrono::seconds(10);
      if (m.admin_group_refresh.count() == 0) m.admin_group_refresh = m.admin_offset_refresh;
      r.not_for_class(m.class_name, {"fallback"});  // issue 13: kafka only
      m.fallback = "none";
      r.not_for_class(m.class_name, {"cluster-group", "cluster-group-session-timeout", "status-topic",
                                     "publish-interval", "forward-timeout", "status-sync-timeout"});  // issue 14: kafka only
    } else {
      r.not_for_class(m.class_name, {"offset-refresh", "group-refresh", "max-in-flight", "request-timeout", "max-backoff"});
    }
    if (m.class_name == "kafka") {
      r.not_for_class(m.class_name, {"zookeeper-path", "zookeeper-timeout"});
      // Warren: servers and client-profile default to the cluster's (Burrow requires servers).
      if (!r.has("servers") && cluster) m.servers = cluster->servers;
      if (m.client_profile.empty()) m.client_profile = cluster ? cluster->client_profile : "default";
      check_reference(r, "client-profile", m.client_profile, cfg.client_profiles.contains(m.client_profile),
                      "client-profile");
      if (m.offsets_topic.empty()) r.error("offsets-topic", "must not be empty");
      if (m.backfill_earliest && !m.start_latest)
        r.error("backfill-earliest", "requires start-latest = true (without it the whole topic is read anyway)");
      // Warren (issue 13): the Admin API source this consumer switches to when the topic is refused.
      if (r.read("fallback", m.fallback) && m.fallback != "kafka-admin" && m.fallback != "none")
        r.error("fallback", "must be \"kafka-admin\" (switch to the Admin API when the offsets topic cannot be read) "
                            "or \"none\", got " + in_quotes(m.fallback));
      // Issue 14: instances sharing the offsets topic through a consumer group.
      const bool own_group = r.has("cluster-group");
      if (r.read("cluster-group", m.cluster_group) && own_group && m.cluster_group.empty())
        r.error("cluster-group", "must not be empty (omit the key to read every partition of the offsets topic)");
      if (!own_group) m.cluster_group = default_group;
      if (r.has("cluster-group-session-timeout") && m.cluster_group.empty())
        r.error("cluster-group-session-timeout", "requires cluster-group (here or in [warren])");
      r.read_seconds("cluster-group-session-timeout", m.cluster_group_session_timeout, 6);
      if (m.cluster_group_session_timeout.count() > 300)
        r.error("cluster-group-session-timeout", "must be at most 300 (seconds)");
      // Issue 14 part 2: the fleet's status topic (service/fleet).
      for (auto key : {"status-topic", "publish-interval", "forward-timeout", "status-sync-timeout"})
        if (r.has(key) && m.cluster_group.empty()) r.error(key, "requires cluster-group (here or in [warren])");
      if (r.has("status-topic") && r.read("status-topic", m.status_topic) && m.status_topic.empty())
        r.error("status-topic", "must not be empty (omit the key for __warren_status_<cluster-group>)");
      r.read_seconds("publish-interval", m.publish_interval, 1);
      if (m.publish_interval.count() > 3600) r.error("publish-interval", "must be at most 3600 (seconds)");
      r.read_seconds("forward-timeout", m.forward_timeout, 1);
      if (m.forward_timeout.count() > 60) r.error("forward-timeout", "must be at most 60 (seconds)");
      r.read_seconds("status-sync-timeout", m.status_sync_timeout, 1);
      if (m.status_sync_timeout.count() > 300) r.error("status-sync-timeout", "must be at most 300 (seconds)");
      if (!m.cluster_group.empty() && m.status_topic.empty()) m.status_topic = "__warren_status_" + m.cluster_group;
      if (!m.cluster_group.empty()) {
        if (r.has("fallback") && m.fallback == "kafka-admin")
          r.error("fallback", "\"kafka-admin\" cannot be used with cluster-group " + in_quotes(m.cluster_group) +
                              ": the Admin API source reads every group on every instance; use \"none\"");
        m.fallback = "none";
      }
      if (m.fallback == "kafka-admin") {  // the fallback runs with the kafka-admin defaults
        m.admin_offset_refresh = cluster ? cluster->offset_refresh : std::chrono::seconds(10);
        m.admin_group_refresh = m.admin_offset_refresh;
      }
    } else if (m.class_name == "kafka_zk") {
      r.not_for_class(m.class_name,
                      {"client-profile", "offsets-topic", "start-latest", "backfill-earliest", "self-report"});
      r.not_for_class(m.class_name, {"fallback"});  // issue 13: kafka only
      m.fallback = "none";
      r.not_for_class(m.class_name, {"cluster-group", "cluster-group-session-timeout", "status-topic",
                                     "publish-interval", "forward-timeout", "status-sync-timeout"});  // issue 14: kafka only
      m.offsets_topic.clear();
      if (!r.has("servers")) r.missing("servers");
    }
    cfg.consumers.emplace(name, std::move(m));
  });
}

void read_warren(const toml::table& root, config& cfg, error_sink& sink) {
  if (auto t = section_table(root, "warren", sink)) {
    table_reader r(*t, "warren", sink);
    auto& w = cfg.warren;
    r.read_int("coalesce-ms", w.coalesce_ms, 1, 10'000);
    r.read_seconds("eval-interval", w.eval_interval, 1);
    r.read_int("ws-outbox", w.ws_outbox, 1, 1'000'000);
    r.read("admin-token", w.admin_token);
    r.read("read-token", w.read_token);
    r.read("metrics-token", w.metrics_token);
    for (auto key : {"admin-token", "read-token", "metrics-token"}) {
      const std::string& token = std::string_view(key) == "admin-token"  ? w.admin_token
                             : std::string_view(key) == "read-token" ? w.read_token
                                                                     : w.metrics_token;
      // Checked without echoing the value: it is a secret.
      if (!token.empty() && (token.find_first_of(" \t\r\n") != std::string::npos || token.size() > 4096))
        r.error(key, "must be a single word of at most 4096 characters (no spaces)");
    }
    r.read_seconds("ready-timeout", w.ready_timeout);
    r.read("state-dir", w.state_dir);  // issue 14; the app checks that it can be created and written
    r.read_seconds("snapshot-interval", w.snapshot_interval, 1);
    if (w.snapshot_interval.count() > 86400) r.error("snapshot-interval", "must be at most 86400 (one day)");
    if (r.read("metrics", w.metrics)) {  // issue 12: naming sets of /metrics
      if (w.metrics.empty()) r.error("metrics", "must name at least one set (\"burrow\", \"kle\", \"warren\")");
      for (const auto& set : w.metrics)
        if (set != "burrow" && set != "kle" && set != "warren")
          r.error("metrics", "unknown set " + in_quotes(set) + " (expected \"burrow\", \"kle\" or \"warren\")");
    }
    // Issue 14: the default cluster-group of class kafka consumers (read_consumers applies it).
    r.read("cluster-group", w.cluster_group);  // empty = none (documented default)
    // Issue 14 part 2: where the fleet reaches this instance (forwarded /consumer/:group).
    if (r.has("advertised-url") && r.read("advertised-url", w.advertised_url) && !w.advertised_url.empty()) {
      while (w.advertised_url.size() > 7 && w.advertised_url.back() == '/') w.advertised_url.pop_back();
      const auto& u = w.advertised_url;
      const bool scheme = u.starts_with("http://");  // forwarding speaks plain HTTP
      const auto authority = u.substr(u.find("://") == std::string::npos ? 0 : u.find("://") + 3);
      if (!scheme || authority.empty() || authority.find_first_of("/?# ") != std::string::npos)
        r.error("advertised-url", "must be http://HOST:PORT (no path; forwarding between instances speaks plain HTTP), got " + in_quotes(u));
    }
    r.finish();
  }
}

}  // namespace

namespace {
// parse_config, and with `check` also the checks that read other files (TLS material).
config_result parse(std::string_view toml_text, std::string_view source_name, const env_lookup& env,
                    const load_options& options, const tls_files_check* check,
                    const notifier_files_check* notifier_check) {
  error_sink sink{std::string(source_name), {}};
  toml::table root;
  try {
    root = toml::parse(toml_text, std::string(source_name));
  } catch (const toml::parse_error& e) {
    sink.add(e.source().begin.line, "", "syntax error: " + std::string(e.description()));
    return std::move(sink.errors);
  }

  if (env) {
    std::string prefix = "burrow";
    if (auto p = root.at_path("general.env-var-prefix").value<std::string>()) prefix = *p;
    apply_environment(root, "", prefix, env, sink);
  }

  // Read in dependency order (profiles, then clusters, then consumers) whatever the file order.
  static const std::set<std::string_view> sections{"general", "logging", "zookeeper", "tls", "sasl", "iam",
                                                   "client-profile", "cluster", "consumer", "storage",
                                                   "evaluator", "httpserver", "notifier", "warren"};
  for (const auto& [k, v] : root) {
    if (!sections.contains(k.str()))
      sink.add(line_of(v), std::string(k.str()), v.is_table() ? "unknown section" : "unknown key");
  }
  config cfg;
  read_general(root, cfg, sink);
  read_logging(root, cfg, sink);
  read_profiles(root, cfg, sink);
  read_zookeeper(root, cfg, sink);
  read_storage(root, cfg, sink);
  read_evaluator(root, cfg, sink);
  read_httpservers(root, cfg, sink, check);
  read_clusters(root, cfg, sink);
  read_consumers(root, cfg, sink);
  read_notifiers(root, cfg, sink, notifier_check);
  read_warren(root, cfg, sink);
  // Only when no [cluster.X] was attempted: a broken one is already reported where it is.
  bool cluster_reported = std::any_of(sink.errors.begin(), sink.errors.end(), [](const config_error& e) {
    return e.key == "cluster" || e.key.rfind("cluster.", 0) == 0;
  });
  if (cfg.clusters.empty() && !options.allow_no_cluster && !cluster_reported)
    sink.add(1, "cluster",
             "no [cluster.NAME] section: Warren has nothing to monitor; add one such as [cluster.local] with "
             "servers = [\"kafka:9092\"] (or check a template with --check-config --allow-empty)");

  if (!sink.errors.empty()) {
    std::stable_sort(sink.errors.begin(), sink.errors.end(),
                     [](const config_error& a, const config_error& b) { return a.line < b.line; });
    return std::move(sink.errors);
  }
  return cfg;
}

}  // namespace

config_result parse_config(std::string_view toml_text, std::string_view source_name, const env_lookup& env,
                           const load_options& options) {
  return parse(toml_text, source_name, env, options, nullptr, nullptr);
}

config_result parse_config_checking_files(std::string_view toml_text, std::string_view source_name,
                                          const env_lookup& env, const load_options& options,
                                          const tls_files_check& check, const notifier_files_check& notifiers) {
  return parse(toml_text, source_name, env, options, &check, &notifiers);
}

}  // namespace warren
