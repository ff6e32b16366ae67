#pragma once
// Notifier templates: the subset of Go's text/template that Burrow's notifier templates use, PURE
// (no I/O, no clock, no globals; any thread on its own inputs). The coordinator parses every
// template file once at config load (a parse error is a config error, exit 2) and renders the
// parsed program per notification against the data built by make_notifier_data().
//
// Language (Go semantics unless noted): text and actions `{{ }}` with `{{-`/`-}}` trimming,
// comments `{{/* */}}`, `{{if}}/{{else if}}/{{else}}/{{end}}`, `{{range}}` (arrays, maps in sorted
// key order, integers are not ranged; `{{else}}` for empty; `$i, $v :=`), `{{with}}` (+ `else with`),
// `{{define "n"}}`/`{{template "n" pipeline}}`/`{{block}}`, `{{break}}`/`{{continue}}`, variables
// `$x := p` / `$x = p` with Go scoping, pipelines `a | b`, parenthesised arguments, field chains
// `.A.B`, `$x.A`, `(p).A`, method calls on time values, literals (strings "..." and `raw`,
// chars 'c', ints incl. 0x/0o/0b/_ separators, floats, true/false/nil).
// Functions: Go builtins `and or not len index slice eq ne lt le gt ge print printf println html js
// urlquery call`(call: unsupported, error) and Burrow's `jsonencoder topicsbystatus partitioncounts
// add minus multiply divide maxlag formattimestamp`.
//
// Warren's deliberate differences from Go (documented for users in config/templates/README.md):
// - `.Id` (Burrow's shipped default-http-delete.tmpl bug: the field is `.ID`) is accepted as an
//   alias of `.ID` on the notifier data, and parse() reports every use as a warning so the loader
//   logs a deprecation note. In Go/Burrow the close notification fails at every send.
// - Times are always UTC (Burrow prints the process's local zone).
// - Execution is bounded (render_limits): nesting depth, output size, range iterations, total
//   steps. Exceeding a limit is an execution error, never a crash or a hang.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "service/core/ids.hpp"

namespace warren {
struct group_status;
}

namespace warren::go_template {

/// A position-tagged error. Parse errors: `FILE:LINE:COL: message` (1-based line and column, the
/// column counts bytes). Execution errors: `FILE:LINE:COL: executing "NAME" at <ACTION>: message`.
struct template_error {
  std::string file;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  std::string message;
  /// `file:line:col: message`.
  std::string to_string() const;
  friend bool operator==(const template_error&, const template_error&) = default;
};

class value;
using value_array = std::vector<value>;
/// Go map[string]T: range and printing in sorted key order; a missing key reads as `<no value>`.
using value_map = std::map<std::string, value, std::less<>>;

/// A Go struct field: Go name (templates), JSON name (`jsonencoder`, "" = the Go name).
struct value_field;

/// Dynamic value as a template sees Go data. Immutable and cheap to copy (compound parts shared).
class value {
 public:
  enum class kind : std::uint8_t {
    missing,   ///< Go's invalid reflect.Value (missing map key): prints `<no value>`
    nil,       ///< untyped nil or a nil pointer (type_name says which): prints `<nil>`, JSON null
    boolean,
    integer,   ///< signed ints (Go int, int32, int64)
    unsigned_integer,  ///< uint64 (Go uint64 lags)
    floating,  ///< float64, or float32 when is_float32() (printing uses float32 shortest digits)
    string,
    status,    ///< Burrow StatusConstant: an int whose String() is "OK", "WARN"...; JSON a string
    time,      ///< Go time.Time (UTC), nanoseconds since the Unix epoch
    array,
    map,
    object,    ///< a Go struct: named fields in declaration order
  };

  value();  ///< missing
  static value nil(std::string type_name = {});
  static value boolean(bool b);
  /// `go_type` names the Go type in printf errors (`%!s(int32=5)`): int, int32, int64.
  static value integer(std::int64_t i, std::string go_type = "int");
  static value unsigned_integer(std::uint64_t u);
  static value floating(double d);
  static value float32(float f);
  static value string(std::string s);
  static value status(std::int64_t code);
  static value time_ns(std::int64_t unix_ns);
  static value array(value_array items);
  /// `zero_element` is what `index` returns for a missing key (Go: the element type's zero value,
  /// e.g. "" for map[string]string); field access `.key` on a missing key gives `missing`.
  static value map(value_map entries, value zero_element = value());
  /// A struct named `type_name` (used in error messages, e.g. "protocol.PartitionStatus").
  static value object(std::string type_name, std::vector<value_field> fields);

  kind type() const;
  bool is_float32() const;
  bool as_bool() const;
  std::int64_t as_int() const;          ///< integer, status, time (ns)
  std::uint64_t as_uint() const;
  double as_double() const;
  const std::string& as_string() const;  ///< string; "" otherwise
  /// The Go type name ("int", "float32", "protocol.PartitionStatus", "*protocol.PartitionStatus" for nil...).
  std::string go_type() const;
  const value& zero_element() const;  ///< map only
  const value_array& as_array() const;
  const value_map& as_map() const;
  const std::vector<value_field>& fields() const;
  /// Field by Go name (object only); also resolves aliases (see with_alias). nullptr if absent.
  const value* field(std::string_view go_name) const;
  /// Returns a copy of this object where `alias` reads as field `target` (hidden from printing and
  /// JSON). Used for `.Id` -> `.ID`.
  value with_alias(std::string alias, std::string target) const;

  struct rep;

 private:
  std::shared_ptr<const rep> rep_;
  explicit value(std::shared_ptr<const rep> r);
};

struct value_field {
  std::string name;       ///< Go field name
  std::string json_name;  ///< encoding/json key; "" = name; "=" on a one-field object: the object
                          ///< encodes as this field's value (a Go type with its own MarshalJSON)
  value v;
};

/// Execution bounds. Exceeding any is an execution error naming the limit.
struct render_limits {
  std::size_t max_output_bytes = 1 << 20;       ///< rendered text, 1 MiB
  /// Nested if/with/range blocks plus nested {{template}} calls (bounds the C++ stack). Above
  /// parse_limits::max_nesting so any parsed template's own blocks fit; recursion through
  /// {{template}} stops here. An "else if" chain counts once.
  std::uint32_t max_depth = 200;
  std::uint64_t max_range_iterations = 100000;  ///< total over the whole render
  std::uint64_t max_steps = 1000000;            ///< total nodes evaluated (bounds any template)
};

/// Parse bounds (the fuzz target and the loader use the defaults).
struct parse_limits {
  std::size_t max_text_bytes = 1 << 20;  ///< template source size
  std::uint32_t max_nesting = 100;       ///< nested blocks and parentheses
};

struct render_result {
  std::string output;                   ///< the rendered text when ok(); partial output otherwise
  std::optional<template_error> error;  ///< set on an execution error
  bool ok() const { return !error; }
};

namespace detail {
struct program_data;
}

/// A parsed template file (its main template plus every `{{define}}`). Immutable, cheap to copy,
/// safe to render from any thread.
class program {
 public:
  /// Internal: built by parse().
  explicit program(std::shared_ptr<const detail::program_data> d);
  /// Renders the main template against `data` ("." and "$"). Never throws on template or data
  /// problems (errors are returned); only std::bad_alloc escapes.
  render_result render(const value& data, const render_limits& limits = {}) const;
  /// Renders the named `{{define}}` template instead of the main one (error if not defined).
  render_result render_named(std::string_view name, const value& data, const render_limits& limits = {}) const;
  /// The file name given to parse().
  const std::string& file_name() const;
  /// Non-fatal findings at parse time, e.g. every use of `.Id` (accepted as `.ID`, deprecated).
  const std::vector<template_error>& warnings() const;

 private:
  std::shared_ptr<const detail::program_data> data_;
};

struct parse_result {
  std::optional<program> parsed;        ///< set on success
  std::optional<template_error> error;  ///< set on failure, with the position of the fault
  bool ok() const { return parsed.has_value(); }
};

/// Parses `text`; `file_name` is used in error positions and messages. Go parse-time checks are
/// done here (unknown functions, undefined variables, unbalanced blocks, bad literals), so a
/// template that parses fails at render time only for data-dependent reasons.
parse_result parse(std::string_view text, std::string_view file_name, const parse_limits& limits = {});

/// Go's fmt %v printing of a value (for tests and the `print` builtin).
std::string print_value(const value& v);
/// Go encoding/json of a value (the `jsonencoder` function): struct fields by JSON name in
/// declaration order, maps in key order, HTML-safe escaping, statuses as strings.
std::string json_encode(const value& v);

/// Burrow's notifier template data: `.Cluster .Group .ID .Start .Extras .Result` (+ the `.Id`
/// alias), `.Result` being Burrow's ConsumerGroupStatus with Go field names (Cluster, Group,
/// Status, Complete, Partitions, TotalPartitions, Maxlag, TotalLag) and each partition Burrow's
/// PartitionStatus (Topic, Partition, Owner, ClientID, Status, Start, End, CurrentLag, Complete;
/// Start/End ConsumerOffset {Offset, Timestamp, ObservedTimestamp, Lag} where Lag is nil or a
/// {Value} struct as in Burrow). `start` = incident start.
value make_notifier_data(const group_status& status, std::string_view incident_id, timestamp_ms start,
                         const std::map<std::string, std::string>& extras);

}  // namespace warren::go_template
