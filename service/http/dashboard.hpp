#pragma once
// Warren's built-in dashboard: static files (service/dashboard/*, plus uPlot from npm) embedded
// into the binary at build time by service/dashboard/embed.cmake, served at `/` and
// `/dashboard/<file>`. PURE: no I/O, Beast-free; the page itself talks to the JSON API and to the
// `/v3/stream` WebSocket.
//
// The files carry no data, so they are open even when a read-token is set (auth.hpp); the page asks
// for the token and sends it on every API call. Every answer has a strong ETag (SHA-256 of the
// file, computed at build time), `Cache-Control: no-cache` (revalidate: the files change only with
// the binary, and their names carry no hash), `X-Content-Type-Options: nosniff` and a
// Content-Security-Policy without inline scripts or styles.
#include <span>
#include <string_view>

#include "service/http/types.hpp"

namespace warren::http {

struct dashboard_asset {
  std::string_view name;          ///< file name under /dashboard/ ("index.html" is also `/`)
  std::string_view content_type;  ///< from the extension, e.g. "text/javascript; charset=utf-8"
  std::string_view etag;          ///< quoted strong ETag, e.g. "\"3f2a…\""
  std::string_view body;
};

/// Every embedded file (generated at build time: dashboard_assets.cpp in the build tree).
std::span<const dashboard_asset> dashboard_assets();

/// False when uPlot was not found at configure time: `uplot.js` is then a stub that tells the page
/// charts are unavailable (the board and tables still work).
bool dashboard_has_uplot();

/// The Content-Security-Policy of every dashboard answer.
inline constexpr std::string_view dashboard_csp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// GET/HEAD of one file: 200 with the file, 304 when `req.if_none_match` names its ETag, 404
/// (Burrow's catch-all body) for an unknown name.
response dashboard_response(std::string_view name, const request& req);

}  // namespace warren::http
