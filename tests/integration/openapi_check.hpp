#pragma once
// Checks live HTTP responses against proto/http/openapi.yaml. The YAML is loaded with libyaml
// into a Boost.JSON value (plain scalars resolved with YAML 1.2's core schema: null, booleans,
// integers, floats; quoted scalars stay strings). Validation covers the JSON Schema subset the spec
// uses: $ref (local), type (one or a list, "integer" = a JSON number without fraction), const,
// enum, properties, required, additionalProperties (false or a schema), items, oneOf (exactly
// one), minimum and maximum.
//
// Test code: throws std::runtime_error when the spec cannot be read; check functions return the
// list of problems (empty = the response conforms).
#include <boost/json.hpp>
#include <filesystem>
#include <string>
#include <vector>

namespace warren::test {

/// Parses YAML text into JSON; throws std::runtime_error with the line on a syntax error.
boost::json::value yaml_to_json(const std::string& text);

struct live_response {
  std::string method;        ///< "GET", "DELETE", ...
  std::string path;          ///< as sent, percent-encoded
  unsigned status = 0;
  std::string content_type;  ///< the header; parameters after ';' are ignored
  std::string body;
};

class openapi_spec {
 public:
  explicit openapi_spec(const std::filesystem::path& yaml_file);

  /// The operation for r.method on the path template that matches r.path (literal segments win over
  /// parameters), then its response for r.status, its content for the media type, then the body
  /// against the schema. Problems name where they were found.
  std::vector<std::string> check(const live_response& r) const;
  /// The same against components/responses/<name> (catch-all, 405, 413: not tied to a path).
  std::vector<std::string> check_component(const std::string& name, const live_response& r) const;
  /// An instance against a schema of this spec.
  std::vector<std::string> validate(const boost::json::value& instance, const boost::json::value& schema,
                                    const std::string& where) const;
  /// Path templates, e.g. "/v3/kafka/{cluster}".
  std::vector<std::string> paths() const;
  const boost::json::value& document() const { return doc_; }

 private:
  std::vector<std::string> check_response_object(const boost::json::value& response, const live_response& r,
                                                 const std::string& where) const;
  const boost::json::value& resolve(const boost::json::value& schema) const;
  void validate_into(const boost::json::value& v, const boost::json::value& schema, const std::string& where,
                     std::vector<std::string>& out, int depth) const;

  boost::json::value doc_;
};

}  // namespace warren::test
