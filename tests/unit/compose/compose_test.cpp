// compose.yaml cannot run here (no Docker engine), so this checks it is consistent with the
// configuration it mounts: services, ports, the config mount and the broker address; and that the
// "fleet" profile's instances share one cluster-group, each advertising its own service address.
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "service/config/load.hpp"
#include "tests/support/paths.hpp"

namespace {
std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The subset of YAML compose.yaml uses: `services:` then two-space service names, four-space
// keys, and six-space list items or map entries. Returns service → key → lines below the key.
std::map<std::string, std::map<std::string, std::vector<std::string>>> parse_services(const std::string& text) {
  std::map<std::string, std::map<std::string, std::vector<std::string>>> out;
  std::istringstream in(text);
  std::string line, service, key;
  bool in_services = false;
  while (std::getline(in, line)) {
    if (line.empty() || line.find_first_not_of(' ') == std::string::npos || line[line.find_first_not_of(' ')] == '#')
      continue;
    auto indent = line.find_first_not_of(' ');
    auto body = line.substr(indent);
    if (indent == 0) {
      in_services = body == "services:";
      continue;
    }
    if (!in_services) continue;
    if (indent == 2) {
      service = body.substr(0, body.find(':'));
      out[service];
    } else if (indent == 4) {
      key = body.substr(0, body.find(':'));
      auto rest = body.substr(body.find(':') + 1);
      if (rest.find_first_not_of(' ') != std::string::npos) out[service][key].push_back(rest.substr(rest.find_first_not_of(' ')));
      else out[service][key];
    } else {
      out[service][key].push_back(body);
    }
  }
  return out;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(compose)

BOOST_AUTO_TEST_CASE(compose_matches_the_mounted_config) {
  const auto root = warren::test::source_dir();
  auto services = parse_services(read(root + "/compose.yaml"));
  BOOST_REQUIRE(services.count("kafka"));
  BOOST_REQUIRE(services.count("warren"));
  BOOST_REQUIRE(services.count("demo-load"));
  BOOST_TEST(services["kafka"]["image"].at(0).find("apache/kafka:") == 0u);

  auto cfg = warren::load_config_file(root + "/config/compose.toml", warren::no_environment);
  BOOST_REQUIRE_MESSAGE(cfg.has_value(), "config/compose.toml must load");

  // The mounted file is the one Warren is told to read.
  const auto& volumes = services["warren"]["volumes"];
  BOOST_REQUIRE_EQUAL(volumes.size(), 1u);
  BOOST_TEST(volumes[0] == "- ./config/compose.toml:/etc/warren/compose.toml:ro");
  BOOST_TEST(services["warren"]["command"].at(0).find("/etc/warren/compose.toml") != std::string::npos);

  // Warren's HTTP port is published.
  const auto& address = cfg->httpservers.begin()->second.address;
  auto port = address.substr(address.rfind(':') + 1);
  BOOST_TEST(services["warren"]["ports"].at(0) == "- \"" + port + ":" + port + "\"");

  // The cluster and consumer point at the broker's advertised listener, by service name.
  std::string advertised;
  for (const auto& l : services["kafka"]["environment"])
    if (l.rfind("KAFKA_ADVERTISED_LISTENERS:", 0) == 0) advertised = l.substr(l.find("//") + 2);
  BOOST_TEST(advertised == "kafka:9092");
  for (const auto& [name, c] : cfg->clusters) BOOST_TEST(c.servers == std::vector<std::string>{advertised});
  for (const auto& [name, c] : cfg->consumers) BOOST_TEST(c.servers == std::vector<std::string>{advertised});

  // The demo workload talks to the same broker.
  BOOST_TEST(services["demo-load"]["command"].at(0).find(advertised) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(fleet_profile_instances_share_one_group_and_advertise_themselves) {
  const auto root = warren::test::source_dir();
  auto services = parse_services(read(root + "/compose.yaml"));
  std::string advertised_kafka;
  for (const auto& l : services["kafka"]["environment"])
    if (l.rfind("KAFKA_ADVERTISED_LISTENERS:", 0) == 0) advertised_kafka = l.substr(l.find("//") + 2);
  std::set<std::string> host_ports{"8000"};  // the default instance's
  for (const std::string name : {"warren-1", "warren-2", "warren-3"}) {
    BOOST_TEST_CONTEXT(name) {
      BOOST_REQUIRE(services.count(name));
      auto& svc = services[name];
      BOOST_TEST(svc["profiles"].at(0) == "[\"fleet\"]");
      BOOST_REQUIRE_EQUAL(svc["volumes"].size(), 1u);
      BOOST_TEST(svc["volumes"][0] == "- ./config/fleet.toml:/etc/warren/fleet.toml:ro");
      BOOST_TEST(svc["command"].at(0).find("/etc/warren/fleet.toml") != std::string::npos);
      // Its own advertised URL, through the environment override of the file's key.
      BOOST_REQUIRE_EQUAL(svc["environment"].size(), 1u);
      const std::string prefix = "BURROW_WARREN_ADVERTISED_URL: \"";
      BOOST_REQUIRE(svc["environment"][0].rfind(prefix, 0) == 0u);
      const std::string url = svc["environment"][0].substr(prefix.size(), svc["environment"][0].size() - prefix.size() - 1);
      auto cfg = warren::load_config_file(root + "/config/fleet.toml", [&](const std::string& var) {
        return var == "BURROW_WARREN_ADVERTISED_URL" ? std::optional<std::string>(url) : std::nullopt;
      });
      BOOST_REQUIRE_MESSAGE(cfg.has_value(), "config/fleet.toml must load");
      BOOST_TEST(cfg->warren.advertised_url == url);
      // The URL names this service and the port Warren listens on inside the container, which is
      // published on a host port of its own.
      const auto& address = cfg->httpservers.begin()->second.address;
      const auto port = address.substr(address.rfind(':') + 1);
      BOOST_TEST(url == "http://" + name + ":" + port);
      BOOST_REQUIRE_EQUAL(svc["ports"].size(), 1u);
      const auto& published = svc["ports"][0];  // - "HOST:CONTAINER"
      BOOST_TEST(published.substr(published.find(':') + 1) == port + "\"");
      BOOST_TEST(host_ports.insert(published.substr(3, published.find(':') - 3)).second, "host port used twice");
      // One cluster-group for the offsets consumer, on the compose broker.
      BOOST_REQUIRE_EQUAL(cfg->consumers.size(), 1u);
      for (const auto& [cname, c] : cfg->consumers) {
        const auto group = c.cluster_group.empty() ? cfg->warren.cluster_group : c.cluster_group;
        BOOST_TEST(group == "warren-fleet");
        BOOST_TEST(c.servers == std::vector<std::string>{advertised_kafka});
      }
      for (const auto& [cname, c] : cfg->clusters) BOOST_TEST(c.servers == std::vector<std::string>{advertised_kafka});
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
