// Notifier templates (service/notifier/template.hpp): Go text/template semantics on Burrow's
// notifier data. Expected outputs are derived by hand from Go's documented behaviour (text/template,
// fmt, encoding/json, time.Format), not recorded from this implementation.
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "service/evaluator/rules.hpp"
#include "service/notifier/template.hpp"

namespace warren {
namespace {

namespace gt = go_template;

consumer_offset off(std::int64_t offset, std::int64_t ts, std::optional<std::uint64_t> lag) {
  return consumer_offset{offset, 0, ts, ts + 100, lag};
}

// cluster local, group orders-app, WARN; three partitions (WARN, STOP, OK); maxlag = orders/0.
group_status sample_status() {
  group_status g;
  g.cluster = "local";
  g.group = "orders-app";
  g.status = status_code::warn;
  g.complete = 1.0f;
  partition_status p0{"orders", 0, "/10.0.0.1", "c1", status_code::warn,
                      off(100, 1700000000000, 10), off(200, 1700000060000, 20), 25, 1.0f};
  partition_status p1{"orders", 1, "/10.0.0.2", "c2", status_code::stop,
                      off(150, 1700000000000, std::nullopt), off(210, 1700000060000, 5), 5, 0.5f};
  partition_status p2{"payments", 0, "/10.0.0.3", "c3", status_code::ok,
                      off(40, 1700000000000, 0), off(50, 1700000060000, 0), 0, 0.8f};
  g.partitions = {p0, p1, p2};
  g.partition_count = 3;
  g.maxlag = p0;
  g.totallag = 30;
  return g;
}

const std::string incident = "7d2f4a4e-1111-4222-8333-944455556666";
// 2023-11-14T22:15:23.456Z (a Tuesday)
const timestamp_ms start{1700000123456};
const std::map<std::string, std::string> extras{{"api_key", "k-123"}, {"app", "warren"}, {"tier", "<gold>"}};

const gt::value& sample() {
  static const gt::value v = gt::make_notifier_data(sample_status(), incident, start, extras);
  return v;
}

std::string render_ok(std::string_view text, const gt::value& data = sample()) {
  auto p = gt::parse(text, "t.tmpl");
  if (!p.ok()) {
    BOOST_ERROR("parse failed: " << p.error->to_string() << " for " << text);
    return {};
  }
  auto r = p.parsed->render(data);
  if (!r.ok()) BOOST_ERROR("render failed: " << r.error->to_string() << " for " << text);
  return r.output;
}

struct golden_case {
  const char* text;
  const char* expected;
};

// Every construct and function Burrow's five shipped templates use, plus Go's tricky corners.
const golden_case golden_cases[] = {
    // fields, the data model
    {"{{.Cluster}}/{{.Group}}", "local/orders-app"},
    {"{{.ID}}", "7d2f4a4e-1111-4222-8333-944455556666"},
    {"{{.Result.Cluster}} {{.Result.Group}}", "local orders-app"},
    {"{{.Result.Status}} {{.Result.Status.String}} {{printf \"%d\" .Result.Status}}", "WARN WARN 2"},
    {"{{if eq .Result.Status 2}}WARN{{else}}ERR{{end}}", "WARN"},
    {"{{.Result.Complete}} {{(index .Result.Partitions 1).Complete}} {{(index .Result.Partitions 2).Complete}}",
     "1 0.5 0.8"},
    {"{{.Result.TotalLag}} {{.Result.TotalPartitions}}", "30 3"},
    {"{{index .Extras \"api_key\"}}|{{index .Extras \"nope\"}}|{{.Extras.nope}}|{{.Extras.app}}",
     "k-123||<no value>|warren"},
    {"{{len .Result.Partitions}}", "3"},
    // range over arrays and maps (sorted keys), variables, else
    {"{{range .Result.Partitions}}{{.Topic}}:{{.Partition}} {{end}}", "orders:0 orders:1 payments:0 "},
    {"{{range $i, $p := .Result.Partitions}}{{if $i}},{{end}}{{$i}}={{$p.Status}}{{end}}", "0=WARN,1=STOP,2=OK"},
    {"{{range $v := .Result.Partitions}}{{$v.Partition}}{{end}}", "010"},
    {"{{range $k, $v := .Extras}}{{$k}}={{$v}};{{end}}", "api_key=k-123;app=warren;tier=<gold>;"},
    {"{{range (topicsbystatus .Result.Partitions).ERR}}x{{else}}none{{end}}", "none"},
    {"{{range $i, $p := .Result.Partitions}}{{if eq $i 1}}{{continue}}{{end}}{{if eq $i 2}}{{break}}{{end}}{{$i}}{{end}}",
     "0"},
    // Burrow's email template body line
    {"{{range .Result.Partitions}}{{.Status.String}} {{.Topic}}:{{.Partition}} ({{.Start.Timestamp}}, {{.Start.Offset}}, "
     "{{.Start.Lag}}) -> ({{.End.Timestamp}}, {{.End.Offset}}, {{.End.Lag}})\n{{end}}",
     "WARN orders:0 (1700000000000, 100, {10}) -> (1700000060000, 200, {20})\n"
     "STOP orders:1 (1700000000000, 150, <nil>) -> (1700000060000, 210, {5})\n"
     "OK payments:0 (1700000000000, 40, {0}) -> (1700000060000, 50, {0})\n"},
    {"{{(index .Result.Partitions 0).Start.Lag.Value}}", "10"},
    // whitespace trimming and comments
    {"a  {{- 1 -}}  \n b", "a1b"},
    {"a {{- \"x\"}} b", "ax b"},
    {"x{{/* hi */}}y", "xy"},
    {"x \n{{- /* c */ -}}\n y", "xy"},
    {"{{- 3}}{{-3}}", "3-3"},
    // printf verbs
    {"{{printf \"%s|%5d|%-4s|%.2f|%q|%v\" \"a\" 42 \"b\" 3.14159 \"q\\\"x\" .Result.Complete}}", "a|   42|b   |3.14|\"q\\\"x\"|1"},
    {"{{printf \"%v %v %v %v %v\" true 1.5 1e6 123456.0 nil}}", "true 1.5 1e+06 123456 <nil>"},
    {"{{printf \"%05d|%x|%X|%o|%+d|%c|%t\" 42 255 255 8 5 65 false}}", "00042|ff|FF|10|+5|A|false"},
    {"{{printf \"%d\" \"x\"}}|{{printf \"%d %d\" 1}}|{{printf \"%d\" 1 2}}|{{printf \"100%%\"}}",
     "%!d(string=x)|1 %!d(MISSING)|1%!(EXTRA int=2)|100%"},
    {"{{printf \"%s %v %d\" .Result.Status .Result.Status .Result.Status}}", "WARN WARN 2"},
    {"{{printf \"%6.2f|%-8.3e|%g\" 3.14159 1234.5678 0.000012}}", "  3.14|1.235e+03|1.2e-05"},
    {"{{printf \"%q\" 'x'}} {{printf \"%T %T %T\" 1 \"s\" .Result.TotalLag}}", "'x' int string uint64"},
    // comparisons, eq with several arguments, and/or values
    {"{{if eq .Result.Status 1 2 3}}yes{{end}} {{eq \"a\" \"b\" \"a\"}} {{ne 1 2}}", "yes true true"},
    {"{{lt 1 2}} {{le 2 2}} {{gt .Result.TotalLag 10}} {{ge \"b\" \"a\"}} {{lt 1.5 2.5}}", "true true true true true"},
    {"{{and 1 0 2}}|{{and 1 2}}|{{or 0 \"\" \"x\"}}|{{or 0 \"\"}}|{{not 0}}|{{not .Result.Partitions}}",
     "0|2|x||true|false"},
    {"{{eq .Extras.nope \"x\"}}", "false"},
    // if / else if / with
    {"{{if eq .Result.Status 1}}OK{{else if eq .Result.Status 2}}WARN{{else}}BAD{{end}}", "WARN"},
    {"{{with .Result.Maxlag}}{{.Topic}}/{{.CurrentLag}}{{end}}", "orders/25"},
    {"{{with .Extras.nope}}x{{else}}y{{end}}", "y"},
    {"{{with $m := .Result.Maxlag}}{{$m.Partition}}{{else with .Group}}{{.}}{{end}}", "0"},
    {"{{if .Result.Partitions}}a{{end}}{{if \"\"}}b{{end}}{{if 0.0}}c{{end}}{{if .Result.Maxlag}}d{{end}}{{if .Start}}e{{end}}",
     "ade"},
    // variables: declaration, assignment, scoping, $
    {"{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}", "2"},
    {"{{$x := 1}}{{if true}}{{$x := 3}}{{$x}}{{end}}{{$x}}", "31"},
    {"{{range $p := .Result.Partitions}}{{with $p.End}}{{$p.Topic}}@{{.Offset}}/{{$.Group}} {{end}}{{end}}",
     "orders@200/orders-app orders@210/orders-app payments@50/orders-app "},
    // pipelines and parentheses
    {"{{.Result.Partitions | len}} {{\"hi\" | printf \"%s!\"}} {{.Result.TotalLag | printf \"%d lag\"}}", "3 hi! 30 lag"},
    {"{{add (len .Result.Partitions) 2}} {{(index .Result.Partitions 0).Topic}}", "5 orders"},
    {"{{index .Result.Partitions 1 | maxlag}} {{maxlag .Result.Maxlag}}", "5 25"},
    // Burrow's functions
    {"{{add 1 2}} {{minus 1 2}} {{multiply 3 4}} {{divide 7 2}} {{divide -7 2}}", "3 -1 12 3 -3"},
    {"{{divide .Result.TotalLag 4}}", "7"},
    {"{{formattimestamp 1700000000000 \"2006-01-02 15:04:05\"}}", "2023-11-14 22:13:20"},
    {"{{range $k, $v := partitioncounts .Result.Partitions}}{{$k}}={{$v}} {{end}}",
     "rewind=0 stall=0 stop=1 unknown=0 warn=1 "},
    {"{{topicsbystatus .Result.Partitions}}", "map[OK:[payments] STOP:[orders] WARN:[orders]]"},
    {"{{index (partitioncounts .Result.Partitions) \"warn\"}}", "1"},
    {"{{.Extras | jsonencoder}}", "{\"api_key\":\"k-123\",\"app\":\"warren\",\"tier\":\"\\u003cgold\\u003e\"}"},
    {"{{jsonencoder .Result.Maxlag}}",
     "{\"topic\":\"orders\",\"partition\":0,\"owner\":\"/10.0.0.1\",\"client_id\":\"c1\",\"status\":\"WARN\","
     "\"start\":{\"offset\":100,\"timestamp\":1700000000000,\"observedAt\":1700000000100,\"lag\":10},"
     "\"end\":{\"offset\":200,\"timestamp\":1700000060000,\"observedAt\":1700000060100,\"lag\":20},"
     "\"current_lag\":25,\"complete\":1}"},
    {"{{jsonencoder .Result.Status}} {{jsonencoder (index .Result.Partitions 2).Complete}} {{jsonencoder .Start}}",
     "\"WARN\" 0.8 \"2023-11-14T22:15:23.456Z\""},
    // time
    {"{{.Start.Format \"Jan 02, 2006 15:04:05 UTC\"}}", "Nov 14, 2023 22:15:23 UTC"},
    {"{{.Start.Format \"2006-01-02T15:04:05Z07:00\"}}", "2023-11-14T22:15:23Z"},
    {"{{.Start.Format \"Mon Jan _2 3:04PM .000 -0700 MST\"}}", "Tue Nov 14 10:15PM .456 +0000 UTC"},
    {"{{.Start.Unix}} {{.Start.UnixMilli}} {{.Start.UTC.Year}}", "1700000123 1700000123456 2023"},
    {"{{.Start}}", "2023-11-14 22:15:23.456 +0000 UTC"},
    // escaping builtins, print
    {"{{html \"<a href='x'>&\"}}", "&lt;a href=&#39;x&#39;&gt;&amp;"},
    {"{{js \"it's <b>\"}}", "it\\'s \\u003Cb\\u003E"},
    {"{{urlquery \"a b&c\"}}", "a+b%26c"},
    {"{{print 1 2 \"a\" 3}}|{{println 1 \"a\"}}|{{print .Extras.nope}}", "1 2a3|1 a\n|<nil>"},
    // define / template / block
    {"{{define \"t\"}}[{{.}}]{{end}}{{template \"t\" .Group}}{{template \"t\" 5}}", "[orders-app][5]"},
    {"{{block \"b\" .Cluster}}<{{.}}>{{end}}", "<local>"},
    // literals
    {"{{0x1F}} {{1_000}} {{'a'}} {{1.50}} {{-3}} {{`raw\\n`}} {{\"t\\tx\"}} {{true}} {{1e3}}",
     "31 1000 97 1.5 -3 raw\\n t\tx true 1000"},
    {"{{slice \"abcdef\" 1 3}} {{len (slice .Result.Partitions 1)}}", "bc 2"},
    {"{{.Result.Partitions | jsonencoder | len | printf \"%T\"}}", "int"},
    // Burrow's shipped close template bug: .Id reads as .ID
    {"{{.Id}}", "7d2f4a4e-1111-4222-8333-944455556666"},
};

BOOST_AUTO_TEST_SUITE(notifier_template)

BOOST_AUTO_TEST_CASE(golden_constructs_render_as_go_does) {
  for (const auto& c : golden_cases) {
    BOOST_TEST_CONTEXT(c.text) { BOOST_TEST(render_ok(c.text) == c.expected); }
  }
}

BOOST_AUTO_TEST_CASE(id_alias_is_reported_as_a_warning_at_parse) {
  auto p = gt::parse("{\"ids\":[\"{{.Id}}\"]}\n{{$.Id}}", "close.tmpl");
  BOOST_REQUIRE(p.ok());
  BOOST_REQUIRE_EQUAL(p.parsed->warnings().size(), 2u);
  BOOST_TEST(p.parsed->warnings()[0].line == 1u);
  BOOST_TEST(p.parsed->warnings()[0].column == 12u);
  BOOST_TEST(p.parsed->warnings()[1].line == 2u);
  BOOST_TEST(p.parsed->warnings()[0].to_string().find("close.tmpl:1:12: `.Id` is not a Burrow field") == 0);
  BOOST_TEST(gt::parse("{{.ID}}", "x").parsed->warnings().empty());
}

BOOST_AUTO_TEST_CASE(nil_maxlag_and_empty_partitions) {
  group_status g = sample_status();
  g.maxlag.reset();
  g.partitions.clear();
  g.status = status_code::ok;
  const auto data = gt::make_notifier_data(g, incident, start, {});
  BOOST_TEST(render_ok("{{maxlag .Result.Maxlag}}|{{.Result.Maxlag}}|{{jsonencoder .Result.Partitions}}|"
                       "{{range .Result.Partitions}}x{{else}}none{{end}}|{{index .Extras \"api_key\"}}|{{.Result.Status}}",
                       data) == "0|<nil>|[]|none||OK");
}

struct error_case {
  const char* text;
  const char* expected;  // the full FILE:LINE:COL: message
};

const error_case parse_errors[] = {
    {"{{.A", "t.tmpl:1:1: unclosed action"},
    {"ab\n{{if .A}}x", "t.tmpl:2:11: unexpected EOF"},
    {"{{end}}", "t.tmpl:1:3: unexpected {{end}}"},
    {"x\n{{else}}", "t.tmpl:2:3: unexpected {{else}}"},
    {"{{foo 1}}", "t.tmpl:1:3: function \"foo\" not defined"},
    {"{{$x}}", "t.tmpl:1:3: undefined variable \"$x\""},
    {"{{$x = 1}}", "t.tmpl:1:3: undefined variable \"$x\""},
    {"{{if true}}{{$x := 1}}{{end}}{{$x}}", "t.tmpl:1:32: undefined variable \"$x\""},
    {"{{1x}}", "t.tmpl:1:3: bad number syntax: \"1x\""},
    {"{{\"abc}}", "t.tmpl:1:3: unterminated quoted string"},
    {"a\n\n  {{`abc}}", "t.tmpl:3:5: unterminated raw quoted string"},
    {"{{/* x }}", "t.tmpl:1:1: unclosed comment"},
    {"{{/* x */ }}", "t.tmpl:1:1: comment ends before closing delimiter"},
    {"{{.A | 1}}", "t.tmpl:1:8: non executable command in pipeline stage 2"},
    {"{{if}}{{end}}", "t.tmpl:1:5: missing value for if"},
    {"{{range $i, $v, $w := .}}{{end}}", "t.tmpl:1:13: too many declarations in range"},
    {"{{break}}", "t.tmpl:1:3: {{break}} outside {{range}}"},
    {"{{(1}}", "t.tmpl:1:5: unclosed left paren"},
    {"{{)}}", "t.tmpl:1:3: unexpected right paren"},
    {"{{define \"a\"}}{{end}}{{define \"a\"}}{{end}}", "t.tmpl:1:24: template: multiple definition of template \"a\""},
    {"{{template \"nope\"}}", "t.tmpl:1:12: no such template \"nope\""},
    {"{{if .A}}{{else}}{{else}}{{end}}", "t.tmpl:1:20: expected end; found {{else}}"},
    {"{{.A.}}", "t.tmpl:1:5: unexpected \".\" in operand"},
    {"{{\"a\".B}}", "t.tmpl:1:3: unexpected . after term \"\\\"a\\\"\""},
    {"{{99999999999999999999}}", "t.tmpl:1:3: integer overflow: \"99999999999999999999\""},
    {"{{'ab'}}", "t.tmpl:1:3: malformed character constant: 'ab'"},
    {"{{if .A}}{{define \"x\"}}{{end}}{{end}}", "t.tmpl:1:12: unexpected <define> in command"},
};

BOOST_AUTO_TEST_CASE(parse_errors_name_file_line_and_column) {
  for (const auto& c : parse_errors) {
    BOOST_TEST_CONTEXT(c.text) {
      auto p = gt::parse(c.text, "t.tmpl");
      BOOST_REQUIRE(!p.ok());
      BOOST_TEST(p.error->to_string() == c.expected);
    }
  }
}

BOOST_AUTO_TEST_CASE(nesting_beyond_the_limit_is_a_parse_error) {
  std::string deep(200, '(');
  deep = "{{" + deep + "1" + std::string(200, ')') + "}}";
  auto p = gt::parse(deep, "deep.tmpl");
  BOOST_REQUIRE(!p.ok());
  BOOST_TEST(p.error->message == "template nesting too deep (limit 100)");
  std::string ifs;
  for (int i = 0; i < 150; ++i) ifs += "{{if true}}";
  for (int i = 0; i < 150; ++i) ifs += "{{end}}";
  BOOST_TEST(!gt::parse(ifs, "deep.tmpl").ok());
}

const error_case exec_errors[] = {
    {"{{.Nope}}",
     "t.tmpl:1:3: executing \"t.tmpl\" at <.Nope>: can't evaluate field Nope in type struct { Cluster string; "
     "Group string; ID string; Start time.Time; Extras map[string]string; Result protocol.ConsumerGroupStatus }"},
    {"x\n{{range .Result.Partitions}}{{.Lag}}{{end}}",
     "t.tmpl:2:31: executing \"t.tmpl\" at <.Lag>: can't evaluate field Lag in type *protocol.PartitionStatus"},
    {"{{divide 1 0}}", "t.tmpl:1:3: executing \"t.tmpl\" at <divide>: error calling divide: runtime error: integer divide by zero"},
    {"{{index .Result.Partitions 9}}", "t.tmpl:1:3: executing \"t.tmpl\" at <index>: error calling index: index out of range: 9"},
    {"{{range 5.5}}{{end}}", "t.tmpl:1:3: executing \"t.tmpl\": range can't iterate over 5.5"},
    {"{{.Result.Group 1}}", "t.tmpl:1:3: executing \"t.tmpl\" at <.Result.Group>: Group has arguments but cannot be invoked as function"},
    {"{{eq .Group 1}}", "t.tmpl:1:3: executing \"t.tmpl\" at <eq>: error calling eq: incompatible types for comparison"},
    {"{{lt true false}}", "t.tmpl:1:3: executing \"t.tmpl\" at <lt>: error calling lt: invalid type for comparison"},
    {"{{add \"a\" 1}}", "t.tmpl:1:3: executing \"t.tmpl\" at <add>: wrong type for value; expected int; got string"},
    {"{{add 1}}", "t.tmpl:1:3: executing \"t.tmpl\" at <add>: wrong number of args for add: want 2 got 1"},
    {"{{len 3}}", "t.tmpl:1:3: executing \"t.tmpl\" at <len>: error calling len: len of type int"},
    {"{{.Start.Format}}", "t.tmpl:1:3: executing \"t.tmpl\" at <.Start.Format>: wrong number of args for Format: want 1 got 0"},
    {"{{1 2}}", "t.tmpl:1:3: executing \"t.tmpl\" at <1>: can't give argument to non-function 1"},
    {"{{nil}}", "t.tmpl:1:3: executing \"t.tmpl\" at <nil>: nil is not a command"},
    {"{{.Group.X}}", "t.tmpl:1:3: executing \"t.tmpl\" at <.Group.X>: can't evaluate field X in type string"},
    {"{{printf \"%.1f%%\" (multiply 100 .Result.Complete)}}",
     "t.tmpl:1:20: executing \"t.tmpl\" at <multiply>: wrong type for value; expected int; got float32"},
};

BOOST_AUTO_TEST_CASE(execution_errors_are_values_with_positions) {
  for (const auto& c : exec_errors) {
    BOOST_TEST_CONTEXT(c.text) {
      auto p = gt::parse(c.text, "t.tmpl");
      BOOST_REQUIRE_MESSAGE(p.ok(), (p.error ? p.error->to_string() : ""));
      auto r = p.parsed->render(sample());
      BOOST_REQUIRE(!r.ok());
      BOOST_TEST(r.error->to_string() == c.expected);
    }
  }
}

BOOST_AUTO_TEST_CASE(nil_maxlag_field_is_a_nil_pointer_error) {
  group_status g = sample_status();
  g.maxlag.reset();
  auto p = gt::parse("{{.Result.Maxlag.Topic}}", "t.tmpl");
  auto r = p.parsed->render(gt::make_notifier_data(g, incident, start, {}));
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error->message ==
             "executing \"t.tmpl\" at <.Result.Maxlag.Topic>: nil pointer evaluating *protocol.PartitionStatus.Topic");
}

BOOST_AUTO_TEST_CASE(limits_bound_output_iterations_depth_and_steps) {
  // Output size
  {
    auto p = gt::parse("{{range .Result.Partitions}}0123456789{{end}}", "t");
    gt::render_limits l;
    l.max_output_bytes = 25;
    auto r = p.parsed->render(sample(), l);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.output.size() == 25u);
    BOOST_TEST(r.error->message.find("output exceeds the limit of 25 bytes") != std::string::npos);
  }
  // Range iterations (nested ranges multiply)
  {
    auto p = gt::parse("{{range 1000}}{{range 1000}}{{end}}{{end}}", "t");
    auto r = p.parsed->render(sample());
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error->message.find("range exceeded the iteration limit (100000)") != std::string::npos);
  }
  // Recursion through {{template}}
  {
    auto p = gt::parse("{{define \"r\"}}x{{template \"r\" .}}{{end}}{{template \"r\" .}}", "t");
    BOOST_REQUIRE(p.ok());
    auto r = p.parsed->render(sample());
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error->message.find("exceeded maximum template depth (200)") != std::string::npos);
  }
  // Steps
  {
    auto p = gt::parse("{{range 90000}}{{$x := 1}}{{$x = 2}}{{end}}", "t");
    gt::render_limits l;
    l.max_steps = 1000;
    auto r = p.parsed->render(sample(), l);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(r.error->message.find("step limit (1000") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(long_else_if_chains_neither_nest_nor_recurse) {
  std::string t = "{{$n := 4999}}";
  for (int i = 0; i < 5000; ++i) t += (i ? "{{else if eq $n " : "{{if eq $n ") + std::to_string(i) + "}}" + std::to_string(i);
  t += "{{else}}none{{end}}";
  BOOST_TEST(render_ok(t) == "4999");
}

BOOST_AUTO_TEST_CASE(strings_cannot_outgrow_the_output_limit) {
  // A variable doubled in a loop: stopped at the output limit, not by running out of memory.
  auto p = gt::parse("{{$s := \"0123456789abcdef\"}}{{range 64}}{{$s = print $s $s}}{{end}}{{len $s}}", "t");
  BOOST_REQUIRE(p.ok());
  auto r = p.parsed->render(sample());
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(r.error->message.find("error calling print: result exceeds the output limit of 1048576 bytes") !=
             std::string::npos);
  auto q = gt::parse("{{$s := \"x\"}}{{range 64}}{{$s = printf \"%s%s\" $s $s}}{{end}}", "t");
  auto rq = q.parsed->render(sample());
  BOOST_REQUIRE(!rq.ok());
  BOOST_TEST(rq.error->message.find("error calling printf: result exceeds") != std::string::npos);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  BOOST_REQUIRE_MESSAGE(in, "cannot open " << path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// tests/data/templates/NAME.tmpl rendered against the sample data gives NAME.out exactly.
BOOST_AUTO_TEST_CASE(golden_files_render_exactly) {
  const std::string dir = std::string(WARREN_SOURCE_DIR) + "/tests/data/templates/";
  for (const char* name : {"http_open", "http_close_burrow_id", "slack_open", "email_open", "constructs"}) {
    BOOST_TEST_CONTEXT(name) {
      const auto text = read_file(dir + name + ".tmpl");
      auto p = gt::parse(text, std::string(name) + ".tmpl");
      BOOST_REQUIRE_MESSAGE(p.ok(), (p.error ? p.error->to_string() : ""));
      auto r = p.parsed->render(sample());
      BOOST_REQUIRE_MESSAGE(r.ok(), (r.error ? r.error->to_string() : ""));
      BOOST_TEST(r.output == read_file(dir + name + ".out"));
    }
  }
}

// Warren's shipped defaults (config/templates/) parse without warnings and render against open
// (WARN) and close (OK) data; the http and Slack ones give valid JSON, the email ones start with
// "Subject: " and have a blank line before the body.
BOOST_AUTO_TEST_CASE(default_templates_parse_and_render) {
  const std::string dir = std::string(WARREN_SOURCE_DIR) + "/config/templates/";
  group_status closed = sample_status();
  closed.status = status_code::ok;
  closed.maxlag.reset();
  closed.totallag = 0;
  const auto close_data = gt::make_notifier_data(closed, incident, start, extras);
  for (const char* name : {"http-open", "http-close", "slack-open", "slack-close", "email-open", "email-close"}) {
    BOOST_TEST_CONTEXT(name) {
      const std::string file = dir + name + ".tmpl";
      auto p = gt::parse(read_file(file), file);
      BOOST_REQUIRE_MESSAGE(p.ok(), (p.error ? p.error->to_string() : ""));
      BOOST_TEST(p.parsed->warnings().empty());
      for (const auto* data : {&sample(), &close_data}) {
        auto r = p.parsed->render(*data);
        BOOST_REQUIRE_MESSAGE(r.ok(), (r.error ? r.error->to_string() : ""));
        if (std::string_view(name).rfind("email", 0) == 0) {
          BOOST_TEST(r.output.rfind("Subject: [Warren] orders-app on local is ", 0) == 0);
          BOOST_TEST(r.output.find("\n\n") != std::string::npos);
        } else {
          boost::system::error_code ec;
          const auto v = boost::json::parse(r.output, ec);
          BOOST_TEST(!ec, r.output);
          BOOST_TEST(v.is_object());
        }
      }
    }
  }
  // Spot checks of the rendered content.
  auto http = gt::parse(read_file(dir + "http-open.tmpl"), "http-open.tmpl").parsed->render(sample()).output;
  const auto j = boost::json::parse(http).as_object();
  BOOST_TEST(j.at("status").as_string() == "WARN");
  BOOST_TEST(j.at("start").as_string() == "2023-11-14T22:15:23.456Z");
  BOOST_TEST(j.at("partitions").as_array().size() == 3u);
  BOOST_TEST(j.at("partition_counts").at("stop").as_int64() == 1);
  BOOST_TEST(j.at("maxlag").at("current_lag").as_int64() == 25);
  auto slack = gt::parse(read_file(dir + "slack-open.tmpl"), "s").parsed->render(sample()).output;
  BOOST_TEST(slack.find("\"title\":\"Kafka consumer group orders-app is WARN\"") != std::string::npos);
  BOOST_TEST(slack.find("\"value\":\"orders:0 (25)\"") != std::string::npos);
  auto email = gt::parse(read_file(dir + "email-open.tmpl"), "e").parsed->render(sample()).output;
  BOOST_TEST(email.find("  WARN   orders:0 lag 25\n  STOP   orders:1 lag 5\n") != std::string::npos);
  BOOST_TEST(email.find("payments") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(json_quotes_hostile_names) {
  group_status g = sample_status();
  g.group = "we\"ird\n<group>\u2028";
  g.partitions.resize(1);
  g.partitions[0].topic = "t\\x";
  const auto data = gt::make_notifier_data(g, incident, start, {});
  BOOST_TEST(render_ok("{{jsonencoder .Group}} {{(index .Result.Partitions 0).Topic | jsonencoder}}", data) ==
             "\"we\\\"ird\\n\\u003cgroup\\u003e\\u2028\" \"t\\\\x\"");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace warren
