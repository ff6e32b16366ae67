// load_config_file / load_config_dir: the file-reading half of the loader (load.hpp). Kept apart
// from load.cpp so the pure parser (and its fuzz target) needs neither the file system nor OpenSSL.
#include <fstream>
#include <sstream>

#include "service/config/load.hpp"
#include "service/http/tls_files.hpp"
#include "service/notifier/module_config.hpp"

namespace warren {

config_result load_config_file(const std::filesystem::path& file, const env_lookup& env, const load_options& options) {
  std::string name = file.string();
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec))
    return std::vector<config_error>{{name, 0, "", "is a directory, not a configuration file"}};
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::vector<config_error>{{name, 0, "", "cannot open the configuration file"}};
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::vector<config_error>{{name, 0, "", "cannot read the configuration file"}};

  // The listeners' TLS files are read here, not in parse_config (which reads no file).
  const tls_files_check check = [](const std::string& cert, const std::string& key,
                                   const std::string& ca) -> std::optional<file_problem> {
    auto p = http::check_server_tls_files(cert, key, ca);
    if (!p) return std::nullopt;
    return file_problem{std::move(p->key), std::move(p->reason)};
  };
  // The notifiers' template files are parsed here too: a syntax error is an error at load (exit 2).
  const notifier_files_check notifiers = [](const notifier_module& m) {
    std::vector<file_problem> out;
    for (auto& p : notifier::check_module(m)) out.push_back({std::move(p.key), std::move(p.reason)});
    return out;
  };
  auto result = parse_config_checking_files(text.str(), name, env, options, check, notifiers);
  if (result) {
    result->source_file = name;
    auto dir = file.parent_path();
    result->source_dir = dir.empty() ? std::string(".") : dir.string();
  }
  return result;
}

config_result load_config_dir(const std::filesystem::path& dir, const env_lookup& env, const load_options& options) {
  std::error_code ec;
  for (const char* candidate : {"warren.toml", "burrow.toml"}) {
    auto path = dir / candidate;
    if (std::filesystem::exists(path, ec)) return load_config_file(path, env, options);
  }
  std::string reason = "no warren.toml or burrow.toml in this directory";
  for (const char* other : {"burrow.yaml", "burrow.yml", "burrow.json"}) {
    if (std::filesystem::exists(dir / other, ec))
      reason += " (found " + std::string(other) + ": Warren reads only the TOML format)";
  }
  return std::vector<config_error>{{dir.string(), 0, "", reason}};
}

}  // namespace warren
