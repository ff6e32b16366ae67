// libFuzzer target for the fleet's status-topic decoder (service/fleet/status_record.cpp, issue 14).
//
// Input: byte 0 = key length, bit 0 of byte 1 = null value (tombstone), then key and value bytes.
// Besides "never crash", it traps when an accepted record
// - does not re-encode to bytes that decode to the same record (and the same /status filtering),
// - yields a /status object that is not the /lag one filtered again, or owner fields that do not
//   leave valid JSON.
// Boost.JSON is compiled into this target (src.hpp), so the parser is instrumented too.
#include <boost/json.hpp>
#include <boost/json/src.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "service/fleet/status_record.hpp"

namespace wf = warren::fleet;

namespace {
void check(bool ok) {
  if (!ok) __builtin_trap();
}
std::span<const std::byte> bytes(const std::string& s) { return {reinterpret_cast<const std::byte*>(s.data()), s.size()}; }
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t key_len = std::min<std::size_t>(data[0], size - 2);
  const bool null_value = data[1] & 1;
  const std::string key(reinterpret_cast<const char*>(data + 2), key_len);
  const std::string value(reinterpret_cast<const char*>(data + 2 + key_len), size - 2 - key_len);
  auto d = wf::decode(bytes(key), null_value ? std::nullopt : std::optional(bytes(value)));
  if (auto* t = std::get_if<wf::tombstone>(&d)) check(t->group == key && !key.empty());
  if (auto* e = std::get_if<wf::decode_error>(&d)) check(static_cast<std::size_t>(*e) < wf::decode_error_count);
  auto* r = std::get_if<wf::decoded_record>(&d);
  if (!r) return 0;
  check(r->record.group == key);
  auto again = wf::decode(bytes(key), bytes(wf::encode_value(r->record)));
  auto* r2 = std::get_if<wf::decoded_record>(&again);
  check(r2 && r2->record == r->record && r2->problems_json == r->problems_json && r2->status == r->status &&
        r2->totallag == r->totallag);
  auto filtered = wf::problems_only(r->problems_json);
  check(filtered && *filtered == r->problems_json);
  boost::json::error_code ec;
  (void)boost::json::parse(wf::with_owner(r->record.status_json, {"a:1", "http://a:1"}), ec);
  check(!ec);
  return 0;
}
