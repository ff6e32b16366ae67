#include "service/kafka/settings.hpp"

#include "service/config/config.hpp"

namespace warren::kafka {

client_settings settings_for(const config& cfg, const std::vector<std::string>& servers, const std::string& profile) {
  client_settings s;
  s.servers = servers;
  auto it = cfg.client_profiles.find(profile.empty() ? "default" : profile);
  if (it == cfg.client_profiles.end()) return s;
  const auto& p = it->second;
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
    s.properties["sasl.mechanisms"] = a->second.mechanism.empty() ? "PLAIN" : a->second.mechanism;
    s.properties["sasl.username"] = a->second.username;
    s.properties["sasl.password"] = a->second.password;
  }
  s.properties["security.protocol"] = sasl ? (tls ? "sasl_ssl" : "sasl_plaintext") : (tls ? "ssl" : "plaintext");
  auto ms = [](std::chrono::seconds d) { return std::to_string(d.count() * 1000); };
  s.properties["socket.connection.setup.timeout.ms"] = ms(p.dial_timeout);
  s.properties["socket.timeout.ms"] = ms(p.read_timeout);
  return s;
}

}  // namespace warren::kafka
