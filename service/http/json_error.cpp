#include "service/http/json_error.hpp"

#include <boost/json.hpp>

namespace warren::http {

response json_error(unsigned status, std::string_view message, std::string_view url, std::string_view host) {
  boost::json::object body;
  body["error"] = true;
  body["message"] = message;
  body["request"] = {{"url", url}, {"host", host}};
  return response{status, "application/json", boost::json::serialize(body), {}};
}

}  // namespace warren::http
