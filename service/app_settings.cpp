#include "service/app_settings.hpp"

#include <cstdio>
#include <set>
#include <stdexcept>

#include "service/config/config.hpp"

namespace warren::kafka {

bool predates_api_versions(const std::string& v) {
  int major = 0, minor = 0;
  if (std::sscanf(v.c_str(), "%d.%d", &major, &minor) != 2) return false;
  return major == 0 && minor < 10;
}

client_settings settings_for(const config& cfg, const std::vector<std::string>& servers, const std::string& profile) {
  client_settings s;
  s.servers = servers;
  const std::string& name = profile.empty() ? std::string("default") : profile;
  auto it = cfg.client_profiles.find(name);
  static const client_profile builtin{.name = "default"};
  if (it == cfg.client_profiles.end() && name != "default")
    throw std::invalid_argument("client-profile \"" + name + "\" is not defined");
  const auto& p = it == cfg.client_profiles.end() ? builtin : it->second;
  s.client_id = p.client_id;
  bool tls = false, sasl = false;
  if (auto t = cfg.tls.find(p.tls); !p.tls.empty() && t != cfg.tls.end()) {
    tls = true;
    if (!t->second.cafile.empty()) s.properties["ssl.ca.location"] = t->second.cafile;
    if (!t->second.certfile.empty()) s.properties["ssl.certificate.location"] = t->second.certfile;
    if (!t->second.keyfile.empty()) s.properties["ssl.key.location"] = t->second.keyfile;
    if (t->second.noverify) {
      s.properties["enable.ssl.certificate.verification"] = "false";
      s.properties["ssl.endpoint.identification.algorithm"] = "none";
    }
  }
  if (auto a = cfg.sasl.find(p.sasl); !p.sasl.empty() && a != cfg.sasl.end()) {
    sasl = true;
    // handshake-first: librdkafka always sends SaslHandshake first; false is a config error.
    const std::string mechanism = a->second.mechanism.empty() ? "PLAIN" : a->second.mechanism;
    s.properties["sasl.mechanisms"] = mechanism;
    if (mechanism == "OAUTHBEARER") {
      // librdkafka's builtin unsecured JWT (alg none) with the user name as its subject (made in
      // rd_kafka_new; refreshes are served as make_client describes).
      s.properties["enable.sasl.oauthbearer.unsecure.jwt"] = "true";
      s.properties["sasl.oauthbearer.config"] = "principal=" + a->second.username;
    } else {
      s.properties["sasl.username"] = a->second.username;
      s.properties["sasl.password"] = a->second.password;
    }
  }
  s.properties["security.protocol"] = sasl ? (tls ? "sasl_ssl" : "sasl_plaintext") : (tls ? "ssl" : "plaintext");
  auto ms = [](std::chrono::seconds d) { return std::to_string(d.count() * 1000); };
  s.properties["socket.connection.setup.timeout.ms"] = ms(p.dial_timeout);
  s.properties["socket.timeout.ms"] = ms(p.read_timeout);
  if (predates_api_versions(p.kafka_version)) {
    // Brokers before 0.10 do not answer ApiVersionRequest: tell librdkafka what they speak.
    s.properties["api.version.request"] = "false";
    s.properties["broker.version.fallback"] = p.kafka_version;
  }
  return s;
}

std::vector<std::string> kafka_version_notes(const config& cfg) {
  std::set<std::string> used;
  for (const auto& [n, c] : cfg.clusters) used.insert(c.client_profile.empty() ? "default" : c.client_profile);
  for (const auto& [n, c] : cfg.consumers)
    if (c.class_name == "kafka") used.insert(c.client_profile.empty() ? "default" : c.client_profile);
  std::vector<std::string> out;
  for (const auto& name : used) {
    auto it = cfg.client_profiles.find(name);
    if (it == cfg.client_profiles.end() || it->second.kafka_version == client_profile{}.kafka_version) continue;
    const auto& v = it->second.kafka_version;
    if (predates_api_versions(v))
      out.push_back("client-profile " + name + ": kafka-version " + v +
                    " predates ApiVersionRequest; librdkafka uses api.version.request=false, broker.version.fallback=" + v);
    else
      out.push_back("client-profile " + name + ": kafka-version " + v +
                    " is accepted for compatibility only; librdkafka negotiates protocol versions with each broker");
  }
  return out;
}

}  // namespace warren::kafka
