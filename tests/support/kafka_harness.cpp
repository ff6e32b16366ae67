#include "tests/support/kafka_harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string_view>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "tests/support/poll_until.hpp"

#ifndef WARREN_SOURCE_DIR
#error "WARREN_SOURCE_DIR (the repository root, a string literal) must be defined"
#endif

extern char** environ;

namespace warren::test {

namespace {

std::function<bool()>& failure_probe() {
  static std::function<bool()> probe;
  return probe;
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// `n` distinct free loopback ports: all sockets are held while the next is picked so the kernel
// cannot hand out the same one twice.
std::vector<std::uint16_t> pick_ports(std::size_t n) {
  std::vector<int> fds(n, -1);
  std::vector<std::uint16_t> ports(n);
  auto close_all = [&] {
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  };
  for (std::size_t i = 0; i < n; ++i) {
    fds[i] = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fds[i] < 0) {
      const int err = errno;
      close_all();
      throw std::system_error(err, std::generic_category(), "socket");
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(fds[i], reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fds[i], reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      const int err = errno;
      close_all();
      throw std::system_error(err, std::generic_category(), "bind 127.0.0.1:0");
    }
    ports[i] = ntohs(addr.sin_port);
  }
  close_all();
  return ports;
}

// A PEM file as one Java properties value: newlines escaped (Properties.load reads \n).
std::string pem_property(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("kafka_cluster: cannot read " + file.string());
  std::string out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    out += line + "\\n";
  }
  return out;
}

const char* listener_name(kafka_listener l) {
  switch (l) {
    case kafka_listener::plaintext: return "PLAINTEXT";
    case kafka_listener::ssl: return "SSL";
    case kafka_listener::mtls: return "MTLS";
    case kafka_listener::sasl_ssl: return "SASL_SSL";
    case kafka_listener::sasl_plaintext: return "SASL_PLAINTEXT";
    case kafka_listener::expired_ssl: return "EXPIRED";
  }
  return "?";
}
const char* listener_protocol(kafka_listener l) {
  switch (l) {
    case kafka_listener::plaintext: return "PLAINTEXT";
    case kafka_listener::ssl:
    case kafka_listener::mtls:
    case kafka_listener::expired_ssl: return "SSL";
    case kafka_listener::sasl_ssl: return "SASL_SSL";
    case kafka_listener::sasl_plaintext: return "SASL_PLAINTEXT";
  }
  return "?";
}

// librdkafka's own logging is silent unless WARREN_TEST_RDKAFKA_LOG is set: a broker that is
// down on purpose would otherwise fill the test output with connection errors.
void quiet_log(const rd_kafka_t*, int level, const char* fac, const char* buf) {
  if (std::getenv("WARREN_TEST_RDKAFKA_LOG") != nullptr)
    std::cerr << "rdkafka " << level << ' ' << fac << ": " << buf << '\n';
}

struct rk_deleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using rk_ptr = std::unique_ptr<rd_kafka_t, rk_deleter>;
struct event_deleter {
  void operator()(rd_kafka_event_t* ev) const { rd_kafka_event_destroy(ev); }
};
using event_ptr = std::unique_ptr<rd_kafka_event_t, event_deleter>;
struct queue_deleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
using queue_ptr = std::unique_ptr<rd_kafka_queue_t, queue_deleter>;

rk_ptr make_client(const std::string& bootstrap) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set_log_cb(conf, quiet_log);
  for (const auto& [k, v] : {std::pair{"bootstrap.servers", bootstrap.c_str()},
                             std::pair{"client.id", "warren-test-harness"},
                             std::pair{"reconnect.backoff.max.ms", "500"}}) {
    if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw std::runtime_error(std::string("rdkafka config ") + k + ": " + err);
    }
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (rk == nullptr) throw std::runtime_error(std::string("rd_kafka_new: ") + err);
  return rk_ptr(rk);
}

struct metadata_deleter {
  void operator()(const rd_kafka_metadata_t* md) const { rd_kafka_metadata_destroy(md); }
};
using metadata_ptr = std::unique_ptr<const rd_kafka_metadata_t, metadata_deleter>;

metadata_ptr fetch_metadata(rd_kafka_t* rk, std::chrono::milliseconds timeout) {
  const rd_kafka_metadata_t* md = nullptr;
  if (rd_kafka_metadata(rk, 1, nullptr, &md, static_cast<int>(timeout.count())) != RD_KAFKA_RESP_ERR_NO_ERROR)
    return nullptr;
  return metadata_ptr(md);
}

// Runs one admin request and waits for its result event; throws on a request-level error.
template <typename Issue>
event_ptr admin_call(rd_kafka_t* rk, rd_kafka_admin_op_t op, std::chrono::milliseconds timeout, Issue&& issue) {
  char err[512];
  queue_ptr queue(rd_kafka_queue_new(rk));
  std::unique_ptr<rd_kafka_AdminOptions_t, decltype(&rd_kafka_AdminOptions_destroy)> options(
      rd_kafka_AdminOptions_new(rk, op), &rd_kafka_AdminOptions_destroy);
  const int ms = static_cast<int>(timeout.count());
  rd_kafka_AdminOptions_set_request_timeout(options.get(), ms, err, sizeof err);
  if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS || op == RD_KAFKA_ADMIN_OP_DELETETOPICS)
    rd_kafka_AdminOptions_set_operation_timeout(options.get(), ms, err, sizeof err);
  issue(options.get(), queue.get());
  event_ptr ev(rd_kafka_queue_poll(queue.get(), ms + 5000));
  if (!ev) throw std::runtime_error("admin request timed out");
  if (rd_kafka_event_error(ev.get()) != RD_KAFKA_RESP_ERR_NO_ERROR)
    throw std::runtime_error(std::string("admin request failed: ") + rd_kafka_event_error_string(ev.get()));
  return ev;
}

std::string simple_name(const std::string& main_class) {
  const auto dot = main_class.rfind('.');
  return dot == std::string::npos ? main_class : main_class.substr(dot + 1);
}

}  // namespace

void set_test_failure_probe(std::function<bool()> probe) { failure_probe() = std::move(probe); }

std::filesystem::path kafka_script() {
  const char* env = std::getenv("WARREN_SOURCE_DIR");
  const std::filesystem::path root = env != nullptr && *env != '\0' ? env : WARREN_SOURCE_DIR;
  return root / "tests" / "support" / "kafka.sh";
}

// ---------------------------------------------------------------------------------------------
// child_process

child_process::child_process(const std::vector<std::string>& argv, std::filesystem::path output_file,
                             const std::filesystem::path& cwd)
    : output_(std::move(output_file)) {
  if (argv.empty()) throw std::invalid_argument("child_process: empty argv");

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  // The environment plus WARREN_OWNER_PID, which kafka.sh uses to kill its JVMs if we die.
  const std::string owner = "WARREN_OWNER_PID=" + std::to_string(::getpid());
  std::vector<char*> env;
  for (char** e = environ; *e != nullptr; ++e)
    if (std::strncmp(*e, "WARREN_OWNER_PID=", 17) != 0) env.push_back(*e);
  env.push_back(const_cast<char*>(owner.c_str()));
  env.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, output_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  // Own process group (so terminate() reaches grandchildren), default signal dispositions and an
  // empty mask whatever the test framework installed.
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int sig : {SIGTERM, SIGINT, SIGPIPE, SIGHUP, SIGCHLD}) sigaddset(&defaults, sig);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  const int rc = ::posix_spawnp(&pid_, args[0], &actions, &attr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    pid_ = -1;
    throw std::system_error(rc, std::generic_category(), "posix_spawnp " + argv[0]);
  }
}

child_process::child_process(child_process&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), status_(std::exchange(other.status_, std::nullopt)),
      output_(std::move(other.output_)) {}

child_process& child_process::operator=(child_process&& other) noexcept {
  if (this != &other) {
    terminate();
    pid_ = std::exchange(other.pid_, -1);
    status_ = std::exchange(other.status_, std::nullopt);
    output_ = std::move(other.output_);
  }
  return *this;
}

child_process::~child_process() { terminate(); }

bool child_process::running() {
  if (pid_ < 0 || status_) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    status_ = decode_status(status);
    return false;
  }
  if (r < 0 && errno == ECHILD) {
    status_ = -1;
    return false;
  }
  return true;
}

std::optional<int> child_process::wait_for(std::chrono::milliseconds deadline) {
  if (pid_ < 0) return status_;
  poll_until([this] { return !running(); }, deadline, std::chrono::milliseconds{20});
  return status_;
}

int child_process::terminate(std::chrono::milliseconds grace) {
  if (pid_ < 0) return -1;
  if (running()) {
    ::kill(-pid_, SIGTERM);
    if (!wait_for(grace)) {
      ::kill(-pid_, SIGKILL);
      int status = 0;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      status_ = decode_status(status);
    }
  }
  return status_.value_or(-1);
}

std::string child_process::output() const { return read_file(output_); }

// ---------------------------------------------------------------------------------------------
// kafka_cluster

kafka_cluster::kafka_cluster(kafka_cluster_options options) : options_(options) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "warren-kafka-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::system_error(errno, std::generic_category(), "mkdtemp");
  base_ = tmpl;
  broker_dir_ = base_ / "broker";
  std::filesystem::create_directories(base_ / "tools");
  pick_all_ports();
  try {
    launch();
    return;
  } catch (const std::exception& e) {
    constexpr std::string_view taken = "Address already in use";
    const bool port_taken = std::string_view(e.what()).find(taken) != std::string_view::npos ||
                            read_file(broker_log()).find(taken) != std::string::npos;
    abandon();
    if (!port_taken) {
      std::filesystem::remove_all(base_);
      throw;
    }
    // Another process took a port between picking and binding: try fresh ones once.
    std::cerr << "kafka_cluster: port taken, retrying with new ports: " << e.what() << '\n';
  }
  pick_all_ports();
  try {
    launch();
  } catch (...) {
    abandon();
    std::filesystem::remove_all(base_);
    throw;
  }
}

void kafka_cluster::abandon() noexcept {
  try {
    stop();
  } catch (const std::exception& e) {
    std::cerr << "kafka_cluster: " << e.what() << '\n';
  }
  running_ = false;
}

kafka_cluster::~kafka_cluster() {
  const bool failed = std::uncaught_exceptions() > 0 || (failure_probe() && failure_probe()());
  if (failed) {
    print_log_tail(60);
    const auto kept = std::filesystem::temp_directory_path() / (base_.filename().string() + "-broker.log");
    std::error_code ec;
    std::filesystem::copy_file(broker_log(), kept, std::filesystem::copy_options::overwrite_existing, ec);
    if (!ec) std::cerr << "kafka_cluster: broker log kept at " << kept.string() << '\n';
  }
  try {
    child_process destroy({"bash", kafka_script().string(), "destroy", broker_dir_.string()}, base_ / "destroy.out");
    destroy.wait_for(60s);
  } catch (const std::exception& e) {
    std::cerr << "kafka_cluster: destroy failed: " << e.what() << '\n';
  }
  std::error_code ec;
  std::filesystem::remove_all(base_, ec);
}

std::vector<std::string> kafka_cluster::script_argv() const {
  std::vector<std::string> argv;
  if (!options_.kafka_version.empty()) argv = {"env", "WARREN_KAFKA_VERSION=" + options_.kafka_version};
  argv.insert(argv.end(), {"bash", kafka_script().string()});
  return argv;
}

void kafka_cluster::pick_all_ports() {
  std::vector<kafka_listener> secured;
  if (options_.security) {
    secured = {kafka_listener::ssl, kafka_listener::mtls, kafka_listener::sasl_ssl, kafka_listener::sasl_plaintext};
    if (!options_.security->expired_broker_cert.empty()) secured.push_back(kafka_listener::expired_ssl);
  }
  const auto ports = pick_ports(2 + secured.size());
  port_ = ports[0];
  controller_port_ = ports[1];
  secured_ports_.clear();
  for (std::size_t i = 0; i < secured.size(); ++i) secured_ports_[secured[i]] = ports[2 + i];
  bootstrap_ = "127.0.0.1:" + std::to_string(port_);
}

std::string kafka_cluster::bootstrap(kafka_listener listener) const {
  if (listener == kafka_listener::plaintext) return bootstrap_;
  auto it = secured_ports_.find(listener);
  if (it == secured_ports_.end())
    throw std::logic_error(std::string("kafka_cluster: no ") + listener_name(listener) + " listener");
  return "127.0.0.1:" + std::to_string(it->second);
}

// The secured listeners on top of kafka.sh's plain setup (kafka.sh appends extra.properties to
// server.properties, later keys win) and the SCRAM users for the format step.
void kafka_cluster::write_security_files() const {
  std::filesystem::create_directories(broker_dir_);
  if (!options_.security) return;
  const kafka_security& sec = *options_.security;
  std::string listeners = "PLAINTEXT://" + bootstrap_ + ",CONTROLLER://127.0.0.1:" + std::to_string(controller_port_);
  std::string advertised = "PLAINTEXT://" + bootstrap_;
  std::string protocols = "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT";
  for (const auto& [l, port] : secured_ports_) {
    const std::string addr = std::string(listener_name(l)) + "://127.0.0.1:" + std::to_string(port);
    listeners += "," + addr;
    advertised += "," + addr;
    protocols += std::string(",") + listener_name(l) + ":" + listener_protocol(l);
  }
  std::ostringstream p;
  p << "listeners=" << listeners << "\nadvertised.listeners=" << advertised
    << "\nlistener.security.protocol.map=" << protocols << "\n";
  // PEM key stores (KIP-651): no keytool, no store passwords.
  p << "ssl.keystore.type=PEM\nssl.keystore.certificate.chain=" << pem_property(sec.broker_cert)
    << "\nssl.keystore.key=" << pem_property(sec.broker_key) << "\nssl.truststore.type=PEM\nssl.truststore.certificates="
    << pem_property(sec.ca_cert) << "\nssl.endpoint.identification.algorithm=\n";
  p << "listener.name.mtls.ssl.client.auth=required\n";
  if (!sec.expired_broker_cert.empty())
    p << "listener.name.expired.ssl.keystore.type=PEM\nlistener.name.expired.ssl.keystore.certificate.chain="
      << pem_property(sec.expired_broker_cert) << "\nlistener.name.expired.ssl.keystore.key="
      << pem_property(sec.expired_broker_key) << "\n";
  std::string plain_users;
  std::ostringstream scram;
  for (const auto& u : sec.users) {
    if (u.mechanism == "PLAIN") plain_users += " user_" + u.name + "=\"" + u.password + "\"";
    else if (u.mechanism == "SCRAM-SHA-256" || u.mechanism == "SCRAM-SHA-512")
      scram << u.mechanism << "=[name=" << u.name << ",password=" << u.password << "]\n";
    else throw std::invalid_argument("kafka_cluster: unknown SASL mechanism " + u.mechanism);
  }
  p << "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER\n";
  for (const char* l : {"sasl_ssl", "sasl_plaintext"}) {
    const std::string prefix = std::string("listener.name.") + l + ".";
    p << prefix << "plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required"
      << plain_users << ";\n";
    for (const char* m : {"scram-sha-256", "scram-sha-512"})
      p << prefix << m << ".sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;\n";
    p << prefix << "oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;\n"
      << prefix << "oauthbearer.sasl.server.callback.handler.class="
      << "org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler\n";
  }
  if (sec.authorizer)  // the plaintext and controller listeners (ANONYMOUS) keep every right
    p << "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer\n"
      << "super.users=User:ANONYMOUS\nallow.everyone.if.no.acl.found=false\n";
  std::ofstream(broker_dir_ / "extra.properties") << p.str();
  std::ofstream(broker_dir_ / "scram") << scram.str();
}

void kafka_cluster::launch() {
  write_security_files();
  const auto out = next_output("kafka-start");
  std::vector<std::string> argv = script_argv();
  argv.insert(argv.end(), {"start", broker_dir_.string(), std::to_string(port_), std::to_string(controller_port_),
                           std::to_string(options_.offsets_topic_partitions)});
  child_process start_script(argv, out);
  const auto started = std::chrono::steady_clock::now();
  const auto status = start_script.wait_for(options_.start_deadline);
  if (!status || *status != 0) {
    const std::string output = start_script.output();
    start_script.terminate();
    running_ = true;  // a JVM may be up even though the script failed: stop() will look
    fail("kafka.sh start failed (status " + (status ? std::to_string(*status) : std::string("timeout")) +
         "): " + output);
  }
  running_ = true;
  const auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  wait_ready(std::max(options_.start_deadline - spent, std::chrono::milliseconds{5000}));
}

void kafka_cluster::wait_ready(std::chrono::milliseconds deadline) {
  // The cluster id proves that the broker answering is ours and not another test's broker that
  // happens to hold the port we picked.
  const std::string expected_id = cluster_id();
  auto rk = make_client(bootstrap_);
  const bool ok = poll_until(
      [&] {
        auto md = fetch_metadata(rk.get(), 2s);
        return md && md->broker_cnt >= 1;
      },
      deadline, 100ms);
  if (!ok) fail("broker on " + bootstrap_ + " did not answer metadata in time");
  char* raw_id = rd_kafka_clusterid(rk.get(), 5000);
  const std::string id = raw_id != nullptr ? raw_id : "";
  if (raw_id != nullptr) rd_kafka_mem_free(rk.get(), raw_id);
  if (id.empty() || id != expected_id)
    fail("the broker on " + bootstrap_ + " reports cluster id '" + id + "', ours is '" + expected_id +
         "': another process holds the port (Address already in use)");
}

std::string kafka_cluster::cluster_id() const {
  std::ifstream in(broker_dir_ / "data" / "meta.properties");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("cluster.id=", 0) == 0) return line.substr(11);
  return {};
}

void kafka_cluster::stop() {
  if (!running_) return;
  child_process stop_script({"bash", kafka_script().string(), "stop", broker_dir_.string()}, next_output("kafka-stop"));
  const auto status = stop_script.wait_for(60s);
  if (!status || *status != 0) fail("kafka.sh stop failed: " + stop_script.output());
  running_ = false;
}

void kafka_cluster::start() {
  if (running_) return;
  launch();
}

void kafka_cluster::create_topic(const std::string& name, int partitions, std::chrono::milliseconds deadline) {
  auto rk = make_client(bootstrap_);
  char err[512];
  rd_kafka_NewTopic_t* topic = rd_kafka_NewTopic_new(name.c_str(), partitions, 1, err, sizeof err);
  if (topic == nullptr) fail("create_topic " + name + ": " + err);
  std::unique_ptr<rd_kafka_NewTopic_t, decltype(&rd_kafka_NewTopic_destroy)> guard(topic, &rd_kafka_NewTopic_destroy);
  event_ptr ev;
  try {
    ev = admin_call(rk.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS, deadline,
                    [&](rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
                      rd_kafka_CreateTopics(rk.get(), &topic, 1, o, q);
                    });
  } catch (const std::exception& e) {
    fail("create_topic " + name + ": " + e.what());
  }
  size_t n = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev.get()), &n);
  for (size_t i = 0; i < n; ++i) {
    if (rd_kafka_topic_result_error(results[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* msg = rd_kafka_topic_result_error_string(results[i]);
      if (msg == nullptr) msg = rd_kafka_err2str(rd_kafka_topic_result_error(results[i]));
      fail("create_topic " + name + ": " + msg);
    }
  }
  // Created on the controller is not yet served by the broker: wait until every partition has a leader.
  const bool ready = poll_until(
      [&] {
        auto md = fetch_metadata(rk.get(), 2s);
        if (!md) return false;
        for (int t = 0; t < md->topic_cnt; ++t) {
          const auto& tm = md->topics[t];
          if (name != tm.topic) continue;
          if (tm.err != RD_KAFKA_RESP_ERR_NO_ERROR || tm.partition_cnt != partitions) return false;
          return std::all_of(tm.partitions, tm.partitions + tm.partition_cnt,
                             [](const rd_kafka_metadata_partition_t& p) { return p.leader >= 0 && p.err == 0; });
        }
        return false;
      },
      deadline, 100ms);
  if (!ready) fail("create_topic " + name + ": partitions have no leader in time");
}

void kafka_cluster::delete_topic(const std::string& name, std::chrono::milliseconds deadline) {
  auto rk = make_client(bootstrap_);
  rd_kafka_DeleteTopic_t* topic = rd_kafka_DeleteTopic_new(name.c_str());
  std::unique_ptr<rd_kafka_DeleteTopic_t, decltype(&rd_kafka_DeleteTopic_destroy)> guard(topic,
                                                                                        &rd_kafka_DeleteTopic_destroy);
  event_ptr ev;
  try {
    ev = admin_call(rk.get(), RD_KAFKA_ADMIN_OP_DELETETOPICS, deadline,
                    [&](rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
                      rd_kafka_DeleteTopics(rk.get(), &topic, 1, o, q);
                    });
  } catch (const std::exception& e) {
    fail("delete_topic " + name + ": " + e.what());
  }
  size_t n = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev.get()), &n);
  for (size_t i = 0; i < n; ++i)
    if (rd_kafka_topic_result_error(results[i]) != RD_KAFKA_RESP_ERR_NO_ERROR)
      fail("delete_topic " + name + ": " + rd_kafka_err2str(rd_kafka_topic_result_error(results[i])));
  if (!poll_until([&] { return !has_topic(name); }, deadline, 100ms))
    fail("delete_topic " + name + ": still listed after the deadline");
}

std::vector<std::string> kafka_cluster::topics(std::chrono::milliseconds deadline) const {
  auto rk = make_client(bootstrap_);
  auto md = fetch_metadata(rk.get(), deadline);
  // No log tail here: tests call this on a broker they stopped on purpose.
  if (!md) throw std::runtime_error("kafka_cluster " + bootstrap_ + ": metadata request failed");
  std::vector<std::string> names;
  for (int t = 0; t < md->topic_cnt; ++t)
    if (md->topics[t].err == RD_KAFKA_RESP_ERR_NO_ERROR) names.emplace_back(md->topics[t].topic);
  std::sort(names.begin(), names.end());
  return names;
}

void kafka_cluster::create_acls(const std::vector<kafka_acl>& acls, std::chrono::milliseconds deadline) {
  if (!options_.security || !options_.security->authorizer)
    throw std::logic_error("kafka_cluster::create_acls: the broker has no authorizer (kafka_security::authorizer)");
  static const std::map<std::string, rd_kafka_AclOperation_t> operations{
      {"ALL", RD_KAFKA_ACL_OPERATION_ALL},
      {"READ", RD_KAFKA_ACL_OPERATION_READ},
      {"WRITE", RD_KAFKA_ACL_OPERATION_WRITE},
      {"CREATE", RD_KAFKA_ACL_OPERATION_CREATE},
      {"DELETE", RD_KAFKA_ACL_OPERATION_DELETE},
      {"ALTER", RD_KAFKA_ACL_OPERATION_ALTER},
      {"DESCRIBE", RD_KAFKA_ACL_OPERATION_DESCRIBE},
      {"CLUSTER_ACTION", RD_KAFKA_ACL_OPERATION_CLUSTER_ACTION},
      {"DESCRIBE_CONFIGS", RD_KAFKA_ACL_OPERATION_DESCRIBE_CONFIGS},
      {"ALTER_CONFIGS", RD_KAFKA_ACL_OPERATION_ALTER_CONFIGS},
      {"IDEMPOTENT_WRITE", RD_KAFKA_ACL_OPERATION_IDEMPOTENT_WRITE}};
  static const std::map<std::string, rd_kafka_ResourceType_t> resources{
      {"topic", RD_KAFKA_RESOURCE_TOPIC}, {"group", RD_KAFKA_RESOURCE_GROUP}, {"cluster", RD_KAFKA_RESOURCE_BROKER}};
  std::vector<rd_kafka_AclBinding_t*> bindings;
  struct guard_t {
    std::vector<rd_kafka_AclBinding_t*>& b;
    ~guard_t() {
      for (auto* x : b) rd_kafka_AclBinding_destroy(x);
    }
  } guard{bindings};
  for (const auto& a : acls) {
    auto op = operations.find(a.operation);
    auto res = resources.find(a.resource);
    if (op == operations.end() || res == resources.end())
      throw std::invalid_argument("kafka_cluster::create_acls: unknown operation " + a.operation + " or resource " +
                                  a.resource);
    char err[512];
    rd_kafka_AclBinding_t* b = rd_kafka_AclBinding_new(
        res->second, a.name.c_str(), a.prefixed ? RD_KAFKA_RESOURCE_PATTERN_PREFIXED : RD_KAFKA_RESOURCE_PATTERN_LITERAL,
        a.principal.c_str(), "*", op->second,
        a.allow ? RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW : RD_KAFKA_ACL_PERMISSION_TYPE_DENY, err, sizeof err);
    if (b == nullptr) throw std::invalid_argument(std::string("kafka_cluster::create_acls: ") + err);
    bindings.push_back(b);
  }
  auto rk = make_client(bootstrap_);
  event_ptr ev;
  try {
    ev = admin_call(rk.get(), RD_KAFKA_ADMIN_OP_CREATEACLS, deadline, [&](rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
      rd_kafka_CreateAcls(rk.get(), bindings.data(), bindings.size(), o, q);
    });
  } catch (const std::exception& e) {
    fail(std::string("create_acls: ") + e.what());
  }
  size_t n = 0;
  const rd_kafka_acl_result_t** results = rd_kafka_CreateAcls_result_acls(rd_kafka_event_CreateAcls_result(ev.get()), &n);
  for (size_t i = 0; i < n; ++i)
    if (const rd_kafka_error_t* e = rd_kafka_acl_result_error(results[i]))
      fail(std::string("create_acls: entry ") + std::to_string(i) + " refused: " + rd_kafka_error_string(e));
}

bool kafka_cluster::has_topic(const std::string& name) const {
  const auto names = topics();
  return std::find(names.begin(), names.end(), name) != names.end();
}

tool_result kafka_cluster::run_tool(const std::string& main_class, const std::vector<std::string>& args,
                                    std::chrono::milliseconds timeout) const {
  child_process child = spawn_tool(main_class, args);
  tool_result result;
  if (const auto status = child.wait_for(timeout)) {
    result.exit_code = *status;
  } else {
    result.timed_out = true;
    result.exit_code = child.terminate();
  }
  result.output = child.output();
  return result;
}

child_process kafka_cluster::spawn_tool(const std::string& main_class, const std::vector<std::string>& args) const {
  std::vector<std::string> argv = script_argv();
  argv.insert(argv.end(), {"tool", main_class});
  argv.insert(argv.end(), args.begin(), args.end());
  return child_process(argv, next_output(simple_name(main_class)));
}

void kafka_cluster::print_log_tail(std::size_t lines) const {
  std::ifstream in(broker_log());
  std::deque<std::string> tail;
  for (std::string line; std::getline(in, line);) {
    tail.push_back(std::move(line));
    if (tail.size() > lines) tail.pop_front();
  }
  std::cerr << "---- last " << tail.size() << " lines of " << broker_log().string() << " ----\n";
  for (const auto& line : tail) std::cerr << line << '\n';
  std::cerr << "---- end of broker log ----\n";
}

std::filesystem::path kafka_cluster::next_output(const std::string& label) const {
  return base_ / "tools" / (std::to_string(++outputs_) + "-" + label + ".out");
}

void kafka_cluster::fail(const std::string& what) const {
  print_log_tail(40);
  throw std::runtime_error("kafka_cluster " + bootstrap_ + ": " + what + " (broker log: " + broker_log().string() +
                           ")");
}

}  // namespace warren::test
