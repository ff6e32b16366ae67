// Template values and their Go renderings: fmt %v printing, encoding/json, time.Time layouts.
#include "service/notifier/template_value.hpp"

#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "service/http/go_json.hpp"
#include "service/notifier/template.hpp"

namespace warren::go_template {

struct value::rep {
  kind k = kind::missing;
  bool f32 = false;
  bool b = false;
  std::int64_t i = 0;
  std::uint64_t u = 0;
  double d = 0;
  std::string s;         // string value
  std::string type;      // Go type name
  value_array arr;
  value_map m;
  std::vector<value> zero;  // map zero element (0 or 1 entries)
  std::vector<value_field> fields;
  std::vector<std::pair<std::string, std::string>> aliases;  // alias -> target
};

namespace {

const std::string& empty_string() {
  static const std::string s;
  return s;
}
const value_array& empty_array() {
  static const value_array a;
  return a;
}
const value_map& empty_map() {
  static const value_map m;
  return m;
}
const std::vector<value_field>& empty_fields() {
  static const std::vector<value_field> f;
  return f;
}

std::shared_ptr<value::rep> make(value::kind k, std::string type) {
  auto r = std::make_shared<value::rep>();
  r->k = k;
  r->type = std::move(type);
  return r;
}

}  // namespace

value::value() = default;
value::value(std::shared_ptr<const rep> r) : rep_(std::move(r)) {}

value value::nil(std::string type_name) {
  return value(make(kind::nil, type_name.empty() ? "<nil>" : std::move(type_name)));
}
value value::boolean(bool b) {
  auto r = make(kind::boolean, "bool");
  r->b = b;
  return value(std::move(r));
}
value value::integer(std::int64_t i, std::string go_type) {
  auto r = make(kind::integer, std::move(go_type));
  r->i = i;
  return value(std::move(r));
}
value value::unsigned_integer(std::uint64_t u) {
  auto r = make(kind::unsigned_integer, "uint64");
  r->u = u;
  return value(std::move(r));
}
value value::floating(double d) {
  auto r = make(kind::floating, "float64");
  r->d = d;
  return value(std::move(r));
}
value value::float32(float f) {
  auto r = make(kind::floating, "float32");
  r->d = static_cast<double>(f);
  r->f32 = true;
  return value(std::move(r));
}
value value::string(std::string s) {
  auto r = make(kind::string, "string");
  r->s = std::move(s);
  return value(std::move(r));
}
value value::status(std::int64_t code) {
  auto r = make(kind::status, "protocol.StatusConstant");
  r->i = code;
  return value(std::move(r));
}
value value::time_ns(std::int64_t unix_ns) {
  auto r = make(kind::time, "time.Time");
  r->i = unix_ns;
  return value(std::move(r));
}
value value::array(value_array items) {
  auto r = make(kind::array, "[]interface {}");
  r->arr = std::move(items);
  return value(std::move(r));
}
value value::map(value_map entries, value zero_element) {
  auto r = make(kind::map, "map[string]interface {}");
  r->m = std::move(entries);
  r->zero.push_back(std::move(zero_element));
  return value(std::move(r));
}
value value::object(std::string type_name, std::vector<value_field> fields) {
  auto r = make(kind::object, std::move(type_name));
  r->fields = std::move(fields);
  for (auto& f : r->fields)
    if (f.json_name.empty()) f.json_name = f.name;
  return value(std::move(r));
}

value::kind value::type() const { return rep_ ? rep_->k : kind::missing; }
bool value::is_float32() const { return rep_ && rep_->f32; }
bool value::as_bool() const { return rep_ && rep_->b; }
std::int64_t value::as_int() const { return rep_ ? rep_->i : 0; }
std::uint64_t value::as_uint() const { return rep_ ? rep_->u : 0; }
double value::as_double() const { return rep_ ? rep_->d : 0.0; }
const std::string& value::as_string() const { return rep_ ? rep_->s : empty_string(); }
const value_array& value::as_array() const {
  return rep_ && rep_->k == kind::array ? rep_->arr : empty_array();
}
const value_map& value::as_map() const { return rep_ && rep_->k == kind::map ? rep_->m : empty_map(); }
const std::vector<value_field>& value::fields() const {
  return rep_ && rep_->k == kind::object ? rep_->fields : empty_fields();
}
std::string value::go_type() const { return rep_ ? rep_->type : "<nil>"; }
const value& value::zero_element() const {
  static const value none;
  return rep_ && !rep_->zero.empty() ? rep_->zero.front() : none;
}

const value* value::field(std::string_view go_name) const {
  if (!rep_ || rep_->k != kind::object) return nullptr;
  for (const auto& f : rep_->fields)
    if (f.name == go_name) return &f.v;
  for (const auto& [alias, target] : rep_->aliases)
    if (alias == go_name) return field(target);
  return nullptr;
}

value value::with_alias(std::string alias, std::string target) const {
  if (!rep_ || rep_->k != kind::object) return *this;
  auto r = std::make_shared<rep>(*rep_);
  r->aliases.emplace_back(std::move(alias), std::move(target));
  return value(std::move(r));
}

// ---- numbers -------------------------------------------------------------------------------------

namespace {

// Shortest round-trip digits and decimal exponent of `d` (d finite, > 0): digits "12345",
// exp = position of the decimal point relative to the first digit (value = 0.digits × 10^exp).
void shortest_digits(double d, bool f32, std::string& digits, int& point) {
  std::array<char, 64> buf{};
  auto res = f32 ? std::to_chars(buf.data(), buf.data() + buf.size(), static_cast<float>(d),
                                 std::chars_format::scientific)
                 : std::to_chars(buf.data(), buf.data() + buf.size(), d, std::chars_format::scientific);
  std::string_view sci(buf.data(), static_cast<std::size_t>(res.ptr - buf.data()));
  const auto e = sci.find('e');
  digits.clear();
  for (char c : sci.substr(0, e))
    if (c != '.') digits += c;
  int exponent = 0;
  std::from_chars(sci.data() + e + 1 + (sci[e + 1] == '+' ? 1 : 0), sci.data() + sci.size(), exponent);
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  point = exponent + 1;
}

std::string exp_form(const std::string& digits, int point, bool two_digit_exp) {
  std::string out(1, digits[0]);
  if (digits.size() > 1) {
    out += '.';
    out.append(digits, 1);
  }
  const int e = point - 1;
  out += 'e';
  out += e < 0 ? '-' : '+';
  const int ae = e < 0 ? -e : e;
  if (two_digit_exp && ae < 10) out += '0';
  out += std::to_string(ae);
  return out;
}

std::string plain_form(const std::string& digits, int point) {
  std::string out;
  if (point <= 0) {
    out = "0.";
    out.append(static_cast<std::size_t>(-point), '0');
    out += digits;
  } else if (static_cast<std::size_t>(point) >= digits.size()) {
    out = digits;
    out.append(static_cast<std::size_t>(point) - digits.size(), '0');
  } else {
    out = digits.substr(0, static_cast<std::size_t>(point));
    out += '.';
    out.append(digits, static_cast<std::size_t>(point));
  }
  return out;
}

}  // namespace

// Go fmt %v for floats = strconv.FormatFloat(f, 'g', -1, bits): shortest digits, %e form (two-digit
// exponent) when the exponent is < -4 or >= 6 (strconv: "if precision was the shortest possible,
// use precision 6 for this decision"), so 1e6 prints 1e+06 and 123456 prints 123456.
std::string format_float_v(double d, bool f32) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
  if (d == 0) return std::signbit(d) ? "-0" : "0";
  std::string digits;
  int point = 0;
  shortest_digits(std::fabs(d), f32, digits, point);
  const int exp = point - 1;
  std::string body = (exp < -4 || exp >= 6) ? exp_form(digits, point, true) : plain_form(digits, point);
  return d < 0 ? "-" + body : body;
}

// Go encoding/json floatEncoder: 'f' form unless abs < 1e-6 || abs >= 1e21, then 'e' with the
// exponent's leading zero removed (e-07 -> e-7).
std::string format_float_json(double d, bool f32) {
  if (d == 0) return "0";
  std::string digits;
  int point = 0;
  shortest_digits(std::fabs(d), f32, digits, point);
  const double a = std::fabs(d);
  const bool e = f32 ? (static_cast<float>(a) < 1e-6f || static_cast<float>(a) >= 1e21f) : (a < 1e-6 || a >= 1e21);
  std::string body = e ? exp_form(digits, point, false) : plain_form(digits, point);
  return d < 0 ? "-" + body : body;
}

// ---- status --------------------------------------------------------------------------------------

std::string_view status_name(std::int64_t code) {
  static constexpr std::array<std::string_view, 7> names{"NOTFOUND", "OK", "WARN", "ERR", "STOP", "STALL", "REWIND"};
  if (code >= 0 && code < static_cast<std::int64_t>(names.size())) return names[static_cast<std::size_t>(code)];
  return "UNKNOWN";
}

// ---- time ----------------------------------------------------------------------------------------

namespace {

using namespace std::chrono;

struct civil {
  int year;
  unsigned month, day, hour, minute, second, yday, wday;
  std::int64_t nanos;
};

civil to_civil(std::int64_t unix_ns) {
  std::int64_t secs = unix_ns / 1'000'000'000;
  std::int64_t ns = unix_ns % 1'000'000'000;
  if (ns < 0) {
    ns += 1'000'000'000;
    --secs;
  }
  std::int64_t days_since = secs / 86400;
  std::int64_t sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    --days_since;
  }
  const sys_days dp{days{days_since}};
  const year_month_day ymd{dp};
  const weekday wd{dp};
  const sys_days jan1{year_month_day{ymd.year(), January, day{1}}};
  civil c{};
  c.year = static_cast<int>(ymd.year());
  c.month = static_cast<unsigned>(ymd.month());
  c.day = static_cast<unsigned>(ymd.day());
  c.hour = static_cast<unsigned>(sod / 3600);
  c.minute = static_cast<unsigned>(sod / 60 % 60);
  c.second = static_cast<unsigned>(sod % 60);
  c.yday = static_cast<unsigned>((dp - jan1).count() + 1);
  c.wday = wd.c_encoding();
  c.nanos = ns;
  return c;
}

constexpr std::array<std::string_view, 12> long_months{"January", "February", "March",     "April",   "May",      "June",
                                                       "July",    "August",   "September", "October", "November", "December"};
constexpr std::array<std::string_view, 7> long_days{"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                    "Thursday", "Friday", "Saturday"};

void pad(std::string& out, std::int64_t v, int width, char fill = '0') {
  std::string s = std::to_string(v < 0 ? -v : v);
  if (v < 0) out += '-';
  for (int i = static_cast<int>(s.size()); i < width; ++i) out += fill;
  out += s;
}

bool starts(std::string_view s, std::size_t i, std::string_view p) { return s.substr(i, p.size()) == p; }

}  // namespace

// Go time.Time.Format in UTC. Layout elements as Go's nextStdChunk recognises them.
std::string format_time(std::int64_t unix_ns, std::string_view layout) {
  const civil c = to_civil(unix_ns);
  std::string out;
  std::size_t i = 0;
  while (i < layout.size()) {
    const char ch = layout[i];
    auto take = [&](std::string_view p) {
      if (!starts(layout, i, p)) return false;
      i += p.size();
      return true;
    };
    bool done = true;
    switch (ch) {
      case 'J':
        if (take("January")) out += long_months[c.month - 1];
        else if (take("Jan")) out += long_months[c.month - 1].substr(0, 3);
        else done = false;
        break;
      case 'M':
        if (take("Monday")) out += long_days[c.wday];
        else if (take("Mon")) out += long_days[c.wday].substr(0, 3);
        else if (take("MST")) out += "UTC";
        else done = false;
        break;
      case '0':
        if (take("002")) pad(out, c.yday, 3);
        else if (take("01")) pad(out, c.month, 2);
        else if (take("02")) pad(out, c.day, 2);
        else if (take("03")) pad(out, c.hour % 12 == 0 ? 12 : c.hour % 12, 2);
        else if (take("04")) pad(out, c.minute, 2);
        else if (take("05")) pad(out, c.second, 2);
        else if (take("06")) pad(out, ((c.year % 100) + 100) % 100, 2);
        else done = false;
        break;
      case '1':
        if (take("15")) pad(out, c.hour, 2);
        else if (take("1")) out += std::to_string(c.month);
        break;
      case '2':
        if (take("2006")) pad(out, c.year, 4);
        else if (take("2")) out += std::to_string(c.day);
        break;
      case '_':
        if (starts(layout, i, "_2") && !starts(layout, i, "_2006")) {
          i += 2;
          pad(out, c.day, 2, ' ');
        } else if (take("__2")) {
          pad(out, c.yday, 3, ' ');
        } else {
          done = false;
        }
        break;
      case '3': ++i; out += std::to_string(c.hour % 12 == 0 ? 12 : c.hour % 12); break;
      case '4': ++i; out += std::to_string(c.minute); break;
      case '5': ++i; out += std::to_string(c.second); break;
      case 'P':
        if (take("PM")) out += c.hour >= 12 ? "PM" : "AM";
        else done = false;
        break;
      case 'p':
        if (take("pm")) out += c.hour >= 12 ? "pm" : "am";
        else done = false;
        break;
      case '-':
        if (take("-07:00:00")) out += "+00:00:00";
        else if (take("-070000")) out += "+000000";
        else if (take("-07:00")) out += "+00:00";
        else if (take("-0700")) out += "+0000";
        else if (take("-07")) out += "+00";
        else done = false;
        break;
      case 'Z':
        if (take("Z07:00:00") || take("Z070000") || take("Z07:00") || take("Z0700") || take("Z07")) out += 'Z';
        else done = false;
        break;
      case '.':
      case ',': {
        // .000 / .999 (fixed / trimmed fractional seconds), only when not followed by a digit.
        std::size_t j = i + 1;
        if (j < layout.size() && (layout[j] == '0' || layout[j] == '9')) {
          const char digit = layout[j];
          while (j < layout.size() && layout[j] == digit) ++j;
          if (j >= layout.size() || layout[j] < '0' || layout[j] > '9') {
            const auto n = j - i - 1;
            std::string frac;
            pad(frac, c.nanos, 9);
            frac.resize(n < 9 ? n : 9);
            if (digit == '9') {
              while (!frac.empty() && frac.back() == '0') frac.pop_back();
              if (!frac.empty()) {
                out += ch;
                out += frac;
              }
            } else {
              out += ch;
              out += frac;
            }
            i = j;
            break;
          }
        }
        done = false;
        break;
      }
      default: done = false;
    }
    if (!done) out += layout[i++];
  }
  return out;
}

// ---- printing (fmt %v) ---------------------------------------------------------------------------

namespace {

void print_to(std::string& out, const value& v, int depth) {
  using k = value::kind;
  switch (v.type()) {
    case k::missing: out += "<no value>"; return;
    case k::nil: out += "<nil>"; return;
    case k::boolean: out += v.as_bool() ? "true" : "false"; return;
    case k::integer: out += std::to_string(v.as_int()); return;
    case k::unsigned_integer: out += std::to_string(v.as_uint()); return;
    case k::floating: out += format_float_v(v.as_double(), v.is_float32()); return;
    case k::string: out += v.as_string(); return;
    case k::status: out += status_name(v.as_int()); return;
    case k::time: out += format_time(v.as_int(), "2006-01-02 15:04:05.999999999 -0700 MST"); return;
    case k::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v.as_array()) {
        if (!first) out += ' ';
        first = false;
        print_to(out, e, depth + 1);
      }
      out += ']';
      return;
    }
    case k::map: {
      out += "map[";
      bool first = true;
      for (const auto& [key, e] : v.as_map()) {
        if (!first) out += ' ';
        first = false;
        out += key;
        out += ':';
        print_to(out, e, depth + 1);
      }
      out += ']';
      return;
    }
    case k::object: {
      out += '{';
      bool first = true;
      for (const auto& f : v.fields()) {
        if (!first) out += ' ';
        first = false;
        print_to(out, f.v, depth + 1);
      }
      out += '}';
      return;
    }
  }
}

bool json_to(std::string& out, const value& v) {
  using k = value::kind;
  switch (v.type()) {
    case k::missing:
    case k::nil: out += "null"; return true;
    case k::boolean: out += v.as_bool() ? "true" : "false"; return true;
    case k::integer: append_json_int(out, v.as_int()); return true;
    case k::unsigned_integer: append_json_uint(out, v.as_uint()); return true;
    case k::floating:
      if (!std::isfinite(v.as_double())) return false;  // Go: UnsupportedValueError
      out += format_float_json(v.as_double(), v.is_float32());
      return true;
    case k::string: append_json_string(out, v.as_string()); return true;
    case k::status: append_json_string(out, status_name(v.as_int())); return true;
    case k::time:
      append_json_string(out, format_time(v.as_int(), "2006-01-02T15:04:05.999999999Z07:00"));
      return true;
    case k::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v.as_array()) {
        if (!first) out += ',';
        first = false;
        if (!json_to(out, e)) return false;
      }
      out += ']';
      return true;
    }
    case k::map: {
      out += '{';
      bool first = true;
      for (const auto& [key, e] : v.as_map()) {
        if (!first) out += ',';
        first = false;
        append_json_string(out, key);
        out += ':';
        if (!json_to(out, e)) return false;
      }
      out += '}';
      return true;
    }
    case k::object: {
      // A type with its own MarshalJSON (Burrow's Lag marshals as its number).
      if (v.fields().size() == 1 && v.fields().front().json_name == "=") return json_to(out, v.fields().front().v);
      out += '{';
      bool first = true;
      for (const auto& f : v.fields()) {
        if (!first) out += ',';
        first = false;
        append_json_string(out, f.json_name);
        out += ':';
        if (!json_to(out, f.v)) return false;
      }
      out += '}';
      return true;
    }
  }
  return false;
}

}  // namespace

std::string print_value(const value& v) {
  std::string out;
  print_to(out, v, 0);
  return out;
}

std::string json_encode(const value& v) {
  std::string out;
  // Burrow's templateJSONEncoder ignores Marshal's error and returns string(nil) = "".
  if (!json_to(out, v)) return {};
  return out;
}

}  // namespace warren::go_template
