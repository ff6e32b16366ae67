// Notifier templates are checked at config load, by the real binary: a template file that does
// not exist or does not parse, and an url-open that does not parse, make `warren --config X` (and
// --check-config) exit 2 before starting, naming the config file and line, the notifier key and,
// for a syntax error, the template FILE:LINE:COL. No broker is needed (the cluster points at a
// closed port and Warren never gets that far).
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <string>

#include "tests/support/paths.hpp"
#include "tests/support/warren_process.hpp"

using namespace warren::test;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

// A config file whose notifier section starts at line 1; the cluster follows it.
std::filesystem::path config_file(const std::string& notifier) {
  return write_temp_file("warren.toml", notifier + "\n" + cluster_config("local", "127.0.0.1:1"));
}

std::string http_notifier(const std::string& open, const std::string& close = "",
                          const std::string& url_open = "http://127.0.0.1:9/{{.Group}}") {
  std::string s = "[notifier.hook]\nclass-name = \"http\"\nurl-open = \"" + url_open + "\"\ntemplate-open = \"" +
                  open + "\"\n";  // template-open on line 4
  if (!close.empty()) s += "send-close = true\nurl-close = \"http://127.0.0.1:9/\"\ntemplate-close = \"" + close + "\"\n";
  return s;
}

// Both ways of starting exit 2 and say the same: the daemon itself, and --check-config.
void expect_exit_2(const std::filesystem::path& cfg, const std::vector<std::string>& needles) {
  for (bool check_only : {false, true}) {
    std::vector<std::string> args{"--config", cfg.string()};
    if (check_only) args.insert(args.begin(), "--check-config");
    auto r = run_warren(args);
    BOOST_TEST(!r.timed_out, r.output);
    BOOST_TEST(r.exit_code == 2, (check_only ? "--check-config: " : "--config: ") << r.output);
    for (const auto& n : needles) BOOST_TEST(contains(r.output, n), "expected \"" << n << "\" in: " << r.output);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(notifier_config)

BOOST_AUTO_TEST_CASE(a_missing_template_file_exits_2_naming_the_key_and_the_file) {
  const std::string missing = (std::filesystem::temp_directory_path() / "warren-no-such-dir/open.tmpl").string();
  auto cfg = config_file(http_notifier(missing));
  expect_exit_2(cfg, {cfg.string() + ":4: notifier.hook.template-open: cannot open template file " + missing});
}

BOOST_AUTO_TEST_CASE(a_template_syntax_error_exits_2_naming_the_template_file_line_and_column) {
  // Line 3, column 16 (where the condition should be): Go says "missing value for if".
  auto open = write_temp_file("open.tmpl", "{\"group\": {{jsonencoder .Group}},\n"
                                           " \"cluster\": \"{{.Cluster}}\",\n"
                                           " \"status\": {{if}}\"bad\"{{end}}}\n");
  auto cfg = config_file(http_notifier(open.string()));
  expect_exit_2(cfg, {cfg.string() + ":4: notifier.hook.template-open: template syntax error: " + open.string() +
                          ":3:16: missing value for if"});
}

BOOST_AUTO_TEST_CASE(the_close_template_and_an_email_template_are_checked_too) {
  auto good = write_temp_file("open.tmpl", "{\"group\": {{jsonencoder .Group}}}\n");
  auto bad = write_temp_file("close.tmpl", "ok\n{{.Group\n");  // unclosed action at 2:1
  auto cfg = config_file(http_notifier(good.string(), bad.string()));
  expect_exit_2(cfg, {cfg.string() + ":7: notifier.hook.template-close: template syntax error: " + bad.string() +
                          ":2:1: unclosed action"});

  auto mail = config_file("[notifier.mail]\nclass-name = \"email\"\nserver = \"127.0.0.1\"\nport = 25\n"
                          "from = \"a@example.com\"\nto = \"b@example.com\"\ntemplate-open = \"" +
                          bad.string() + "\"\n");
  expect_exit_2(mail, {mail.string() + ":7: notifier.mail.template-open: template syntax error: " + bad.string() +
                           ":2:1: unclosed action"});
}

BOOST_AUTO_TEST_CASE(an_url_open_template_error_names_the_key_and_the_column) {
  auto good = write_temp_file("open.tmpl", "{}\n");
  auto cfg = config_file(http_notifier(good.string(), "", "http://127.0.0.1:9/{{.Group | 1}}"));
  expect_exit_2(cfg, {cfg.string() + ":3: notifier.hook.url-open: template syntax error: notifier.hook.url-open:1:31: "
                                     "non executable command in pipeline stage 2"});
}

BOOST_AUTO_TEST_CASE(every_bad_module_is_reported_not_only_the_first) {
  auto bad = write_temp_file("bad.tmpl", "{{end}}");
  auto cfg = config_file(http_notifier(bad.string()) + "\n[notifier.other]\nclass-name = \"http\"\n"
                         "url-open = \"http://127.0.0.1:9/\"\ntemplate-open = \"" + bad.string() + "\"\n");
  expect_exit_2(cfg, {"notifier.hook.template-open: template syntax error: " + bad.string() + ":1:3: unexpected {{end}}",
                      "notifier.other.template-open: template syntax error: " + bad.string() + ":1:3: unexpected {{end}}"});
}

BOOST_AUTO_TEST_CASE(good_templates_and_the_shipped_ones_pass_the_check) {
  const std::string shipped = source_dir() + "/config/templates/";
  auto cfg = config_file(http_notifier(shipped + "http-open.tmpl", shipped + "http-close.tmpl") +
                         "\n[notifier.chat]\nclass-name = \"http\"\nurl-open = \"http://127.0.0.1:9/\"\n"
                         "send-close = true\nurl-close = \"http://127.0.0.1:9/\"\ntemplate-open = \"" +
                         shipped + "slack-open.tmpl\"\ntemplate-close = \"" + shipped + "slack-close.tmpl\"\n" +
                         "\n[notifier.mail]\nclass-name = \"email\"\nserver = \"127.0.0.1\"\nport = 25\n"
                         "from = \"a@example.com\"\nto = \"b@example.com\"\nsend-close = true\ntemplate-open = \"" +
                         shipped + "email-open.tmpl\"\ntemplate-close = \"" + shipped + "email-close.tmpl\"\n");
  auto r = run_warren({"--check-config", "--config", cfg.string()});
  BOOST_TEST(r.exit_code == 0, r.output);
}

BOOST_AUTO_TEST_SUITE_END()
