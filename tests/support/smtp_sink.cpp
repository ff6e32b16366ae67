#include "tests/support/smtp_sink.hpp"

#include <boost/json.hpp>
#include <cctype>
#include <stdexcept>

#include "tests/support/paths.hpp"
#include "tests/support/poll_until.hpp"

namespace warren::test {

using namespace std::chrono_literals;

namespace {

// Debian's interpreter, where python3-aiosmtpd is installed (a PATH python3 may be another one).
std::string python() {
  std::error_code ec;
  return std::filesystem::exists("/usr/bin/python3", ec) ? "/usr/bin/python3" : "python3";
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

smtp_sink::smtp_sink(const std::string& auth, std::chrono::milliseconds deadline)
    : smtp_sink(smtp_sink_options{.auth = auth}, deadline) {}

smtp_sink::smtp_sink(const smtp_sink_options& options, std::chrono::milliseconds deadline) {
  std::filesystem::create_directory(dir_ / "mail");
  std::vector<std::string> argv{python(), source_dir() + "/tests/support/smtp_sink.py", "--dir",
                                (dir_ / "mail").string(), "--port-file", (dir_ / "port").string()};
  if (!options.auth.empty()) {
    argv.push_back("--auth");
    argv.push_back(options.auth);
  }
  if (!options.tls_cert.empty()) {
    argv.insert(argv.end(), {"--starttls", options.tls_cert.string(), options.tls_key.string()});
  }
  child_ = std::make_unique<child_process>(argv, dir_ / "sink.log");
  bool up = poll_until([&] { return !read_text(dir_ / "port").empty() || !child_->running(); }, deadline, 20ms);
  auto text = read_text(dir_ / "port");
  if (!up || text.empty())
    throw std::runtime_error("smtp_sink: aiosmtpd did not start (python3-aiosmtpd installed?): " + child_->output());
  port_ = static_cast<std::uint16_t>(std::stoi(text));
}

smtp_sink::~smtp_sink() {
  if (child_) child_->terminate(std::chrono::seconds(5));
}

smtp_sink::message smtp_sink::parse(const std::string& raw) {
  message m;
  m.raw = raw;
  std::string text;
  for (std::size_t i = 0; i < raw.size(); ++i)
    if (!(raw[i] == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n')) text += raw[i];
  auto end = text.find("\n\n");
  std::string head = text.substr(0, end);
  m.body = end == std::string::npos ? std::string() : text.substr(end + 2);
  std::string last;
  std::size_t pos = 0;
  while (pos <= head.size() && !head.empty()) {
    auto nl = head.find('\n', pos);
    std::string line = head.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && !last.empty()) {
      m.headers[last] += line;  // folded continuation
    } else if (auto colon = line.find(':'); colon != std::string::npos) {
      last = lower(line.substr(0, colon));
      auto v = line.substr(colon + 1);
      if (!v.empty() && v[0] == ' ') v.erase(0, 1);
      m.headers[last] = v;
    }
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  return m;
}

std::vector<smtp_sink::message> smtp_sink::messages() const {
  std::vector<message> out;
  for (const auto& name : file_names(dir_ / "mail")) {
    if (name.size() < 5 || name.compare(name.size() - 5, 5, ".json") != 0 || name[0] == '.') continue;
    auto stem = name.substr(0, name.size() - 5);
    auto meta = boost::json::parse(read_text(dir_ / "mail" / name)).as_object();
    message m = parse(read_text(dir_ / "mail" / (stem + ".eml")));
    m.from = std::string(meta.at("from").as_string());
    for (const auto& t : meta.at("to").as_array()) m.to.emplace_back(t.as_string());
    m.login = std::string(meta.at("login").as_string());
    m.mechanism = std::string(meta.at("mechanism").as_string());
    m.tls = meta.at("tls").as_bool();
    out.push_back(std::move(m));
  }
  return out;
}

std::size_t smtp_sink::count() const { return messages().size(); }

bool smtp_sink::wait_for(std::size_t n, std::chrono::milliseconds deadline) const {
  return poll_until([&] { return count() >= n; }, deadline, 50ms);
}

}  // namespace warren::test
