#include "tests/integration/openapi_check.hpp"

#include <yaml.h>

#include <charconv>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace warren::test {
namespace json = boost::json;

namespace {

// YAML 1.2 core schema for plain scalars; everything quoted is a string.
json::value scalar(const yaml_node_t& n) {
  std::string s(reinterpret_cast<const char*>(n.data.scalar.value), n.data.scalar.length);
  if (n.data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return json::value(s);
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  static const std::regex integer("[-+]?[0-9]+");
  static const std::regex real(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (std::regex_match(s, integer)) {
    std::int64_t v = 0;
    auto first = s.data() + (s[0] == '+' ? 1 : 0);
    if (std::from_chars(first, s.data() + s.size(), v).ec == std::errc()) return v;
  }
  if (std::regex_match(s, real)) return std::stod(s);
  return json::value(s);
}

json::value convert(yaml_document_t& doc, yaml_node_t* n, int depth) {
  if (!n || depth > 64) throw std::runtime_error("openapi: YAML nesting too deep or dangling alias");
  switch (n->type) {
    case YAML_SCALAR_NODE: return scalar(*n);
    case YAML_SEQUENCE_NODE: {
      json::array a;
      for (auto* i = n->data.sequence.items.start; i < n->data.sequence.items.top; ++i)
        a.push_back(convert(doc, yaml_document_get_node(&doc, *i), depth + 1));
      return a;
    }
    case YAML_MAPPING_NODE: {
      json::object o;
      for (auto* p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; ++p) {
        auto* k = yaml_document_get_node(&doc, p->key);
        if (!k || k->type != YAML_SCALAR_NODE) throw std::runtime_error("openapi: non-scalar mapping key");
        std::string key(reinterpret_cast<const char*>(k->data.scalar.value), k->data.scalar.length);
        o[key] = convert(doc, yaml_document_get_node(&doc, p->value), depth + 1);
      }
      return o;
    }
    default: throw std::runtime_error("openapi: empty YAML node");
  }
}

std::string type_of(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "boolean";
    case json::kind::int64:
    case json::kind::uint64: return "integer";
    case json::kind::double_: return "number";
    case json::kind::string: return "string";
    case json::kind::array: return "array";
    case json::kind::object: return "object";
  }
  return "?";
}

bool has_type(const json::value& v, std::string_view t) {
  const auto actual = type_of(v);
  if (t == actual) return true;
  if (t == "number") return actual == "integer";
  if (t == "integer" && v.is_double()) {
    double d = v.as_double();
    return d == static_cast<double>(static_cast<std::int64_t>(d));
  }
  return false;
}

double as_number(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.as_int64());
  if (v.is_uint64()) return static_cast<double>(v.as_uint64());
  if (v.is_double()) return v.as_double();
  return 0;
}

// JSON equality for const/enum, with integers and equal-valued doubles the same.
bool same(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) return as_number(a) == as_number(b);
  return a == b;
}

std::vector<std::string> split(std::string_view path) {
  std::vector<std::string> out;
  if (path.empty() || path.front() != '/') return out;
  path.remove_prefix(1);
  for (;;) {
    auto slash = path.find('/');
    out.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string media_type(const std::string& content_type) {
  auto s = content_type.substr(0, content_type.find(';'));
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return lower(s);
}

const json::value* member(const json::value& v, std::string_view key) {
  if (!v.is_object()) return nullptr;
  auto it = v.as_object().find(key);
  return it == v.as_object().end() ? nullptr : &it->value();
}

}  // namespace

json::value yaml_to_json(const std::string& text) {
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) throw std::runtime_error("openapi: libyaml init failed");
  std::unique_ptr<yaml_parser_t, void (*)(yaml_parser_t*)> parser_guard(&parser, yaml_parser_delete);
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  yaml_document_t doc;
  if (!yaml_parser_load(&parser, &doc)) {
    throw std::runtime_error("openapi: YAML error at line " + std::to_string(parser.problem_mark.line + 1) + ": " +
                             (parser.problem ? parser.problem : "?"));
  }
  std::unique_ptr<yaml_document_t, void (*)(yaml_document_t*)> doc_guard(&doc, yaml_document_delete);
  auto* root = yaml_document_get_root_node(&doc);
  if (!root) throw std::runtime_error("openapi: empty YAML document");
  return convert(doc, root, 0);
}

openapi_spec::openapi_spec(const std::filesystem::path& yaml_file) {
  std::ifstream in(yaml_file);
  if (!in) throw std::runtime_error("openapi: cannot read " + yaml_file.string());
  std::stringstream ss;
  ss << in.rdbuf();
  doc_ = yaml_to_json(ss.str());
  if (!member(doc_, "paths") || !member(doc_, "components"))
    throw std::runtime_error("openapi: no paths or components in " + yaml_file.string());
}

std::vector<std::string> openapi_spec::paths() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : doc_.at("paths").as_object()) out.emplace_back(k);
  return out;
}

const json::value& openapi_spec::resolve(const json::value& schema) const {
  const json::value* cur = &schema;
  for (int hops = 0; hops < 16; ++hops) {
    auto* ref = member(*cur, "$ref");
    if (!ref) return *cur;
    std::string r(ref->as_string());
    if (r.rfind("#/", 0) != 0) throw std::runtime_error("openapi: non-local $ref " + r);
    const json::value* target = &doc_;
    std::string_view rest(r);
    rest.remove_prefix(2);
    while (!rest.empty()) {
      auto slash = rest.find('/');
      target = member(*target, rest.substr(0, slash));
      if (!target) throw std::runtime_error("openapi: dangling $ref " + r);
      if (slash == std::string_view::npos) break;
      rest.remove_prefix(slash + 1);
    }
    cur = target;
  }
  throw std::runtime_error("openapi: $ref loop");
}

std::vector<std::string> openapi_spec::validate(const json::value& instance, const json::value& schema,
                                                const std::string& where) const {
  std::vector<std::string> out;
  validate_into(instance, schema, where, out, 0);
  return out;
}

void openapi_spec::validate_into(const json::value& v, const json::value& schema_in, const std::string& where,
                                 std::vector<std::string>& out, int depth) const {
  if (depth > 64) {
    out.push_back(where + ": schema too deep");
    return;
  }
  const auto& schema = resolve(schema_in);
  if (!schema.is_object()) {
    out.push_back(where + ": schema is not an object");
    return;
  }
  if (auto* c = member(schema, "const"); c && !same(v, *c))
    out.push_back(where + ": expected " + json::serialize(*c) + ", got " + json::serialize(v));
  if (auto* e = member(schema, "enum")) {
    bool found = false;
    for (const auto& x : e->as_array()) found = found || same(v, x);
    if (!found) out.push_back(where + ": " + json::serialize(v) + " not in " + json::serialize(*e));
  }
  if (auto* t = member(schema, "type")) {
    bool ok = false;
    if (t->is_string()) ok = has_type(v, t->as_string());
    else
      for (const auto& x : t->as_array()) ok = ok || has_type(v, x.as_string());
    if (!ok) {
      out.push_back(where + ": expected type " + json::serialize(*t) + ", got " + type_of(v) + " " + json::serialize(v));
      return;
    }
  }
  if (auto* one = member(schema, "oneOf")) {
    int matches = 0;
    std::vector<std::string> why;
    for (const auto& alt : one->as_array()) {
      std::vector<std::string> e;
      validate_into(v, alt, where, e, depth + 1);
      if (e.empty()) ++matches;
      else why.push_back(e.front());
    }
    if (matches != 1) {
      std::string msg = where + ": matches " + std::to_string(matches) + " of oneOf";
      for (const auto& w : why) msg += "\n    (" + w + ")";
      out.push_back(msg);
    }
  }
  if (v.is_number()) {
    if (auto* m = member(schema, "minimum"); m && as_number(v) < as_number(*m))
      out.push_back(where + ": below minimum " + json::serialize(*m));
    if (auto* m = member(schema, "maximum"); m && as_number(v) > as_number(*m))
      out.push_back(where + ": above maximum " + json::serialize(*m));
  }
  if (v.is_array()) {
    if (auto* items = member(schema, "items")) {
      std::size_t i = 0;
      for (const auto& x : v.as_array()) validate_into(x, *items, where + "[" + std::to_string(i++) + "]", out, depth + 1);
    }
  }
  if (v.is_object()) {
    const auto& o = v.as_object();
    const auto* props = member(schema, "properties");
    if (auto* req = member(schema, "required"))
      for (const auto& k : req->as_array())
        if (!o.contains(k.as_string())) out.push_back(where + ": missing required \"" + std::string(k.as_string()) + "\"");
    const auto* extra = member(schema, "additionalProperties");
    for (const auto& [k, x] : o) {
      const std::string here = where + "." + std::string(k);
      if (const auto* p = props ? member(*props, k) : nullptr) {
        validate_into(x, *p, here, out, depth + 1);
      } else if (extra && extra->is_bool()) {
        if (!extra->as_bool()) out.push_back(where + ": unexpected property \"" + std::string(k) + "\"");
      } else if (extra) {
        validate_into(x, *extra, here, out, depth + 1);
      }
    }
  }
}

std::vector<std::string> openapi_spec::check_response_object(const json::value& response_in, const live_response& r,
                                                              const std::string& where) const {
  const auto& response = resolve(response_in);
  const auto* content = member(response, "content");
  if (!content) {
    if (!r.body.empty()) return {where + ": the spec documents no body, got " + r.body};
    return {};
  }
  const auto mt = media_type(r.content_type);
  const auto* media = member(*content, mt);
  if (!media) return {where + ": media type " + mt + " not documented (documented: " + json::serialize(*content) + ")"};
  const auto* schema = member(*media, "schema");
  if (!schema) return {};
  json::value instance;
  if (mt == "application/json") {
    json::error_code ec;
    instance = json::parse(r.body, ec);
    if (ec) return {where + ": body is not JSON: " + r.body};
  } else {
    instance = json::value(r.body);
  }
  return validate(instance, *schema, where + " body");
}

std::vector<std::string> openapi_spec::check(const live_response& r) const {
  const auto segs = split(r.path);
  const json::value* best = nullptr;
  std::string best_name;
  int best_literals = -1;
  for (const auto& [tmpl, item] : doc_.at("paths").as_object()) {
    const auto t = split(tmpl);
    if (t.size() != segs.size()) continue;
    int literals = 0;
    bool ok = true;
    for (std::size_t i = 0; i < t.size() && ok; ++i) {
      if (t[i].size() > 2 && t[i].front() == '{' && t[i].back() == '}') ok = !segs[i].empty();
      else if (t[i] == segs[i]) ++literals;
      else ok = false;
    }
    if (ok && literals > best_literals) {
      best = &item;
      best_name = tmpl;
      best_literals = literals;
    }
  }
  const std::string where = r.method + " " + r.path;
  if (!best) return {where + ": no path of the spec matches"};
  const auto* op = member(*best, lower(r.method));
  if (!op) return {where + ": " + best_name + " documents no " + r.method};
  const auto* responses = member(*op, "responses");
  const auto* resp = responses ? member(*responses, std::to_string(r.status)) : nullptr;
  if (!resp && responses) resp = member(*responses, "default");
  if (!resp) return {where + ": status " + std::to_string(r.status) + " not documented for " + best_name};
  return check_response_object(*resp, r, where + " -> " + best_name + " " + std::to_string(r.status));
}

std::vector<std::string> openapi_spec::check_component(const std::string& name, const live_response& r) const {
  const auto* resp = member(doc_.at("components"), "responses");
  resp = resp ? member(*resp, name) : nullptr;
  if (!resp) return {"components/responses/" + name + " is not in the spec"};
  return check_response_object(*resp, r, r.method + " " + r.path + " -> " + name);
}

}  // namespace warren::test
