#pragma once
// A real Apache Kafka broker (KRaft, broker + controller in one JVM) on loopback for integration
// tests, driven through tests/support/kafka.sh, plus a RAII handle for child processes that runs
// Kafka's Java tools.
//
// Everything here blocks the calling thread (test code). Errors are thrown as std::runtime_error
// whose message names the broker log. Each kafka_cluster has its own ports and temp directory, so
// several may run at once. Children get WARREN_OWNER_PID so that kafka.sh kills their JVMs if the
// test process dies without cleaning up.

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace warren::test {

using namespace std::chrono_literals;

// Exit status of a finished child: the exit code, or 128 + signal number when killed.
struct tool_result {
  int exit_code = -1;
  std::string output;      // stdout and stderr, interleaved as written
  bool timed_out = false;  // the child outlived its timeout and was terminated
};

// A child process in its own process group, stdout+stderr to a file, stdin from /dev/null.
// Destruction terminates it: SIGTERM to the group, wait up to the grace period, then SIGKILL.
class child_process {
 public:
  child_process() = default;
  // Starts argv[0] (searched in PATH) with argv, in `cwd` when given (relative paths the child
  // writes, such as Burrow's default pidfile burrow.pid, land there); throws std::runtime_error
  // if it cannot start.
  child_process(const std::vector<std::string>& argv, std::filesystem::path output_file,
                const std::filesystem::path& cwd = {});
  child_process(child_process&& other) noexcept;
  child_process& operator=(child_process&& other) noexcept;
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  ~child_process();

  pid_t pid() const { return pid_; }
  // True while the child has not exited (reaps it if it has).
  bool running();
  // Waits up to `deadline` for the child to exit; its exit status, or nullopt if still running.
  std::optional<int> wait_for(std::chrono::milliseconds deadline);
  // SIGTERM, wait up to `grace`, then SIGKILL; returns the exit status. No-op when already reaped.
  int terminate(std::chrono::milliseconds grace = 10s);
  // Everything the child wrote so far.
  std::string output() const;
  const std::filesystem::path& output_path() const { return output_; }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::filesystem::path output_;
};

// A SASL user of a secured broker. PLAIN users are listed in the SASL listeners' JAAS config;
// SCRAM users are written into the metadata at format time (kafka-storage format --add-scram).
struct sasl_user {
  std::string mechanism;  // PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512
  std::string name;
  std::string password;
};

// The broker's listeners. plaintext is always there (the harness, the test clients and
// inter-broker traffic use it); the others exist when kafka_cluster_options::security is set.
enum class kafka_listener {
  plaintext,
  ssl,             // TLS, server certificate only
  mtls,            // TLS, a client certificate signed by the CA is required (ssl.client.auth=required)
  sasl_ssl,        // TLS + SASL PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER (unsecured JWT)
  sasl_plaintext,  // the same mechanisms without TLS
  expired_ssl,     // TLS with the expired server certificate (when one is given)
};

// TLS material (PEM files, e.g. from tests/support/tls_pki.hpp) and users of a secured broker.
// Every TLS listener presents broker_cert; the broker trusts client certificates signed by ca_cert.
// OAUTHBEARER accepts any unsecured JWT (Kafka's OAuthBearerUnsecuredValidatorCallbackHandler).
struct kafka_security {
  std::filesystem::path ca_cert;
  std::filesystem::path broker_cert, broker_key;
  std::filesystem::path expired_broker_cert, expired_broker_key;  // optional: the expired_ssl listener
  std::vector<sasl_user> users;
  // Kafka ACLs (StandardAuthorizer). User:ANONYMOUS, i.e. every client of the plaintext listener
  // (the harness, the test clients, Kafka's Java tools) and of the controller listener (controller
  // and inter-broker traffic), is a super user; the SASL users may do only what
  // kafka_cluster::create_acls allows them (nothing without an ACL).
  bool authorizer = false;
};

// One ACL entry for kafka_cluster::create_acls, from any host.
struct kafka_acl {
  std::string principal;          // "User:NAME" (a SASL user's name)
  std::string resource;           // "topic", "group" or "cluster" (name "kafka-cluster")
  std::string name;               // the resource's name; "*" = every resource of that type
  std::string operation;          // READ, WRITE, DESCRIBE, DESCRIBE_CONFIGS, ALTER, DELETE, ALL, ...
  bool allow = true;              // false: a DENY entry, which wins over any allow
  bool prefixed = false;          // `name` is a prefix (PREFIXED pattern), not a LITERAL name
};

struct kafka_cluster_options {
  int offsets_topic_partitions = 8;  // __consumer_offsets partitions (Kafka's default is 50)
  std::chrono::milliseconds start_deadline = 120s;  // port open and metadata answered
  std::optional<kafka_security> security;  // nullopt: the plain broker (PLAINTEXT only), as fast as ever
  std::string kafka_version;  // Maven version of the jars (kafka.sh fetches it once); empty = kafka.sh's default
};

// Starts on construction (throws if the broker does not answer metadata before the deadline),
// destroys on destruction (stops the broker and deletes its directory). When the destructor runs
// because of an exception or a failed test (see set_test_failure_probe), it prints the broker log
// tail and keeps a copy of the log, naming its path on stderr.
class kafka_cluster {
 public:
  explicit kafka_cluster(kafka_cluster_options options = {});
  kafka_cluster(const kafka_cluster&) = delete;
  kafka_cluster& operator=(const kafka_cluster&) = delete;
  ~kafka_cluster();

  // "127.0.0.1:PORT" of the PLAINTEXT listener. Stays the same across stop()/start().
  const std::string& bootstrap() const { return bootstrap_; }
  // "127.0.0.1:PORT" of a listener; throws std::logic_error for one this broker does not have.
  std::string bootstrap(kafka_listener listener) const;
  std::uint16_t port() const { return port_; }
  std::uint16_t controller_port() const { return controller_port_; }
  // The kafka.sh data directory (server.properties, data/, broker.log) and the broker log.
  const std::filesystem::path& dir() const { return broker_dir_; }
  std::filesystem::path broker_log() const { return broker_dir_ / "broker.log"; }

  // Stops the broker, keeping its data. Idempotent.
  void stop();
  // Starts it again on the same ports and waits until it answers metadata. Idempotent.
  void start();
  bool running() const { return running_; }

  // Creates a topic (replication factor 1) and waits until every partition has a leader.
  void create_topic(const std::string& name, int partitions, std::chrono::milliseconds deadline = 30s);
  // Deletes a topic and waits until metadata no longer lists it.
  void delete_topic(const std::string& name, std::chrono::milliseconds deadline = 30s);
  // Topic names from a metadata request (internal topics included); throws if the broker does not answer.
  std::vector<std::string> topics(std::chrono::milliseconds deadline = 10s) const;
  bool has_topic(const std::string& name) const;
  // Creates ACL entries (Admin CreateAcls, as the plaintext super user). Needs
  // kafka_security::authorizer; throws with the broker's reason when one is refused. The
  // broker applies them once its metadata has caught up (milliseconds on a single node): tests
  // wait for the behaviour they expect.
  void create_acls(const std::vector<kafka_acl>& acls, std::chrono::milliseconds deadline = 30s);

  // Runs one of Kafka's Java tools (kafka.sh tool MAIN_CLASS ARGS...) to completion. Args are
  // passed as given: include --bootstrap-server bootstrap() where the tool needs it.
  tool_result run_tool(const std::string& main_class, const std::vector<std::string>& args,
                       std::chrono::milliseconds timeout = 60s) const;
  // Starts a tool in the background (e.g. a console consumer that runs until terminated).
  child_process spawn_tool(const std::string& main_class, const std::vector<std::string>& args) const;

  // Prints the last `lines` lines of the broker log, headed by its path, to stderr.
  void print_log_tail(std::size_t lines = 50) const;

 private:
  std::vector<std::string> script_argv() const;  // bash kafka.sh, with this cluster's Kafka version
  void pick_all_ports();
  void write_security_files() const;  // DIR/extra.properties and DIR/scram for kafka.sh
  void launch();  // kafka.sh start, then wait for metadata
  void wait_ready(std::chrono::milliseconds deadline);
  void abandon() noexcept;  // best-effort stop after a failed start
  std::string cluster_id() const;  // from the formatted data dir
  std::filesystem::path next_output(const std::string& label) const;
  [[noreturn]] void fail(const std::string& what) const;

  kafka_cluster_options options_;
  std::filesystem::path base_;        // mkdtemp root: broker/ and tools/
  std::filesystem::path broker_dir_;  // base_/broker
  std::uint16_t port_ = 0;
  std::uint16_t controller_port_ = 0;
  std::map<kafka_listener, std::uint16_t> secured_ports_;  // the listeners besides plaintext
  std::string bootstrap_;
  bool running_ = false;
  mutable int outputs_ = 0;
};

// Installs the check the kafka_cluster destructor uses to decide whether the current test failed
// (so the broker log is printed and kept). The integration binary installs one that asks
// Boost.Test; the support library itself does not depend on Boost.Test.
void set_test_failure_probe(std::function<bool()> probe);

// Path of tests/support/kafka.sh in the source tree (WARREN_SOURCE_DIR, overridable by the
// environment variable of the same name).
std::filesystem::path kafka_script();

}  // namespace warren::test
