// libFuzzer target for the snapshot decoder (service/storage/snapshot.cpp, issue 14).
//
// The input is a snapshot file. Because a random input almost never carries a valid CRC-32, the
// target decodes it twice: as given, and with its last 4 bytes replaced by the checksum of the rest
// (so the parser behind the checksum is reached). Besides "never crash", it traps when
// - a rejected input has no reason, or an accepted one breaks the invariants import relies on
//   (partition count, groups in their Java-hash partition, windows within intervals and ordered);
// - an accepted image does not re-encode to bytes that decode to the same image.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "service/storage/snapshot.hpp"

namespace ws = warren::snapshot;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void check_image(const ws::image& img) {
  check(img.head.version == ws::format_version);
  check(img.partitions.size() == img.head.partition_count);
  const auto count = static_cast<std::int32_t>(img.head.partition_count);
  for (std::size_t p = 0; p < img.partitions.size(); ++p)
    for (const auto& g : img.partitions[p].groups) {
      check(ws::offsets_partition_for(g.name, count) == static_cast<std::int32_t>(p));
      for (const auto& t : g.topics) {
        check(!t.slots.empty());
        for (const auto& s : t.slots) {
          check(s.partition >= 0 && static_cast<std::uint32_t>(s.partition) < t.slot_count);
          check(s.window.size() <= img.head.intervals);
          for (std::size_t i = 1; i < s.window.size(); ++i) check(s.window[i - 1].order < s.window[i].order);
        }
      }
    }
}

void run(std::string_view bytes) {
  auto r = ws::decode(bytes);
  if (!r.value) {
    check(!r.error.empty());
    return;
  }
  check_image(*r.value);
  auto again = ws::decode(ws::encode(*r.value));
  check(again.value.has_value());
  check(*again.value == *r.value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  run(input);
  if (size >= 4) {
    std::string fixed = input.substr(0, size - 4);
    const auto crc = static_cast<std::uint32_t>(
        crc32(0, reinterpret_cast<const Bytef*>(fixed.data()), static_cast<uInt>(fixed.size())));
    for (int k = 0; k < 4; ++k) fixed.push_back(static_cast<char>((crc >> (8 * k)) & 0xFF));
    run(fixed);
  }
  return 0;
}
