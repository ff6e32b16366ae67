#pragma once
// PURE router: (method, path) → route id and percent-decoded parameters. Patterns are exact
// segment lists with `:name` placeholders (Burrow's httprouter routes). Each segment is decoded on
// its own, so a group named "a/b" is addressed as "a%2Fb".
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace warren::http {

struct route_def {
  int id;
  std::string_view method;
  std::string_view pattern;  ///< e.g. "/v3/kafka/:cluster/consumer/:consumer/lag"
};

enum class match_kind { found, not_found, method_not_allowed, bad_path };

struct route_match {
  match_kind kind = match_kind::not_found;
  int id = -1;
  std::vector<std::string> params;  ///< decoded values of the `:name` segments, in order
  std::string allow;                ///< for method_not_allowed: "GET, DELETE"
};

/// Decodes %XX escapes; '+' stays '+'. nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view s);

class router {
 public:
  explicit router(std::vector<route_def> routes);
  route_match match(std::string_view method, std::string_view path) const;

 private:
  struct compiled {
    route_def def;
    std::vector<std::string_view> segments;
  };
  std::vector<compiled> routes_;
};

}  // namespace warren::http
