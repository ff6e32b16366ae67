#include "service/fleet/status_record.hpp"

#include <boost/json.hpp>
#include <algorithm>
#include <array>

#include "service/http/go_json.hpp"

namespace warren::fleet {
namespace json = boost::json;

namespace {
constexpr std::size_t npos = std::string_view::npos;

// A structural scanner over JSON text: finds where members and elements begin and end so that the
// owner's bytes are kept exactly (Boost.JSON would re-print numbers its own way, not Go's). It
// checks bounds and nesting but not every token; decode() validates with Boost.JSON first.
std::size_t skip_ws(std::string_view s, std::size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  return i;
}
std::size_t skip_string(std::string_view s, std::size_t i) {  // s[i] == '"'; index after the closing quote
  if (i >= s.size() || s[i] != '"') return npos;
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') ++i;
    else if (s[i] == '"') return i + 1;
  }
  return npos;
}
std::size_t skip_value(std::string_view s, std::size_t i) {
  i = skip_ws(s, i);
  if (i >= s.size()) return npos;
  if (s[i] == '"') return skip_string(s, i);
  if (s[i] == '{' || s[i] == '[') {
    std::vector<char> stack;  // bounded by the input's length
    for (; i < s.size(); ++i) {
      const char c = s[i];
      if (c == '"') {
        i = skip_string(s, i);
        if (i == npos) return npos;
        --i;
      } else if (c == '{' || c == '[') {
        stack.push_back(c == '{' ? '}' : ']');
      } else if (c == '}' || c == ']') {
        if (stack.empty() || stack.back() != c) return npos;
        stack.pop_back();
        if (stack.empty()) return i + 1;
      }
    }
    return npos;
  }
  while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\n' && s[i] != '\t' &&
         s[i] != '\r')
    ++i;
  return i;
}

struct span_of {
  std::size_t begin = 0, end = 0;  // [begin, end) in the scanned text
};
struct member_span {
  std::string_view key;  // raw, without quotes
  span_of value;
};

// Members of the object at s (whole text must be the object, surrounding whitespace allowed).
// `close` receives the index of the closing brace.
std::optional<std::vector<member_span>> members(std::string_view s, std::size_t& close) {
  std::vector<member_span> out;
  std::size_t i = skip_ws(s, 0);
  if (i >= s.size() || s[i] != '{') return std::nullopt;
  i = skip_ws(s, i + 1);
  if (i < s.size() && s[i] == '}') {
    close = i;
    return out;
  }
  for (;;) {
    const std::size_t k = i;
    const std::size_t k_end = skip_string(s, k);
    if (k_end == npos) return std::nullopt;
    i = skip_ws(s, k_end);
    if (i >= s.size() || s[i] != ':') return std::nullopt;
    const std::size_t v = skip_ws(s, i + 1);
    const std::size_t v_end = skip_value(s, v);
    if (v_end == npos) return std::nullopt;
    out.push_back({s.substr(k + 1, k_end - k - 2), {v, v_end}});
    i = skip_ws(s, v_end);
    if (i >= s.size()) return std::nullopt;
    if (s[i] == '}') {
      close = i;
      return out;
    }
    if (s[i] != ',') return std::nullopt;
    i = skip_ws(s, i + 1);
  }
}

// Elements of the array s[a.begin, a.end).
std::optional<std::vector<span_of>> elements(std::string_view s, span_of a) {
  std::vector<span_of> out;
  std::size_t i = skip_ws(s, a.begin);
  if (i >= a.end || s[i] != '[') return std::nullopt;
  i = skip_ws(s, i + 1);
  if (i < a.end && s[i] == ']') return out;
  for (;;) {
    const std::size_t e_end = skip_value(s, i);
    if (e_end == npos || e_end > a.end) return std::nullopt;
    out.push_back({i, e_end});
    i = skip_ws(s, e_end);
    if (i >= a.end) return std::nullopt;
    if (s[i] == ']') return out;
    if (s[i] != ',') return std::nullopt;
    i = skip_ws(s, i + 1);
  }
}

const member_span* find(const std::vector<member_span>& ms, std::string_view key) {
  for (const auto& m : ms)
    if (m.key == key) return &m;
  return nullptr;
}

std::optional<status_code> status_from(std::string_view name) {
  for (auto c : {status_code::notfound, status_code::ok, status_code::warn, status_code::err, status_code::stop,
                 status_code::stall, status_code::rewind})
    if (to_string(c) == name) return c;
  return std::nullopt;
}

std::optional<std::int64_t> as_int(const json::value* v) {
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v->as_uint64());
  return std::nullopt;
}

}  // namespace

std::string_view to_string(decode_error e) {
  static constexpr std::array<std::string_view, decode_error_count> names{
      "empty_key", "not_json", "not_object", "bad_version", "missing_field", "bad_field", "group_mismatch",
      "bad_status"};
  const auto i = static_cast<std::size_t>(e);
  return i < names.size() ? names[i] : "unknown";
}

std::string encode_value(const status_record& r) {
  std::string out;
  out.reserve(r.status_json.size() + 256);
  out += r.all_partitions ? R"({"v":1,"owner":{"id":)" : R"({"v":2,"owner":{"id":)";
  append_json_string(out, r.owner.id);
  out += R"(,"url":)";
  append_json_string(out, r.owner.url);
  out += R"(},"evaluated_at":)";
  append_json_int(out, r.evaluated_at);
  out += R"(,"status":)";
  out += r.status_json;
  out += R"(,"notifier":{"incident":)";
  if (r.notifier.incident) {
    out += R"({"id":)";
    append_json_string(out, r.notifier.incident->id);
    out += R"(,"start":)";
    append_json_int(out, r.notifier.incident->start_ms);
    out += '}';
  } else {
    out += "null";
  }
  out += R"(,"last_notify":{)";
  bool first = true;
  for (const auto& [module, ms] : r.notifier.last_notify) {
    if (!first) out += ',';
    first = false;
    append_json_string(out, module);
    out += ':';
    append_json_int(out, ms);
  }
  out += "}}}";
  return out;
}

decoded decode(std::span<const std::byte> key, std::optional<std::span<const std::byte>> value) {
  const std::string_view group(reinterpret_cast<const char*>(key.data()), key.size());
  if (group.empty()) return decode_error::empty_key;
  if (!value) return tombstone{std::string(group)};
  const std::string_view text(reinterpret_cast<const char*>(value->data()), value->size());

  json::parse_options po;
  po.max_depth = 16;  // the owner's status nests 4 deep; anything deeper is not ours
  json::error_code ec;
  json::value v = json::parse(text, ec, {}, po);
  if (ec) return decode_error::not_json;
  if (!v.is_object()) return decode_error::not_object;
  const auto& o = v.as_object();
  const auto version = as_int(o.if_contains("v"));
  if (!version || (*version != 1 && *version != 2)) return decode_error::bad_version;

  decoded_record d;
  auto& r = d.record;
  r.group = std::string(group);
  r.all_partitions = *version == 1;
  const json::value* owner = o.if_contains("owner");
  const json::value* evaluated = o.if_contains("evaluated_at");
  const json::value* status = o.if_contains("status");
  const json::value* notifier = o.if_contains("notifier");
  if (!owner || !evaluated || !status || !notifier) return decode_error::missing_field;
  if (!owner->is_object() || !status->is_object() || !notifier->is_object()) return decode_error::not_object;
  const auto* id = owner->as_object().if_contains("id");
  const auto* url = owner->as_object().if_contains("url");
  if (!id || !url) return decode_error::missing_field;
  if (!id->is_string() || !url->is_string() || id->as_string().empty()) return decode_error::bad_field;
  r.owner = {std::string(id->as_string()), std::string(url->as_string())};
  const auto at = as_int(evaluated);
  if (!at || *at < 0) return decode_error::bad_field;
  r.evaluated_at = *at;

  // The notifier state.
  const auto& n = notifier->as_object();
  const auto* incident = n.if_contains("incident");
  const auto* last = n.if_contains("last_notify");
  if (!incident || !last) return decode_error::missing_field;
  if (!incident->is_null()) {
    if (!incident->is_object()) return decode_error::not_object;
    const auto* iid = incident->as_object().if_contains("id");
    const auto start = as_int(incident->as_object().if_contains("start"));
    if (!iid || !iid->is_string() || !start) return decode_error::bad_field;
    r.notifier.incident = notifier_record::open_incident{std::string(iid->as_string()), *start};
  }
  if (!last->is_object()) return decode_error::not_object;
  for (const auto& kv : last->as_object()) {
    const auto ms = as_int(&kv.value());
    if (!ms) return decode_error::bad_field;
    r.notifier.last_notify.emplace_back(std::string(kv.key()), *ms);
  }
  std::sort(r.notifier.last_notify.begin(), r.notifier.last_notify.end());

  // The status object: checked with the parsed value, kept as the owner's bytes.
  const auto& so = status->as_object();
  const auto* sg = so.if_contains("group");
  if (!sg || !sg->is_string()) return decode_error::bad_status;
  if (sg->as_string() != group) return decode_error::group_mismatch;
  const auto* sc = so.if_contains("status");
  if (!sc || !sc->is_string()) return decode_error::bad_status;
  const auto code = status_from(std::string_view(sc->as_string()));
  if (!code) return decode_error::bad_status;
  d.status = *code;
  const auto* total = so.if_contains("totallag");
  if (total && total->is_uint64()) d.totallag = total->as_uint64();
  else if (total && total->is_int64() && total->as_int64() >= 0) d.totallag = static_cast<std::uint64_t>(total->as_int64());
  else return decode_error::bad_status;
  const auto* parts = so.if_contains("partitions");
  if (!parts || !parts->is_array()) return decode_error::bad_status;
  // FNV-1a over the partition count and each partition above OK: its topic, number and status
  // (the stream's change test).
  std::uint64_t shape = 14695981039346656037ull;
  auto mix = [&shape](std::string_view bytes) {
    for (unsigned char ch : bytes) shape = (shape ^ ch) * 1099511628211ull;
    shape = (shape ^ 0xffu) * 1099511628211ull;  // a separator: ("ab","c") differs from ("a","bc")
  };
  const auto count = as_int(so.if_contains("partition_count"));
  const std::int64_t partition_count = count ? *count : -1;
  mix(std::string_view(reinterpret_cast<const char*>(&partition_count), sizeof partition_count));
  for (const auto& p : parts->as_array()) {
    if (!p.is_object() || !p.as_object().if_contains("status") || !p.as_object().at("status").is_string())
      return decode_error::bad_status;
    const auto& part = p.as_object();
    const std::string_view pstatus = part.at("status").as_string();
    if (pstatus == "OK" || pstatus == "NOTFOUND") continue;  // as problems_only: kept above OK only
    const auto* topic = part.if_contains("topic");
    const auto* number = part.if_contains("partition");
    mix(topic && topic->is_string() ? std::string_view(topic->as_string()) : std::string_view());
    const std::int64_t pn = number && number->is_int64() ? number->as_int64() : -1;
    mix(std::string_view(reinterpret_cast<const char*>(&pn), sizeof pn));
    mix(pstatus);
  }
  d.shape = shape;

  std::size_t close = 0;
  auto top = members(text, close);
  const member_span* raw = top ? find(*top, "status") : nullptr;
  if (!raw) return decode_error::missing_field;  // e.g. a key spelled with escapes: not written by Warren
  r.status_json = std::string(text.substr(raw->value.begin, raw->value.end - raw->value.begin));
  auto problems = problems_only(r.status_json);
  if (!problems) return decode_error::bad_status;
  d.problems_json = std::move(*problems);
  return d;
}

std::string with_owner(std::string_view status_json, const owner_ref& owner) {
  std::string fields = R"("owner":)";
  append_json_string(fields, owner.id);
  fields += R"(,"owner_url":)";
  append_json_string(fields, owner.url);
  std::size_t close = 0;
  auto ms = members(status_json, close);
  if (!ms) return std::string(status_json);
  std::string out;
  out.reserve(status_json.size() + fields.size() + 16);
  if (!ms->empty() && ms->back().key == "warren" && status_json[ms->back().value.begin] == '{') {
    const auto& w = ms->back().value;
    std::size_t inner_close = 0;
    auto inner = members(status_json.substr(w.begin, w.end - w.begin), inner_close);
    if (inner) {
      const std::size_t at = w.begin + inner_close;
      out.append(status_json.substr(0, at));
      if (!inner->empty()) out += ',';
      out += fields;
      out.append(status_json.substr(at));
      return out;
    }
  }
  out.append(status_json.substr(0, close));
  if (!ms->empty()) out += ',';
  out += R"("warren":{)";
  out += fields;
  out += '}';
  out.append(status_json.substr(close));
  return out;
}

namespace {
// The status object with only the partitions `keep` accepts (by their raw `"status"` value).
template <class Keep>
std::optional<std::string> filter_partitions(std::string_view status_json, Keep keep) {
  std::size_t close = 0;
  auto ms = members(status_json, close);
  if (!ms) return std::nullopt;
  const member_span* parts = find(*ms, "partitions");
  if (!parts) return std::nullopt;
  auto items = elements(status_json, parts->value);
  if (!items) return std::nullopt;
  std::string out;
  out.reserve(status_json.size());
  out.append(status_json.substr(0, parts->value.begin));
  out += '[';
  bool first = true;
  for (const auto& e : *items) {
    const std::string_view item = status_json.substr(e.begin, e.end - e.begin);
    std::size_t item_close = 0;
    auto pm = members(item, item_close);
    if (!pm) return std::nullopt;
    const member_span* st = find(*pm, "status");
    if (!st) return std::nullopt;
    if (!keep(item.substr(st->value.begin, st->value.end - st->value.begin))) continue;
    if (!first) out += ',';
    first = false;
    out.append(item);
  }
  out += ']';
  out.append(status_json.substr(parts->value.end));
  return out;
}
}  // namespace

std::optional<std::string> problems_only(std::string_view status_json) {
  // Burrow's showAll=false keeps partitions above OK (rules.cpp only_problems).
  return filter_partitions(status_json,
                           [](std::string_view code) { return code != R"("OK")" && code != R"("NOTFOUND")"; });
}

std::optional<std::string> summary_only(std::string_view status_json) {
  return filter_partitions(status_json, [](std::string_view) { return false; });
}

}  // namespace warren::fleet
