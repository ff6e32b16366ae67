// The built-in dashboard's files (http/dashboard.hpp): embedded at build time, served with their
// Content-Type, a strong ETag (304 on If-None-Match), no-cache and a CSP without inline code; the
// files are open when a read-token is set; the WebSocket token form of auth.hpp.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>

#include "service/config/config.hpp"
#include "service/http/api_v3.hpp"
#include "service/http/auth.hpp"
#include "service/http/dashboard.hpp"

namespace warren::http {
namespace {

std::string header(const response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

BOOST_AUTO_TEST_SUITE(http_dashboard)

BOOST_AUTO_TEST_CASE(every_file_is_embedded_with_its_type) {
  const auto assets = dashboard_assets();
  auto find = [&](std::string_view n) {
    return std::find_if(assets.begin(), assets.end(), [&](const dashboard_asset& a) { return a.name == n; });
  };
  for (auto n : {"index.html", "app.js", "app.css", "favicon.svg", "uplot.js", "uplot.css"})
    BOOST_TEST_CONTEXT(n) { BOOST_TEST((find(n) != assets.end())); }
  BOOST_TEST(find("index.html")->content_type == "text/html; charset=utf-8");
  BOOST_TEST(find("app.js")->content_type == "text/javascript; charset=utf-8");
  BOOST_TEST(find("app.css")->content_type == "text/css; charset=utf-8");
  BOOST_TEST(find("favicon.svg")->content_type == "image/svg+xml");
  BOOST_TEST(find("index.html")->body.starts_with("<!doctype html>"));
  // The page loads its code from files only: no inline script or style (the CSP forbids them).
  const auto html = find("index.html")->body;
  BOOST_TEST(html.find("<script>") == std::string_view::npos);
  BOOST_TEST(html.find("style=") == std::string_view::npos);
  BOOST_TEST(html.find("<script src=\"dashboard/app.js\"") != std::string_view::npos);
  if (dashboard_has_uplot()) BOOST_TEST(find("uplot.js")->body.find("uPlot") != std::string_view::npos);
  else BOOST_TEST(find("uplot.js")->body.find("WARREN_UPLOT_MISSING") != std::string_view::npos);
  for (const auto& a : assets) {
    BOOST_TEST(a.etag.size() == 34u);  // a quoted 128-bit hex prefix of the SHA-256
    BOOST_TEST(a.etag.front() == '"');
  }
}

BOOST_AUTO_TEST_CASE(answers_carry_etag_cache_and_security_headers) {
  request req{.method = "GET", .target = "/", .path = "/"};
  const auto r = dashboard_response("index.html", req);
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.content_type == "text/html; charset=utf-8");
  BOOST_TEST(header(r, "Cache-Control") == "no-cache");
  BOOST_TEST(header(r, "X-Content-Type-Options") == "nosniff");
  const auto csp = header(r, "Content-Security-Policy");
  BOOST_TEST(csp.find("script-src 'self'") != std::string::npos);
  BOOST_TEST(csp.find("unsafe-inline") == std::string::npos);
  BOOST_TEST(csp.find("connect-src 'self'") != std::string::npos);
  const auto etag = header(r, "ETag");
  BOOST_TEST(!etag.empty());

  req.if_none_match = etag;
  const auto again = dashboard_response("index.html", req);
  BOOST_TEST(again.status == 304u);
  BOOST_TEST(again.body.empty());
  BOOST_TEST(header(again, "ETag") == etag);
  req.if_none_match = "\"other\", W/" + etag;  // a list, and a weak match counts for If-None-Match
  BOOST_TEST(dashboard_response("index.html", req).status == 304u);
  req.if_none_match = "*";
  BOOST_TEST(dashboard_response("app.js", req).status == 304u);
  req.if_none_match = "\"stale\"";
  BOOST_TEST(dashboard_response("index.html", req).status == 200u);
}

BOOST_AUTO_TEST_CASE(unknown_files_are_burrows_catch_all) {
  request req{.method = "GET", .target = "/dashboard/nope.js", .path = "/dashboard/nope.js"};
  const auto r = dashboard_response("nope.js", req);
  BOOST_TEST(r.status == 404u);
  BOOST_TEST(r.body == "{\"error\":true,\"message\":\"invalid request type\",\"result\":{}}\n");
  BOOST_TEST(dashboard_response("../app.js", req).status == 404u);
}

BOOST_AUTO_TEST_CASE(the_files_are_open_the_data_is_not) {
  BOOST_TEST((access_for("GET", "/") == access::open));
  BOOST_TEST((access_for("HEAD", "/dashboard/:file") == access::open));
  BOOST_TEST((access_for("GET", "/v3/kafka") == access::read));
  const api_tokens t{.admin = "", .read = "r3ad", .metrics = ""};
  BOOST_TEST(authorized(t, access_for("GET", "/"), ""));
  BOOST_TEST(!authorized(t, access_for("GET", "/v3/stream"), ""));
}

BOOST_AUTO_TEST_CASE(websocket_token_rides_in_a_subprotocol) {
  // "s3cret/+=" in base64url without padding is czNjcmV0Lys9.
  BOOST_TEST(subprotocol_bearer_token("warren.v1, warren.bearer.czNjcmV0Lys9") == "s3cret/+=");
  BOOST_TEST(subprotocol_bearer_token("warren.bearer.czNjcmV0Lys9,warren.v1") == "s3cret/+=");
  BOOST_TEST(subprotocol_bearer_token("warren.bearer.YQ") == "a");    // 2 characters → 1 byte
  BOOST_TEST(subprotocol_bearer_token("warren.bearer.YWI") == "ab");  // 3 characters → 2 bytes
  BOOST_TEST(subprotocol_bearer_token("warren.bearer.-_8") == "\xfb\xff");
  BOOST_TEST(subprotocol_bearer_token("warren.v1").empty());
  BOOST_TEST(subprotocol_bearer_token("").empty());
  BOOST_TEST(subprotocol_bearer_token("warren.bearer.").empty());
  BOOST_TEST(subprotocol_bearer_token("warren.bearer.Y").empty());         // 1 mod 4: not base64
  BOOST_TEST(subprotocol_bearer_token("warren.bearer.czNj+mV0").empty());  // '+' is not base64url
  BOOST_TEST(subprotocol_bearer_token("Warren.Bearer.YQ").empty());        // the prefix is exact
  // What the server builds from it is checked like a header, in constant time.
  const api_tokens t{.admin = "", .read = "s3cret/+=", .metrics = ""};
  BOOST_TEST(authorized(t, access::read, "Bearer " + subprotocol_bearer_token("warren.v1, warren.bearer.czNjcmV0Lys9")));
  BOOST_TEST(!authorized(t, access::read, "Bearer " + subprotocol_bearer_token("warren.v1, warren.bearer.YQ")));
}

BOOST_AUTO_TEST_CASE(api_v3_routes_the_files_and_keeps_the_data_behind_the_token) {
  config cfg;
  cluster_module local;
  local.name = "local";
  cfg.clusters["local"] = local;
  cfg.warren.read_token = "r3ad";
  api_context ctx;
  ctx.cfg = &cfg;
  ctx.hostname = "test-host";
  api_v3 api(ctx);
  auto get = [&](std::string target, std::string authorization = {}) {
    request r{.method = "GET", .target = target, .path = target.substr(0, target.find('?'))};
    r.authorization = std::move(authorization);
    return api.handle(r);
  };
  const auto index = get("/");
  BOOST_TEST(index.status == 200u);  // no token: the page itself asks for it
  BOOST_TEST(index.content_type == "text/html; charset=utf-8");
  BOOST_TEST(header(index, "Access-Control-Allow-Origin").empty());
  BOOST_TEST(get("/dashboard/app.js").status == 200u);
  BOOST_TEST(get("/dashboard/uplot.js").content_type == "text/javascript; charset=utf-8");
  BOOST_TEST(get("/dashboard/missing.js").status == 404u);
  BOOST_TEST(get("/dashboard").status == 404u);
  BOOST_TEST(get("/v3/kafka").status == 401u);
  BOOST_TEST(get("/v3/kafka", "Bearer r3ad").status == 200u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace warren::http
