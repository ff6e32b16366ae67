#include "service/notifier/module_config.hpp"

#include <fstream>
#include <sstream>

namespace warren::notifier {

namespace {

std::optional<go_template::program> parse_file(const std::string& path, const std::string& key,
                                               std::vector<module_problem>& problems,
                                               std::vector<go_template::template_error>& warnings) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    problems.push_back({key, "cannot open template file " + path});
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    problems.push_back({key, "cannot read template file " + path});
    return std::nullopt;
  }
  auto parsed = go_template::parse(text.str(), path);
  if (!parsed.ok()) {
    problems.push_back({key, "template syntax error: " + parsed.error->to_string()});
    return std::nullopt;
  }
  for (const auto& w : parsed.parsed->warnings()) warnings.push_back(w);
  return std::move(parsed.parsed);
}

std::optional<go_template::program> parse_inline(const std::string& text, const std::string& name,
                                                 const std::string& key, std::vector<module_problem>& problems) {
  auto parsed = go_template::parse(text, name);
  if (!parsed.ok()) {
    problems.push_back({key, "template syntax error: " + parsed.error->to_string()});
    return std::nullopt;
  }
  return std::move(parsed.parsed);
}

}  // namespace

module_templates load_module(const notifier_module& m, std::vector<module_problem>& problems) {
  module_templates t;
  if (m.class_name == "null") return t;
  if (!m.template_open.empty()) t.open = parse_file(m.template_open, "template-open", problems, t.warnings);
  if (!m.template_close.empty() && m.send_close)
    t.close = parse_file(m.template_close, "template-close", problems, t.warnings);
  if (m.class_name == "http" || m.class_name == "alertmanager") {
    const std::string base = "notifier." + m.name + ".";
    if (!m.url_open.empty()) t.url_open = parse_inline(m.url_open, base + "url-open", "url-open", problems);
    const std::string& close = m.url_close.empty() ? m.url_open : m.url_close;
    if (m.send_close && !close.empty())
      t.url_close = parse_inline(close, base + (m.url_close.empty() ? "url-open" : "url-close"),
                                 m.url_close.empty() ? "url-open" : "url-close", problems);
  }
  return t;
}

std::vector<module_problem> check_module(const notifier_module& m) {
  std::vector<module_problem> problems;
  load_module(m, problems);
  if (m.class_name == "http" || m.class_name == "alertmanager") {
    if (auto why = check_http_options(http_options_of(m))) problems.push_back({"extra-ca", *why});
  } else if (m.class_name == "email" && !m.extra_ca.empty()) {
    std::ifstream in(m.extra_ca);
    if (!in) problems.push_back({"extra-ca", "cannot open CA file " + m.extra_ca});
  }
  return problems;
}

module_rules rules_of(const notifier_module& m) {
  module_rules r;
  r.threshold = m.threshold;
  r.send_once = m.send_once;
  r.send_close = m.send_close;
  r.send_interval = m.send_interval;
  r.interval = m.interval;
  return r;
}

http_options http_options_of(const notifier_module& m) {
  http_options o;
  o.timeout = m.timeout;
  o.keepalive = m.keepalive;
  o.disable_keepalive = m.disable_http_keepalive;
  o.extra_ca = m.extra_ca;
  o.noverify = m.noverify;
  o.username = m.username;
  o.password = m.password;
  o.headers = m.headers;
  return o;
}

}  // namespace warren::notifier
