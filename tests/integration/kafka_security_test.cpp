// Warren against secured brokers (issue 9 part 3). A Kafka 4.1 broker with TLS, mutual-TLS,
// SASL_SSL, SASL_PLAINTEXT and expired-certificate listeners besides its plaintext one
// (tests/support/kafka_harness.hpp), and a Kafka 3.9 broker with the same listeners for SCRAM
// (librdkafka < 2.6.1 cannot do SCRAM with Kafka 4, see scram_works_on_kafka4). A CA and
// certificates are made by `openssl` in the test (tests/support/tls_pki.hpp), SCRAM users are
// written at format time, PLAIN users are in the listener's JAAS config, OAUTHBEARER uses Kafka's
// unsecured JWT validator. A real producer and a real consumer group commit through the plaintext
// listener; one Warren reads __consumer_offsets and the log-end offsets through each secured
// listener (one cluster per mode) and must show the group's lag for every one. A second Warren
// holds the failure modes (wrong password, unknown user, wrong CA, expired client and broker
// certificates, no client certificate): each cluster must be unreachable and stale in /v3/health
// with a reason that names the failure, each failure must be logged once (not once per reconnect
// or per client), and Warren must keep running and answering.
#include <librdkafka/rdkafka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <exception>
#include <mutex>
#include <thread>
#include <chrono>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/json_helpers.hpp"
#include "tests/support/kafka_harness.hpp"
#include "tests/support/poll_until.hpp"
#include "tests/support/test_clients.hpp"
#include "tests/support/tls_pki.hpp"
#include "tests/support/warren_process.hpp"

using namespace warren::test;
using namespace std::chrono_literals;
using warren::poll_until;

namespace {

const std::string topic = "orders";
const std::string group = "billing";
constexpr std::int64_t committed = 30;  // the group's committed offset on orders/0
constexpr std::int64_t end_offset = 40;  // orders/0's log-end offset

const std::string plain_password = "plain-s3cret";
const std::string scram256_password = "scram256-s3cret";
const std::string scram512_password = "scram512-s3cret";

// One Warren cluster (and its offsets consumer) reached through `listener` with the client
// profile of the same name, with the given [tls.NAME] and [sasl.NAME] bodies.
struct secured_cluster {
  std::string name;
  const kafka_cluster* kafka;
  kafka_listener listener;
  std::string tls;   // [tls.NAME] body, empty = none
  std::string sasl;  // [sasl.NAME] body, empty = none
  std::string servers = {};  // instead of the listener's address (a proxy in front of it)
};

std::string quoted(const std::filesystem::path& p) { return "\"" + p.string() + "\""; }

std::string warren_config(const std::vector<secured_cluster>& clusters) {
  std::ostringstream c;
  for (const auto& m : clusters) {
    if (!m.tls.empty()) c << "[tls." << m.name << "]\n" << m.tls << "\n";
    if (!m.sasl.empty()) c << "[sasl." << m.name << "]\n" << m.sasl << "\n";
    c << "[client-profile." << m.name << "]\nclient-id = \"warren-" << m.name << "\"\n";
    if (!m.tls.empty()) c << "tls = \"" << m.name << "\"\n";
    if (!m.sasl.empty()) c << "sasl = \"" << m.name << "\"\n";
    c << "dial-timeout = 5\nread-timeout = 5\n\n";
    const std::string servers = "[\"" + (m.servers.empty() ? m.kafka->bootstrap(m.listener) : m.servers) + "\"]";
    c << "[cluster." << m.name << "]\nservers = " << servers << "\nclient-profile = \"" << m.name
      << "\"\noffset-refresh = 1\ntopic-refresh = 2\n\n";
    c << "[consumer." << m.name << "]\ncluster = \"" << m.name << "\"\nservers = " << servers
      << "\nself-report = false\n\n";
  }
  c << "[storage.default]\nintervals = 5\n\n[warren]\neval-interval = 1\ncoalesce-ms = 50\n";
  return c.str();
}

// A loopback TCP forwarder to `upstream_port` that counts the connections it accepts: how often
// Warren's clients reconnect to a broker that refuses them (a retry storm shows as hundreds).
class counting_proxy {
 public:
  explicit counting_proxy(std::uint16_t upstream_port) : upstream_(upstream_port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 64) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      throw std::runtime_error("counting_proxy: cannot listen on 127.0.0.1");
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::jthread([this](std::stop_token stop) { accept_loop(stop); });
  }
  counting_proxy(const counting_proxy&) = delete;
  counting_proxy& operator=(const counting_proxy&) = delete;
  ~counting_proxy() {
    acceptor_.request_stop();
    acceptor_.join();
    std::lock_guard lock(mutex_);
    pumps_.clear();  // each stops and joins
    ::close(fd_);
  }
  std::string bootstrap() const { return "127.0.0.1:" + std::to_string(port_); }
  int accepted() const { return accepted_.load(); }

 private:
  void accept_loop(std::stop_token stop) {
    while (!stop.stop_requested()) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      const int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      ++accepted_;
      const int up = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(upstream_);
      if (up < 0 || ::connect(up, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(client);
        if (up >= 0) ::close(up);
        continue;
      }
      std::lock_guard lock(mutex_);
      pumps_.emplace_back([client, up](std::stop_token s) { pump(client, up, s); });
    }
  }
  // Copies bytes both ways until either side closes, then closes both.
  static void pump(int a, int b, std::stop_token stop) {
    char buf[16384];
    pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
    bool open = true;
    while (open && !stop.stop_requested()) {
      if (::poll(p, 2, 100) <= 0) continue;
      for (int i = 0; i < 2 && open; ++i) {
        if ((p[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        const ssize_t n = ::read(p[i].fd, buf, sizeof buf);
        if (n <= 0) {
          open = false;
          break;
        }
        for (ssize_t off = 0; off < n && open;) {
          const ssize_t w = ::send(p[1 - i].fd, buf + off, static_cast<std::size_t>(n - off), MSG_NOSIGNAL);
          if (w <= 0) open = false;
          else off += w;
        }
      }
    }
    ::close(a);
    ::close(b);
  }

  std::uint16_t upstream_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<int> accepted_{0};
  std::mutex mutex_;
  std::vector<std::jthread> pumps_;
  std::jthread acceptor_;
};

std::uint16_t port_of(const std::string& bootstrap) {
  return static_cast<std::uint16_t>(std::stoi(bootstrap.substr(bootstrap.rfind(':') + 1)));
}

// librdkafka before 2.6.1 cannot do SCRAM with Kafka 4.0+ brokers (it repeats the client nonce in
// its final message, which Kafka 4 refuses as invalid credentials; librdkafka issue 4895). Debian
// bookworm ships 2.0.2, so SCRAM is proven on a Kafka 3.9 broker, and on the 4.1 broker it must
// either work (a fixed librdkafka) or fail with the one clear line that says why.
const std::string scram_kafka_version = "3.9.1";
bool scram_works_on_kafka4() { return rd_kafka_version() >= 0x020601ff; }

kafka_security security_of(const test_pki& pki, bool expired_listener) {
  kafka_security sec;
  sec.ca_cert = pki.ca_cert;
  sec.broker_cert = pki.server_cert;
  sec.broker_key = pki.server_key;
  if (expired_listener) {
    sec.expired_broker_cert = pki.expired_server_cert;
    sec.expired_broker_key = pki.expired_server_key;
  }
  sec.users = {{"PLAIN", "warren", plain_password},
               {"SCRAM-SHA-256", "warren256", scram256_password},
               {"SCRAM-SHA-512", "warren512", scram512_password}};
  return sec;
}

// A real consumer group commits 30 through the plaintext listener, then 10 more arrive: lag 10.
void seed(kafka_cluster& kafka) {
  kafka.create_topic(topic, 1);
  commit_all_and_leave(kafka.bootstrap(), group, topic, committed);
  producer(kafka.bootstrap()).produce(topic, 0, static_cast<int>(end_offset - committed));
}

struct security_env {
  test_pki pki = make_test_pki();
  std::unique_ptr<kafka_cluster> kafka;     // Kafka 4.1 (the harness default): every listener
  std::unique_ptr<kafka_cluster> kafka39;   // Kafka 3.9: SCRAM with this librdkafka
  std::unique_ptr<warren_process> good;  // every mode that must work
  std::unique_ptr<warren_process> bad;   // every failure mode
  std::vector<std::string> good_clusters, bad_clusters;
  std::unique_ptr<counting_proxy> wrong_password_proxy;  // in front of the 4.1 SASL_SSL listener

  security_env() {
    // Two JVMs start at once: the suite waits for the slower, not for both in a row.
    std::exception_ptr failed39;
    std::thread start39([&] {
      try {
        kafka39 = std::make_unique<kafka_cluster>(
            kafka_cluster_options{.security = security_of(pki, false), .kafka_version = scram_kafka_version});
        seed(*kafka39);
      } catch (...) {
        failed39 = std::current_exception();
      }
    });
    try {
      kafka = std::make_unique<kafka_cluster>(kafka_cluster_options{.security = security_of(pki, true)});
      seed(*kafka);
    } catch (...) {
      start39.join();
      throw;
    }
    start39.join();
    if (failed39) std::rethrow_exception(failed39);

    const std::string ca = "cafile = " + quoted(pki.ca_cert) + "\n";
    const std::string client_cert =
        "certfile = " + quoted(pki.client_cert) + "\nkeyfile = " + quoted(pki.client_key) + "\n";
    auto sasl = [](const std::string& mechanism, const std::string& user, const std::string& password) {
      return "mechanism = \"" + mechanism + "\"\nusername = \"" + user + "\"\npassword = \"" + password + "\"\n";
    };
    std::vector<secured_cluster> good_modes{
        {"tls", kafka.get(), kafka_listener::ssl, ca, ""},
        {"mtls", kafka.get(), kafka_listener::mtls, ca + client_cert, ""},
        {"plain", kafka.get(), kafka_listener::sasl_ssl, ca, sasl("PLAIN", "warren", plain_password)},
        {"plain-no-tls", kafka.get(), kafka_listener::sasl_plaintext, "", sasl("PLAIN", "warren", plain_password)},
        {"oauth", kafka.get(), kafka_listener::sasl_ssl, ca, "mechanism = \"OAUTHBEARER\"\nusername = \"warren-jwt\"\n"},
        {"scram256", kafka39.get(), kafka_listener::sasl_ssl, ca, sasl("SCRAM-SHA-256", "warren256", scram256_password)},
        {"scram512", kafka39.get(), kafka_listener::sasl_ssl, ca, sasl("SCRAM-SHA-512", "warren512", scram512_password)},
        {"scram512-no-tls", kafka39.get(), kafka_listener::sasl_plaintext, "",
         sasl("SCRAM-SHA-512", "warren512", scram512_password)},
    };
    wrong_password_proxy = std::make_unique<counting_proxy>(port_of(kafka->bootstrap(kafka_listener::sasl_ssl)));
    std::vector<secured_cluster> bad_modes{
        {"wrong-password", kafka.get(), kafka_listener::sasl_ssl, ca, sasl("PLAIN", "warren", "not-the-password"),
         wrong_password_proxy->bootstrap()},
        {"unknown-user", kafka.get(), kafka_listener::sasl_ssl, ca, sasl("PLAIN", "mallory", plain_password)},
        {"wrong-scram-password", kafka39.get(), kafka_listener::sasl_ssl, ca,
         sasl("SCRAM-SHA-256", "warren256", "not-the-password")},
        {"wrong-ca", kafka.get(), kafka_listener::ssl, "cafile = " + quoted(pki.other_ca_cert) + "\n", ""},
        {"expired-client", kafka.get(), kafka_listener::mtls,
         ca + "certfile = " + quoted(pki.expired_client_cert) + "\nkeyfile = " + quoted(pki.expired_client_key) + "\n",
         ""},
        {"expired-broker", kafka.get(), kafka_listener::expired_ssl, ca, ""},
        {"no-client-cert", kafka.get(), kafka_listener::mtls, ca, ""},
    };
    // SCRAM on Kafka 4.1: works with a fixed librdkafka, else is a failure mode of its own.
    auto& scram4 = scram_works_on_kafka4() ? good_modes : bad_modes;
    scram4.push_back({"scram256-kafka4", kafka.get(), kafka_listener::sasl_ssl, ca,
                      sasl("SCRAM-SHA-256", "warren256", scram256_password)});
    scram4.push_back({"scram512-kafka4", kafka.get(), kafka_listener::sasl_ssl, ca,
                      sasl("SCRAM-SHA-512", "warren512", scram512_password)});
    for (const auto& m : good_modes) good_clusters.push_back(m.name);
    for (const auto& m : bad_modes) bad_clusters.push_back(m.name);
    good = std::make_unique<warren_process>(warren_config(good_modes));
    bad = std::make_unique<warren_process>(warren_config(bad_modes));
  }
};
security_env* env = nullptr;
struct security_fixture {
  security_fixture() { env = new security_env(); }
  ~security_fixture() {
    delete env;
    env = nullptr;
  }
};

boost::json::value health(const warren_process& w) { return parse_json(w.get("/v3/health").body); }

// Lines of Warren's log that contain `what`.
std::vector<std::string> log_lines(const warren_process& w, const std::string& what) {
  std::vector<std::string> out;
  std::istringstream in(w.output());
  for (std::string line; std::getline(in, line);)
    if (line.find(what) != std::string::npos) out.push_back(line);
  return out;
}

// warren_cluster_poller_errors_total per cluster, from /metrics.
std::map<std::string, long> poller_errors(const warren_process& w) {
  std::map<std::string, long> out;
  std::istringstream in(w.get("/metrics").body);
  const std::string prefix = "warren_cluster_poller_errors_total{cluster=\"";
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) != 0) continue;
    const auto end = line.find('"', prefix.size());
    if (end == std::string::npos) continue;
    out[line.substr(prefix.size(), end - prefix.size())] = std::stol(line.substr(line.rfind(' ') + 1));
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(kafka_security, *boost::unit_test::fixture<security_fixture>())

BOOST_AUTO_TEST_CASE(lag_is_read_through_tls_mtls_plain_scram_and_oauthbearer) {
  for (const auto& cluster : env->good_clusters) {
    BOOST_TEST_CONTEXT("cluster " << cluster) {
      boost::json::value lag;
      const bool seen = poll_until(
          [&] {
            lag = parse_json(env->good->get("/v3/kafka/" + cluster + "/consumer/" + group + "/lag").body);
            // current_lag = log-end offset (40, from the poller) - committed (30, from the reader)
            return num(at(lag, {"status", "partitions", 0, "end", "offset"})) == committed &&
                   num(at(lag, {"status", "partitions", 0, "current_lag"})) == end_offset - committed;
          },
          30s, 200ms);
      BOOST_TEST(seen, "lag of " << group << " through " << cluster << ": " << boost::json::serialize(lag));
      BOOST_TEST(str(at(lag, {"status", "partitions", 0, "topic"})) == topic);
      const auto offsets = parse_json(env->good->get("/v3/kafka/" + cluster + "/topic/" + topic).body);
      BOOST_TEST(num(at(offsets, {"offsets", 0})) == end_offset, boost::json::serialize(offsets));
      const auto h = health(*env->good);
      const char* c = cluster.c_str();
      BOOST_TEST(at(h, {"clusters", c, "reachable"}) == boost::json::value(true), boost::json::serialize(h));
      BOOST_TEST(at(h, {"clusters", c, "freshness", "stale"}) == boost::json::value(false), boost::json::serialize(h));
    }
  }
  BOOST_TEST(log_lines(*env->good, "failed").empty(), env->good->output());
}

BOOST_AUTO_TEST_CASE(each_failure_is_one_clear_line_and_an_unreachable_cluster) {
  std::map<std::string, std::string> expected;
  for (const auto& c : env->bad_clusters)
    expected[c] = c.find("password") != std::string::npos || c.find("user") != std::string::npos ||
                          c.find("scram") != std::string::npos
                      ? "authentication failed"
                      : "TLS certificate verification failed";
  boost::json::value h;
  const bool all_down = poll_until(
      [&] {
        h = health(*env->bad);
        for (const auto& [cluster, what] : expected) {
          const char* c = cluster.c_str();
          if (at(h, {"clusters", c, "reachable"}) != boost::json::value(false) ||
              at(h, {"clusters", c, "freshness", "stale"}) != boost::json::value(true) ||
              str(at(h, {"clusters", c, "freshness", "reason"})).find(what) == std::string::npos)
            return false;
        }
        return true;
      },
      60s, 200ms);
  BOOST_TEST(all_down, boost::json::serialize(h) << "\n" << env->bad->output());
  // Several failed rounds later (the poller retries every second, librdkafka reconnects with
  // backoff), still one line per cluster.
  const auto before = poller_errors(*env->bad);
  const int connections_before = env->wrong_password_proxy->accepted();
  const auto window_start = std::chrono::steady_clock::now();
  const bool retried = poll_until(
      [&] {
        const auto now = poller_errors(*env->bad);
        for (const auto& [cluster, what] : expected)
          if (now.count(cluster) == 0 || now.at(cluster) < before.at(cluster) + 5) return false;
        return true;
      },
      30s, 200ms);
  BOOST_TEST(retried);
  // No retry storm: the two clients (poller, reader) of a refused cluster reconnect with
  // librdkafka's backoff (100 ms doubling to 10 s), not in a loop.
  const double window_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - window_start).count();
  const int reconnects = env->wrong_password_proxy->accepted() - connections_before;
  BOOST_TEST_MESSAGE("wrong-password: " << env->wrong_password_proxy->accepted() << " connections in all, "
                                        << reconnects << " in a window of " << window_s << " s");
  BOOST_TEST(env->wrong_password_proxy->accepted() >= 1);
  BOOST_TEST(reconnects <= 2 * window_s + 4, reconnects << " connections in " << window_s << " s");
  BOOST_TEST(env->bad->process().running());
  for (const auto& [cluster, what] : expected) {
    BOOST_TEST_CONTEXT("cluster " << cluster) {
      const auto lines = log_lines(*env->bad, "cluster " + cluster + ": " + what);
      BOOST_TEST(lines.size() == 1u, env->bad->output());
      for (const auto& l : lines) BOOST_TEST_MESSAGE(l);
    }
  }
  if (!scram_works_on_kafka4())  // the line says why SCRAM to Kafka 4 fails with this librdkafka
    for (const char* c : {"scram256-kafka4", "scram512-kafka4"})
      BOOST_TEST(log_lines(*env->bad, std::string("cluster ") + c + ": authentication failed").at(0).find(
                     "cannot authenticate to them with SCRAM, fixed in librdkafka 2.6.1") !=
                 std::string::npos);
  BOOST_TEST(env->bad->get("/burrow/admin").body == "GOOD");
  BOOST_TEST(env->bad->output().find("s3cret") == std::string::npos);
  BOOST_TEST(health(*env->bad).as_object().at("clusters") != boost::json::value(nullptr));
  BOOST_TEST_MESSAGE("health:\n" << boost::json::serialize(at(health(*env->bad), {"clusters"})));
  BOOST_TEST_MESSAGE("log of the failing Warren:\n" << env->bad->output());
}

BOOST_AUTO_TEST_SUITE_END()
