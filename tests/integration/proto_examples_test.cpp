// The documented examples agree with the contracts: every proto/examples/ws-*.json message
// validates against proto/ws/messages.schema.json (the JSON Schema subset openapi_check.hpp
// implements), and the status examples of the HTTP API against their openapi.yaml schemas, so
// fields added to a contract (issue 11's `warren` time-lag objects) cannot drift from the examples.
// A status example that shows no `warren` object is still valid (the object is optional: absent
// from statuses never evaluated); http-consumer-lag-seconds*.json show it.
// No broker needed.
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/integration/openapi_check.hpp"
#include "tests/support/json_helpers.hpp"
#include "tests/support/paths.hpp"

using namespace warren::test;
namespace fs = std::filesystem;

namespace {
std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
fs::path proto() { return fs::path(source_dir()) / "proto"; }
}  // namespace

BOOST_AUTO_TEST_SUITE(proto_examples)

BOOST_AUTO_TEST_CASE(ws_examples_validate_against_the_message_schema) {
  // openapi_spec reads any JSON/YAML document with `components`; the schema's $refs (#/$defs/…)
  // resolve against the document root, so the schema is loaded as is with empty `paths` and `components`.
  auto doc = parse_json(slurp(proto() / "ws" / "messages.schema.json"));
  BOOST_TEST_REQUIRE(doc.is_object());
  doc.as_object()["components"] = boost::json::object();
  doc.as_object()["paths"] = boost::json::object();
  const fs::path copy = fs::temp_directory_path() / ("warren-ws-schema-" + std::to_string(::getpid()) + ".json");
  std::ofstream(copy) << boost::json::serialize(doc);
  const openapi_spec schema(copy);
  fs::remove(copy);
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(proto() / "examples")) {
    const auto name = entry.path().filename().string();
    if (name.rfind("ws-", 0) != 0 || name.find(".close.") != std::string::npos) continue;
    const auto v = parse_json(slurp(entry.path()));
    BOOST_TEST_REQUIRE(!v.is_null(), name << " is not JSON");
    const auto problems = schema.validate(v, schema.document(), name);
    for (const auto& p : problems) BOOST_ERROR(p);
    ++checked;
  }
  BOOST_TEST(checked >= 10);
}

BOOST_AUTO_TEST_CASE(status_examples_validate_and_show_the_time_lag_objects) {
  const openapi_spec spec(proto() / "http" / "openapi.yaml");
  const auto& schemas = spec.document().at("components").at("schemas");
  for (const char* name : {"http-consumer-lag.json", "http-consumer-status.json", "http-consumer-lag-seconds.json",
                           "http-consumer-lag-seconds-lower-bound.json"}) {
    const auto v = parse_json(slurp(proto() / "examples" / name));
    BOOST_TEST_REQUIRE(!v.is_null(), name);
    for (const auto& p : spec.validate(v, schemas.at("StatusResponse"), name)) BOOST_ERROR(p);
  }
  // Captured by time_lag_test with WARREN_CAPTURE_EXAMPLES: an interpolated and a lower-bound lag.
  const auto mid = parse_json(slurp(proto() / "examples" / "http-consumer-lag-seconds.json"));
  BOOST_TEST(str(at(mid, {"status", "partitions", 0, "warren", "time_lag_method"})) == "observed_history");
  BOOST_TEST(at(mid, {"status", "warren", "evaluated_at"}).is_number());
  const auto old = parse_json(slurp(proto() / "examples" / "http-consumer-lag-seconds-lower-bound.json"));
  BOOST_TEST(at(old, {"status", "partitions", 0, "warren", "time_lag_lower_bound"}).as_bool());
  for (const char* name : {"ws-status.json", "ws-snapshot.json"}) {
    const auto ws = parse_json(slurp(proto() / "examples" / name));
    const auto status = at(ws, {"status"}).is_object() ? at(ws, {"status"}) : at(ws, {"statuses", 0});
    BOOST_TEST(at(status, {"warren"}).is_object(), name);
    BOOST_TEST(at(status, {"partitions", 0, "warren"}).is_object(), name);
  }
  for (const char* name : {"ws-status-summary.json", "ws-snapshot-summary.json"}) {
    const auto ws = parse_json(slurp(proto() / "examples" / name));
    const auto status = at(ws, {"status"}).is_object() ? at(ws, {"status"}) : at(ws, {"statuses", 0});
    BOOST_TEST(at(status, {"warren"}).is_object(), name);  // the group aggregates stay in summaries
  }
}

BOOST_AUTO_TEST_SUITE_END()
