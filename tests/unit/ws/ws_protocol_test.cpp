// The live status stream without sockets: client message parsing (every error), the subscription
// matcher, the server message texts, the coalescing outbox and the hub's fan-out and seq rules.
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "service/core/actor.hpp"
#include "service/core/feed.hpp"
#include "service/evaluator/group_evaluator.hpp"
#include "service/http/burrow_json.hpp"
#include "service/storage/offset_store.hpp"
#include "service/ws/ws_hub.hpp"
#include "service/ws/ws_outbox.hpp"
#include "service/ws/ws_protocol.hpp"

namespace warren::ws {
namespace {
namespace json = boost::json;

const std::vector<std::string> clusters{"local", "remote"};

json::value parse_frame(const server_message& m, std::uint64_t seq) { return json::parse(frame_text(m, seq)); }

group_status make_status(std::string cluster, std::string group, status_code s, int partitions = 2) {
  group_status g;
  g.cluster = std::move(cluster);
  g.group = std::move(group);
  g.status = s;
  g.complete = 0.5f;
  for (int i = 0; i < partitions; ++i) {
    partition_status p;
    p.topic = "t";
    p.partition = i;
    p.status = s == status_code::err ? status_code::stop : status_code::ok;
    p.current_lag = static_cast<std::uint64_t>(10 * i);
    g.partitions.push_back(p);
  }
  g.partition_count = g.partitions.size();
  g.totallag = 10;
  g.maxlag = g.partitions.back();
  return g;
}

BOOST_AUTO_TEST_SUITE(ws_protocol)

struct parse_case {
  const char* name;
  const char* text;
  std::optional<error_code> error;  // nullopt: parses
};

BOOST_AUTO_TEST_CASE(client_messages_parse_or_name_their_error) {
  const parse_case cases[] = {
      {"subscribe all", R"({"type":"subscribe"})", std::nullopt},
      {"subscribe full form", R"({"type":"subscribe","id":"a","cluster":"local","group":"g","detail":"summary"})",
       std::nullopt},
      {"subscribe pattern", R"({"type":"subscribe","pattern":"^orders-"})", std::nullopt},
      {"unknown fields ignored", R"({"type":"ping","extra":[1,2]})", std::nullopt},
      {"unsubscribe", R"({"type":"unsubscribe","id":"a"})", std::nullopt},
      {"ping", R"({"type":"ping"})", std::nullopt},
      {"malformed", R"({"type":"subscribe")", error_code::bad_json},
      {"not an object", R"(["subscribe"])", error_code::bad_json},
      {"empty", "", error_code::bad_json},
      {"too deep", R"({"a":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]})", error_code::bad_json},
      {"no type", R"({"id":"x"})", error_code::bad_request},
      {"type not a string", R"({"type":1})", error_code::bad_request},
      {"unknown type", R"({"type":"publish"})", error_code::unknown_type},
      {"id not a string", R"({"type":"ping","id":3})", error_code::bad_request},
      {"id too long", nullptr, error_code::bad_request},
      {"bad detail", R"({"type":"subscribe","detail":"everything"})", error_code::bad_request},
      {"group and pattern", R"({"type":"subscribe","group":"g","pattern":"g"})", error_code::bad_request},
      {"cluster not a string", R"({"type":"subscribe","cluster":["local"]})", error_code::bad_request},
      {"unsubscribe without id", R"({"type":"unsubscribe"})", error_code::bad_request},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      std::string text = c.text ? c.text : R"({"type":"ping","id":")" + std::string(200, 'x') + "\"}";
      auto m = parse_client_message(text);
      if (!c.error) {
        BOOST_TEST(!std::holds_alternative<protocol_error>(m));
      } else {
        BOOST_REQUIRE(std::holds_alternative<protocol_error>(m));
        BOOST_TEST(to_string(std::get<protocol_error>(m).code) == to_string(*c.error));
        BOOST_TEST(!std::get<protocol_error>(m).message.empty());
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(subscribe_fields_are_read) {
  auto m = parse_client_message(R"({"type":"subscribe","id":"a","cluster":"local","pattern":"x$","detail":"summary"})");
  const auto& s = std::get<subscribe_request>(m);
  BOOST_TEST(s.id == "a");
  BOOST_TEST(s.cluster == "local");
  BOOST_TEST(s.pattern == "x$");
  BOOST_TEST(s.group.empty());
  BOOST_TEST((s.detail == detail_level::summary));
  BOOST_TEST((std::get<subscribe_request>(parse_client_message(R"({"type":"subscribe"})")).detail ==
              detail_level::full));
  // An error after the id was read names the request.
  auto e = std::get<protocol_error>(parse_client_message(R"({"type":"nope","id":"r7"})"));
  BOOST_TEST(e.id == "r7");
}

BOOST_AUTO_TEST_CASE(matcher_by_cluster_group_and_pattern) {
  struct match_case {
    const char* name;
    subscribe_request r;
    const char* cluster;
    const char* group;
    bool expected;
  };
  const match_case cases[] = {
      {"everything", {}, "local", "g1", true},
      {"cluster matches", {"", "local", "", "", {}}, "local", "g1", true},
      {"other cluster", {"", "local", "", "", {}}, "remote", "g1", false},
      {"exact group", {"", "", "g1", "", {}}, "local", "g1", true},
      {"group is not a prefix", {"", "", "g1", "", {}}, "local", "g10", false},
      {"pattern searched", {"", "", "", "der", {}}, "local", "orders-eu", true},
      {"anchored pattern", {"", "", "", "^orders-", {}}, "local", "old-orders-eu", false},
      {"anchored pattern matches", {"", "", "", "^orders-", {}}, "local", "orders-eu", true},
      {"cluster and pattern", {"", "remote", "", "eu$", {}}, "local", "orders-eu", false},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      auto f = subscription_filter::make(c.r, clusters);
      BOOST_REQUIRE(std::holds_alternative<subscription_filter>(f));
      BOOST_TEST(std::get<subscription_filter>(f).matches(c.cluster, c.group) == c.expected);
    }
  }
}

BOOST_AUTO_TEST_CASE(matcher_rejects_unknown_cluster_and_bad_pattern) {
  auto unknown = subscription_filter::make({"a", "nowhere", "", "", {}}, clusters);
  BOOST_REQUIRE(std::holds_alternative<protocol_error>(unknown));
  BOOST_TEST(to_string(std::get<protocol_error>(unknown).code) == "unknown_cluster");
  BOOST_TEST(std::get<protocol_error>(unknown).id == "a");
  auto bad = subscription_filter::make({"", "", "", "([a-z", {}}, clusters);
  BOOST_REQUIRE(std::holds_alternative<protocol_error>(bad));
  BOOST_TEST(to_string(std::get<protocol_error>(bad).code) == "bad_pattern");
}

BOOST_AUTO_TEST_CASE(patterns_are_re2_with_size_limits_reported_as_bad_pattern) {
  auto code_and_message = [&](const std::string& p) {
    auto f = subscription_filter::make({"p", "", "", p, {}}, clusters);
    BOOST_REQUIRE(std::holds_alternative<protocol_error>(f));
    const auto& e = std::get<protocol_error>(f);
    return std::string(to_string(e.code)) + ": " + e.message;
  };
  BOOST_TEST(code_and_message("(?=x)").find("bad_pattern: invalid regular expression: RE2/Go syntax error") == 0u);
  BOOST_TEST(code_and_message("(.*){1000}x").find("bad_pattern: invalid regular expression: too large once compiled") ==
             0u);
  BOOST_TEST(code_and_message(std::string(20000, 'a')).find("bad_pattern: invalid regular expression: too long") == 0u);
  // No length cap of its own any more: a long pattern within RE2's limits is accepted.
  BOOST_TEST(std::holds_alternative<subscribe_request>(
      parse_client_message(R"({"type":"subscribe","pattern":")" + std::string(1500, 'a') + R"("})")));
  // Go syntax that ECMAScript lacks.
  auto f = std::get<subscription_filter>(subscription_filter::make({"", "", "", "(?i)^ORDERS", {}}, clusters));
  BOOST_TEST(f.matches("local", "orders-eu"));
}

BOOST_AUTO_TEST_CASE(attack_patterns_on_long_group_names_are_bounded) {
  const std::string long_name(32000, 'a');
  for (const char* p : {"(.*){40}x", "(.*){25}x", "^(a|b)*c"}) {
    auto f = std::get<subscription_filter>(subscription_filter::make({"", "", "", p, {}}, clusters));
    BOOST_TEST(!f.matches("local", long_name), p);
    BOOST_TEST(!f.matches("local", "aaaa"), p);
  }
  // A small program is searched in the longest names; a large one only while name × program
  // stays within max_match_steps (longer names never match it).
  auto small = std::get<subscription_filter>(subscription_filter::make({"", "", "", "^(a|b)*c", {}}, clusters));
  BOOST_TEST(small.matches("local", long_name + "c"));
  auto large = std::get<subscription_filter>(subscription_filter::make({"", "", "", "(.*){40}a", {}}, clusters));
  BOOST_TEST(large.matches("local", std::string(1000, 'a')));
  BOOST_TEST(!large.matches("local", long_name));
}

BOOST_AUTO_TEST_CASE(server_messages_are_json_with_type_and_seq_first) {
  protocol_limits limits;
  auto hello = parse_frame(hello_message(clusters, limits, "warren 0.1.0"), 1);
  BOOST_TEST(frame_text(hello_message(clusters, limits, "w"), 1).rfind(R"({"type":"hello","seq":1,)", 0) == 0u);
  BOOST_TEST(hello.at("protocol").as_string() == "warren.v1");
  BOOST_TEST(hello.at("version").as_int64() == 1);
  BOOST_TEST(hello.at("clusters").as_array().size() == 2u);
  BOOST_TEST(hello.at("limits").at("max_frame_bytes").as_int64() == 65536);

  auto g = make_status("local", "g<1>", status_code::err);
  auto full = json::parse(message_head(status_type, 7) + status_body(g, status_code::ok, detail_level::full));
  BOOST_TEST(full.at("type").as_string() == "status");
  BOOST_TEST(full.at("seq").as_int64() == 7);
  BOOST_TEST(full.at("group").as_string() == "g<1>");
  BOOST_TEST(full.at("previous").as_string() == "OK");
  BOOST_TEST(full.at("status").at("status").as_string() == "ERR");
  BOOST_TEST(full.at("status").at("partitions").as_array().size() == 2u);
  // The status object is Burrow's, written by http/burrow_json (Go escaping included).
  BOOST_TEST(status_body(g, status_code::ok, detail_level::full).find(to_json(g)) != std::string::npos);
  auto summary = json::parse(message_head(status_type, 8) + status_body(g, status_code::ok, detail_level::summary));
  BOOST_TEST(summary.at("detail").as_string() == "summary");
  BOOST_TEST(summary.at("status").at("partitions").as_array().empty());
  BOOST_TEST(summary.at("status").at("partition_count").as_int64() == 2);
  BOOST_TEST(summary.at("status").at("maxlag").at("current_lag").as_int64() == 10);
  BOOST_TEST(summary.at("status").at("complete").as_double() == 0.5);

  auto removed = json::parse(message_head(removed_type, 9) + removed_body("local", "g", status_code::warn));
  BOOST_TEST(removed.at("type").as_string() == "removed");
  BOOST_TEST(removed.at("previous").as_string() == "WARN");

  auto filter = std::get<subscription_filter>(subscription_filter::make({"s1", "local", "", "^g", {}}, clusters));
  const group_status* list[] = {&g};
  auto snap = parse_frame(snapshot_message("s1", filter, detail_level::summary, list), 2);
  BOOST_TEST(snap.at("id").as_string() == "s1");
  BOOST_TEST(snap.at("pattern").as_string() == "^g");
  BOOST_TEST(snap.at("statuses").as_array().size() == 1u);
  BOOST_TEST(snap.at("statuses").at(0).at("partitions").as_array().empty());

  auto err = parse_frame(error_message({error_code::unknown_cluster, "cluster \"x\" is not configured", "r1"}), 3);
  BOOST_TEST(err.at("code").as_string() == "unknown_cluster");
  BOOST_TEST(err.at("id").as_string() == "r1");
  BOOST_TEST(parse_frame(pong_message(""), 4).as_object().size() == 2u);
  BOOST_TEST(parse_frame(pong_message("p"), 4).at("id").as_string() == "p");
  BOOST_TEST(parse_frame(unsubscribed_message("s1"), 5).at("id").as_string() == "s1");
}

BOOST_AUTO_TEST_CASE(subprotocol_negotiation) {
  BOOST_TEST(choose_subprotocol("").value() == "");
  BOOST_TEST(choose_subprotocol("warren.v1").value() == "warren.v1");
  BOOST_TEST(choose_subprotocol("chat, warren.v1").value() == "warren.v1");
  BOOST_TEST(choose_subprotocol("warren.bearer.dG9r, warren.v1").value() == "warren.v1");
  // warren.v2 (batch frames) only when the client offers it, whatever the order of its offer.
  BOOST_TEST(choose_subprotocol("warren.v2").value() == "warren.v2");
  BOOST_TEST(choose_subprotocol("warren.v2, warren.v1").value() == "warren.v2");
  BOOST_TEST(choose_subprotocol("warren.v1,warren.v2").value() == "warren.v2");
  BOOST_TEST(!choose_subprotocol("warren.v9").has_value());
  BOOST_TEST(!choose_subprotocol("warren.v1.batch, warren.v").has_value());
  BOOST_TEST(!choose_subprotocol("chat,  superchat").has_value());
}

std::shared_ptr<const change_payload> change(const std::string& group, std::string body) {
  auto p = std::make_shared<change_payload>();
  p->key = change_key("local", group);
  p->type = status_type;
  p->body = std::move(body);
  return p;
}

BOOST_AUTO_TEST_CASE(outbox_coalesces_latest_per_group_in_place) {
  ws_outbox box(3);
  BOOST_TEST((box.push_change(change("a", "a1")) == push_result::queued));
  BOOST_TEST((box.push_change(change("b", "b1")) == push_result::queued));
  BOOST_TEST((box.push_change(change("a", "a2")) == push_result::coalesced));
  BOOST_TEST((box.push_control("pong", "}") == push_result::queued));
  BOOST_TEST((box.push_change(change("b", "b2")) == push_result::coalesced));  // full, but coalesces
  BOOST_TEST((box.push_change(change("c", "c1")) == push_result::full));
  BOOST_TEST(box.size() == 3u);
  BOOST_TEST(box.take_front().text_body() == "a2");
  BOOST_TEST(box.take_front().text_body() == "b2");
  // A change of a group no longer queued is queued anew.
  BOOST_TEST((box.push_change(change("a", "a3")) == push_result::queued));
  BOOST_TEST(box.take_front().type == "pong");
  auto taken = box.take_front();
  BOOST_TEST(taken.text_body() == "a3");
  BOOST_TEST((box.push_change(change("a", "a4")) == push_result::queued));  // not into the taken one
  BOOST_TEST(box.take_front().text_body() == "a4");
  BOOST_TEST(key_cluster(change_key("local", "g")) == "local");
  BOOST_TEST(key_group(change_key("local", "g")) == "g");
}

BOOST_AUTO_TEST_CASE(outbox_snapshot_is_a_coalescing_barrier) {
  ws_outbox box(10);
  box.push_change(change("a", "a1"));
  box.push_control("snapshot", "S", true);
  BOOST_TEST((box.push_change(change("a", "a2")) == push_result::queued));  // after the snapshot
  BOOST_TEST((box.push_change(change("a", "a3")) == push_result::coalesced));
  std::vector<std::string> order;
  while (!box.empty()) order.push_back(box.take_front().text_body());
  BOOST_TEST((order == std::vector<std::string>{"a1", "S", "a3"}));
}

BOOST_AUTO_TEST_CASE(hello_names_the_protocol_version_and_both_outbox_bounds) {
  protocol_limits limits;
  limits.outbox = 100;
  limits.outbox_bytes = 12345;
  auto v1 = parse_frame(hello_message(clusters, limits, "w"), 1);
  BOOST_TEST(v1.at("protocol").as_string() == "warren.v1");
  BOOST_TEST(v1.at("version").as_int64() == 1);
  BOOST_TEST(v1.at("limits").at("outbox").as_int64() == 100);
  BOOST_TEST(v1.at("limits").at("outbox_bytes").as_int64() == 12345);
  auto v2 = parse_frame(hello_message(clusters, limits, "w", protocol_version_v2), 1);
  BOOST_TEST(v2.at("protocol").as_string() == "warren.v2");
  BOOST_TEST(v2.at("version").as_int64() == 2);
}

BOOST_AUTO_TEST_CASE(a_batch_frame_holds_the_single_messages_unchanged_and_in_order) {
  auto g = make_status("local", "g\"1", status_code::warn);
  const std::vector<server_message> ms{
      {status_type, status_body(g, status_code::ok, detail_level::full)},
      {removed_type, removed_body("local", "gone", status_code::ok)},
      pong_message("p"),
      error_message({error_code::bad_json, "no", {}}),
      {status_type, status_body(g, status_code::warn, detail_level::summary)},
  };
  std::vector<message_ref> refs;
  for (const auto& m : ms) refs.push_back({m.type, m.body});
  const auto text = frame_text(refs, 40, true);
  BOOST_TEST(text.rfind(R"({"type":"batch","messages":[{"type":"status","seq":40,)", 0) == 0u);
  const auto batch = json::parse(text);
  BOOST_TEST(batch.as_object().size() == 2u);  // type and messages: no seq of its own
  const auto& inner = batch.at("messages").as_array();
  BOOST_REQUIRE(inner.size() == ms.size());
  for (std::size_t i = 0; i < ms.size(); ++i) {
    // Byte for byte the frame a warren.v1 client gets for that message at that seq.
    BOOST_TEST(json::serialize(inner[i]) == json::serialize(parse_frame(ms[i], 40 + i)));
    BOOST_TEST(text.find(frame_text(ms[i], 40 + i)) != std::string::npos);
  }
  // One message: sent alone, with or without batching; without batching never an envelope.
  BOOST_TEST(frame_text(std::span<const message_ref>(refs.data(), 1), 7, true) == frame_text(ms[0], 7));
  BOOST_TEST(frame_text(std::span<const message_ref>(refs.data(), 1), 7, false) == frame_text(ms[0], 7));
  // The pieces view the bodies (shared payloads are gathered into the write, not copied).
  std::string heads;
  std::vector<std::string_view> pieces;
  frame_pieces(refs, 1, true, heads, pieces);
  BOOST_REQUIRE(pieces.size() == 2 * ms.size() + 1);
  for (std::size_t i = 0; i < ms.size(); ++i) BOOST_TEST(pieces[2 * i + 1].data() == ms[i].body.data());
}

BOOST_AUTO_TEST_CASE(outbox_byte_bound_counts_queued_text_and_coalescing) {
  ws_outbox box(100, 1000);
  BOOST_TEST(box.byte_capacity() == 1000u);
  const std::string b400(400, 'x');
  BOOST_TEST((box.push_change(change("a", b400)) == push_result::queued));
  BOOST_TEST(box.bytes() == 400u + outbox_entry::head_bytes);
  BOOST_TEST((box.push_change(change("b", b400)) == push_result::queued));
  BOOST_TEST((box.push_change(change("c", b400)) == push_result::full));
  BOOST_TEST(box.bytes_full());
  BOOST_TEST((box.push_control("pong", b400) == push_result::full));
  // A larger newer state of a queued group that does not fit is refused too; a smaller one fits.
  BOOST_TEST((box.push_change(change("a", std::string(600, 'y'))) == push_result::full));
  BOOST_TEST((box.push_change(change("a", std::string(100, 'z'))) == push_result::coalesced));
  BOOST_TEST(box.bytes() == 500u + 2 * outbox_entry::head_bytes);
  BOOST_TEST((box.push_change(change("c", b400)) == push_result::queued));
  BOOST_TEST(!box.bytes_full());
  auto first = box.take_front();
  BOOST_TEST(first.text_body().size() == 100u);
  BOOST_TEST(box.bytes() == 800u + 2 * outbox_entry::head_bytes);
  BOOST_TEST(box.remove_changes_if([](std::string_view k) { return key_group(k) == "b"; }) == 1u);
  BOOST_TEST(box.bytes() == 400u + outbox_entry::head_bytes);
  box.clear();
  BOOST_TEST(box.bytes() == 0u);
  // An empty outbox takes one message whatever its size; the message bound still applies.
  BOOST_TEST((box.push_control("snapshot", std::string(5000, 's')) == push_result::queued));
  BOOST_TEST((box.push_control("pong", "}") == push_result::full));
  ws_outbox few(2);
  few.push_control("pong", "}");
  few.push_control("pong", "}");
  BOOST_TEST((few.push_control("pong", "}") == push_result::full));
  BOOST_TEST(!few.bytes_full());
}

BOOST_AUTO_TEST_CASE(outbox_take_gathers_a_drain_within_its_bounds) {
  ws_outbox box(100);
  for (int i = 0; i < 10; ++i) box.push_change(change("g" + std::to_string(i), std::string(100, 'x')));
  std::vector<outbox_entry> out;
  BOOST_TEST(box.take(out, 4, 1 << 20) == 4u);
  BOOST_TEST(key_group(out[0].change->key) == "g0");
  BOOST_TEST(key_group(out[3].change->key) == "g3");
  BOOST_TEST(box.take(out, 100, 3 * (100 + outbox_entry::head_bytes)) == 3u);  // appended
  BOOST_TEST(out.size() == 7u);
  BOOST_TEST(key_group(out[6].change->key) == "g6");
  BOOST_TEST(box.take(out, 100, 1) == 1u);  // at least one
  BOOST_TEST(box.take(out, 100, 1 << 20) == 2u);
  BOOST_TEST(box.empty());
  BOOST_TEST(box.bytes() == 0u);
  // A newer change of a group already taken queues anew (what is on the wire is not rewritten).
  BOOST_TEST((box.push_change(change("g0", "new")) == push_result::queued));
}

BOOST_AUTO_TEST_CASE(outbox_remove_and_clear) {
  ws_outbox box(10);
  box.push_change(change("a", "a1"));
  box.push_change(change("b", "b1"));
  box.push_control("pong", "}");
  BOOST_TEST(box.remove_changes_if([](std::string_view k) { return key_group(k) == "a"; }) == 1u);
  BOOST_TEST(box.size() == 2u);
  BOOST_TEST((box.push_change(change("b", "b2")) == push_result::coalesced));
  BOOST_TEST(box.take_front().text_body() == "b2");
  box.push_change(change("b", "b3"));
  BOOST_TEST(box.clear() == 2u);
  BOOST_TEST(box.empty());
  box.push_final("error", "}");
  BOOST_TEST(box.size() == 1u);
}

std::shared_ptr<const change_batch> batch_of(std::initializer_list<std::pair<const char*, const char*>> changes) {
  auto b = std::make_shared<change_batch>();
  for (const auto& [group, body] : changes) b->add(change(group, body));
  return b;
}

std::vector<std::string> bodies(ws_outbox& box) {
  std::vector<std::string> out;
  while (!box.empty()) out.push_back(box.take_front().text_body());
  return out;
}

BOOST_AUTO_TEST_CASE(outbox_batch_into_an_empty_outbox_is_one_entry_handed_out_as_messages) {
  ws_outbox box(10);
  auto b = batch_of({{"a", "a1"}, {"b", "b1"}, {"c", "c1"}});
  auto r = box.push_batch(b);
  BOOST_TEST((r.result == push_result::queued));
  BOOST_TEST(box.size() == 3u);
  BOOST_TEST(box.bytes() == b->bytes);
  BOOST_TEST(b->bytes == 3 * (2 + outbox_entry::head_bytes));
  // take() splits the batch at its message bound and hands out single messages.
  std::vector<outbox_entry> out;
  BOOST_TEST(box.take(out, 2, 1 << 20) == 2u);
  BOOST_REQUIRE(out.size() == 2u);
  BOOST_TEST(out[0].text_body() == "a1");
  BOOST_TEST(out[1].text_body() == "b1");
  BOOST_TEST(out[1].type == status_type);
  BOOST_TEST(box.size() == 1u);
  BOOST_TEST(box.bytes() == 2 + outbox_entry::head_bytes);
  BOOST_TEST((bodies(box) == std::vector<std::string>{"c1"}));
  BOOST_TEST(box.bytes() == 0u);
  // The byte bound splits it too.
  box.push_batch(b);
  out.clear();
  BOOST_TEST(box.take(out, 100, 2 * (2 + outbox_entry::head_bytes)) == 2u);
  BOOST_TEST(box.size() == 1u);
}

BOOST_AUTO_TEST_CASE(outbox_changes_after_a_batch_coalesce_into_it_in_place) {
  ws_outbox box(10);
  box.push_batch(batch_of({{"a", "a1"}, {"b", "b1"}}));
  BOOST_TEST((box.push_change(change("a", "a2")) == push_result::coalesced));
  BOOST_TEST((box.push_change(change("c", "c1")) == push_result::queued));
  BOOST_TEST(box.size() == 3u);
  // A second batch into a non-empty outbox: one by one, coalescing.
  auto r = box.push_batch(batch_of({{"b", "b2"}, {"d", "d1"}}));
  BOOST_TEST((r.result == push_result::queued));
  BOOST_TEST(r.coalesced_count == 1u);
  BOOST_TEST(box.size() == 4u);
  BOOST_TEST((bodies(box) == std::vector<std::string>{"a2", "b2", "c1", "d1"}));
  // Every change of the batch coalescing: nothing new queued.
  box.push_change(change("a", "a3"));
  r = box.push_batch(batch_of({{"a", "a4"}}));
  BOOST_TEST((r.result == push_result::coalesced));
  BOOST_TEST((bodies(box) == std::vector<std::string>{"a4"}));
}

BOOST_AUTO_TEST_CASE(outbox_batch_partly_taken_then_coalesced_keeps_the_order) {
  ws_outbox box(10);
  box.push_batch(batch_of({{"a", "a1"}, {"b", "b1"}, {"c", "c1"}}));
  BOOST_TEST(box.take_front().text_body() == "a1");
  // "a" is on the wire: a newer one queues anew; "c" is still queued in the batch: replaced there.
  BOOST_TEST((box.push_change(change("a", "a2")) == push_result::queued));
  BOOST_TEST((box.push_change(change("c", "c2")) == push_result::coalesced));
  BOOST_TEST((bodies(box) == std::vector<std::string>{"b1", "c2", "a2"}));
}

BOOST_AUTO_TEST_CASE(outbox_batch_before_a_snapshot_barrier_is_not_coalesced_into) {
  ws_outbox box(10);
  box.push_batch(batch_of({{"a", "a1"}, {"b", "b1"}}));
  box.push_control("snapshot", "S", true);
  BOOST_TEST((box.push_change(change("a", "a2")) == push_result::queued));
  BOOST_TEST((box.push_change(change("a", "a3")) == push_result::coalesced));
  BOOST_TEST(box.size() == 4u);
  BOOST_TEST((bodies(box) == std::vector<std::string>{"a1", "b1", "S", "a3"}));
}

BOOST_AUTO_TEST_CASE(outbox_batch_over_a_bound_is_queued_one_by_one_up_to_it) {
  ws_outbox box(2);
  auto r = box.push_batch(batch_of({{"a", "a1"}, {"b", "b1"}, {"c", "c1"}}));
  BOOST_TEST((r.result == push_result::full));
  BOOST_TEST((bodies(box) == std::vector<std::string>{"a1", "b1"}));
  // Repeats of one group coalesce as they would one by one, so the bound counts distinct groups.
  r = box.push_batch(batch_of({{"a", "a1"}, {"a", "a2"}, {"a", "a3"}}));
  BOOST_TEST((r.result == push_result::queued));
  BOOST_TEST(r.coalesced_count == 2u);
  BOOST_TEST((bodies(box) == std::vector<std::string>{"a3"}));
  // The byte bound: an empty outbox takes a batch within it as one entry, not one over it.
  ws_outbox bytes_box(100, 2 * (2 + outbox_entry::head_bytes));
  r = bytes_box.push_batch(batch_of({{"a", "a1"}, {"b", "b1"}, {"c", "c1"}}));
  BOOST_TEST((r.result == push_result::full));
  BOOST_TEST(bytes_box.bytes_full());
  BOOST_TEST(bytes_box.size() == 2u);
}

BOOST_AUTO_TEST_CASE(outbox_remove_and_clear_reach_into_batches) {
  ws_outbox box(10);
  box.push_batch(batch_of({{"a", "a1"}, {"b", "b1"}, {"c", "c1"}}));
  box.push_control("snapshot", "S", true);  // the batch is before the barrier: not expanded
  box.push_change(change("a", "a2"));
  BOOST_TEST(box.remove_changes_if([](std::string_view k) { return key_group(k) == "a"; }) == 2u);
  BOOST_TEST(box.size() == 3u);
  BOOST_TEST(box.bytes() == 2 * (2 + outbox_entry::head_bytes) + 1 + outbox_entry::head_bytes);
  BOOST_TEST((bodies(box) == std::vector<std::string>{"b1", "c1", "S"}));
  box.push_batch(batch_of({{"a", "a1"}, {"b", "b1"}}));
  BOOST_TEST(box.clear() == 2u);
  BOOST_TEST(box.empty());
  BOOST_TEST(box.bytes() == 0u);
}

// ---- the hub, driven without sockets ----

hub_options small_hub() {
  hub_options o;
  o.limits.outbox = 4;
  o.limits.max_subscriptions = 2;
  return o;
}

struct hub_fixture {
  hub_fixture() : hub_fixture(small_hub()) {}
  explicit hub_fixture(hub_options o)
      : hub{ioc.get_executor(), sup, evaluator, cluster_changes, clusters, std::move(o), nullptr} {}
  boost::asio::io_context ioc;
  supervisor sup;
  feed<cluster_event> cluster_changes;
  offset_store store{ioc.get_executor(), sup, storage_options{}, clusters};
  group_evaluator evaluator{ioc.get_executor(), sup, store, evaluator_options{}, std::chrono::milliseconds(10),
                            std::chrono::milliseconds(1000)};
  ws_hub hub;
  int wakes = 0;

  // Drains a client's outbox the way the session writer does (seq assigned as written).
  std::vector<json::value> drain(ws_client& c) {
    std::vector<json::value> out;
    while (!c.outbox.empty()) {
      auto e = c.outbox.take_front();
      out.push_back(json::parse(message_head(e.type, ++c.seq) + e.text_body()));
    }
    return out;
  }
  void publish(const group_status& g, status_code previous) {
    hub.on_change(group_status_changed{g.cluster, g.group, &g, previous});
  }
};

BOOST_FIXTURE_TEST_CASE(hub_answers_and_fans_out_with_gapless_seq, hub_fixture) {
  ws_client a(hub, [this] { ++wakes; });
  ws_client b(hub, [this] { ++wakes; });
  BOOST_TEST(hub.clients() == 2u);
  hub.on_text(a, R"({"type":"subscribe","id":"all","detail":"summary"})");
  hub.on_text(b, R"({"type":"subscribe","cluster":"local","pattern":"^orders"})");
  auto first_a = drain(a);
  BOOST_REQUIRE(first_a.size() == 2u);
  BOOST_TEST(first_a[0].at("type").as_string() == "hello");
  BOOST_TEST(first_a[1].at("type").as_string() == "snapshot");
  BOOST_TEST(first_a[1].at("statuses").as_array().empty());
  auto first_b = drain(b);
  BOOST_TEST(first_b[1].at("id").as_string() == "s1");  // assigned by the server

  auto g1 = make_status("local", "orders", status_code::ok);
  auto g2 = make_status("local", "billing", status_code::ok);
  publish(g1, status_code::notfound);
  publish(g2, status_code::notfound);
  auto g1_err = make_status("local", "orders", status_code::err);
  publish(g1_err, status_code::ok);  // coalesces into the queued "orders"
  BOOST_TEST(hub.stats().messages_coalesced == 2u);
  hub.on_change(group_status_changed{g2.cluster, g2.group, nullptr, status_code::ok});  // removed

  auto got_a = drain(a);
  BOOST_REQUIRE(got_a.size() == 2u);
  BOOST_TEST(got_a[0].at("group").as_string() == "orders");
  BOOST_TEST(got_a[0].at("status").at("status").as_string() == "ERR");
  BOOST_TEST(got_a[0].at("detail").as_string() == "summary");
  BOOST_TEST(got_a[1].at("type").as_string() == "removed");
  auto got_b = drain(b);
  BOOST_REQUIRE(got_b.size() == 1u);  // only the pattern's group
  BOOST_TEST(got_b[0].at("detail").as_string() == "full");
  // seq: 1 hello, 2 snapshot, then one per message, no gaps.
  BOOST_TEST(got_a[0].at("seq").as_int64() == 3);
  BOOST_TEST(got_a[1].at("seq").as_int64() == 4);
  BOOST_TEST(got_b[0].at("seq").as_int64() == 3);
}

BOOST_FIXTURE_TEST_CASE(a_turn_of_changes_reaches_each_client_once_as_its_filters_and_details_ask, hub_fixture) {
  hub_options o;
  o.limits.outbox = 16;
  hub_fixture big(o);
  int wakes_all = 0;
  ws_client all(big.hub, [&] { ++wakes_all; });
  ws_client orders(big.hub, [] {});
  ws_client full(big.hub, [] {});
  ws_client mixed(big.hub, [] {});
  big.hub.on_text(all, R"({"type":"subscribe","detail":"summary"})");
  big.hub.on_text(orders, R"({"type":"subscribe","pattern":"^orders"})");
  big.hub.on_text(full, R"({"type":"subscribe"})");
  big.hub.on_text(mixed, R"x({"type":"subscribe","id":"s","detail":"summary","pattern":"^(billing|shipping)"})x");
  big.hub.on_text(mixed, R"({"type":"subscribe","id":"f","group":"orders"})");
  for (auto* c : {&all, &orders, &full, &mixed}) big.drain(*c);
  const int wakes_before = wakes_all;
  auto o1 = make_status("local", "orders", status_code::ok);
  auto b1 = make_status("local", "billing", status_code::warn);
  auto s1 = make_status("local", "shipping", status_code::ok);
  auto o2 = make_status("local", "orders", status_code::err);
  big.hub.begin_changes();
  big.publish(o1, status_code::notfound);
  big.publish(b1, status_code::notfound);
  big.publish(s1, status_code::notfound);
  big.publish(o2, status_code::ok);
  BOOST_TEST(all.outbox.empty());  // held until the turn ends
  big.hub.end_changes();
  BOOST_TEST(wakes_all == wakes_before + 1);  // one wake for the turn
  BOOST_TEST(all.outbox.size() == 4u);
  auto groups_of = [](const std::vector<json::value>& ms) {
    std::vector<std::string> out;
    for (const auto& m : ms) out.emplace_back(m.at("group").as_string());
    return out;
  };
  auto got_all = big.drain(all);
  BOOST_TEST((groups_of(got_all) == std::vector<std::string>{"orders", "billing", "shipping", "orders"}));
  for (const auto& m : got_all) BOOST_TEST(m.at("detail").as_string() == "summary");
  BOOST_TEST(got_all.back().at("status").at("status").as_string() == "ERR");  // the latest state last
  auto got_full = big.drain(full);
  BOOST_TEST((groups_of(got_full) == std::vector<std::string>{"orders", "billing", "shipping", "orders"}));
  for (const auto& m : got_full) BOOST_TEST(m.at("detail").as_string() == "full");
  // A client that wants some of the turn gets them one by one, coalesced per group.
  auto got_orders = big.drain(orders);
  BOOST_REQUIRE(got_orders.size() == 1u);
  BOOST_TEST(got_orders[0].at("status").at("status").as_string() == "ERR");
  BOOST_TEST(got_orders[0].at("detail").as_string() == "full");
  // Every change, but at two levels: one by one, each at the level its subscription asks.
  auto got_mixed = big.drain(mixed);
  BOOST_TEST((groups_of(got_mixed) == std::vector<std::string>{"orders", "billing", "shipping"}));
  BOOST_TEST(got_mixed[0].at("detail").as_string() == "full");
  BOOST_TEST(got_mixed[0].at("status").at("status").as_string() == "ERR");
  BOOST_TEST(got_mixed[1].at("detail").as_string() == "summary");
  BOOST_TEST(big.hub.stats().messages_coalesced == 2u);  // orders' and mixed's first "orders"
  // seq stays gapless: 1 hello, 2 snapshot, then the turn.
  BOOST_TEST(got_all.front().at("seq").as_int64() == 3);
  BOOST_TEST(got_all.back().at("seq").as_int64() == 6);
  // Outside a turn a change goes out at once.
  big.publish(b1, status_code::warn);
  BOOST_TEST(all.outbox.size() == 1u);
  BOOST_TEST(mixed.outbox.size() == 1u);
  BOOST_TEST(orders.outbox.empty());
}

BOOST_FIXTURE_TEST_CASE(hub_reports_every_request_error_and_keeps_the_client, hub_fixture) {
  ws_client c(hub, [] {});
  drain(c);
  std::vector<std::string> codes;
  auto collect = [&] {
    for (const auto& m : drain(c)) codes.push_back(std::string(m.at("code").as_string()));
  };
  for (const char* bad : {"{nope", R"({"type":"frobnicate"})", R"({"type":"subscribe","cluster":"elsewhere","id":"x"})",
                          R"({"type":"subscribe","pattern":"(("})", R"({"type":"unsubscribe","id":"missing"})"}) {
    hub.on_text(c, bad);
    collect();
  }
  hub.on_rejected(c, error_code::frame_too_large, "too big");
  collect();
  BOOST_TEST((codes == std::vector<std::string>{"bad_json", "unknown_type", "unknown_cluster", "bad_pattern",
                                                "unknown_subscription", "frame_too_large"}));
  BOOST_TEST(!c.closing);
  hub.on_text(c, R"({"type":"subscribe","id":"1"})");
  hub.on_text(c, R"({"type":"subscribe","id":"2"})");
  hub.on_text(c, R"({"type":"subscribe","id":"3"})");
  auto m = drain(c);
  BOOST_REQUIRE(m.size() == 3u);
  BOOST_TEST(m[2].at("code").as_string() == "too_many_subscriptions");
  // Re-subscribing an existing id replaces it (no new slot needed).
  hub.on_text(c, R"({"type":"subscribe","id":"2","cluster":"remote"})");
  hub.on_text(c, R"({"type":"ping","id":"p"})");
  m = drain(c);
  BOOST_TEST(m[0].at("type").as_string() == "snapshot");
  BOOST_TEST(m[1].at("type").as_string() == "pong");
  hub.on_text(c, R"({"type":"unsubscribe","id":"1"})");
  BOOST_TEST(drain(c)[0].at("type").as_string() == "unsubscribed");
}

BOOST_FIXTURE_TEST_CASE(unsubscribe_drops_queued_changes_it_alone_matched, hub_fixture) {
  ws_client c(hub, [] {});
  hub.on_text(c, R"({"type":"subscribe","id":"a","group":"orders"})");
  hub.on_text(c, R"({"type":"subscribe","id":"b","group":"billing"})");
  drain(c);
  auto g1 = make_status("local", "orders", status_code::ok);
  auto g2 = make_status("local", "billing", status_code::ok);
  publish(g1, status_code::notfound);
  publish(g2, status_code::notfound);
  hub.on_text(c, R"({"type":"unsubscribe","id":"a"})");
  auto m = drain(c);
  BOOST_REQUIRE(m.size() == 2u);
  BOOST_TEST(m[0].at("group").as_string() == "billing");
  BOOST_TEST(m[1].at("type").as_string() == "unsubscribed");
}

BOOST_FIXTURE_TEST_CASE(slow_client_is_told_and_closed_others_unaffected, hub_fixture) {
  ws_client slow(hub, [] {});
  ws_client healthy(hub, [] {});
  hub.on_text(slow, R"({"type":"subscribe"})");
  hub.on_text(healthy, R"({"type":"subscribe"})");
  std::vector<group_status> groups;
  for (int i = 0; i < 8; ++i) groups.push_back(make_status("local", "g" + std::to_string(i), status_code::ok));
  for (const auto& g : groups) {
    publish(g, status_code::notfound);
    drain(healthy);  // the healthy client keeps up
  }
  BOOST_TEST(slow.closing);
  BOOST_TEST(slow.close_code == 1013);
  BOOST_TEST(hub.stats().slow_closes == 1u);
  BOOST_TEST(!healthy.closing);
  auto last = drain(slow);
  BOOST_REQUIRE(last.size() == 1u);
  BOOST_TEST(last[0].at("code").as_string() == "slow_client");
  // Nothing more is queued for a closing client.
  publish(groups[0], status_code::ok);
  BOOST_TEST(slow.outbox.empty());
}

// The session writer's drain (ws_session.cpp): everything queued, up to its bounds, in one frame for
// a warren.v2 client, one frame per message for a warren.v1 client.
std::vector<std::string> drain_frames(ws_client& c) {
  std::vector<std::string> frames;
  while (!c.outbox.empty()) {
    std::vector<outbox_entry> taken;
    c.outbox.take(taken, 512, 1024 * 1024);
    std::vector<message_ref> refs;
    for (const auto& e : taken) refs.push_back({e.type, e.text_body()});
    if (c.batch) {
      frames.push_back(frame_text(refs, c.seq + 1, true));
      c.seq += refs.size();
    } else {
      for (const auto& r : refs) frames.push_back(frame_text(std::span<const message_ref>(&r, 1), ++c.seq, false));
    }
  }
  return frames;
}
std::vector<json::value> unpack(const std::vector<std::string>& frames) {
  std::vector<json::value> out;
  for (const auto& f : frames) {
    auto v = json::parse(f);
    if (v.at("type").as_string() == "batch")
      for (const auto& m : v.at("messages").as_array()) out.push_back(m);
    else
      out.push_back(std::move(v));
  }
  return out;
}

BOOST_AUTO_TEST_CASE(a_batch_client_gets_the_same_messages_in_fewer_frames_an_old_client_one_per_frame) {
  hub_fixture f;
  ws_client v2(f.hub, [] {}, true);
  ws_client v1(f.hub, [] {});
  BOOST_TEST(v2.batch);
  BOOST_TEST(!v1.batch);
  for (auto* c : {&v2, &v1}) f.hub.on_text(*c, R"({"type":"subscribe","id":"all","detail":"summary"})");
  const auto hello_v2 = unpack(drain_frames(v2));
  const auto hello_v1 = unpack(drain_frames(v1));
  BOOST_TEST(hello_v2.at(0).at("protocol").as_string() == "warren.v2");
  BOOST_TEST(hello_v1.at(0).at("protocol").as_string() == "warren.v1");
  BOOST_TEST(hello_v2.at(1).at("type").as_string() == "snapshot");
  // Three changes queued before either writer runs (the outbox bound here is 4 messages).
  std::vector<group_status> groups;
  for (int i = 0; i < 3; ++i) groups.push_back(make_status("local", "g" + std::to_string(i), status_code::ok));
  for (const auto& g : groups) f.publish(g, status_code::notfound);
  const auto frames_v2 = drain_frames(v2);
  const auto frames_v1 = drain_frames(v1);
  BOOST_TEST(frames_v2.size() == 1u);
  BOOST_TEST(frames_v1.size() == 3u);
  for (const auto& fr : frames_v1) BOOST_TEST(json::parse(fr).at("type").as_string() == "status");
  const auto got_v2 = unpack(frames_v2);
  const auto got_v1 = unpack(frames_v1);
  BOOST_REQUIRE(got_v2.size() == 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    BOOST_TEST(got_v2[i].at("group").as_string() == groups[i].group);
    BOOST_TEST(got_v2[i].at("seq").as_int64() == static_cast<std::int64_t>(3 + i));
    BOOST_TEST(json::serialize(got_v2[i]) == json::serialize(got_v1[i]));  // identical content and seq
  }
  // A lone message goes out alone, not in an envelope.
  f.publish(groups[0], status_code::ok);
  const auto one = drain_frames(v2);
  BOOST_REQUIRE(one.size() == 1u);
  BOOST_TEST(json::parse(one[0]).at("type").as_string() == "status");
  BOOST_TEST(json::parse(one[0]).at("seq").as_int64() == 6);
}

BOOST_AUTO_TEST_CASE(the_byte_bound_closes_a_stalled_client_and_never_a_healthy_one) {
  hub_fixture f([] {
    hub_options o;
    o.limits.outbox = 1024;  // far away: only the byte bound can close the stalled client
    o.limits.outbox_bytes = 16 * 1024;
    return o;
  }());
  ws_client stalled(f.hub, [] {}, true);
  ws_client healthy(f.hub, [] {}, true);
  ws_client healthy_v1(f.hub, [] {});
  for (auto* c : {&stalled, &healthy, &healthy_v1}) f.hub.on_text(*c, R"({"type":"subscribe","detail":"full"})");
  std::vector<group_status> groups;
  for (int i = 0; i < 200; ++i) groups.push_back(make_status("local", "g" + std::to_string(i), status_code::ok, 8));
  std::size_t got = 0, got_v1 = 0;
  drain_frames(healthy);
  drain_frames(healthy_v1);
  for (const auto& g : groups) {
    f.publish(g, status_code::notfound);  // a new group each time: nothing coalesces
    for (const auto& m : unpack(drain_frames(healthy))) got += m.at("type").as_string() == "status";
    for (const auto& m : unpack(drain_frames(healthy_v1))) got_v1 += m.at("type").as_string() == "status";
    BOOST_TEST_REQUIRE(stalled.outbox.bytes() <= 16u * 1024u);
  }
  BOOST_TEST(stalled.closing);
  BOOST_TEST(stalled.close_code == 1013);
  BOOST_TEST(stalled.close_reason == std::string(slow_client_reason));
  BOOST_TEST(f.hub.stats().slow_closes == 1u);
  BOOST_TEST(f.hub.stats().messages_dropped > 0u);
  const auto last = unpack(drain_frames(stalled));
  BOOST_REQUIRE(last.size() == 1u);  // what was queued is dropped; the reason is sent
  BOOST_TEST(last[0].at("code").as_string() == "slow_client");
  BOOST_TEST(std::string(last[0].at("message").as_string()).find("16384 bytes") != std::string::npos);
  BOOST_TEST(!healthy.closing);
  BOOST_TEST(!healthy_v1.closing);
  BOOST_TEST(got == groups.size());
  BOOST_TEST(got_v1 == groups.size());
}

BOOST_FIXTURE_TEST_CASE(stop_tells_every_client_and_refuses_changes, hub_fixture) {
  ws_client c(hub, [] {});
  hub.on_text(c, R"({"type":"subscribe"})");
  drain(c);
  boost::asio::co_spawn(ioc, hub.stop(), boost::asio::detached);
  ioc.run_for(std::chrono::seconds(5));
  BOOST_TEST(c.closing);
  BOOST_TEST(c.close_code == 1001);
  auto m = drain(c);
  BOOST_TEST(m.back().at("code").as_string() == "shutting_down");
  auto g = make_status("local", "g", status_code::ok);
  publish(g, status_code::notfound);
  BOOST_TEST(c.outbox.empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace warren::ws
