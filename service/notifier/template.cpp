// Go text/template subset: lexer, parser and executor (contract in template.hpp). The structure
// follows Go's text/template/parse (lex.go, parse.go) and text/template (exec.go, funcs.go) so
// that positions, scoping and error texts match; where Warren differs it says so.
#include "service/notifier/template.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>
#include <utility>

#include "service/notifier/template_value.hpp"

namespace warren::go_template {

std::string template_error::to_string() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

namespace detail {
namespace {

// ---- lexer (Go lex.go) ---------------------------------------------------------------------------

enum class tok : std::uint8_t {
  text, ldelim, rdelim, space, identifier, keyword, field, variable, dot, string, raw_string, char_constant,
  number, boolean, nil, lparen, rparen, pipe, declare, assign, comma, other_char, eof, error
};

struct token {
  tok type;
  std::size_t pos;
  std::string val;  // text content, identifier, source text of literals, error message
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_alnum(char c) {
  const auto u = static_cast<unsigned char>(c);
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || u >= 0x80;
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }

const std::set<std::string, std::less<>>& keywords() {
  static const std::set<std::string, std::less<>> k{"block", "break", "continue", "define", "else", "end",
                                                    "if",    "range", "template", "with"};
  return k;
}

class lexer {
 public:
  explicit lexer(std::string_view in) : in_(in) {}

  std::vector<token> run() {
    while (!done_) lex_text();
    return std::move(out_);
  }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
  int paren_ = 0;
  bool trim_next_ = false;
  bool done_ = false;
  std::vector<token> out_;

  bool at(std::string_view p) const { return in_.substr(pos_, p.size()) == p; }
  void emit(tok t, std::size_t start, std::string v) { out_.push_back({t, start, std::move(v)}); }
  void error(std::size_t where, std::string msg) {
    emit(tok::error, where, std::move(msg));
    done_ = true;
  }
  // " -}}": a space, the trim marker, the delimiter.
  bool at_right_trim() const {
    return pos_ + 4 <= in_.size() && is_space(in_[pos_]) && in_[pos_ + 1] == '-' && in_.substr(pos_ + 2, 2) == "}}";
  }

  void lex_text() {
    std::size_t start = pos_;
    if (trim_next_) {
      while (pos_ < in_.size() && is_space(in_[pos_])) ++pos_;
      start = pos_;
      trim_next_ = false;
    }
    const auto next = in_.find("{{", pos_);
    const std::size_t end = next == std::string_view::npos ? in_.size() : next;
    std::size_t text_end = end;
    // "{{- ": the delimiter, the trim marker, a space.
    const bool left_trim =
        next != std::string_view::npos && next + 3 < in_.size() && in_[next + 2] == '-' && is_space(in_[next + 3]);
    if (left_trim)
      while (text_end > start && is_space(in_[text_end - 1])) --text_end;
    if (text_end > start) emit(tok::text, start, std::string(in_.substr(start, text_end - start)));
    if (next == std::string_view::npos) {
      pos_ = in_.size();
      emit(tok::eof, pos_, {});
      done_ = true;
      return;
    }
    pos_ = next;
    lex_left_delim(left_trim);
  }

  void lex_left_delim(bool trim) {
    const std::size_t start = pos_;
    pos_ += 2;
    if (trim) pos_ += 2;
    if (at("/*")) {  // comment: {{/* ... */}}, nothing emitted
      const auto close = in_.find("*/", pos_ + 2);
      if (close == std::string_view::npos) return error(start, "unclosed comment");
      pos_ = close + 2;
      if (at_right_trim()) {
        pos_ += 4;
        trim_next_ = true;
      } else if (at("}}")) {
        pos_ += 2;
      } else {
        return error(start, "comment ends before closing delimiter");
      }
      return;
    }
    emit(tok::ldelim, start, "{{");
    paren_ = 0;
    lex_inside_action(start);
  }

  void lex_inside_action(std::size_t action_start) {
    while (!done_) {
      if (at_right_trim() || at("}}")) {
        if (paren_ != 0) return error(pos_, "unclosed left paren");
        const std::size_t start = pos_;
        if (at_right_trim()) {
          pos_ += 4;
          trim_next_ = true;
        } else {
          pos_ += 2;
        }
        emit(tok::rdelim, start, "}}");
        return;
      }
      if (pos_ >= in_.size()) return error(action_start, "unclosed action");
      const char c = in_[pos_];
      const std::size_t start = pos_;
      if (is_space(c)) {
        // Go lexSpace: a space followed by "-}}" belongs to the trim marker.
        while (pos_ < in_.size() && is_space(in_[pos_])) {
          if (at_right_trim()) break;
          ++pos_;
        }
        if (pos_ > start) emit(tok::space, start, std::string(in_.substr(start, pos_ - start)));
        continue;
      }
      switch (c) {
        case '=': ++pos_; emit(tok::assign, start, "="); continue;
        case ':':
          if (pos_ + 1 >= in_.size() || in_[pos_ + 1] != '=') return error(start, "expected :=");
          pos_ += 2;
          emit(tok::declare, start, ":=");
          continue;
        case '|': ++pos_; emit(tok::pipe, start, "|"); continue;
        case '"': lex_quote(); continue;
        case '`': lex_raw_quote(); continue;
        case '\'': lex_char(); continue;
        case '$': lex_field_or_variable(tok::variable); continue;
        case '(': ++pos_; ++paren_; emit(tok::lparen, start, "("); continue;
        case ')':
          ++pos_;
          if (--paren_ < 0) return error(start, "unexpected right paren");
          emit(tok::rparen, start, ")");
          continue;
        case ',': ++pos_; emit(tok::comma, start, ","); continue;
        case '.':
          if (pos_ + 1 < in_.size() && is_digit(in_[pos_ + 1])) {
            lex_number();
            continue;
          }
          lex_field_or_variable(tok::field);
          continue;
        default: break;
      }
      if (c == '+' || c == '-' || is_digit(c)) {
        lex_number();
        continue;
      }
      if (is_alnum(c)) {
        lex_identifier();
        continue;
      }
      if (static_cast<unsigned char>(c) < 0x80 && c >= 0x21 && c <= 0x7e) {
        ++pos_;
        emit(tok::other_char, start, std::string(1, c));
        continue;
      }
      char buf[48];
      std::snprintf(buf, sizeof buf, "unrecognized character in action: U+%04X", static_cast<unsigned char>(c));
      return error(start, buf);
    }
  }

  bool at_terminator() const {
    if (pos_ >= in_.size()) return true;
    const char c = in_[pos_];
    if (is_space(c)) return true;
    switch (c) {
      case '.': case ',': case '|': case ':': case ')': case '(': return true;
      default: break;
    }
    return at("}}");
  }

  void bad_char(std::size_t where) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "bad character U+%04X '%c'", static_cast<unsigned char>(in_[pos_]),
                  in_[pos_] >= 0x20 && in_[pos_] < 0x7f ? in_[pos_] : '?');
    error(where, buf);
  }

  void lex_identifier() {
    const std::size_t start = pos_;
    while (pos_ < in_.size() && is_alnum(in_[pos_])) ++pos_;
    if (!at_terminator()) return bad_char(start);
    std::string word(in_.substr(start, pos_ - start));
    if (keywords().count(word))
      emit(tok::keyword, start, std::move(word));
    else if (word == "true" || word == "false")
      emit(tok::boolean, start, std::move(word));
    else if (word == "nil")
      emit(tok::nil, start, std::move(word));
    else
      emit(tok::identifier, start, std::move(word));
  }

  void lex_field_or_variable(tok t) {
    const std::size_t start = pos_;
    ++pos_;  // '.' or '$'
    if (pos_ >= in_.size() || !is_alnum(in_[pos_])) {
      if (t == tok::variable)
        emit(tok::variable, start, "$");
      else
        emit(tok::dot, start, ".");
      return;
    }
    while (pos_ < in_.size() && is_alnum(in_[pos_])) ++pos_;
    if (!at_terminator()) return bad_char(start);
    emit(t, start, std::string(in_.substr(start, pos_ - start)));
  }

  void lex_quote() {
    const std::size_t start = pos_++;
    while (true) {
      if (pos_ >= in_.size() || in_[pos_] == '\n') return error(start, "unterminated quoted string");
      const char c = in_[pos_++];
      if (c == '\\') {
        if (pos_ >= in_.size() || in_[pos_] == '\n') return error(start, "unterminated quoted string");
        ++pos_;
      } else if (c == '"') {
        break;
      }
    }
    emit(tok::string, start, std::string(in_.substr(start, pos_ - start)));
  }

  void lex_raw_quote() {
    const std::size_t start = pos_++;
    const auto close = in_.find('`', pos_);
    if (close == std::string_view::npos) return error(start, "unterminated raw quoted string");
    pos_ = close + 1;
    emit(tok::raw_string, start, std::string(in_.substr(start, pos_ - start)));
  }

  void lex_char() {
    const std::size_t start = pos_++;
    while (true) {
      if (pos_ >= in_.size() || in_[pos_] == '\n') return error(start, "unterminated character constant");
      const char c = in_[pos_++];
      if (c == '\\') {
        if (pos_ >= in_.size() || in_[pos_] == '\n') return error(start, "unterminated character constant");
        ++pos_;
      } else if (c == '\'') {
        break;
      }
    }
    emit(tok::char_constant, start, std::string(in_.substr(start, pos_ - start)));
  }

  // Go scanNumber: sign, base prefix, digits with '_', fraction, exponent, imaginary 'i'.
  void lex_number() {
    const std::size_t start = pos_;
    auto accept = [&](std::string_view valid) {
      if (pos_ < in_.size() && valid.find(in_[pos_]) != std::string_view::npos) {
        ++pos_;
        return true;
      }
      return false;
    };
    auto accept_run = [&](std::string_view valid) {
      while (pos_ < in_.size() && valid.find(in_[pos_]) != std::string_view::npos) ++pos_;
    };
    accept("+-");
    std::string_view digits = "0123456789_";
    if (accept("0")) {
      if (accept("xX")) digits = "0123456789abcdefABCDEF_";
      else if (accept("oO")) digits = "01234567_";
      else if (accept("bB")) digits = "01_";
    }
    accept_run(digits);
    if (accept(".")) accept_run(digits);
    if (digits.size() == 11 && accept("eE")) {
      accept("+-");
      accept_run("0123456789_");
    }
    if (digits.size() == 23 && accept("pP")) {
      accept("+-");
      accept_run("0123456789_");
    }
    accept("i");
    if (pos_ < in_.size() && is_alnum(in_[pos_])) {
      ++pos_;
      return error(start, "bad number syntax: \"" + std::string(in_.substr(start, pos_ - start)) + "\"");
    }
    emit(tok::number, start, std::string(in_.substr(start, pos_ - start)));
  }
};

// ---- Go literal decoding ---------------------------------------------------------------------------

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

int hex_val(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One (possibly escaped) character of a Go quoted literal starting at s[i]; `quote` is the
// delimiter. Appends to out (bytes for \x and octal, UTF-8 otherwise); returns false on bad syntax.
bool unquote_char(std::string_view s, std::size_t& i, char quote, std::string& out, std::uint32_t* rune = nullptr) {
  if (i >= s.size()) return false;
  const char c = s[i];
  if (c == quote && quote == '\'') return false;
  if (c != '\\') {
    // A whole UTF-8 sequence is one rune.
    const auto u = static_cast<unsigned char>(c);
    std::size_t n = u < 0x80 ? 1 : (u >> 5) == 6 ? 2 : (u >> 4) == 14 ? 3 : (u >> 3) == 30 ? 4 : 1;
    if (i + n > s.size()) n = 1;
    if (rune) {
      std::uint32_t cp = n == 1 ? u : u & (0x3F >> (n - 1));
      for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
      *rune = cp;
    }
    out.append(s.substr(i, n));
    i += n;
    return true;
  }
  if (++i >= s.size()) return false;
  const char e = s[i++];
  std::uint32_t cp = 0;
  switch (e) {
    case 'a': cp = '\a'; break;
    case 'b': cp = '\b'; break;
    case 'f': cp = '\f'; break;
    case 'n': cp = '\n'; break;
    case 'r': cp = '\r'; break;
    case 't': cp = '\t'; break;
    case 'v': cp = '\v'; break;
    case '\\': cp = '\\'; break;
    case '\'':
    case '"':
      if (e != quote) return false;
      cp = static_cast<unsigned char>(e);
      break;
    case 'x':
    case 'u':
    case 'U': {
      const std::size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
      if (i + n > s.size()) return false;
      for (std::size_t k = 0; k < n; ++k) {
        const int h = hex_val(s[i + k]);
        if (h < 0) return false;
        cp = cp * 16 + static_cast<std::uint32_t>(h);
      }
      i += n;
      if (e == 'x') {
        if (rune) *rune = cp;
        out += static_cast<char>(cp);
        return true;
      }
      if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
      break;
    }
    default:
      if (e >= '0' && e <= '7') {
        if (i + 2 > s.size()) return false;
        cp = static_cast<std::uint32_t>(e - '0');
        for (int k = 0; k < 2; ++k) {
          const char d = s[i++];
          if (d < '0' || d > '7') return false;
          cp = cp * 8 + static_cast<std::uint32_t>(d - '0');
        }
        if (cp > 255) return false;
        if (rune) *rune = cp;
        out += static_cast<char>(cp);
        return true;
      }
      return false;
  }
  if (rune) *rune = cp;
  append_utf8(out, cp);
  return true;
}

std::optional<std::string> unquote(std::string_view lit) {
  if (lit.size() < 2) return std::nullopt;
  if (lit.front() == '`') {
    std::string out;
    for (char c : lit.substr(1, lit.size() - 2))
      if (c != '\r') out += c;  // Go drops carriage returns from raw strings
    return out;
  }
  std::string out;
  const std::string_view body = lit.substr(1, lit.size() - 2);
  std::size_t i = 0;
  while (i < body.size())
    if (!unquote_char(body, i, '"', out)) return std::nullopt;
  return out;
}

struct number_lit {
  bool is_int = false, is_uint = false, is_float = false;
  std::int64_t i = 0;
  std::uint64_t u = 0;
  double f = 0;
  std::string text;
  bool float_constant = false;  // idealConstant: prints as float64
};

// Go strconv.ParseUint(s, 0, 64) on the magnitude (no sign): 0x/0o/0b prefixes, a leading 0 is
// octal, '_' only between digits (a base prefix counts as a digit). nullopt on syntax error or
// overflow.
std::optional<std::uint64_t> parse_uint_base0(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int base = 10;
  bool prev_digit = false;
  if (s.size() > 1 && s[0] == '0') {
    const char p = s[1];
    if (p == 'x' || p == 'X') base = 16, s.remove_prefix(2);
    else if (p == 'o' || p == 'O') base = 8, s.remove_prefix(2);
    else if (p == 'b' || p == 'B') base = 2, s.remove_prefix(2);
    else base = 8, s.remove_prefix(1);
    prev_digit = true;
  }
  std::string digits;
  for (char c : s) {
    if (c == '_') {
      if (!prev_digit) return std::nullopt;
      prev_digit = false;
      continue;
    }
    digits += c;
    prev_digit = true;
  }
  if (!prev_digit) return std::nullopt;  // trailing '_'
  if (digits.empty()) {
    if (base == 8) return 0;  // "0" followed by '_'-free nothing cannot happen; "0_" rejected above
    return std::nullopt;      // "0x"
  }
  std::uint64_t v = 0;
  const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
  if (r.ec != std::errc() || r.ptr != digits.data() + digits.size()) return std::nullopt;
  return v;
}

std::optional<double> parse_float(std::string_view s) {
  std::string t;
  for (char c : s)
    if (c != '_') t += c;
  bool neg = false;
  std::string_view v = t;
  if (!v.empty() && (v[0] == '+' || v[0] == '-')) {
    neg = v[0] == '-';
    v.remove_prefix(1);
  }
  double d = 0;
  std::from_chars_result r{};
  if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
    v.remove_prefix(2);
    r = std::from_chars(v.data(), v.data() + v.size(), d, std::chars_format::hex);
  } else {
    r = std::from_chars(v.data(), v.data() + v.size(), d, std::chars_format::general);
  }
  if (r.ec != std::errc() || r.ptr != v.data() + v.size()) return std::nullopt;
  return neg ? -d : d;
}

// Go parse.newNumber; error text on failure.
std::optional<std::string> make_number(const token& t, number_lit& n) {
  n.text = t.val;
  if (t.type == tok::char_constant) {
    std::string tmp;
    std::uint32_t cp = 0;
    std::string_view body(t.val);
    std::size_t i = 1;
    if (!unquote_char(body, i, '\'', tmp, &cp) || i + 1 != body.size())
      return "malformed character constant: " + t.val;
    n.is_int = n.is_uint = n.is_float = true;
    n.i = cp;
    n.u = cp;
    n.f = cp;
    return std::nullopt;
  }
  std::string_view text = t.val;
  if (!text.empty() && text.back() == 'i') return "complex numbers are not supported: " + t.val;
  bool neg = false;
  std::string_view mag = text;
  if (!mag.empty() && (mag[0] == '+' || mag[0] == '-')) {
    neg = mag[0] == '-';
    mag.remove_prefix(1);
  }
  const bool has_sign = mag.size() != text.size();
  if (auto u = parse_uint_base0(mag)) {
    if (!has_sign) {
      n.is_uint = true;
      n.u = *u;
    }
    if (neg ? *u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + 1
            : *u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      n.is_int = true;
      n.i = neg ? static_cast<std::int64_t>(0 - *u) : static_cast<std::int64_t>(*u);
      if (n.i == 0) n.is_uint = true, n.u = 0;
    }
  }
  const bool hex_int = mag.size() > 1 && mag[0] == '0' && (mag[1] == 'x' || mag[1] == 'X') &&
                       mag.find_first_of("pP") == std::string_view::npos;
  if (n.is_int) {
    n.is_float = true;
    n.f = static_cast<double>(n.i);
  } else if (n.is_uint) {
    n.is_float = true;
    n.f = static_cast<double>(n.u);
  } else if (auto f = parse_float(text)) {
    if (text.find_first_of(".eEpP") == std::string_view::npos || hex_int) return "integer overflow: \"" + t.val + "\"";
    n.is_float = true;
    n.f = *f;
    if (std::isfinite(*f) && *f >= -9.2e18 && *f <= 9.2e18 && static_cast<double>(static_cast<std::int64_t>(*f)) == *f) {
      n.is_int = true;
      n.i = static_cast<std::int64_t>(*f);
    }
    if (std::isfinite(*f) && *f >= 0 && *f <= 1.8e19 && static_cast<double>(static_cast<std::uint64_t>(*f)) == *f) {
      n.is_uint = true;
      n.u = static_cast<std::uint64_t>(*f);
    }
  }
  if (!n.is_int && !n.is_uint && !n.is_float) return "illegal number syntax: \"" + t.val + "\"";
  n.float_constant = n.is_float && !hex_int && text.find_first_of(".eEpP") != std::string_view::npos;
  return std::nullopt;
}

}  // namespace

// ---- AST -------------------------------------------------------------------------------------------

enum class arg_kind : std::uint8_t { field, chain, variable, dot, nil, boolean, number, string, identifier, pipe };

struct pipe_node;

struct arg_node {
  arg_kind kind = arg_kind::dot;
  std::size_t pos = 0, end = 0;
  std::vector<std::string> idents;  // field: names; variable: "$x" then fields; chain: fields; identifier: name
  std::unique_ptr<arg_node> base;   // chain: the term
  std::unique_ptr<pipe_node> pipe;  // pipe: parenthesised pipeline
  bool b = false;
  std::string str;
  number_lit num;
};

struct command_node {
  std::size_t pos = 0, end = 0;
  std::vector<arg_node> args;
};

struct pipe_node {
  std::size_t pos = 0, end = 0;
  bool is_assign = false;
  std::vector<std::string> decl;
  std::vector<command_node> cmds;
};

enum class node_kind : std::uint8_t { text, action, if_, range, with, call_template, break_, continue_ };

struct node;
struct list_node {
  std::vector<node> nodes;
};

struct node {
  node_kind kind = node_kind::text;
  std::size_t pos = 0, end = 0;
  std::string text;                 // text; call_template: template name
  std::unique_ptr<pipe_node> pipe;  // action, if, range, with, call_template (may be null)
  std::unique_ptr<list_node> list, else_list;
  bool chained = false;  // if/with: else_list is one if/with node of an "else if"/"else with" chain
};

struct program_data {
  std::string file;
  std::string source;
  std::vector<template_error> warnings;
  std::map<std::string, list_node, std::less<>> templates;  // "" = main
};

namespace {

// Builtin and Burrow function names known at parse time (Go checks them while parsing).
const std::set<std::string, std::less<>>& function_names() {
  static const std::set<std::string, std::less<>> f{
      "and", "call", "html", "index", "slice", "js", "len", "not", "or", "print", "printf", "println", "urlquery",
      "eq", "ge", "gt", "le", "lt", "ne",
      // Burrow helpers.go
      "jsonencoder", "topicsbystatus", "partitioncounts", "add", "minus", "multiply", "divide", "maxlag",
      "formattimestamp"};
  return f;
}

std::pair<std::uint32_t, std::uint32_t> line_col(std::string_view src, std::size_t pos) {
  pos = std::min(pos, src.size());
  std::uint32_t line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < pos; ++i)
    if (src[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  return {line, static_cast<std::uint32_t>(pos - line_start + 1)};
}

struct parse_failure {
  std::size_t pos;
  std::string message;
};

// Go parse.go, recursive descent over the token vector.
class parser {
 public:
  parser(std::vector<token> toks, program_data& prog, const parse_limits& limits)
      : toks_(std::move(toks)), prog_(prog), limits_(limits) {}

  void run() {
    list_node main;
    vars_ = {"$"};
    while (peek().type != tok::eof) {
      if (peek().type == tok::error) fail(peek().pos, peek().val);
      if (peek().type == tok::ldelim) {
        const std::size_t save = i_;
        next();
        const token& kw = next_non_space();
        if (kw.type == tok::keyword && kw.val == "define") {
          parse_definition(kw.pos);
          continue;
        }
        i_ = save;
      }
      node n = text_or_action();
      if (is_end_or_else(n)) fail(n.pos, std::string("unexpected ") + end_else_name(n));
      main.nodes.push_back(std::move(n));
    }
    add_template("", std::move(main), 0);
    for (const auto& [name, where] : calls_)
      if (!prog_.templates.count(name)) fail(where, "no such template \"" + name + "\"");
  }

 private:
  std::vector<token> toks_;
  std::size_t i_ = 0;
  program_data& prog_;
  const parse_limits& limits_;
  std::vector<std::string> vars_;
  int range_depth_ = 0;
  std::uint32_t nesting_ = 0;
  std::vector<std::pair<std::string, std::size_t>> calls_;
  // Markers for {{end}} and {{else}} returned by text_or_action (Go nodeEnd/nodeElse).
  static constexpr node_kind end_marker = static_cast<node_kind>(100);
  static constexpr node_kind else_marker = static_cast<node_kind>(101);

  [[noreturn]] static void fail(std::size_t pos, std::string msg) { throw parse_failure{pos, std::move(msg)}; }

  const token& peek() const { return toks_[std::min(i_, toks_.size() - 1)]; }
  // Past the last token (EOF or error) next() keeps returning it; backup() then returns to it.
  const token& next() {
    const token& t = peek();
    if (i_ < toks_.size()) ++i_;
    return t;
  }
  void backup() {
    if (i_ > 0) --i_;
  }
  const token& next_non_space() {
    while (peek().type == tok::space) next();
    const token& t = next();
    if (t.type == tok::error) fail(t.pos, t.val);
    return t;
  }
  const token& peek_non_space() {
    while (peek().type == tok::space) next();
    if (peek().type == tok::error) fail(peek().pos, peek().val);
    return peek();
  }

  static std::string describe(const token& t) {
    switch (t.type) {
      case tok::eof: return "EOF";
      case tok::keyword: return "<" + t.val + ">";
      case tok::rdelim: return "\"}}\"";
      case tok::ldelim: return "\"{{\"";
      case tok::space: return "space";
      default: break;
    }
    std::string v = t.val.size() > 10 ? t.val.substr(0, 10) + "..." : t.val;
    return "\"" + v + "\"";
  }
  [[noreturn]] static void unexpected(const token& t, std::string_view context) {
    fail(t.pos, "unexpected " + describe(t) + " in " + std::string(context));
  }
  const token& expect(tok type, std::string_view context) {
    const token& t = next_non_space();
    if (t.type != type) unexpected(t, context);
    return t;
  }

  static bool is_end_or_else(const node& n) { return n.kind == end_marker || n.kind == else_marker; }
  static const char* end_else_name(const node& n) { return n.kind == end_marker ? "{{end}}" : "{{else}}"; }

  void enter(std::size_t pos) {
    if (++nesting_ > limits_.max_nesting)
      fail(pos, "template nesting too deep (limit " + std::to_string(limits_.max_nesting) + ")");
  }
  void leave() { --nesting_; }

  void add_template(std::string name, list_node body, std::size_t pos) {
    if (prog_.templates.count(name)) fail(pos, "template: multiple definition of template \"" + name + "\"");
    prog_.templates.emplace(std::move(name), std::move(body));
  }

  std::string template_name(const token& t, std::string_view context) {
    if (t.type != tok::string && t.type != tok::raw_string) unexpected(t, context);
    auto s = unquote(t.val);
    if (!s) fail(t.pos, "invalid syntax in quoted string");
    return *s;
  }

  void parse_definition(std::size_t pos) {
    const std::string name = template_name(next_non_space(), "define clause");
    expect(tok::rdelim, "define clause");
    auto saved = std::move(vars_);
    vars_ = {"$"};
    enter(pos);
    auto [list, end] = item_list();
    leave();
    if (end.kind != end_marker) fail(end.pos, std::string("unexpected ") + end_else_name(end) + " in define clause");
    vars_ = std::move(saved);
    add_template(name, std::move(*list), pos);
  }

  // Go itemList: nodes until {{end}} or {{else}} (returned as the second element).
  std::pair<std::unique_ptr<list_node>, node> item_list() {
    auto list = std::make_unique<list_node>();
    while (peek_non_space().type != tok::eof) {
      node n = text_or_action();
      if (is_end_or_else(n)) return {std::move(list), std::move(n)};
      list->nodes.push_back(std::move(n));
    }
    fail(peek().pos, "unexpected EOF");
  }

  node text_or_action() {
    const token& t = next_non_space();
    if (t.type == tok::text) {
      node n;
      n.kind = node_kind::text;
      n.pos = t.pos;
      n.text = t.val;
      return n;
    }
    if (t.type == tok::ldelim) return action(t.pos);
    unexpected(t, "input");
  }

  node action(std::size_t start) {
    const token& t = next_non_space();
    if (t.type == tok::keyword) {
      const std::string& k = t.val;
      if (k == "block") return block_control(t.pos);
      if (k == "break" || k == "continue") {
        if (range_depth_ == 0) fail(t.pos, "{{" + k + "}} outside {{range}}");
        expect(tok::rdelim, k);
        node n;
        n.kind = k == "break" ? node_kind::break_ : node_kind::continue_;
        n.pos = t.pos;
        return n;
      }
      if (k == "else") {
        const token& p = peek_non_space();
        node n;
        n.kind = else_marker;
        n.pos = t.pos;
        if (p.type == tok::keyword && (p.val == "if" || p.val == "with")) return n;
        expect(tok::rdelim, "else");
        return n;
      }
      if (k == "end") {
        expect(tok::rdelim, "end");
        node n;
        n.kind = end_marker;
        n.pos = t.pos;
        return n;
      }
      if (k == "if") return control(node_kind::if_, "if", t.pos);
      if (k == "range") return control(node_kind::range, "range", t.pos);
      if (k == "with") return control(node_kind::with, "with", t.pos);
      if (k == "template") return template_control(t.pos);
    }
    backup();
    node n;
    n.kind = node_kind::action;
    n.pos = start;
    n.pipe = pipeline("command", tok::rdelim);
    n.end = n.pipe->end;
    return n;
  }

  // Go parseControl. "{{else if}}" / "{{else with}}" chains are built iteratively (one nested
  // control per link, sharing the single {{end}}) so a long chain neither recurses nor counts as
  // nesting. Variables declared anywhere in the chain are visible until its {{end}}, as in Go.
  node control(node_kind kind, const char* context, std::size_t pos) {
    const std::size_t mark = vars_.size();
    enter(pos);
    node root;
    node* cur = &root;
    while (true) {
      cur->kind = kind;
      cur->pos = pos;
      cur->pipe = pipeline(context, tok::rdelim);
      if (kind == node_kind::range) ++range_depth_;
      auto [list, next_node] = item_list();
      if (kind == node_kind::range) --range_depth_;
      cur->list = std::move(list);
      if (next_node.kind != else_marker) break;
      const token& p = peek_non_space();
      if ((kind == node_kind::if_ && p.type == tok::keyword && p.val == "if") ||
          (kind == node_kind::with && p.type == tok::keyword && p.val == "with")) {
        pos = next().pos;
        cur->else_list = std::make_unique<list_node>();
        cur->else_list->nodes.emplace_back();
        cur->chained = true;
        cur = &cur->else_list->nodes.back();
        continue;
      }
      auto [else_list, end] = item_list();
      if (end.kind != end_marker) fail(end.pos, std::string("expected end; found ") + end_else_name(end));
      cur->else_list = std::move(else_list);
      break;
    }
    leave();
    vars_.resize(mark);
    return root;
  }

  node template_control(std::size_t pos) {
    node n;
    n.kind = node_kind::call_template;
    n.pos = pos;
    const token& name_tok = next_non_space();
    n.text = template_name(name_tok, "template clause");
    calls_.emplace_back(n.text, name_tok.pos);
    if (next_non_space().type != tok::rdelim) {
      backup();
      n.pipe = pipeline("template clause", tok::rdelim);
    }
    return n;
  }

  node block_control(std::size_t pos) {
    node n;
    n.kind = node_kind::call_template;
    n.pos = pos;
    const token& name_tok = next_non_space();
    n.text = template_name(name_tok, "block clause");
    n.pipe = pipeline("block clause", tok::rdelim);
    auto saved = std::move(vars_);
    vars_ = {"$"};
    enter(pos);
    auto [list, end] = item_list();
    leave();
    if (end.kind != end_marker) fail(end.pos, std::string("unexpected ") + end_else_name(end) + " in block clause");
    vars_ = std::move(saved);
    add_template(n.text, std::move(*list), pos);
    return n;
  }

  std::unique_ptr<pipe_node> pipeline(const char* context, tok end) {
    auto pipe = std::make_unique<pipe_node>();
    pipe->pos = peek_non_space().pos;
    const std::string_view ctx(context);
  decls:
    if (peek_non_space().type == tok::variable) {
      const std::size_t var_index = i_;
      const token v = next();
      const bool space_after = peek().type == tok::space;
      const token& n = peek_non_space();
      if (n.type == tok::assign || n.type == tok::declare) {
        pipe->is_assign = n.type == tok::assign;
        next_non_space();
        if (pipe->is_assign) {
          if (std::find(vars_.begin(), vars_.end(), v.val) == vars_.end())
            fail(v.pos, "undefined variable \"" + v.val + "\"");
        }
        pipe->decl.push_back(v.val);
        if (!pipe->is_assign) vars_.push_back(v.val);
      } else if (n.type == tok::comma) {
        next_non_space();
        pipe->decl.push_back(v.val);
        vars_.push_back(v.val);
        if (ctx == "range" && pipe->decl.size() < 2) {
          const token& p = peek_non_space();
          if (p.type == tok::variable || p.type == tok::rdelim || p.type == tok::rparen) goto decls;
          fail(p.pos, "range can only initialize variables");
        }
        fail(v.pos, "too many declarations in " + std::string(ctx));
      } else {
        (void)space_after;
        i_ = var_index;  // an operand, not a declaration
      }
    }
    while (true) {
      const token& t = next_non_space();
      if (t.type == end) {
        pipe->end = t.pos + t.val.size();
        check_pipeline(*pipe, ctx, t.pos);
        return pipe;
      }
      switch (t.type) {
        case tok::boolean: case tok::char_constant: case tok::dot: case tok::field: case tok::identifier:
        case tok::number: case tok::nil: case tok::raw_string: case tok::string: case tok::variable:
        case tok::lparen:
          backup();
          pipe->cmds.push_back(command());
          break;
        default:
          unexpected(t, ctx);
      }
    }
  }

  static void check_pipeline(const pipe_node& pipe, std::string_view ctx, std::size_t pos) {
    if (pipe.cmds.empty()) fail(pos, "missing value for " + std::string(ctx));
    for (std::size_t i = 1; i < pipe.cmds.size(); ++i) {
      switch (pipe.cmds[i].args.front().kind) {
        case arg_kind::boolean: case arg_kind::dot: case arg_kind::nil: case arg_kind::number: case arg_kind::string:
          fail(pipe.cmds[i].pos, "non executable command in pipeline stage " + std::to_string(i + 1));
        default: break;
      }
    }
  }

  command_node command() {
    command_node cmd;
    cmd.pos = peek_non_space().pos;
    while (true) {
      peek_non_space();
      if (auto op = operand()) cmd.args.push_back(std::move(*op));
      const token& t = next();
      if (t.type == tok::space) continue;
      if (t.type == tok::error) fail(t.pos, t.val);
      if (t.type == tok::rdelim || t.type == tok::rparen) {
        backup();
      } else if (t.type != tok::pipe) {
        unexpected(t, "operand");
      }
      break;
    }
    if (cmd.args.empty()) fail(cmd.pos, "empty command");
    cmd.end = cmd.args.back().end;
    return cmd;
  }

  void warn_id(const std::vector<std::string>& idents, std::size_t first_field, std::size_t pos) {
    if (idents.size() > first_field && idents[first_field] == "Id") {
      const auto [line, col] = line_col(prog_.source, pos);
      prog_.warnings.push_back({prog_.file, line, col,
                                "`.Id` is not a Burrow field (it is `.ID`; Burrow's shipped default-http-delete.tmpl "
                                "has this bug and fails at every send): Warren reads it as `.ID` — please write `.ID`"});
    }
  }

  std::optional<arg_node> operand() {
    auto term_node = term();
    if (!term_node) return std::nullopt;
    if (peek().type == tok::field) {
      std::vector<std::string> fields;
      std::size_t end = term_node->end;
      while (peek().type == tok::field) {
        const token& f = next();
        fields.push_back(f.val.substr(1));
        end = f.pos + f.val.size();
      }
      switch (term_node->kind) {
        case arg_kind::field:
        case arg_kind::variable:
          for (auto& f : fields) term_node->idents.push_back(std::move(f));
          term_node->end = end;
          if (term_node->kind == arg_kind::variable && term_node->idents.front() == "$")
            warn_id(term_node->idents, 1, term_node->pos);
          break;
        case arg_kind::boolean: case arg_kind::string: case arg_kind::number: case arg_kind::nil: case arg_kind::dot:
        {
          // Go: errorf("unexpected . after term %q", node.String())
          std::string q = "\"";
          for (char ch : prog_.source.substr(term_node->pos, term_node->end - term_node->pos)) {
            if (ch == '"' || ch == '\\') q += '\\';
            q += ch;
          }
          fail(term_node->pos, "unexpected . after term " + q + "\"");
        }
        default: {
          arg_node chain;
          chain.kind = arg_kind::chain;
          chain.pos = term_node->pos;
          chain.end = end;
          chain.idents = std::move(fields);
          chain.base = std::make_unique<arg_node>(std::move(*term_node));
          return chain;
        }
      }
    }
    if (term_node->kind == arg_kind::field) warn_id(term_node->idents, 0, term_node->pos);
    return term_node;
  }

  std::optional<arg_node> term() {
    const token& t = next_non_space();
    arg_node a;
    a.pos = t.pos;
    a.end = t.pos + t.val.size();
    switch (t.type) {
      case tok::identifier:
        if (!function_names().count(t.val)) fail(t.pos, "function \"" + t.val + "\" not defined");
        a.kind = arg_kind::identifier;
        a.idents = {t.val};
        return a;
      case tok::dot: a.kind = arg_kind::dot; return a;
      case tok::nil: a.kind = arg_kind::nil; return a;
      case tok::variable:
        if (std::find(vars_.begin(), vars_.end(), t.val) == vars_.end())
          fail(t.pos, "undefined variable \"" + t.val + "\"");
        a.kind = arg_kind::variable;
        a.idents = {t.val};
        return a;
      case tok::field:
        a.kind = arg_kind::field;
        a.idents = {t.val.substr(1)};
        return a;
      case tok::boolean: a.kind = arg_kind::boolean; a.b = t.val == "true"; return a;
      case tok::char_constant:
      case tok::number:
        a.kind = arg_kind::number;
        if (auto err = make_number(t, a.num)) fail(t.pos, *err);
        return a;
      case tok::lparen: {
        enter(t.pos);
        a.kind = arg_kind::pipe;
        a.pipe = pipeline("parenthesized pipeline", tok::rparen);
        a.end = a.pipe->end;
        leave();
        return a;
      }
      case tok::string:
      case tok::raw_string: {
        auto s = unquote(t.val);
        if (!s) fail(t.pos, "invalid syntax in quoted string");
        a.kind = arg_kind::string;
        a.str = std::move(*s);
        return a;
      }
      default:
        backup();
        return std::nullopt;
    }
  }
};

}  // namespace
}  // namespace detail

// ---- executor (Go exec.go, funcs.go) -----------------------------------------------------------------

namespace {

using detail::arg_kind;
using detail::arg_node;
using detail::command_node;
using detail::list_node;
using detail::node;
using detail::node_kind;
using detail::pipe_node;
using detail::program_data;
using vk = value::kind;

struct exec_failure {
  template_error error;
};
struct output_full {};

enum class flow : std::uint8_t { normal, break_, continue_ };

// Go basicKind classes for comparisons.
enum class basic : std::uint8_t { invalid, boolean, integer, unsigned_integer, floating, string, other };
basic basic_kind(const value& v) {
  switch (v.type()) {
    case vk::boolean: return basic::boolean;
    case vk::integer:
    case vk::status: return basic::integer;
    case vk::unsigned_integer: return basic::unsigned_integer;
    case vk::floating: return basic::floating;
    case vk::string: return basic::string;
    case vk::missing:
    case vk::nil: return basic::invalid;
    default: return basic::other;
  }
}

// Go isTrue.
bool truth(const value& v) {
  switch (v.type()) {
    case vk::missing:
    case vk::nil: return false;
    case vk::boolean: return v.as_bool();
    case vk::integer:
    case vk::status: return v.as_int() != 0;
    case vk::unsigned_integer: return v.as_uint() != 0;
    case vk::floating: return v.as_double() != 0;
    case vk::string: return !v.as_string().empty();
    case vk::array: return !v.as_array().empty();
    case vk::map: return !v.as_map().empty();
    case vk::time:
    case vk::object: return true;
  }
  return false;
}

// ---- fmt -----------------------------------------------------------------------------------------

bool valid_utf8_at(std::string_view s, std::size_t i, std::size_t& n, std::uint32_t& cp) {
  const auto u = static_cast<unsigned char>(s[i]);
  if (u < 0x80) {
    n = 1;
    cp = u;
    return true;
  }
  n = (u >> 5) == 6 ? 2 : (u >> 4) == 14 ? 3 : (u >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return false;
  cp = u & (0x3F >> (n - 1));
  for (std::size_t k = 1; k < n; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return false;
    cp = (cp << 6) | (c & 0x3F);
  }
  static constexpr std::uint32_t mins[] = {0, 0, 0x80, 0x800, 0x10000};
  return cp >= mins[n] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
}

// Go strconv.Quote (ASCII-only escaping when `ascii`, i.e. %+q). Non-ASCII runes are treated as
// printable (Go consults unicode.IsPrint).
std::string go_quote(std::string_view s, bool ascii) {
  std::string out = "\"";
  char buf[16];
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = 1;
    std::uint32_t cp = 0;
    if (!valid_utf8_at(s, i, n, cp)) {
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(s[i]));
      out += buf;
      ++i;
      continue;
    }
    switch (cp) {
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\v': out += "\\v"; break;
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      default:
        if (cp < 0x20 || cp == 0x7f) {
          std::snprintf(buf, sizeof buf, "\\x%02x", cp);
          out += buf;
        } else if (cp >= 0x80 && ascii) {
          std::snprintf(buf, sizeof buf, cp > 0xFFFF ? "\\U%08x" : "\\u%04x", cp);
          out += buf;
        } else {
          out.append(s.substr(i, n));
        }
    }
    i += n;
  }
  out += '"';
  return out;
}

struct fmt_spec {
  bool minus = false, plus = false, sharp = false, space = false, zero = false;
  int width = -1, prec = -1;
  char verb = 'v';
};

void pad_to(std::string& out, std::string s, const fmt_spec& f, bool numeric) {
  if (f.width < 0 || static_cast<int>(s.size()) >= f.width) {
    out += s;
    return;
  }
  const std::size_t n = static_cast<std::size_t>(f.width) - s.size();
  if (f.minus) {
    out += s;
    out.append(n, ' ');
  } else if (f.zero && numeric) {
    std::size_t sign = (!s.empty() && (s[0] == '-' || s[0] == '+' || s[0] == ' ')) ? 1 : 0;
    out.append(s, 0, sign);
    out.append(n, '0');
    out.append(s, sign);
  } else {
    out.append(n, ' ');
    out += s;
  }
}

void bad_verb(std::string& out, char verb, const value& v) {
  out += "%!";
  out += verb;
  out += '(';
  if (v.type() == vk::nil || v.type() == vk::missing) {
    out += "<nil>";
  } else {
    out += v.go_type();
    out += '=';
    out += print_value(v);
  }
  out += ')';
}

std::string int_digits(std::uint64_t mag, unsigned base, bool upper) {
  if (mag == 0) return "0";
  const char* d = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string s;
  while (mag) {
    s += d[mag % base];
    mag /= base;
  }
  std::reverse(s.begin(), s.end());
  return s;
}

void fmt_integer(std::string& out, bool neg, std::uint64_t mag, const fmt_spec& f, const value& v) {
  std::string s;
  switch (f.verb) {
    case 'd': case 'v': s = int_digits(mag, 10, false); break;
    case 'b': s = int_digits(mag, 2, false); break;
    case 'o': case 'O': s = int_digits(mag, 8, false); break;
    case 'x': s = int_digits(mag, 16, false); break;
    case 'X': s = int_digits(mag, 16, true); break;
    case 'c': case 'q': case 'U': {
      const std::uint32_t cp = mag > 0x10FFFF || neg ? 0xFFFD : static_cast<std::uint32_t>(mag);
      std::string r;
      detail::append_utf8(r, cp);
      if (f.verb == 'c') s = r;
      else if (f.verb == 'q') {
        s = go_quote(r, f.plus);
        s.front() = '\'';
        s.back() = '\'';
        if (s == "'\\\"'") s = "'\"'";
        if (s == "'''") s = "'\\''";
      } else {
        char buf[24];
        std::snprintf(buf, sizeof buf, "U+%04X", cp);
        s = buf;
      }
      pad_to(out, s, f, false);
      return;
    }
    default: bad_verb(out, f.verb, v); return;
  }
  if (f.prec >= 0) {
    if (f.prec == 0 && mag == 0) s.clear();
    while (static_cast<int>(s.size()) < f.prec) s.insert(s.begin(), '0');
  }
  if (f.sharp) {
    if (f.verb == 'x') s = "0x" + s;
    else if (f.verb == 'X') s = "0X" + s;
    else if (f.verb == 'o' && (s.empty() || s[0] != '0')) s = "0" + s;
    else if (f.verb == 'b') s = "0b" + s;
  }
  if (f.verb == 'O') s = "0o" + s;
  if (neg) s = "-" + s;
  else if (f.plus) s = "+" + s;
  else if (f.space) s = " " + s;
  pad_to(out, s, f, f.prec < 0);
}

void fmt_float(std::string& out, double d, bool f32, const fmt_spec& f, const value& v) {
  std::string s;
  char buf[512];
  const char verb = f.verb;
  if (!std::isfinite(d)) {
    s = std::isnan(d) ? "NaN" : d > 0 ? (f.plus ? "+Inf" : "Inf") : "-Inf";
    if (std::isnan(d) && f.plus) s = "+NaN";
    fmt_spec g = f;
    g.zero = false;
    pad_to(out, s, g, false);
    return;
  }
  const int prec = std::min(f.prec, 300);
  switch (verb) {
    case 'v':
    case 'g':
    case 'G':
      if (prec < 0) {
        s = format_float_v(d, f32);
        if (verb == 'G')
          for (auto& c : s)
            if (c == 'e') c = 'E';
      } else {
        std::snprintf(buf, sizeof buf, verb == 'G' ? "%.*G" : "%.*g", prec == 0 ? 1 : prec, d);
        s = buf;
      }
      break;
    case 'e':
    case 'E':
      std::snprintf(buf, sizeof buf, verb == 'e' ? "%.*e" : "%.*E", prec < 0 ? 6 : prec, d);
      s = buf;
      break;
    case 'f':
    case 'F':
      if (std::fabs(d) >= 1e300) {
        std::snprintf(buf, sizeof buf, "%.*e", prec < 0 ? 6 : prec, d);
      } else {
        std::snprintf(buf, sizeof buf, "%.*f", prec < 0 ? 6 : prec, d);
      }
      s = buf;
      break;
    default: bad_verb(out, verb, v); return;
  }
  if (s[0] != '-') {
    if (f.plus) s = "+" + s;
    else if (f.space) s = " " + s;
  }
  pad_to(out, s, f, true);
}

void fmt_value(std::string& out, const value& v, const fmt_spec& f);

void fmt_string(std::string& out, std::string s, const fmt_spec& f, const value& v) {
  if (f.prec >= 0) {
    // Precision truncates to that many runes.
    std::size_t i = 0;
    int runes = 0;
    while (i < s.size() && runes < f.prec) {
      std::size_t n = 1;
      std::uint32_t cp = 0;
      if (!valid_utf8_at(s, i, n, cp)) n = 1;
      i += n;
      ++runes;
    }
    s.resize(i);
  }
  switch (f.verb) {
    case 'v': case 's': break;
    case 'q': s = go_quote(s, f.plus); break;
    case 'x': case 'X': {
      std::string h;
      for (std::size_t k = 0; k < s.size(); ++k) {
        if (f.space && k) h += ' ';
        if (f.sharp && (k == 0 || f.space)) h += f.verb == 'x' ? "0x" : "0X";
        char b[4];
        std::snprintf(b, sizeof b, f.verb == 'x' ? "%02x" : "%02X", static_cast<unsigned char>(s[k]));
        h += b;
      }
      s = h;
      break;
    }
    default: bad_verb(out, f.verb, v); return;
  }
  pad_to(out, s, f, false);
}

void fmt_value(std::string& out, const value& v, const fmt_spec& f) {
  switch (v.type()) {
    case vk::missing:
    case vk::nil:
      if (f.verb == 'v') pad_to(out, "<nil>", f, false);
      else bad_verb(out, f.verb, v);
      return;
    case vk::boolean:
      if (f.verb == 'v' || f.verb == 't') pad_to(out, v.as_bool() ? "true" : "false", f, false);
      else bad_verb(out, f.verb, v);
      return;
    case vk::status:
      // A Stringer: String() for %v %s %q %x %X; the int for the others.
      if (f.verb == 'v' || f.verb == 's' || f.verb == 'q' || f.verb == 'x' || f.verb == 'X')
        return fmt_string(out, std::string(status_name(v.as_int())), f, v);
      [[fallthrough]];
    case vk::integer: {
      const auto i = v.as_int();
      const bool neg = i < 0;
      const std::uint64_t mag = neg ? 0 - static_cast<std::uint64_t>(i) : static_cast<std::uint64_t>(i);
      return fmt_integer(out, neg, mag, f, v);
    }
    case vk::unsigned_integer: return fmt_integer(out, false, v.as_uint(), f, v);
    case vk::floating: return fmt_float(out, v.as_double(), v.is_float32(), f, v);
    case vk::string: return fmt_string(out, v.as_string(), f, v);
    case vk::time:
      if (f.verb == 'v' || f.verb == 's' || f.verb == 'q')
        return fmt_string(out, print_value(v), f, v);
      bad_verb(out, f.verb, v);
      return;
    case vk::array: {
      if (f.verb == 's' || f.verb == 'v' || f.verb == 'd' || f.verb == 'q' || f.verb == 'x' || f.verb == 'X') {
        out += '[';
        bool first = true;
        for (const auto& e : v.as_array()) {
          if (!first) out += ' ';
          first = false;
          fmt_value(out, e, f);
        }
        out += ']';
        return;
      }
      bad_verb(out, f.verb, v);
      return;
    }
    case vk::map:
    case vk::object:
      if (f.verb == 'v' || f.verb == 's') {
        pad_to(out, print_value(v), f, false);
        return;
      }
      bad_verb(out, f.verb, v);
      return;
  }
}

bool is_digit_char(char c) { return c >= '0' && c <= '9'; }

// Go fmt.Sprintf for the verbs templates use (see template.hpp).
// nullopt when the result would exceed `cap` bytes.
std::optional<std::string> sprintf_go(std::string_view format, const std::vector<value>& args, std::size_t cap) {
  std::string out;
  std::size_t argi = 0;
  for (std::size_t i = 0; i < format.size();) {
    if (out.size() > cap) return std::nullopt;
    const char c = format[i];
    if (c != '%') {
      out += c;
      ++i;
      continue;
    }
    ++i;
    fmt_spec f;
    for (; i < format.size(); ++i) {
      const char fl = format[i];
      if (fl == '-') f.minus = true, f.zero = false;
      else if (fl == '+') f.plus = true;
      else if (fl == '#') f.sharp = true;
      else if (fl == ' ') f.space = true;
      else if (fl == '0') f.zero = !f.minus;
      else break;
    }
    auto read_num = [&](int& target) {
      if (i < format.size() && format[i] == '*') {
        ++i;
        if (argi < args.size() && (args[argi].type() == vk::integer)) {
          target = static_cast<int>(std::clamp<std::int64_t>(args[argi].as_int(), -1000000, 1000000));
          if (target < 0 && &target == &f.width) f.minus = true, target = -target;
          ++argi;
        } else {
          out += "%!(BADWIDTH)";
          ++argi;
        }
        return;
      }
      int n = 0;
      bool any = false;
      while (i < format.size() && is_digit_char(format[i])) {
        n = std::min(n * 10 + (format[i] - '0'), 1000000);
        ++i;
        any = true;
      }
      if (any) target = n;
    };
    read_num(f.width);
    if (i < format.size() && format[i] == '.') {
      ++i;
      f.prec = 0;
      read_num(f.prec);
    }
    if (i >= format.size()) {
      out += "%!(NOVERB)";
      break;
    }
    f.verb = format[i++];
    if (f.width > 65536) f.width = 65536;
    if (f.prec > 65536) f.prec = 65536;
    if (f.verb == '%') {
      out += '%';
      continue;
    }
    if (argi >= args.size()) {
      out += "%!";
      out += f.verb;
      out += "(MISSING)";
      continue;
    }
    if (f.verb == 'T') {
      pad_to(out, args[argi++].go_type(), f, false);
      continue;
    }
    if (f.plus && f.verb == 'v') f.plus = false;  // %+v: field names; Warren prints as %v
    fmt_value(out, args[argi++], f);
  }
  if (argi < args.size()) {
    out += "%!(EXTRA ";
    for (std::size_t k = argi; k < args.size(); ++k) {
      if (k > argi) out += ", ";
      const auto& a = args[k];
      if (a.type() == vk::nil || a.type() == vk::missing) out += "<nil>";
      else out += a.go_type() + "=" + print_value(a);
    }
    out += ')';
  }
  if (out.size() > cap) return std::nullopt;
  return out;
}

bool is_string_arg(const value& v) { return v.type() == vk::string; }

// Go fmt.Sprint: spaces between operands when neither is a string.
std::string sprint_go(const std::vector<value>& args) {
  std::string out;
  for (std::size_t k = 0; k < args.size(); ++k) {
    if (k > 0 && !is_string_arg(args[k]) && !is_string_arg(args[k - 1])) out += ' ';
    out += args[k].type() == vk::missing ? "<nil>" : print_value(args[k]);
  }
  return out;
}

std::string sprintln_go(const std::vector<value>& args) {
  std::string out;
  for (std::size_t k = 0; k < args.size(); ++k) {
    if (k > 0) out += ' ';
    out += args[k].type() == vk::missing ? "<nil>" : print_value(args[k]);
  }
  out += '\n';
  return out;
}

// Go funcs.go evalArgs: one string argument as is, otherwise fmt.Sprint of all.
std::string eval_args_string(const std::vector<value>& args) {
  if (args.size() == 1 && args[0].type() == vk::string) return args[0].as_string();
  return sprint_go(args);
}

// Go template.HTMLEscapeString.
std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '\0': out += "\xEF\xBF\xBD"; break;
      default: out += c;
    }
  }
  return out;
}

// Go template.JSEscapeString.
std::string js_escape(std::string_view s) {
  std::string out;
  char buf[16];
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x80) {
      switch (c) {
        case '\\': out += "\\\\"; break;
        case '\'': out += "\\'"; break;
        case '"': out += "\\\""; break;
        case '<': out += "\\u003C"; break;
        case '>': out += "\\u003E"; break;
        case '&': out += "\\u0026"; break;
        case '=': out += "\\u003D"; break;
        default:
          if (u < 0x20) {
            std::snprintf(buf, sizeof buf, "\\u%04X", u);
            out += buf;
          } else {
            out += c;
          }
      }
      ++i;
      continue;
    }
    std::size_t n = 1;
    std::uint32_t cp = 0;
    if (!valid_utf8_at(s, i, n, cp)) {
      out += "\\uFFFD";
      ++i;
      continue;
    }
    out.append(s.substr(i, n));
    i += n;
  }
  return out;
}

// Go url.QueryEscape.
std::string query_escape(std::string_view s) {
  std::string out;
  char buf[8];
  for (char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out += c;
    } else if (c == ' ') {
      out += '+';
    } else {
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
      out += buf;
    }
  }
  return out;
}

// ---- executor --------------------------------------------------------------------------------------

class executor {
 public:
  executor(const program_data& prog, const render_limits& limits, std::string& out)
      : prog_(prog), limits_(limits), out_(out) {}

  void run(std::string_view name, const list_node& body, const value& data) {
    name_ = name;
    vars_.clear();
    vars_.emplace_back("$", data);
    walk_list(data, body);
  }

  template_error error_at(std::size_t pos, std::size_t end, const std::string& msg) const {
    const auto [line, col] = detail::line_col(prog_.source, pos);
    const std::size_t p = std::min(pos, prog_.source.size());
    const std::size_t e = std::min(std::max(end, p), prog_.source.size());
    std::string ctx = prog_.source.substr(p, e - p);
    if (ctx.size() > 20) ctx = ctx.substr(0, 20) + "...";
    std::string m = "executing \"" + std::string(name_.empty() ? prog_.file : std::string(name_)) + "\"";
    if (!ctx.empty()) m += " at <" + ctx + ">";
    m += ": " + msg;
    return {prog_.file, line, col, std::move(m)};
  }

 private:
  const program_data& prog_;
  const render_limits& limits_;
  std::string& out_;
  std::string_view name_;
  std::vector<std::pair<std::string, value>> vars_;
  std::uint32_t depth_ = 0;
  std::uint64_t steps_ = 0;
  std::uint64_t iterations_ = 0;
  std::size_t at_pos_ = 0, at_end_ = 0;

  [[noreturn]] void fail(const std::string& msg) const { throw exec_failure{error_at(at_pos_, at_end_, msg)}; }
  void at(std::size_t pos, std::size_t end) {
    at_pos_ = pos;
    at_end_ = end;
  }
  void step() {
    if (++steps_ > limits_.max_steps)
      fail("template exceeded the step limit (" + std::to_string(limits_.max_steps) + " evaluations)");
  }
  void write(std::string_view s) {
    if (out_.size() + s.size() > limits_.max_output_bytes) {
      out_.append(s.substr(0, limits_.max_output_bytes - out_.size()));
      fail("output exceeds the limit of " + std::to_string(limits_.max_output_bytes) + " bytes");
    }
    out_.append(s);
  }

  struct depth_guard {
    executor& e;
    explicit depth_guard(executor& ex) : e(ex) {
      if (++e.depth_ > e.limits_.max_depth)
        e.fail("exceeded maximum template depth (" + std::to_string(e.limits_.max_depth) + ")");
    }
    ~depth_guard() { --e.depth_; }
    depth_guard(const depth_guard&) = delete;
    depth_guard& operator=(const depth_guard&) = delete;
  };

  flow walk_list(const value& dot, const list_node& list) {
    for (const auto& n : list.nodes) {
      const flow f = walk(dot, n);
      if (f != flow::normal) return f;
    }
    return flow::normal;
  }

  flow walk(const value& dot, const node& n) {
    step();
    switch (n.kind) {
      case node_kind::text: write(n.text); return flow::normal;
      case node_kind::action: {
        const value v = eval_pipeline(dot, *n.pipe);
        if (n.pipe->decl.empty()) write(print_value(v));
        return flow::normal;
      }
      case node_kind::if_:
      case node_kind::with: {
        depth_guard g(*this);
        const std::size_t mark = vars_.size();
        flow f = flow::normal;
        for (const node* cur = &n;;) {
          step();
          const value v = eval_pipeline(dot, *cur->pipe);
          if (truth(v)) {
            f = walk_list(cur->kind == node_kind::with ? v : dot, *cur->list);
          } else if (cur->chained) {
            cur = &cur->else_list->nodes.front();
            continue;
          } else if (cur->else_list) {
            f = walk_list(dot, *cur->else_list);
          }
          break;
        }
        vars_.resize(mark);
        return f;
      }
      case node_kind::range: return walk_range(dot, n);
      case node_kind::call_template: {
        const auto it = prog_.templates.find(n.text);
        at(n.pos, n.pos);
        if (it == prog_.templates.end()) fail("template \"" + n.text + "\" not defined");
        const value new_dot = n.pipe ? eval_pipeline(dot, *n.pipe) : value::nil();
        depth_guard g(*this);
        auto saved_vars = std::move(vars_);
        const auto saved_name = name_;
        vars_.clear();
        vars_.emplace_back("$", new_dot);
        name_ = it->first;
        walk_list(new_dot, it->second);
        vars_ = std::move(saved_vars);
        name_ = saved_name;
        return flow::normal;
      }
      case node_kind::break_: return flow::break_;
      case node_kind::continue_: return flow::continue_;
    }
    return flow::normal;
  }

  flow walk_range(const value& dot, const node& n) {
    depth_guard g(*this);
    const std::size_t outer = vars_.size();
    const value v = eval_pipeline(dot, *n.pipe);
    const pipe_node& p = *n.pipe;
    const std::size_t mark = vars_.size();
    auto one = [&](const value& index, const value& elem) {
      if (++iterations_ > limits_.max_range_iterations) {
        at(n.pos, n.pos);
        fail("range exceeded the iteration limit (" + std::to_string(limits_.max_range_iterations) + ")");
      }
      if (!p.decl.empty()) {
        if (p.is_assign) {
          set_var(p.decl[0], p.decl.size() > 1 ? index : elem);
          if (p.decl.size() > 1) set_var(p.decl[1], elem);
        } else {
          vars_[vars_.size() - 1].second = elem;
          if (p.decl.size() > 1) vars_[vars_.size() - 2].second = index;
        }
      }
      const flow f = walk_list(elem, *n.list);
      vars_.resize(mark);
      return f;
    };
    bool ran = false;
    switch (v.type()) {
      case vk::array:
        for (std::size_t i = 0; i < v.as_array().size(); ++i) {
          ran = true;
          if (one(value::integer(static_cast<std::int64_t>(i)), v.as_array()[i]) == flow::break_) break;
        }
        break;
      case vk::map:
        for (const auto& [k, e] : v.as_map()) {
          ran = true;
          if (one(value::string(k), e) == flow::break_) break;
        }
        break;
      case vk::integer:  // Go 1.22: range over an int
        for (std::int64_t i = 0; i < v.as_int(); ++i) {
          ran = true;
          if (one(value::integer(i), value::integer(i)) == flow::break_) break;
        }
        break;
      case vk::missing:
      case vk::nil: break;  // Go: an invalid value (nil map...) is not an error
      default:
        at(n.pos, n.pos);
        fail("range can't iterate over " + print_value(v));
    }
    if (!ran && n.else_list) walk_list(dot, *n.else_list);
    vars_.resize(outer);
    return flow::normal;
  }

  void set_var(const std::string& name, const value& v) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it)
      if (it->first == name) {
        it->second = v;
        return;
      }
    fail("undefined variable: " + name);
  }
  const value& var_value(const std::string& name) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it)
      if (it->first == name) return it->second;
    fail("undefined variable: " + name);
  }

  value eval_pipeline(const value& dot, const pipe_node& p) {
    std::optional<value> final;
    value v;
    for (const auto& cmd : p.cmds) {
      v = eval_command(dot, cmd, final);
      final = v;
    }
    for (const auto& d : p.decl) {
      if (p.is_assign)
        set_var(d, v);
      else
        vars_.emplace_back(d, v);
    }
    return v;
  }

  void not_a_function(const command_node& cmd, const std::optional<value>& final) {
    if (cmd.args.size() > 1 || final) {
      at(cmd.args[0].pos, cmd.args[0].end);
      fail("can't give argument to non-function " + src(cmd.args[0]));
    }
  }
  std::string src(const arg_node& a) const { return prog_.source.substr(a.pos, a.end - a.pos); }

  value eval_command(const value& dot, const command_node& cmd, const std::optional<value>& final) {
    step();
    const arg_node& first = cmd.args.front();
    switch (first.kind) {
      case arg_kind::field:
        at(first.pos, first.end);
        return eval_field_chain(dot, dot, first, first.idents, 0, &cmd, final);
      case arg_kind::chain: {
        const value base = eval_arg(dot, *first.base);
        at(first.pos, first.end);
        return eval_field_chain(dot, base, first, first.idents, 0, &cmd, final);
      }
      case arg_kind::identifier: return eval_function(dot, first, &cmd, final);
      case arg_kind::pipe:
        not_a_function(cmd, final);
        return eval_pipeline_scoped(dot, *first.pipe);
      case arg_kind::variable: {
        at(first.pos, first.end);
        const value& v = var_value(first.idents.front());
        if (first.idents.size() == 1) {
          not_a_function(cmd, final);
          return v;
        }
        return eval_field_chain(dot, v, first, first.idents, 1, &cmd, final);
      }
      default: break;
    }
    at(first.pos, first.end);
    not_a_function(cmd, final);
    switch (first.kind) {
      case arg_kind::boolean: return value::boolean(first.b);
      case arg_kind::dot: return dot;
      case arg_kind::nil: fail("nil is not a command");
      case arg_kind::number: return ideal_constant(first);
      case arg_kind::string: return value::string(first.str);
      default: break;
    }
    fail("can't evaluate command");
  }

  // A parenthesised pipeline's declarations live until the enclosing control ends, as in Go.
  value eval_pipeline_scoped(const value& dot, const pipe_node& p) { return eval_pipeline(dot, p); }

  value ideal_constant(const arg_node& a) {
    const auto& n = a.num;
    at(a.pos, a.end);
    if (n.float_constant) return value::floating(n.f);
    if (n.is_int) return value::integer(n.i);
    if (n.is_uint) fail(n.text + " overflows int");
    return value::floating(n.f);
  }

  // Evaluate an argument to a function or method (Go evalArg for interface{} parameters).
  value eval_arg(const value& dot, const arg_node& a) {
    step();
    at(a.pos, a.end);
    switch (a.kind) {
      case arg_kind::dot: return dot;
      case arg_kind::nil: return value::nil();
      case arg_kind::field: return eval_field_chain(dot, dot, a, a.idents, 0, nullptr, std::nullopt);
      case arg_kind::variable: {
        const value& v = var_value(a.idents.front());
        if (a.idents.size() == 1) return v;
        return eval_field_chain(dot, v, a, a.idents, 1, nullptr, std::nullopt);
      }
      case arg_kind::pipe: return eval_pipeline_scoped(dot, *a.pipe);
      case arg_kind::identifier: return eval_function(dot, a, nullptr, std::nullopt);
      case arg_kind::chain: {
        const value base = eval_arg(dot, *a.base);
        at(a.pos, a.end);
        return eval_field_chain(dot, base, a, a.idents, 0, nullptr, std::nullopt);
      }
      case arg_kind::boolean: return value::boolean(a.b);
      case arg_kind::number: return ideal_constant(a);
      case arg_kind::string: return value::string(a.str);
    }
    return {};
  }

  // Go evalFieldChain: every name but the last is a plain field step; the last receives the
  // command's arguments (when `cmd`) and the piped `final`.
  value eval_field_chain(const value& dot, value receiver, const arg_node& node_ref,
                         const std::vector<std::string>& names, std::size_t from, const command_node* cmd,
                         const std::optional<value>& final) {
    for (std::size_t i = from; i + 1 < names.size(); ++i)
      receiver = eval_field(dot, names[i], receiver, nullptr, std::nullopt);
    at(node_ref.pos, node_ref.end);
    return eval_field(dot, names.back(), receiver, cmd, final);
  }

  std::vector<value> method_args(const value& dot, const command_node* cmd, const std::optional<value>& final) {
    std::vector<value> args;
    if (cmd)
      for (std::size_t i = 1; i < cmd->args.size(); ++i) args.push_back(eval_arg(dot, cmd->args[i]));
    if (final) args.push_back(*final);
    return args;
  }

  value eval_field(const value& dot, const std::string& name, const value& receiver, const command_node* cmd,
                   const std::optional<value>& final) {
    const bool has_args = (cmd && cmd->args.size() > 1) || final;
    switch (receiver.type()) {
      case vk::missing: return {};
      case vk::nil: fail("nil pointer evaluating " + receiver.go_type() + "." + name);
      case vk::time: return time_method(dot, receiver, name, cmd, final);
      case vk::status:
        if (name == "String") {
          const auto args = method_args(dot, cmd, final);
          if (!args.empty()) fail("wrong number of args for String: want 0 got " + std::to_string(args.size()));
          return value::string(std::string(status_name(receiver.as_int())));
        }
        break;
      case vk::object:
        if (const value* f = receiver.field(name)) {
          if (has_args) fail(name + " has arguments but cannot be invoked as function");
          return *f;
        }
        break;
      case vk::map: {
        if (has_args) fail(name + " is not a method but has arguments");
        const auto& m = receiver.as_map();
        const auto it = m.find(name);
        return it == m.end() ? value() : it->second;
      }
      default: break;
    }
    fail("can't evaluate field " + name + " in type " + receiver.go_type());
  }

  value time_method(const value& dot, const value& t, const std::string& name, const command_node* cmd,
                    const std::optional<value>& final) {
    const auto args = method_args(dot, cmd, final);
    const std::int64_t ns = t.as_int();
    auto want = [&](std::size_t n) {
      if (args.size() != n)
        fail("wrong number of args for " + name + ": want " + std::to_string(n) + " got " + std::to_string(args.size()));
    };
    auto floor_div = [](std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); };
    if (name == "Format") {
      want(1);
      if (args[0].type() != vk::string) fail("wrong type for value; expected string; got " + args[0].go_type());
      return value::string(format_time(ns, args[0].as_string()));
    }
    if (name == "String") return want(0), value::string(print_value(t));
    if (name == "Unix") return want(0), value::integer(floor_div(ns, 1'000'000'000), "int64");
    if (name == "UnixMilli") return want(0), value::integer(floor_div(ns, 1'000'000), "int64");
    if (name == "UnixMicro") return want(0), value::integer(floor_div(ns, 1'000), "int64");
    if (name == "UnixNano") return want(0), value::integer(ns, "int64");
    if (name == "UTC" || name == "Local") return want(0), t;  // Warren: always UTC
    if (name == "IsZero") return want(0), value::boolean(false);
    auto part = [&](std::string_view layout) {
      want(0);
      std::int64_t v = 0;
      const std::string s = format_time(ns, layout);
      std::from_chars(s.data(), s.data() + s.size(), v);
      return value::integer(v);
    };
    if (name == "Year") return part("2006");
    if (name == "Day") return part("2");
    if (name == "Hour") return part("15");
    if (name == "Minute") return part("4");
    if (name == "Second") return part("5");
    if (name == "YearDay") return part("002");
    if (name == "Nanosecond") return want(0), value::integer(((ns % 1'000'000'000) + 1'000'000'000) % 1'000'000'000);
    fail("can't evaluate field " + name + " in type time.Time");
  }

  // ---- functions ----

  std::int64_t int_arg(const std::string& fn, const value& v) {
    switch (v.type()) {
      case vk::integer:
      case vk::status: return v.as_int();
      case vk::unsigned_integer:
        // Warren is lenient where Go requires an exact `int`: Burrow's lags are uint64.
        if (v.as_uint() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
          fail("error calling " + fn + ": " + std::to_string(v.as_uint()) + " overflows int");
        return static_cast<std::int64_t>(v.as_uint());
      case vk::missing: fail("invalid value; expected int");
      default: fail("wrong type for value; expected int; got " + v.go_type());
    }
  }

  std::vector<value> all_args(const value& dot, const command_node* cmd, const std::optional<value>& final) {
    std::vector<value> args;
    if (cmd)
      for (std::size_t i = 1; i < cmd->args.size(); ++i) args.push_back(eval_arg(dot, cmd->args[i]));
    if (final) args.push_back(*final);
    return args;
  }

  void check_size(const std::string& fn, std::size_t n) {
    if (n > limits_.max_output_bytes)
      fail("error calling " + fn + ": result exceeds the output limit of " + std::to_string(limits_.max_output_bytes) +
           " bytes");
  }

  void arity(const std::string& fn, const std::vector<value>& args, std::size_t want) {
    if (args.size() != want)
      fail("wrong number of args for " + fn + ": want " + std::to_string(want) + " got " + std::to_string(args.size()));
  }
  void arity_at_least(const std::string& fn, std::size_t got, std::size_t want) {
    if (got < want)
      fail("wrong number of args for " + fn + ": want at least " + std::to_string(want) + " got " + std::to_string(got));
  }

  value eval_function(const value& dot, const arg_node& ident, const command_node* cmd, const std::optional<value>& final) {
    const std::string& fn = ident.idents.front();
    at(ident.pos, ident.end);
    // and/or short-circuit (Go 1.18): return the first decisive argument, else the last.
    if (fn == "and" || fn == "or") {
      const std::size_t n = (cmd ? cmd->args.size() - 1 : 0) + (final ? 1 : 0);
      arity_at_least(fn, n, 1);
      value v;
      if (cmd)
        for (std::size_t i = 1; i < cmd->args.size(); ++i) {
          v = eval_arg(dot, cmd->args[i]);
          if (truth(v) == (fn == "or")) return v;
        }
      if (final) v = *final;
      return v;
    }
    std::vector<value> args = all_args(dot, cmd, final);
    at(ident.pos, ident.end);
    for (auto& a : args)
      if (a.type() == vk::missing) a = value::nil();  // Go passes an invalid value as a nil interface
    if (fn == "not") return arity(fn, args, 1), value::boolean(!truth(args[0]));
    if (fn == "len") {
      arity(fn, args, 1);
      const value& a = args[0];
      switch (a.type()) {
        case vk::string: return value::integer(static_cast<std::int64_t>(a.as_string().size()));
        case vk::array: return value::integer(static_cast<std::int64_t>(a.as_array().size()));
        case vk::map: return value::integer(static_cast<std::int64_t>(a.as_map().size()));
        case vk::nil: fail("error calling len: len of nil pointer");
        default: fail("error calling len: len of type " + a.go_type());
      }
    }
    if (fn == "index") return builtin_index(args);
    if (fn == "slice") return builtin_slice(args);
    if (fn == "print" || fn == "println" || fn == "html" || fn == "js" || fn == "urlquery" || fn == "jsonencoder") {
      // Strings can only grow through these (and printf): bound their inputs and results so a
      // variable doubled in a loop cannot exhaust memory before the output limit is reached.
      std::size_t in = 0;
      for (const auto& a : args) in += a.type() == vk::string ? a.as_string().size() : print_value(a).size();
      check_size(fn, in);
      std::string r;
      if (fn == "print") r = sprint_go(args);
      else if (fn == "println") r = sprintln_go(args);
      else if (fn == "html") r = html_escape(eval_args_string(args));
      else if (fn == "js") r = js_escape(eval_args_string(args));
      else if (fn == "urlquery") r = query_escape(eval_args_string(args));
      else {
        arity(fn, args, 1);
        r = json_encode(args[0]);
      }
      check_size(fn, r.size());
      return value::string(std::move(r));
    }
    if (fn == "printf") {
      arity_at_least(fn, args.size(), 1);
      if (args[0].type() != vk::string) fail("wrong type for value; expected string; got " + args[0].go_type());
      auto r = sprintf_go(args[0].as_string(), {args.begin() + 1, args.end()}, limits_.max_output_bytes);
      if (!r) check_size(fn, limits_.max_output_bytes + 1);
      return value::string(std::move(*r));
    }
    if (fn == "call") fail("error calling call: Warren templates have no function values");
    if (fn == "eq") {
      arity_at_least(fn, args.size(), 1);
      if (args.size() < 2) fail("error calling eq: missing argument for comparison");
      for (std::size_t i = 1; i < args.size(); ++i)
        if (equal(args[0], args[i])) return value::boolean(true);
      return value::boolean(false);
    }
    if (fn == "ne") return arity(fn, args, 2), value::boolean(!equal(args[0], args[1]));
    if (fn == "lt") return arity(fn, args, 2), value::boolean(less(fn, args[0], args[1]));
    if (fn == "le") return arity(fn, args, 2), value::boolean(less(fn, args[0], args[1]) || equal(args[0], args[1]));
    if (fn == "gt") return arity(fn, args, 2), value::boolean(!(less(fn, args[0], args[1]) || equal(args[0], args[1])));
    if (fn == "ge") return arity(fn, args, 2), value::boolean(!less(fn, args[0], args[1]));
    // Burrow helpers.go
    if (fn == "add" || fn == "minus" || fn == "multiply" || fn == "divide") {
      arity(fn, args, 2);
      const std::int64_t a = int_arg(fn, args[0]);
      const std::int64_t b = int_arg(fn, args[1]);
      // Go int arithmetic wraps; compute in unsigned to keep that and avoid UB.
      const auto ua = static_cast<std::uint64_t>(a), ub = static_cast<std::uint64_t>(b);
      if (fn == "add") return value::integer(static_cast<std::int64_t>(ua + ub));
      if (fn == "minus") return value::integer(static_cast<std::int64_t>(ua - ub));
      if (fn == "multiply") return value::integer(static_cast<std::int64_t>(ua * ub));
      if (b == 0) fail("error calling divide: runtime error: integer divide by zero");
      if (a == std::numeric_limits<std::int64_t>::min() && b == -1) return value::integer(a);
      return value::integer(a / b);
    }
    if (fn == "maxlag") {
      arity(fn, args, 1);
      if (args[0].type() == vk::nil) return value::unsigned_integer(0);
      const value* lag = args[0].field("CurrentLag");
      if (!lag) fail("wrong type for value; expected *protocol.PartitionStatus; got " + args[0].go_type());
      return *lag;
    }
    if (fn == "topicsbystatus") return arity(fn, args, 1), topics_by_status(partitions_arg(fn, args[0]));
    if (fn == "partitioncounts") return arity(fn, args, 1), partition_counts(partitions_arg(fn, args[0]));
    if (fn == "formattimestamp") {
      arity(fn, args, 2);
      const std::int64_t ms = int_arg(fn, args[0]);
      if (args[1].type() != vk::string) fail("wrong type for value; expected string; got " + args[1].go_type());
      return value::string(format_time(static_cast<std::int64_t>(static_cast<std::uint64_t>(ms) * 1'000'000u),
                                       args[1].as_string()));
    }
    fail("function \"" + fn + "\" not defined");
  }

  const value_array& partitions_arg(const std::string& fn, const value& v) {
    if (v.type() == vk::nil) return v.as_array();
    if (v.type() != vk::array) fail("wrong type for value; expected []*protocol.PartitionStatus; got " + v.go_type());
    for (const auto& p : v.as_array())
      if (p.type() != vk::nil && !p.field("Status"))
        fail("error calling " + fn + ": element of type " + p.go_type() + " is not a *protocol.PartitionStatus");
    return v.as_array();
  }

  // Burrow classifyTopicsByStatus: status string -> distinct topics. Go returns them in map order
  // (random); Warren sorts them.
  static value topics_by_status(const value_array& parts) {
    std::map<std::string, std::set<std::string>> tmp;
    for (const auto& p : parts) {
      if (p.type() == vk::nil) continue;  // Go would panic on a nil element
      const value* st = p.field("Status");
      const value* topic = p.field("Topic");
      tmp[std::string(status_name(st ? st->as_int() : 0))].insert(topic ? topic->as_string() : std::string());
    }
    value_map m;
    for (auto& [status, topics] : tmp) {
      value_array list;
      for (const auto& t : topics) list.push_back(value::string(t));
      m.emplace(status, value::array(std::move(list)));
    }
    return value::map(std::move(m), value::array({}));
  }

  // Burrow templateCountPartitions: OK is not counted, ERR and NOTFOUND count as "unknown".
  static value partition_counts(const value_array& parts) {
    std::int64_t warn = 0, stop = 0, stall = 0, rewind = 0, unknown = 0;
    for (const auto& p : parts) {
      const value* st = p.type() == vk::nil ? nullptr : p.field("Status");
      switch (st ? st->as_int() : 0) {
        case 1: break;
        case 2: ++warn; break;
        case 4: ++stop; break;
        case 5: ++stall; break;
        case 6: ++rewind; break;
        default: ++unknown;
      }
    }
    return value::map({{"rewind", value::integer(rewind)},
                       {"stall", value::integer(stall)},
                       {"stop", value::integer(stop)},
                       {"unknown", value::integer(unknown)},
                       {"warn", value::integer(warn)}},
                      value::integer(0));
  }

  value builtin_index(const std::vector<value>& args) {
    arity_at_least("index", args.size(), 1);
    value item = args[0];
    if (item.type() == vk::nil || item.type() == vk::missing) fail("error calling index: index of untyped nil");
    for (std::size_t k = 1; k < args.size(); ++k) {
      const value& ix = args[k];
      switch (item.type()) {
        case vk::array:
        case vk::string: {
          const std::size_t len = item.type() == vk::array ? item.as_array().size() : item.as_string().size();
          std::int64_t x = 0;
          if (ix.type() == vk::integer || ix.type() == vk::status) x = ix.as_int();
          else if (ix.type() == vk::unsigned_integer)
            x = ix.as_uint() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) ? -1
                                                                                                    : static_cast<std::int64_t>(ix.as_uint());
          else if (ix.type() == vk::nil) fail("error calling index: cannot index slice/array with nil");
          else fail("error calling index: cannot index slice/array with type " + ix.go_type());
          if (x < 0 || static_cast<std::uint64_t>(x) >= len)
            fail("error calling index: index out of range: " + std::to_string(x));
          if (item.type() == vk::array) {
            item = item.as_array()[static_cast<std::size_t>(x)];
          } else {
            item = value::integer(static_cast<unsigned char>(item.as_string()[static_cast<std::size_t>(x)]), "uint8");
          }
          break;
        }
        case vk::map: {
          if (ix.type() != vk::string) fail("error calling index: value has type " + ix.go_type() + "; should be string");
          const auto& m = item.as_map();
          const auto it = m.find(ix.as_string());
          item = it == m.end() ? item.zero_element() : it->second;
          break;
        }
        case vk::nil: fail("error calling index: index of nil pointer");
        default: fail("error calling index: can't index item of type " + item.go_type());
      }
    }
    return item;
  }

  value builtin_slice(const std::vector<value>& args) {
    arity_at_least("slice", args.size(), 1);
    const value& item = args[0];
    if (item.type() != vk::array && item.type() != vk::string)
      fail("error calling slice: can't slice item of type " + item.go_type());
    if (args.size() > 4 || (item.type() == vk::string && args.size() > 3))
      fail("error calling slice: too many slice indexes: " + std::to_string(args.size() - 1));
    const std::size_t len = item.type() == vk::array ? item.as_array().size() : item.as_string().size();
    std::array<std::int64_t, 3> ix{0, static_cast<std::int64_t>(len), static_cast<std::int64_t>(len)};
    for (std::size_t k = 1; k < args.size(); ++k) {
      if (args[k].type() != vk::integer) fail("error calling slice: cannot index slice/array with type " + args[k].go_type());
      const auto x = args[k].as_int();
      if (x < 0 || static_cast<std::uint64_t>(x) > len) fail("error calling slice: index out of range: " + std::to_string(x));
      ix[k - 1] = x;
    }
    if (ix[0] > ix[1]) fail("error calling slice: invalid slice index: " + std::to_string(ix[0]) + " > " + std::to_string(ix[1]));
    if (item.type() == vk::string)
      return value::string(item.as_string().substr(static_cast<std::size_t>(ix[0]), static_cast<std::size_t>(ix[1] - ix[0])));
    return value::array(value_array(item.as_array().begin() + ix[0], item.as_array().begin() + ix[1]));
  }

  // Go eq for one pair.
  bool equal(const value& a, const value& b) {
    const basic k1 = basic_kind(a), k2 = basic_kind(b);
    if (k1 != k2) {
      if (k1 == basic::integer && k2 == basic::unsigned_integer)
        return a.as_int() >= 0 && static_cast<std::uint64_t>(a.as_int()) == b.as_uint();
      if (k1 == basic::unsigned_integer && k2 == basic::integer)
        return b.as_int() >= 0 && a.as_uint() == static_cast<std::uint64_t>(b.as_int());
      if (k1 != basic::invalid && k2 != basic::invalid) fail("error calling eq: incompatible types for comparison");
      return false;
    }
    switch (k1) {
      case basic::boolean: return a.as_bool() == b.as_bool();
      case basic::integer: return a.as_int() == b.as_int();
      case basic::unsigned_integer: return a.as_uint() == b.as_uint();
      case basic::floating: return a.as_double() == b.as_double();
      case basic::string: return a.as_string() == b.as_string();
      case basic::invalid: return true;  // nil == nil
      case basic::other:
        if (a.type() == vk::time && b.type() == vk::time) return a.as_int() == b.as_int();
        fail("error calling eq: non-comparable type " + a.go_type());
    }
    return false;
  }

  bool less(const std::string& fn, const value& a, const value& b) {
    const basic k1 = basic_kind(a), k2 = basic_kind(b);
    if (k1 == basic::invalid || k1 == basic::other || k2 == basic::invalid || k2 == basic::other)
      fail("error calling " + fn + ": invalid type for comparison");
    if (k1 != k2) {
      if (k1 == basic::integer && k2 == basic::unsigned_integer)
        return a.as_int() < 0 || static_cast<std::uint64_t>(a.as_int()) < b.as_uint();
      if (k1 == basic::unsigned_integer && k2 == basic::integer)
        return b.as_int() >= 0 && a.as_uint() < static_cast<std::uint64_t>(b.as_int());
      fail("error calling " + fn + ": incompatible types for comparison");
    }
    switch (k1) {
      case basic::boolean: fail("error calling " + fn + ": invalid type for comparison");
      case basic::integer: return a.as_int() < b.as_int();
      case basic::unsigned_integer: return a.as_uint() < b.as_uint();
      case basic::floating: return a.as_double() < b.as_double();
      case basic::string: return a.as_string() < b.as_string();
      default: return false;
    }
  }
};

}  // namespace

// ---- public API -----------------------------------------------------------------------------------

program::program(std::shared_ptr<const detail::program_data> d) : data_(std::move(d)) {}
const std::string& program::file_name() const { return data_->file; }
const std::vector<template_error>& program::warnings() const { return data_->warnings; }

render_result program::render(const value& data, const render_limits& limits) const {
  return render_named("", data, limits);
}

render_result program::render_named(std::string_view name, const value& data, const render_limits& limits) const {
  render_result r;
  const auto it = data_->templates.find(name);
  if (it == data_->templates.end()) {
    r.error = template_error{data_->file, 1, 1, "no such template \"" + std::string(name) + "\""};
    return r;
  }
  executor ex(*data_, limits, r.output);
  try {
    ex.run(name, it->second, data);
  } catch (exec_failure& f) {
    r.error = std::move(f.error);
  }
  return r;
}

parse_result parse(std::string_view text, std::string_view file_name, const parse_limits& limits) {
  parse_result r;
  auto prog = std::make_shared<detail::program_data>();
  prog->file = std::string(file_name);
  if (text.size() > limits.max_text_bytes) {
    r.error = template_error{prog->file, 1, 1,
                             "template is larger than " + std::to_string(limits.max_text_bytes) + " bytes"};
    return r;
  }
  prog->source = std::string(text);
  try {
    detail::parser p(detail::lexer(prog->source).run(), *prog, limits);
    p.run();
  } catch (detail::parse_failure& f) {
    const auto [line, col] = detail::line_col(prog->source, f.pos);
    r.error = template_error{prog->file, line, col, std::move(f.message)};
    return r;
  }
  r.parsed.emplace(std::move(prog));
  return r;
}

}  // namespace warren::go_template
