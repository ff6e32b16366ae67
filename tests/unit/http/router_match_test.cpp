// Issue 12: router::match no longer splits and decodes the whole path before trying routes. Its
// answers must stay those of the straightforward matcher it replaced (kept here as the reference):
// table-driven cases, then random paths built from the table's segments, escapes and slashes.
#include <boost/test/unit_test.hpp>

#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "service/http/router.hpp"

namespace warren::http {
namespace {

const std::vector<route_def>& table() {
  static const std::vector<route_def> defs{
      {0, "GET", "/"},
      {1, "GET", "/dashboard/:file"},
      {2, "GET", "/burrow/admin"},
      {3, "GET", "/v3/kafka"},
      {4, "GET", "/v3/kafka/:cluster"},
      {5, "GET", "/v3/kafka/:cluster/topic"},
      {6, "GET", "/v3/kafka/:cluster/topic/:topic"},
      {7, "GET", "/v3/kafka/:cluster/topic/:topic/consumers"},
      {8, "GET", "/v3/kafka/:cluster/consumer"},
      {9, "GET", "/v3/kafka/:cluster/consumer/:consumer"},
      {10, "GET", "/v3/kafka/:cluster/consumer/:consumer/status"},
      {11, "GET", "/v3/kafka/:cluster/consumer/:consumer/lag"},
      {12, "DELETE", "/v3/kafka/:cluster/consumer/:consumer"},
      {13, "DELETE", "/v3/kafka/:cluster/consumer/:consumer/topic/:topic"},
      {14, "GET", "/v3/config/:coordinator"},
      {15, "GET", "/v3/config/storage/:name"},
      {16, "GET", "/v3/admin/loglevel"},
      {17, "POST", "/v3/admin/loglevel"},
  };
  return defs;
}

// The matcher before issue 12: split, decode every segment, then compare route by route.
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path.front() != '/') return out;
  path.remove_prefix(1);
  while (true) {
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

route_match reference(std::string_view method, std::string_view path) {
  auto segs = split_path(path);
  route_match result;
  if (segs.empty()) return result;
  std::vector<std::string> decoded;
  for (auto s : segs) {
    auto d = percent_decode(s);
    if (!d) {
      result.kind = match_kind::bad_path;
      return result;
    }
    decoded.push_back(std::move(*d));
  }
  for (const auto& def : table()) {
    auto pattern = split_path(def.pattern);
    if (pattern.size() != segs.size()) continue;
    std::vector<std::string> params;
    bool ok = true;
    for (std::size_t i = 0; i < segs.size() && ok; ++i) {
      const auto& p = pattern[i];
      if (!p.empty() && p.front() == ':') {
        if (decoded[i].empty()) ok = false;
        else params.push_back(decoded[i]);
      } else {
        ok = (segs[i] == p);
      }
    }
    if (!ok) continue;
    if (def.method == method || (method == "HEAD" && def.method == "GET")) {
      result.kind = match_kind::found;
      result.id = def.id;
      result.params = std::move(params);
      result.allow.clear();
      return result;
    }
    result.kind = match_kind::method_not_allowed;
    if (result.allow.find(def.method) == std::string::npos) {
      if (!result.allow.empty()) result.allow += ", ";
      result.allow += def.method;
    }
  }
  return result;
}

void same(const router& r, std::string_view method, std::string_view path) {
  const auto got = r.match(method, path);
  const auto want = reference(method, path);
  BOOST_TEST_CONTEXT(method << " " << path) {
    BOOST_TEST(static_cast<int>(got.kind) == static_cast<int>(want.kind));
    BOOST_TEST(got.id == want.id);
    BOOST_TEST(got.params == want.params, boost::test_tools::per_element());
    BOOST_TEST(got.allow == want.allow);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http_router_match)

BOOST_AUTO_TEST_CASE(answers_like_the_splitting_matcher) {
  const router r(table());
  const std::vector<std::string> paths{
      "",   "/",   "x",   "//",  "/v3/kafka",  "/v3/kafka/",  "/v3/kafka/c",  "/v3/kafka/c%2Fd",
      "/v3/kafka/c/consumer/g%20h/lag",        "/v3/kafka/c/consumer//lag",    "/v3/kafka/c/consumer/g/topic/t",
      "/v3/kafka/%",  "/v3/kafka/%4",  "/v3/kafka/%4/x", "/v3/kafka/%zz", "/v3/kafka/c%2",
      "/v3/%6bafka",  "/v3/config/storage", "/v3/config/storage/x", "/v3/admin/loglevel",
      "/dashboard/app.js", "/dashboard/", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s%", "/v3/kafka/c/consumer/%41%42"};
  for (const auto& p : paths)
    for (const char* m : {"GET", "HEAD", "DELETE", "POST", "OPTIONS"}) same(r, m, p);
}

BOOST_AUTO_TEST_CASE(random_paths_answer_like_the_splitting_matcher) {
  const router r(table());
  std::mt19937 rng(3);
  const std::vector<std::string> pieces{"v3",  "kafka", "c",  "consumer", "topic", "lag", "status", "config",
                                        "storage", "admin", "loglevel", "dashboard", "", "%2F", "%", "%4", "%zz",
                                        "%41", "a b", "burrow", "consumers"};
  for (int i = 0; i < 20000; ++i) {
    std::string path = rng() % 16 == 0 ? "" : "/";
    const auto n = rng() % 8;
    for (unsigned k = 0; k < n; ++k) {
      if (k) path += '/';
      path += pieces[rng() % pieces.size()];
      if (rng() % 8 == 0) path += pieces[rng() % pieces.size()];
    }
    static const char* methods[] = {"GET", "HEAD", "DELETE", "POST"};
    same(r, methods[rng() % 4], path);
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace warren::http
