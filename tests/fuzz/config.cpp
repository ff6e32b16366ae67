// libFuzzer target for the configuration loader (service/config/load.cpp: parse_config) on
// arbitrary text. toml++ itself is linked as the system library (not coverage-instrumented).
//
// Input layout: the bytes up to the first NUL are the TOML text; when there is a NUL, the bytes
// after it are the value of every environment variable the loader looks up (so the override path
// runs too). The text is copied into an exact-size heap buffer so AddressSanitizer flags any read
// past its end.
//
// Besides "never crash, never throw", it checks the loader's contract and traps on a violation:
// - failure: at least one error, sorted by line, each with a non-empty reason, and
//   format_errors() prints one line per error;
// - success: at least one cluster, exactly one storage and one evaluator module (intervals
//   1..4096), at least one httpserver, a "default" client profile, every consumer names an
//   existing cluster, every cluster (and every consumer that names one) names an existing client
//   profile, no SASL profile with handshake-first = false, logging format text or json.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "service/config/load.hpp"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto* begin = reinterpret_cast<const char*>(data);
  const auto* nul = static_cast<const char*>(std::memchr(begin, 0, size));
  const std::size_t text_size = nul ? static_cast<std::size_t>(nul - begin) : size;
  auto text = std::make_unique<char[]>(text_size);
  if (text_size) std::memcpy(text.get(), begin, text_size);
  std::optional<std::string> env_value;
  if (nul) env_value.emplace(nul + 1, size - text_size - 1);

  const warren::env_lookup env = [&](const std::string&) { return env_value; };
  const auto result = warren::parse_config(std::string_view(text.get(), text_size), "fuzz.toml", env);
  if (result.has_error()) {
    const auto& errors = result.error();
    check(!errors.empty());
    for (std::size_t i = 0; i < errors.size(); ++i) {
      check(!errors[i].reason.empty());
      if (i > 0) check(errors[i - 1].line <= errors[i].line);
    }
    const std::string printed = warren::format_errors(errors);
    std::size_t lines = 0;
    for (char c : printed) lines += c == '\n';
    check(lines >= errors.size());
    return 0;
  }
  const auto& cfg = result.value();
  check(!cfg.clusters.empty());
  check(cfg.storage.size() == 1 && cfg.evaluators.size() == 1);
  check(cfg.the_storage().intervals >= 1 && cfg.the_storage().intervals <= 4096);
  check(cfg.logging.format == "text" || cfg.logging.format == "json");
  for (const auto& [name, s] : cfg.sasl) check(s.handshake_first);
  check(!cfg.httpservers.empty());
  check(cfg.client_profiles.count("default") == 1);
  for (const auto& [name, c] : cfg.clusters) check(cfg.client_profiles.count(c.client_profile) == 1);
  for (const auto& [name, c] : cfg.consumers) {
    check(cfg.clusters.count(c.cluster) == 1);
    check(c.client_profile.empty() || cfg.client_profiles.count(c.client_profile) == 1);
  }
  return 0;
}
