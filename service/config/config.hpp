#pragma once
// Warren's configuration as plain data. The file format is Burrow's `burrow.toml` (every section
// and key Burrow reads, same names, same defaults) plus Warren's own keys under `[warren]`.
// Built once by load_config_file()/load_config_dir() (config/load.hpp), which fills the defaults
// described here, resolves references between sections and validates every value; afterwards the
// structs are passed around by const reference and never change.
//
// Conventions: fields are public (aggregates, like core/ids.hpp), named after the TOML key with `-`
// turned into `_`. Durations are whole seconds (Burrow's unit) as std::chrono::seconds. Modules and
// profiles live in std::map keyed by their TOML table name, so listings come out ordered. Fields
// marked `// secret: never rendered` must not appear in /v3/config/* output, logs or errors.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace warren {

/// [general]
struct general_options {
  /// PID file written at start (relative to the working directory, as in Burrow) and removed on an
  /// orderly exit. Start-up fails (exit 1) if it names another live process; a stale one is replaced.
  /// Empty = no PID file (Warren; Burrow would fail to create "").
  std::string pidfile = "burrow.pid";
  /// When set, stdout/stderr are redirected (appended) to this file. Empty = leave them alone.
  std::string stdout_logfile;
  /// Value of the Access-Control-Allow-Origin header on JSON responses. Empty = no header.
  std::string access_control_allow_origin;
  /// Prefix of environment variables that override file keys (BURROW_CLUSTER_LOCAL_OFFSET_REFRESH).
  std::string env_var_prefix = "burrow";
};

/// [logging]. Rotation follows Burrow's lumberjack: backups are named FILE-TIMESTAMP.EXT next to FILE.
struct logging_options {
  /// Log file. Empty = standard error.
  std::string filename;
  /// One of debug, trace, info, warn, warning, error, panic, fatal (lower-cased by the loader).
  std::string level = "info";
  /// Rotate the log file at this many megabytes (TOML key `maxsize`). 0 = 100 (lumberjack's default).
  int maxsize = 100;
  /// Warren: rotate at this many bytes instead (TOML key `maxsize-bytes`). 0 = use maxsize.
  std::int64_t maxsize_bytes = 0;
  /// Rotated files kept (TOML key `maxbackups`). 0 = keep all (subject to maxage).
  int maxbackups = 10;
  /// Days a rotated file is kept (TOML key `maxage`). 0 = no age limit.
  int maxage = 30;
  /// Local time instead of UTC in log line timestamps and in backup file names.
  bool use_localtime = false;
  /// Gzip rotated files (FILE-TIMESTAMP.EXT.gz).
  bool use_compression = false;
  /// Warren: line format, "text" (`time level component: message`) or "json" (one object per line).
  std::string format = "text";

  /// The rotation size in bytes (maxsize_bytes, else maxsize MB, 0 meaning 100 MB).
  std::int64_t rotate_bytes() const {
    if (maxsize_bytes > 0) return maxsize_bytes;
    return static_cast<std::int64_t>(maxsize > 0 ? maxsize : 100) * 1024 * 1024;
  }
};

/// [zookeeper]. Accepted for compatibility; Warren itself needs no ZooKeeper.
struct zookeeper_options {
  /// host:port list.
  std::vector<std::string> servers;
  /// Session timeout.
  std::chrono::seconds timeout{6};
  /// Root znode (Burrow's notifier lock lives under it).
  std::string root_path = "/burrow";
  /// Name of a [tls.NAME] profile; empty = plaintext.
  std::string tls;
};

/// [tls.NAME]: TLS material shared by clients and HTTP listeners.
struct tls_profile {
  /// The table name (NAME).
  std::string name;
  /// Client or server certificate (PEM). Requires keyfile.
  std::string certfile;
  /// Private key of certfile (PEM). Requires certfile.
  std::string keyfile;
  /// CA bundle (PEM) to verify the peer. Empty = system roots.
  std::string cafile;
  /// Skip peer certificate verification.
  bool noverify = false;
};

/// [sasl.NAME]: SASL credentials for Kafka clients.
struct sasl_profile {
  /// The table name (NAME).
  std::string name;
  /// PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER (upper-cased by the loader; empty in the
  /// file = PLAIN). OAUTHBEARER is librdkafka's unsecured JWT with `username` as the principal (for
  /// brokers that use Kafka's unsecured validator; no token endpoint).
  std::string mechanism = "PLAIN";
  /// Burrow/Sarama option (default false there). librdkafka always sends SaslHandshake first, so
  /// Warren's default is true and the loader rejects false.
  bool handshake_first = true;
  /// SASL user name.
  std::string username;
  /// SASL password.
  std::string password;  // secret: never rendered
};

/// [iam.NAME]: AWS MSK IAM (SASL OAUTHBEARER) settings. Accepted so Burrow files load, but a
/// client-profile that names one is an error (Warren has no AWS MSK IAM signer).
struct iam_profile {
  /// The table name (NAME).
  std::string name;
  /// AWS region. Required.
  std::string region;
  /// Role to assume. Empty = the ambient credentials.
  std::string role_arn;
  /// AWS shared-config profile. Empty = default.
  std::string profile;
};

/// [client-profile.NAME]: how a Kafka client connects. A profile named "default" always exists
/// (Burrow's built-in values unless the file defines [client-profile.default]).
struct client_profile {
  /// The table name (NAME).
  std::string name;
  /// client.id sent to the brokers.
  std::string client_id = "burrow-lagchecker";
  /// Kafka protocol version of the cluster, Sarama spelling (`2.8.0`, legacy `0.10.2.0`). Accepted for
  /// compatibility: librdkafka negotiates protocol versions itself (ApiVersionRequest). Only a version
  /// below 0.10 is used, as broker.version.fallback with api.version.request=false.
  std::string kafka_version = "2.8.0";
  /// Name of a [tls.NAME] profile; empty = no TLS.
  std::string tls;
  /// Name of a [sasl.NAME] profile; empty = no SASL.
  std::string sasl;
  /// Name of an [iam.NAME] profile. Rejected by the loader: Warren cannot sign AWS MSK IAM tokens.
  std::string iam;
  /// Connection (dial) timeout.
  std::chrono::seconds dial_timeout{30};
  /// Request/read timeout.
  std::chrono::seconds read_timeout{30};
};

/// [cluster.NAME]: a Kafka cluster whose topics and log-end offsets are polled.
struct cluster_module {
  /// The table name (NAME); this is the cluster name used everywhere (HTTP paths, metrics).
  std::string name;
  /// Always "kafka" (the default when the key is absent).
  std::string class_name = "kafka";
  /// Bootstrap brokers, host:port. Required, non-empty.
  std::vector<std::string> servers;
  /// Name of a [client-profile.NAME]; the loader resolves an absent key to "default".
  std::string client_profile = "default";
  /// Period of the log-end offset poll. At least 1.
  std::chrono::seconds offset_refresh{10};
  /// Period of the metadata (topics and partitions) refresh. At least 1.
  std::chrono::seconds topic_refresh{60};
  /// Period of the check that deletes groups Kafka no longer knows. 0 = off.
  std::chrono::seconds groups_reaper_refresh{0};
};

/// [consumer.NAME]: where committed offsets are read from.
struct consumer_module {
  /// The table name (NAME); the self-reporting group is `burrow-NAME`.
  std::string name;
  /// "kafka" (read the offsets topic; the default), "kafka-admin" (Warren, issue 13: poll the
  /// committed offsets through the Admin API, for clusters whose offsets topic cannot be read) or
  /// "kafka_zk" (ZooKeeper-committed offsets: accepted so Burrow files load, but Warren has no
  /// ZooKeeper reader; the app skips it with a warning).
  std::string class_name = "kafka";
  /// Name of the [cluster.NAME] these offsets belong to. Required; must exist.
  std::string cluster;
  /// kafka: brokers to read the offsets topic from; absent = the cluster's servers (Burrow requires
  /// the key; Warren defaults it). kafka_zk: ZooKeeper hosts, required.
  std::vector<std::string> servers;
  /// kafka only: name of a [client-profile.NAME]; absent = the cluster's profile.
  std::string client_profile;
  /// kafka only: topic holding the commits.
  std::string offsets_topic = "__consumer_offsets";
  /// kafka only: start at the end of the offsets topic instead of replaying it from the start.
  bool start_latest = false;
  /// kafka only: with start_latest, also read the history up to the start position. Requires start_latest.
  bool backfill_earliest = false;
  /// Groups must match this to be stored. ECMAScript syntax (Burrow used RE2), unanchored search
  /// like Go's MatchString. Empty = every group.
  std::string group_allowlist;
  /// Groups matching this are not stored (same syntax as group_allowlist). Empty = none.
  std::string group_denylist;
  /// kafka_zk only: Kafka's ZooKeeper chroot (`/consumers` is appended).
  std::string zookeeper_path;
  /// kafka_zk only: ZooKeeper session timeout.
  std::chrono::seconds zookeeper_timeout{30};
  /// Warren key `self-report`: produce the synthetic self-monitoring group `burrow-NAME` (Burrow does).
  bool self_report = true;
  /// kafka-admin only: every group's committed offsets are fetched once per this period; absent =
  /// the cluster's offset-refresh. At least 1.
  std::chrono::seconds admin_offset_refresh{0};
  /// kafka-admin only: how often the groups are listed and described; absent = admin_offset_refresh.
  std::chrono::seconds admin_group_refresh{0};
  /// kafka-admin only: most offset requests in flight at once (one group each). 1..1000.
  int admin_max_in_flight = 8;
  /// kafka-admin only: an admin request still unanswered after this is counted as timed out and
  /// its group retried later. At least 1.
  std::chrono::seconds admin_request_timeout{30};
  /// kafka-admin only: cap of the per-group backoff after errors or throttling. At least 1.
  std::chrono::seconds admin_max_backoff{60};
  /// kafka only (Warren key `fallback`, issue 13): what to do when the offsets topic cannot be read
  /// (TOPIC_AUTHORIZATION_FAILED, or __consumer_offsets absent while the cluster lists groups):
  /// "kafka-admin" (the default) switches this consumer to the Admin API source, with the
  /// kafka-admin defaults above (offsets and groups every cluster offset-refresh); "none" keeps
  /// retrying the topic and reports the cluster stale.
  std::string fallback = "kafka-admin";
  /// kafka only (Warren key `cluster-group`, issue 14): several Warren instances with the same value
  /// share this consumer's offsets topic through a Kafka consumer group of that name (subscribe,
  /// cooperative-sticky assignment, no offsets committed): each reads, stores and answers only the
  /// groups of the offsets-topic partitions assigned to it, and drops them when they are revoked.
  /// Absent = [warren] cluster-group; empty (neither set) = read every partition, no group. With it,
  /// fallback defaults to "none" (the Admin API source would read every group on every instance).
  std::string cluster_group;
  /// kafka only (`cluster-group-session-timeout`, issue 14): the group's session timeout: an instance
  /// silent this long (killed, partitioned away) loses its partitions to the others. 6..300 (the
  /// broker's group.min/max.session.timeout.ms must allow it). Requires cluster_group.
  std::chrono::seconds cluster_group_session_timeout{10};
  /// kafka with cluster-group only (`status-topic`, issue 14 part 2): the compacted topic where the
  /// owner of each group publishes its status and notifier state, read by every instance so any
  /// instance answers any group. Created when absent (cleanup.policy=compact, the offsets topic's
  /// partition count, the broker's default replication). Empty = "__warren_status_<cluster-group>".
  std::string status_topic;
  /// kafka with cluster-group only (`publish-interval`, seconds, 1..3600): a group's record is
  /// re-published at most this often while only its lags change; a status or notifier change is
  /// published at once.
  std::chrono::seconds publish_interval{5};
  /// kafka with cluster-group only (`forward-timeout`, seconds, 1..60): how long a
  /// `/consumer/:group` request forwarded to the group's owner may take before a 503.
  std::chrono::seconds forward_timeout{2};
  /// kafka with cluster-group only (`status-sync-timeout`, seconds, 1..300): how long a group
  /// gained by this instance waits for the status topic to be read to its end (the previous
  /// owner's notifier state) before the notifier evaluates it anyway.
  std::chrono::seconds status_sync_timeout{15};
};

/// [storage.NAME]: the offset store. Exactly one; absent = one named "default" with these values.
struct storage_module {
  /// The table name (NAME).
  std::string name = "default";
  /// Always "inmemory".
  std::string class_name = "inmemory";
  /// Ring size per partition: the evaluation window, in commits. 1..4096 (the store's limit).
  int intervals = 10;
  /// Commits older than this are dropped and groups with no newer commit are purged. At least 1.
  std::chrono::seconds expire_group{604800};
  /// Burrow's worker goroutine count. Accepted for compatibility; Warren's store is one actor.
  int workers = 20;
  /// Burrow's request channel buffer. Accepted for compatibility; unused by Warren.
  int queue_depth = 1;
  /// Commits closer than this to the previous stored one replace it instead of advancing the ring.
  std::chrono::seconds min_distance{0};
  /// Groups must match this to be stored (syntax as consumer_module::group_allowlist).
  std::string group_allowlist;
  /// Groups matching this are not stored.
  std::string group_denylist;
};

/// [evaluator.NAME]: the status rules. Exactly one; absent = one named "default" with these values.
struct evaluator_module {
  /// The table name (NAME).
  std::string name = "default";
  /// Always "caching".
  std::string class_name = "caching";
  /// Burrow's result cache lifetime. Warren re-evaluates on change and keeps no timed cache; accepted
  /// and rendered by /v3/config/evaluator for compatibility.
  std::chrono::seconds expire_cache{10};
  /// Partitions whose window is less complete than this (0.0..1.0) are reported OK.
  double minimum_complete = 0.0;
  /// Lag at or below this is treated as zero. At least 0.
  std::int64_t allowed_lag = 0;
};

/// [httpserver.NAME]: one HTTP listener. Absent = one named "default" on ":0" (a random port,
/// as Burrow does; config/local.toml sets 127.0.0.1:8000).
struct httpserver_module {
  /// The table name (NAME).
  std::string name = "default";
  /// Listen address `host:port`, `:port` (all interfaces) or `[v6]:port`; port 0 = random.
  std::string address = ":0";
  /// Deadline to read a request body and to write a response (Burrow: every timeout). At least 1.
  std::chrono::seconds timeout{300};
  /// Warren: deadline from the first byte of a request (from accept, for the first request of a
  /// connection, TLS handshake included) to the end of its header. Guards against slowloris. At least 1.
  std::chrono::seconds header_timeout{10};
  /// Warren: how long a keep-alive connection may sit idle between requests before it is closed. At least 1.
  std::chrono::seconds idle_timeout{60};
  /// Warren: most HTTP connections open at once on this listener (WebSocket streams, once upgraded,
  /// are not counted here); further connections are closed at accept and counted in
  /// warren_http_connections_refused_total. 1..1000000.
  int max_connections = 10000;
  /// Name of a [tls.NAME] profile with certfile and keyfile; empty = plain HTTP. The loader reads
  /// the files (a missing or bad certificate or key is a configuration error naming the file).
  /// TLS 1.2 and 1.3 only.
  std::string tls;
  /// Warren: mutual TLS: clients must present a certificate signed by the tls profile's cafile
  /// (required with this key). false (Burrow's behaviour) = no client certificate is asked for.
  bool require_client_cert = false;
};

/// [notifier.NAME]: sends templated messages when group status changes. Keys of one class are
/// rejected on another (an email notifier with url-open is reported).
struct notifier_module {
  /// The table name (NAME).
  std::string name;
  /// "http", "email", "alertmanager" (Warren) or "null". Required.
  std::string class_name;
  /// Only groups of this [cluster.NAME] are notified. Empty = every cluster.
  std::string cluster;
  /// Only groups matching this are notified (syntax as consumer_module::group_allowlist).
  std::string group_allowlist;
  /// Groups matching this are never notified.
  std::string group_denylist;
  /// Period at which groups are checked. At least 1.
  std::chrono::seconds interval{60};
  /// Minimum time between two open notifications for a group; absent = interval.
  std::chrono::seconds send_interval{60};
  /// Lowest status that sends an open notification: 1 = OK, 2 = WARN, 3 = ERR.
  int threshold = 2;
  /// Send only the first open notification of a group.
  bool send_once = false;
  /// Send a close notification when an incident ends. Requires template_close (and url_close for http).
  bool send_close = false;
  /// Free values given to templates as .Extras (TOML key `extras`, rendered by Burrow as `extra`).
  std::map<std::string, std::string> extras;  // secret: never rendered (holds API keys)
  /// Template file for open notifications. Required for http and email.
  std::string template_open;
  /// Template file for close notifications. Required when send_close.
  std::string template_close;

  // http class
  /// URL template for open notifications. Required for http.
  std::string url_open;
  /// HTTP method for open notifications.
  std::string method_open = "POST";
  /// URL template for close notifications. Required for http when send_close.
  std::string url_close;
  /// HTTP method for close notifications.
  std::string method_close = "POST";
  /// Request timeout.
  std::chrono::seconds timeout{5};
  /// Keep-alive period of pooled connections.
  std::chrono::seconds keepalive{300};
  /// Close the connection after each request.
  bool disable_http_keepalive = false;
  /// Extra CA bundle (PEM) added to the system roots (http and email).
  std::string extra_ca;
  /// Skip certificate verification (http and email).
  bool noverify = false;
  /// Basic-auth user (http) or SMTP user (email). Empty = no authentication.
  std::string username;
  /// Basic-auth or SMTP password.
  std::string password;  // secret: never rendered
  /// Extra request headers (http).
  std::map<std::string, std::string> headers;  // secret: never rendered (may carry Authorization)

  // email class
  /// SMTP server host. Required for email.
  std::string server;
  /// SMTP port (1..65535). Required for email.
  int port = 0;
  /// "" (none), "plain" or "crammd5".
  std::string auth_type;
  /// Sender address. Required for email.
  std::string from;
  /// Comma-separated recipients. Required for email.
  std::string to;
};

/// [warren]: Warren's own settings (Burrow has no such section).
struct warren_options {
  /// Evaluator coalescing tick in milliseconds: dirty groups are re-evaluated at most this often. 1..10000.
  int coalesce_ms = 100;
  /// Period of the full evaluation of every group (STOP depends on the clock). At least 1.
  std::chrono::seconds eval_interval{5};
  /// Per-WebSocket-client bound on queued messages before coalescing and dropping. At least 1.
  int ws_outbox = 1024;
  /// Bearer token required by admin calls (DELETE, POST). Empty = admin calls are open, as in Burrow
  /// (unless read_token is set: then they need read_token). Also grants every read.
  std::string admin_token;  // secret: never rendered
  /// Bearer token required by every GET (the API, /v3/stream upgrades, /metrics unless
  /// metrics_token is set). /burrow/admin and /burrow/admin/ready stay open for probes. Empty = reads are open.
  std::string read_token;  // secret: never rendered
  /// Bearer token required by GET /metrics instead of read_token (Prometheus scrapers carry their
  /// own). Empty = /metrics needs read_token (if set).
  std::string metrics_token;  // secret: never rendered
  /// Longest wait at start-up for the offsets-topic replay to catch up before /burrow/admin/ready
  /// reports ready anyway. 0 = wait as long as it takes.
  std::chrono::seconds ready_timeout{0};
  /// Issue 14: directory of the store's snapshots (`<cluster>.snapshot`): at start Warren restores
  /// them and resumes the offsets topic where they stopped instead of replaying it. Created when
  /// missing; must be writable. Empty = no snapshots.
  std::string state_dir;
  /// Issue 14: seconds between two snapshots (one is also written at shutdown). 1..86400.
  std::chrono::seconds snapshot_interval{300};
  /// Naming sets /metrics exports (issue 12): "burrow" (burrow_kafka_*), "kle" (kafka-lag-exporter's
  /// kafka_consumergroup_* / kafka_partition_*), "warren" (warren_consumer_*, warren_topic_*). Process
  /// series (warren_evaluation_*, warren_store_*, warren_http_*, ...) are always exported. At least one.
  std::vector<std::string> metrics{"burrow", "kle", "warren"};
  /// Issue 14: the cluster-group of every [consumer.X] of class kafka that sets none itself (see
  /// consumer_module::cluster_group). Empty = none.
  std::string cluster_group;
  /// Issue 14 part 2: the base URL (`http://host:port`, no path; forwarding speaks plain HTTP) where the other instances of a
  /// cluster-group reach this one's HTTP API: published as the owner URL of the groups it owns,
  /// used to forward `/consumer/:group`. Empty = the first [httpserver.X] address as bound
  /// (`http://HOST:PORT`, HOST = this host's name when the address has none or is 0.0.0.0).
  std::string advertised_url;
};

/// The whole configuration. After a successful load: clusters holds at least one module (unless
/// load_options::allow_no_cluster), storage and evaluators exactly one, httpservers at least one,
/// client_profiles holds "default", and every name referenced by a module (cluster,
/// client-profile, tls, sasl, iam) exists.
struct config {
  /// [general]
  general_options general;
  /// [logging]
  logging_options logging;
  /// [zookeeper]
  zookeeper_options zookeeper;
  /// [tls.NAME]
  std::map<std::string, tls_profile> tls;
  /// [sasl.NAME]
  std::map<std::string, sasl_profile> sasl;
  /// [iam.NAME]
  std::map<std::string, iam_profile> iam;
  /// [client-profile.NAME], always with "default".
  std::map<std::string, client_profile> client_profiles;
  /// [cluster.NAME]
  std::map<std::string, cluster_module> clusters;
  /// [consumer.NAME]
  std::map<std::string, consumer_module> consumers;
  /// [storage.NAME], exactly one.
  std::map<std::string, storage_module> storage;
  /// [evaluator.NAME], exactly one.
  std::map<std::string, evaluator_module> evaluators;
  /// [httpserver.NAME], at least one.
  std::map<std::string, httpserver_module> httpservers;
  /// [notifier.NAME]
  std::map<std::string, notifier_module> notifiers;
  /// [warren]
  warren_options warren;
  /// The file this was loaded from, as given (empty when parsed from a string).
  std::string source_file;
  /// The directory of source_file (empty when parsed from a string).
  std::string source_dir;

  /// The single storage module. Precondition: loaded by the loader.
  const storage_module& the_storage() const { return storage.begin()->second; }
  /// The single evaluator module. Precondition: loaded by the loader.
  const evaluator_module& the_evaluator() const { return evaluators.begin()->second; }
};

}  // namespace warren
