// The configuration loader: Burrow's burrow.toml plus [warren], every error as FILE:LINE: KEY: REASON.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "service/config/load.hpp"

using namespace warren;
using namespace std::chrono_literals;

namespace {

std::string data_path(const std::string& name) { return std::string(WARREN_SOURCE_DIR) + "/tests/data/config/" + name; }
std::string repo_path(const std::string& name) { return std::string(WARREN_SOURCE_DIR) + "/" + name; }

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

config load_ok(const std::string& path) {
  auto r = load_config_file(path, no_environment);
  if (!r) BOOST_FAIL("unexpected errors:\n" + format_errors(r.error()));
  return *r;
}

config parse_ok(const std::string& text, const env_lookup& env = no_environment, const load_options& options = {}) {
  auto r = parse_config(text, "inline.toml", env, options);
  if (!r) BOOST_FAIL("unexpected errors:\n" + format_errors(r.error()));
  return *r;
}

std::vector<config_error> load_errors(const std::string& name) {
  auto r = load_config_file(data_path(name), no_environment);
  BOOST_REQUIRE_MESSAGE(!r.has_value(), name << " loaded but should not");
  return r.error();
}

// Exactly one error at (line, key), whose reason contains `reason_part`; its printed form is
// FILE:LINE: KEY: REASON.
void expect_error(const std::vector<config_error>& errors, std::uint32_t line, const std::string& key,
                  const std::string& reason_part) {
  auto matches = std::count_if(errors.begin(), errors.end(),
                               [&](const config_error& e) { return e.line == line && e.key == key; });
  BOOST_TEST_INFO("all errors:\n" << format_errors(errors));
  BOOST_REQUIRE_MESSAGE(matches == 1, "expected one error at line " << line << " for " << key << ", got " << matches);
  auto e = *std::find_if(errors.begin(), errors.end(),
                         [&](const config_error& x) { return x.line == line && x.key == key; });
  BOOST_TEST(e.reason.find(reason_part) != std::string::npos, "reason \"" << e.reason << "\" lacks \"" << reason_part << "\"");
  std::string expected_prefix = e.file + ":" + std::to_string(line) + ": " + key + ": ";
  BOOST_TEST(e.to_string() == expected_prefix + e.reason);
}

// Every error names the file it came from.
void expect_file(const std::vector<config_error>& errors, const std::string& file) {
  for (const auto& e : errors) BOOST_TEST(e.file == file);
}

// True for `key = value` (a TOML key made of lower-case letters, digits, '-' and '_').
bool looks_like_key_line(const std::string& s) {
  auto eq = s.find('=');
  if (eq == std::string::npos || eq == 0 || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  auto key_end = s.find_last_not_of(' ', eq - 1);
  return std::all_of(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(key_end + 1),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'; });
}

// The reference file with its commented-out example keys and sections (`# key = value`,
// `# [section]`) switched on; prose comments stay.
std::string uncomment_examples(const std::string& text) {
  std::istringstream in(text);
  std::string out, line;
  while (std::getline(in, line)) {
    std::string body = line.rfind("# ", 0) == 0 ? line.substr(2) : std::string();
    bool section = body.size() > 2 && body.front() == '[' && body.back() == ']';
    out += (section || looks_like_key_line(body) ? body : line) + "\n";
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config_loader)

// ---- bad configurations -------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(missing_servers_reported_at_cluster_header_line) {
  auto errors = load_errors("missing_servers.toml");
  BOOST_TEST(errors.size() == 1u);
  expect_error(errors, 3, "cluster.local.servers", "missing required key");
  expect_file(errors, data_path("missing_servers.toml"));
  BOOST_TEST(errors[0].to_string() == data_path("missing_servers.toml") + ":3: cluster.local.servers: missing required key");
}

BOOST_AUTO_TEST_CASE(regex_that_re2_rejects_is_reported_with_reason) {
  // Lookahead is ECMAScript, not Go/RE2 (Burrow would have refused it too).
  auto errors = load_errors("bad_regex.toml");
  BOOST_TEST(errors.size() == 1u);
  expect_error(errors, 7, "consumer.local.group-denylist", "invalid regular expression \"^(?!console-consumer-)\"");
  expect_error(errors, 7, "consumer.local.group-denylist", "RE2/Go syntax error");
}

BOOST_AUTO_TEST_CASE(go_regexps_of_any_nesting_load_and_oversized_ones_are_reported) {
  // Go/RE2 syntax such as (?i) loads as in Burrow; RE2 compiles without recursion, so depth and
  // length are limited only by the compiled size.
  std::string deep = std::string(200, '(') + "a" + std::string(200, ')');
  auto cfg = parse_ok("[cluster.local]\nservers = [\"k:9092\"]\n[consumer.local]\ncluster = \"local\"\n"
                      "group-allowlist = \"(?i)^app-\"\ngroup-denylist = \"" + deep + "\"\n");
  BOOST_TEST(cfg.consumers.at("local").group_allowlist == "(?i)^app-");
  auto r = parse_config("[cluster.local]\nservers = [\"k:9092\"]\n[consumer.local]\ncluster = \"local\"\n"
                        "group-denylist = \"(.*){1000}x\"\n",
                        "inline.toml");
  BOOST_REQUIRE(!r);
  expect_error(r.error(), 5, "consumer.local.group-denylist", "too large once compiled");
}

BOOST_AUTO_TEST_CASE(durations_must_be_non_negative_integers_of_seconds) {
  auto errors = load_errors("bad_duration.toml");
  BOOST_TEST(errors.size() == 3u);
  expect_error(errors, 3, "cluster.local.offset-refresh", "expected an integer number of seconds, got a string (\"10s\")");
  expect_error(errors, 4, "cluster.local.topic-refresh", "must not be negative");
  expect_error(errors, 5, "cluster.local.groups-reaper-refresh", "got a float");
}

BOOST_AUTO_TEST_CASE(unknown_keys_and_sections_are_named) {
  auto errors = load_errors("unknown_key.toml");
  BOOST_TEST(errors.size() == 3u);
  expect_error(errors, 3, "cluster.local.offset_refresh", "unknown key (did you mean offset-refresh?)");
  expect_error(errors, 4, "cluster.local.frobnicate", "unknown key");
  expect_error(errors, 6, "clusters", "unknown section");
}

BOOST_AUTO_TEST_CASE(syntax_error_reports_the_toml_line_without_a_key) {
  auto errors = load_errors("syntax_error.toml");
  BOOST_REQUIRE(errors.size() == 1u);
  const auto& e = errors[0];
  BOOST_TEST(e.key.empty());
  BOOST_TEST(e.line >= 3u);
  BOOST_TEST(e.line <= 4u);
  BOOST_TEST(e.reason.rfind("syntax error: ", 0) == 0u);
  BOOST_TEST(e.to_string() == data_path("syntax_error.toml") + ":" + std::to_string(e.line) + ": " + e.reason);
}

BOOST_AUTO_TEST_CASE(consumer_must_name_an_existing_cluster) {
  auto errors = load_errors("missing_cluster.toml");
  BOOST_TEST(errors.size() == 2u);
  expect_error(errors, 6, "consumer.prod.cluster", "\"prod\" is not defined (no [cluster.prod])");
  expect_error(errors, 8, "consumer.nocluster.cluster", "missing required key");
}

BOOST_AUTO_TEST_CASE(old_whitelist_and_blacklist_names_are_rejected_with_the_new_name) {
  auto errors = load_errors("whitelist.toml");
  BOOST_TEST(errors.size() == 2u);
  expect_error(errors, 6, "consumer.local.group-whitelist", "renamed to group-allowlist");
  expect_error(errors, 9, "storage.default.group-blacklist", "renamed to group-denylist");
}

BOOST_AUTO_TEST_CASE(more_than_one_storage_or_evaluator_module_is_rejected) {
  auto errors = load_errors("two_storage.toml");
  BOOST_TEST(errors.size() == 2u);
  expect_error(errors, 4, "storage.second", "only one storage module is allowed; storage.first is already defined");
  expect_error(errors, 10, "evaluator.b", "only one evaluator module is allowed; evaluator.a is already defined");
}

BOOST_AUTO_TEST_CASE(unknown_class_names_are_rejected) {
  auto errors = load_errors("bad_class.toml");
  BOOST_TEST(errors.size() == 2u);
  expect_error(errors, 2, "cluster.local.class-name", "unknown cluster class-name \"zookeeper\" (expected kafka)");
  expect_error(errors, 6, "notifier.chat.class-name", "Burrow removed the slack notifier");
}

BOOST_AUTO_TEST_CASE(backfill_earliest_requires_start_latest) {
  auto errors = load_errors("backfill.toml");
  BOOST_TEST(errors.size() == 1u);
  expect_error(errors, 7, "consumer.local.backfill-earliest", "requires start-latest = true");
}

BOOST_AUTO_TEST_CASE(invalid_log_level_is_rejected) {
  auto errors = load_errors("bad_log_level.toml");
  BOOST_TEST(errors.size() == 1u);
  expect_error(errors, 2, "logging.level", "unknown log level \"verbose\"");
}

BOOST_AUTO_TEST_CASE(bad_listener_and_server_addresses_are_rejected) {
  auto errors = load_errors("bad_address.toml");
  BOOST_TEST(errors.size() == 4u);
  expect_error(errors, 2, "httpserver.a.address", "expected host:port");
  expect_error(errors, 5, "httpserver.b.address", "port must be a number 0..65535");
  expect_error(errors, 8, "httpserver.c.address", "brackets");
  expect_error(errors, 11, "cluster.local.servers", "\"kafka\": expected host:port");
}

BOOST_AUTO_TEST_CASE(values_of_the_wrong_type_are_rejected) {
  auto errors = load_errors("wrong_type.toml");
  BOOST_TEST(errors.size() == 4u);
  expect_error(errors, 2, "cluster.local.servers", "expected an array of strings, got a string");
  expect_error(errors, 6, "consumer.local.start-latest", "expected true or false");
  expect_error(errors, 9, "storage.default.intervals", "expected an integer, got a string (\"15\")");
  expect_error(errors, 12, "evaluator.default.minimum-complete", "must be 0..1");
}

BOOST_AUTO_TEST_CASE(notifier_requires_its_class_keys_and_rejects_other_class_keys) {
  auto errors = load_errors("notifier_missing.toml");
  BOOST_TEST(errors.size() == 7u);
  expect_error(errors, 1, "notifier.alerts.url-open", "missing required key");
  expect_error(errors, 1, "notifier.alerts.template-open", "missing required key");
  expect_error(errors, 1, "notifier.alerts.url-close", "missing required key");
  expect_error(errors, 1, "notifier.alerts.template-close", "missing required key");
  expect_error(errors, 4, "notifier.alerts.server", "not used by class-name \"http\"");
  expect_error(errors, 13, "notifier.mail.url-open", "not used by class-name \"email\"");
  // load_config_file also parses template files (notifier_files_check): this one does not exist.
  expect_error(errors, 8, "notifier.mail.template-open", "cannot open template file mail.tmpl");
}

BOOST_AUTO_TEST_CASE(every_error_is_reported_sorted_by_line) {
  auto errors = load_errors("many_errors.toml");
  BOOST_TEST(errors.size() == 7u);
  expect_error(errors, 2, "logging.level", "unknown log level");
  expect_error(errors, 4, "cluster.local.servers", "missing required key");
  expect_error(errors, 5, "cluster.local.topic-refresh", "must be at least 1");
  expect_error(errors, 8, "consumer.local.cluster", "is not defined");
  expect_error(errors, 9, "consumer.local.group-denylist", "invalid regular expression");
  expect_error(errors, 12, "warren.coalesce-ms", "must be 1..10000");
  expect_error(errors, 13, "warren.ws-outbox", "must be 1..1000000");
  BOOST_TEST(std::is_sorted(errors.begin(), errors.end(),
                            [](const config_error& a, const config_error& b) { return a.line < b.line; }));
}

BOOST_AUTO_TEST_CASE(bad_warren_keys_are_reported) {
  auto errors = load_errors("bad_warren.toml");
  BOOST_TEST(errors.size() == 5u);
  expect_error(errors, 2, "warren.coalesce-ms", "must be 1..10000, got 20000");
  expect_error(errors, 3, "warren.eval-interval", "expected an integer number of seconds");
  expect_error(errors, 4, "warren.ws-outbox", "must be 1..1000000");
  expect_error(errors, 5, "warren.colour", "unknown key");
  expect_error(errors, 7, "warren.extras", "unknown section");
}

BOOST_AUTO_TEST_CASE(profile_problems_are_reported_where_they_are) {
  auto errors = load_errors("profiles.toml");
  BOOST_TEST(errors.size() == 6u);
  expect_error(errors, 5, "tls.halfcert.certfile", "certfile and keyfile must be given together");
  expect_error(errors, 14, "sasl.weird.mechanism", "unknown SASL mechanism \"GSSAPI\"");
  expect_error(errors, 23, "client-profile.broken.kafka-version", "not a Kafka version \"latest\"");
  expect_error(errors, 24, "client-profile.broken.tls", "\"missing\" is not defined (no [tls.missing])");
  expect_error(errors, 32, "cluster.other.client-profile", "\"nope\" is not defined");
  expect_error(errors, 36, "httpserver.secure.tls", "needs certfile and keyfile");
}

BOOST_AUTO_TEST_CASE(kafka_zk_consumer_needs_servers_and_rejects_kafka_only_keys) {
  auto r = parse_config(R"([cluster.local]
servers = ["k:9092"]
[consumer.zk]
class-name = "kafka_zk"
cluster = "local"
offsets-topic = "__consumer_offsets"
[consumer.k]
cluster = "local"
zookeeper-timeout = 30
)",
                        "inline.toml");
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().size() == 3u);
  expect_error(r.error(), 3, "consumer.zk.servers", "missing required key");
  expect_error(r.error(), 6, "consumer.zk.offsets-topic", "not used by class-name \"kafka_zk\"");
  expect_error(r.error(), 9, "consumer.k.zookeeper-timeout", "not used by class-name \"kafka\"");
}

BOOST_AUTO_TEST_CASE(module_settings_must_be_in_a_named_table) {
  auto r = parse_config("[cluster]\nservers = [\"k:9092\"]\n", "inline.toml");
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().size() == 1u);
  expect_error(r.error(), 2, "cluster.servers", "expected a [cluster.NAME] table");
}

BOOST_AUTO_TEST_CASE(missing_file_is_one_error_without_line) {
  auto r = load_config_file(data_path("does_not_exist.toml"), no_environment);
  BOOST_REQUIRE(!r.has_value());
  BOOST_REQUIRE(r.error().size() == 1u);
  BOOST_TEST(r.error()[0].line == 0u);
  BOOST_TEST(r.error()[0].to_string() == data_path("does_not_exist.toml") + ": cannot open the configuration file");
}

BOOST_AUTO_TEST_CASE(value_of_a_failed_result_throws_with_every_line) {
  auto r = load_config_file(data_path("many_errors.toml"), no_environment);
  BOOST_CHECK_THROW(r.value(), std::runtime_error);
  try {
    (void)r.value();
  } catch (const std::runtime_error& e) {
    BOOST_TEST(std::string(e.what()).find("warren.ws-outbox") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(error_text_leaves_out_missing_line_and_key) {
  BOOST_TEST((config_error{"f.toml", 3, "a.b", "bad"}.to_string()) == "f.toml:3: a.b: bad");
  BOOST_TEST((config_error{"f.toml", 0, "a.b", "bad"}.to_string()) == "f.toml: a.b: bad");
  BOOST_TEST((config_error{"f.toml", 7, "", "bad"}.to_string()) == "f.toml:7: bad");
  BOOST_TEST(format_errors({{"f", 1, "k", "r"}, {"f", 2, "", "s"}}) == "f:1: k: r\nf:2: s\n");
}

// A template without clusters (`--check-config --allow-empty`).
config parse_template(const std::string& text, const env_lookup& env = no_environment) {
  return parse_ok(text, env, load_options{.allow_no_cluster = true});
}

// ---- good configurations ------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(minimal_config_gets_burrow_defaults) {
  auto cfg = load_ok(data_path("minimal.toml"));
  BOOST_TEST(cfg.source_file == data_path("minimal.toml"));
  BOOST_TEST(cfg.source_dir == data_path("").substr(0, data_path("").size() - 1));
  BOOST_TEST(cfg.general.pidfile == "burrow.pid");
  BOOST_TEST(cfg.general.env_var_prefix == "burrow");
  BOOST_TEST(cfg.logging.level == "info");
  BOOST_TEST(cfg.logging.maxsize == 100);

  BOOST_REQUIRE(cfg.clusters.size() == 1u);
  const auto& cluster = cfg.clusters.at("local");
  BOOST_TEST(cluster.name == "local");
  BOOST_TEST(cluster.class_name == "kafka");
  BOOST_TEST(cluster.client_profile == "default");
  BOOST_TEST(cluster.offset_refresh.count() == 10);
  BOOST_TEST(cluster.topic_refresh.count() == 60);
  BOOST_TEST(cluster.groups_reaper_refresh.count() == 0);

  const auto& consumer = cfg.consumers.at("local");
  BOOST_TEST(consumer.class_name == "kafka");
  BOOST_TEST(consumer.servers == cluster.servers);  // Warren: defaults to the cluster's servers
  BOOST_TEST(consumer.client_profile == "default");
  BOOST_TEST(consumer.offsets_topic == "__consumer_offsets");
  BOOST_TEST(!consumer.start_latest);

  BOOST_REQUIRE(cfg.client_profiles.size() == 1u);
  BOOST_TEST(cfg.client_profiles.at("default").client_id == "burrow-lagchecker");
  BOOST_TEST(cfg.client_profiles.at("default").kafka_version == "2.8.0");

  BOOST_REQUIRE(cfg.storage.size() == 1u);
  BOOST_TEST(cfg.the_storage().name == "default");
  BOOST_TEST(cfg.the_storage().class_name == "inmemory");
  BOOST_TEST(cfg.the_storage().intervals == 10);
  BOOST_TEST(cfg.the_storage().expire_group.count() == 604800);
  BOOST_TEST(cfg.the_storage().min_distance.count() == 0);
  BOOST_REQUIRE(cfg.evaluators.size() == 1u);
  BOOST_TEST(cfg.the_evaluator().name == "default");
  BOOST_TEST(cfg.the_evaluator().class_name == "caching");
  BOOST_TEST(cfg.the_evaluator().expire_cache.count() == 10);
  BOOST_TEST(cfg.the_evaluator().allowed_lag == 0);
  BOOST_REQUIRE(cfg.httpservers.size() == 1u);
  BOOST_TEST(cfg.httpservers.at("default").address == ":0");
  BOOST_TEST(cfg.httpservers.at("default").timeout.count() == 300);
  BOOST_TEST(cfg.notifiers.empty());

  BOOST_TEST(cfg.warren.coalesce_ms == 100);
  BOOST_TEST(cfg.warren.eval_interval.count() == 5);
  BOOST_TEST(cfg.warren.ws_outbox == 1024);
  BOOST_TEST(cfg.warren.admin_token.empty());
}

BOOST_AUTO_TEST_CASE(empty_file_is_a_valid_template_with_default_modules) {
  auto cfg = parse_template("");
  BOOST_TEST(cfg.clusters.empty());
  BOOST_TEST(cfg.storage.size() == 1u);
  BOOST_TEST(cfg.evaluators.size() == 1u);
  BOOST_TEST(cfg.httpservers.size() == 1u);
  BOOST_TEST(cfg.source_file.empty());
}

BOOST_AUTO_TEST_CASE(warren_section_is_read) {
  auto cfg = load_ok(data_path("warren_section.toml"));
  BOOST_TEST(cfg.warren.coalesce_ms == 250);
  BOOST_TEST(cfg.warren.eval_interval.count() == 10);
  BOOST_TEST(cfg.warren.ws_outbox == 64);
  BOOST_TEST(cfg.warren.admin_token == "s3cret");
  BOOST_TEST(cfg.warren.ready_timeout.count() == 0);
}

BOOST_AUTO_TEST_CASE(burrow_shipped_example_loads_except_its_own_notifier_mistake) {
  // Burrow panics on this file too: send-close=true needs url-close. Its template files
  // (relative to the working directory, as in Burrow) are not here either.
  auto errors = load_errors("burrow_example.toml");
  BOOST_TEST(errors.size() == 3u);
  expect_error(errors, 61, "notifier.default.url-close", "missing required key");
  expect_error(errors, 69, "notifier.default.template-open", "cannot open template file conf/default-http-post.tmpl");
  expect_error(errors, 70, "notifier.default.template-close", "cannot open template file conf/default-http-delete.tmpl");

  std::string text = read_text(data_path("burrow_example.toml"));
  auto at = text.find("\nsend-close=true\n");
  BOOST_REQUIRE(at != std::string::npos);
  text.replace(at, std::string("\nsend-close=true\n").size(), "\nsend-close=false\n");
  auto cfg = parse_ok(text);
  BOOST_TEST(cfg.general.stdout_logfile == "burrow.out");
  BOOST_TEST(cfg.general.access_control_allow_origin == "mysite.example.com");
  BOOST_TEST(cfg.logging.filename == "logs/burrow.log");
  BOOST_TEST(cfg.logging.maxbackups == 30);
  BOOST_TEST(cfg.logging.use_compression);
  BOOST_TEST(cfg.zookeeper.servers.size() == 3u);
  BOOST_TEST(cfg.zookeeper.timeout.count() == 6);
  BOOST_TEST(cfg.client_profiles.size() == 2u);  // test + the built-in default
  BOOST_TEST(cfg.client_profiles.at("test").client_id == "burrow-test");
  BOOST_TEST(cfg.client_profiles.at("test").kafka_version == "0.10.0");
  const auto& cluster = cfg.clusters.at("local");
  BOOST_TEST(cluster.servers.size() == 3u);
  BOOST_TEST(cluster.client_profile == "test");
  BOOST_TEST(cluster.topic_refresh.count() == 120);
  BOOST_TEST(cluster.offset_refresh.count() == 30);
  const auto& consumer = cfg.consumers.at("local");
  BOOST_TEST(consumer.group_denylist == "^(console-consumer-|python-kafka-consumer-|quick-).*$");
  BOOST_TEST(consumer.client_profile == "test");
  const auto& zk = cfg.consumers.at("local_zk");
  BOOST_TEST(zk.class_name == "kafka_zk");
  BOOST_TEST(zk.zookeeper_path == "/kafka-cluster");
  BOOST_TEST(zk.offsets_topic.empty());
  BOOST_TEST(cfg.httpservers.at("default").address == ":8000");
  BOOST_TEST(cfg.the_storage().intervals == 15);
  BOOST_TEST(cfg.the_storage().min_distance.count() == 1);
  BOOST_TEST(cfg.the_evaluator().name == "default");  // no [evaluator] in Burrow's example
  const auto& notifier = cfg.notifiers.at("default");
  BOOST_TEST(notifier.class_name == "http");
  BOOST_TEST(notifier.cluster == "local");
  BOOST_TEST(notifier.keepalive.count() == 30);
  BOOST_TEST(notifier.send_interval.count() == 60);  // defaults to interval
  BOOST_TEST(notifier.threshold == 1);
  BOOST_TEST(notifier.method_open == "POST");
  BOOST_TEST(notifier.method_close == "DELETE");
  BOOST_TEST(notifier.extras.size() == 4u);
  BOOST_TEST(notifier.extras.at("api_key") == "REDACTED");
}

BOOST_AUTO_TEST_CASE(profiles_and_references_resolve) {
  auto cfg = parse_ok(R"(
[tls.internal]
cafile = "/etc/ssl/ca.pem"
certfile = "/etc/ssl/cert.pem"
keyfile = "/etc/ssl/key.pem"
[sasl.scram]
mechanism = "scram-sha-512"
username = "warren"
password = "hunter2"
[client-profile.prod]
tls = "internal"
sasl = "scram"
[cluster.a]
servers = ["k1:9092", "[::1]:9093"]
client-profile = "prod"
[consumer.a]
cluster = "a"
[consumer.b]
cluster = "a"
servers = ["k2:9092"]
client-profile = "default"
[httpserver.https]
address = "[::]:8443"
tls = "internal"
)");
  BOOST_TEST(cfg.sasl.at("scram").mechanism == "SCRAM-SHA-512");
  BOOST_TEST(cfg.sasl.at("scram").password == "hunter2");
  BOOST_TEST(cfg.client_profiles.at("prod").client_id == "burrow-lagchecker");
  BOOST_TEST(cfg.consumers.at("a").client_profile == "prod");  // the cluster's profile
  BOOST_TEST(cfg.consumers.at("a").servers.size() == 2u);
  BOOST_TEST(cfg.consumers.at("b").client_profile == "default");
  BOOST_TEST(cfg.consumers.at("b").servers == std::vector<std::string>{"k2:9092"});
  BOOST_TEST(cfg.httpservers.size() == 1u);
  BOOST_TEST(cfg.httpservers.at("https").tls == "internal");
}

BOOST_AUTO_TEST_CASE(environment_overrides_keys_present_in_the_file) {
  std::map<std::string, std::string> env{
      {"WARREN_CLUSTER_LOCAL_OFFSET_REFRESH", "30"},
      {"WARREN_CLUSTER_LOCAL_SERVERS", "k1:9092, k2:9092"},
      {"WARREN_CONSUMER_LOCAL_START_LATEST", "true"},
      {"WARREN_EVALUATOR_DEFAULT_MINIMUM_COMPLETE", "0.25"},
      {"WARREN_CLUSTER_LOCAL_TOPIC_REFRESH", "5"},  // not in the file: ignored, like Burrow
      {"BURROW_CLUSTER_LOCAL_OFFSET_REFRESH", "99"},  // wrong prefix for this file
  };
  auto lookup = [&](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  auto r = load_config_file(data_path("env_override.toml"), lookup);
  if (!r) BOOST_FAIL(format_errors(r.error()));
  BOOST_TEST(r->clusters.at("local").offset_refresh.count() == 30);
  BOOST_TEST(r->clusters.at("local").servers == (std::vector<std::string>{"k1:9092", "k2:9092"}));
  BOOST_TEST(r->clusters.at("local").topic_refresh.count() == 60);
  BOOST_TEST(r->consumers.at("local").start_latest);
  BOOST_TEST(r->the_evaluator().minimum_complete == 0.25);
}

BOOST_AUTO_TEST_CASE(bad_environment_value_is_reported_at_the_key_line) {
  auto lookup = [](const std::string& name) -> std::optional<std::string> {
    if (name == "WARREN_CLUSTER_LOCAL_OFFSET_REFRESH") return "10s";
    return std::nullopt;
  };
  auto r = load_config_file(data_path("env_override.toml"), lookup);
  BOOST_REQUIRE(!r.has_value());
  BOOST_TEST(r.error().size() == 1u);
  expect_error(r.error(), 6, "cluster.local.offset-refresh",
               "environment variable WARREN_CLUSTER_LOCAL_OFFSET_REFRESH=\"10s\": not an integer");
}

BOOST_AUTO_TEST_CASE(environment_uses_burrow_prefix_by_default) {
  auto lookup = [](const std::string& name) -> std::optional<std::string> {
    if (name == "BURROW_STORAGE_DEFAULT_INTERVALS") return "20";
    return std::nullopt;
  };
  auto cfg = parse_template("[storage.default]\nintervals = 10\n", lookup);
  BOOST_TEST(cfg.the_storage().intervals == 20);
}

BOOST_AUTO_TEST_CASE(config_dir_prefers_warren_toml_then_burrow_toml) {
  auto both = load_config_dir(data_path("dir_both"), no_environment);
  BOOST_REQUIRE(both.has_value());
  BOOST_TEST(both->clusters.contains("fromwarren"));
  BOOST_TEST(both->source_file == data_path("dir_both") + "/warren.toml");

  auto burrow = load_config_dir(data_path("dir_burrow"), no_environment);
  BOOST_REQUIRE(burrow.has_value());
  BOOST_TEST(burrow->clusters.contains("fromburrow"));
  BOOST_TEST(burrow->source_dir == data_path("dir_burrow"));

  auto none = load_config_dir(data_path("dir_empty"), no_environment);
  BOOST_REQUIRE(!none.has_value());
  BOOST_TEST(none.error().size() == 1u);
  BOOST_TEST(none.error()[0].to_string() == data_path("dir_empty") + ": no warren.toml or burrow.toml in this directory");
}

// ---- shipped files ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(reference_warren_toml_loads_with_defaults) {
  auto cfg = load_ok(repo_path("config/warren.toml"));
  config defaults = parse_template("");
  BOOST_TEST(cfg.general.pidfile == defaults.general.pidfile);
  BOOST_TEST(cfg.logging.maxage == defaults.logging.maxage);
  BOOST_TEST(cfg.the_storage().intervals == defaults.the_storage().intervals);
  BOOST_TEST(cfg.the_storage().expire_group == defaults.the_storage().expire_group);
  BOOST_TEST(cfg.the_evaluator().expire_cache == defaults.the_evaluator().expire_cache);
  BOOST_TEST(cfg.warren.coalesce_ms == defaults.warren.coalesce_ms);
  BOOST_TEST(cfg.warren.ready_timeout == defaults.warren.ready_timeout);
  BOOST_TEST(cfg.clusters.at("local").topic_refresh == 60s);
}

BOOST_AUTO_TEST_CASE(reference_warren_toml_examples_load_when_uncommented) {
  std::string text = uncomment_examples(read_text(repo_path("config/warren.toml")));
  BOOST_TEST(text.find("\n[notifier.alerts]\n") != std::string::npos);
  auto cfg = parse_ok(text);
  BOOST_TEST(cfg.notifiers.size() == 3u);
  BOOST_TEST(cfg.notifiers.at("am").class_name == "alertmanager");
  BOOST_TEST(cfg.notifiers.at("am").url_open == "http://alertmanager:9093/api/v2/alerts");
  BOOST_TEST(cfg.notifiers.at("alerts").send_close);
  BOOST_TEST(cfg.notifiers.at("alerts").headers.at("X-Api-Key") == "change-me");
  BOOST_TEST(cfg.notifiers.at("mail").port == 587);
  BOOST_TEST(cfg.consumers.at("local_zk").class_name == "kafka_zk");
  BOOST_TEST(cfg.zookeeper.servers.size() == 2u);
  BOOST_TEST(cfg.client_profiles.at("secure").sasl == "scram");
  BOOST_TEST(cfg.iam.at("msk").region == "eu-west-1");
  BOOST_TEST(cfg.tls.at("internal").cafile == "/etc/ssl/ca.pem");
}

BOOST_AUTO_TEST_CASE(demo_local_toml_loads) {
  auto cfg = load_ok(repo_path("config/local.toml"));
  const auto& cluster = cfg.clusters.at("local");
  BOOST_TEST(cluster.servers == std::vector<std::string>{"127.0.0.1:9092"});
  BOOST_TEST(cluster.offset_refresh == 1s);
  BOOST_TEST(cluster.topic_refresh == 2s);
  const auto& consumer = cfg.consumers.at("local");
  BOOST_TEST(consumer.cluster == "local");
  BOOST_TEST(consumer.offsets_topic == "__consumer_offsets");
  BOOST_TEST(cfg.the_storage().intervals == 5);
  BOOST_TEST(cfg.the_storage().min_distance == 0s);
  BOOST_TEST(cfg.warren.eval_interval == 1s);
  BOOST_TEST(cfg.the_evaluator().allowed_lag == 0);
  BOOST_TEST(cfg.httpservers.size() == 1u);
  BOOST_TEST(cfg.httpservers.at("default").address == "127.0.0.1:8000");
}

BOOST_AUTO_TEST_SUITE_END()
