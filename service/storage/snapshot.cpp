#include "service/storage/snapshot.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace warren::snapshot {
namespace {

constexpr char magic[8] = {'W', 'R', 'N', 'S', 'N', 'A', 'P', '\0'};

// ---- Java String.hashCode ------------------------------------------------------------------------

// Decodes one UTF-8 sequence at s[i]; advances i. Malformed input (bad lead, truncated, overlong,
// surrogate or > U+10FFFF) yields U+FFFD and consumes one byte.
std::uint32_t next_code_point(std::string_view s, std::size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  std::size_t len = 0;
  std::uint32_t cp = 0;
  std::uint32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    ++i;
    return 0xFFFD;
  }
  if (i + len > s.size()) {
    ++i;
    return 0xFFFD;
  }
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return 0xFFFD;
  }
  i += len;
  return cp;
}

// ---- writer --------------------------------------------------------------------------------------

void put_u8(std::string& out, std::uint8_t v) { out.push_back(static_cast<char>(v)); }
void put_u32(std::string& out, std::uint32_t v) {
  char b[4];
  for (int k = 0; k < 4; ++k) b[k] = static_cast<char>((v >> (8 * k)) & 0xFF);
  out.append(b, 4);
}
void put_u64(std::string& out, std::uint64_t v) {
  char b[8];
  for (int k = 0; k < 8; ++k) b[k] = static_cast<char>((v >> (8 * k)) & 0xFF);
  out.append(b, 8);
}
void put_i64(std::string& out, std::int64_t v) { put_u64(out, static_cast<std::uint64_t>(v)); }
void put_uvar(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
// Zigzag of a wrapping difference: small steps either way take one or two bytes.
void put_delta(std::string& out, std::int64_t value, std::int64_t base) {
  const auto d = static_cast<std::int64_t>(static_cast<std::uint64_t>(value) - static_cast<std::uint64_t>(base));
  put_uvar(out, (static_cast<std::uint64_t>(d) << 1) ^ static_cast<std::uint64_t>(d >> 63));
}
void put_str(std::string& out, std::string_view s) {
  put_u32(out, static_cast<std::uint32_t>(s.size()));
  out.append(s);
}

// ---- reader --------------------------------------------------------------------------------------

// Bounds-checked cursor: every read past the end sets `bad` and returns zeros.
struct cursor {
  const unsigned char* p;
  std::size_t left;
  bool bad = false;

  bool need(std::size_t n) {
    if (bad || left < n) {
      bad = true;
      return false;
    }
    return true;
  }
  std::uint8_t u8() {
    if (!need(1)) return 0;
    --left;
    return *p++;
  }
  std::uint32_t u32() {
    if (!need(4)) return 0;
    std::uint32_t v = 0;
    for (int k = 0; k < 4; ++k) v |= static_cast<std::uint32_t>(p[k]) << (8 * k);
    p += 4, left -= 4;
    return v;
  }
  std::uint64_t u64() {
    if (!need(8)) return 0;
    std::uint64_t v = 0;
    for (int k = 0; k < 8; ++k) v |= static_cast<std::uint64_t>(p[k]) << (8 * k);
    p += 8, left -= 8;
    return v;
  }
  std::int64_t i64() { return static_cast<std::int64_t>(u64()); }
  std::uint64_t uvar() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (!need(1)) return 0;
      const std::uint8_t b = *p++;
      --left;
      if (shift == 63 && b > 1) break;  // more than 64 bits
      v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return v;
    }
    bad = true;
    return 0;
  }
  std::int64_t delta(std::int64_t base) {
    const std::uint64_t z = uvar();
    const std::uint64_t d = (z >> 1) ^ (~(z & 1) + 1);
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(base) + d);
  }
  std::string str() {
    const std::uint32_t n = u32();
    if (!need(n)) return {};
    std::string s(reinterpret_cast<const char*>(p), n);
    p += n, left -= n;
    return s;
  }
  /// A count of items each at least `min_bytes` long: larger than what is left means corrupt
  /// (and no vector is reserved from an untrusted count).
  std::uint32_t count(std::size_t min_bytes) {
    const std::uint32_t n = u32();
    if (!bad && static_cast<std::uint64_t>(n) * min_bytes > left) bad = true;
    return bad ? 0 : n;
  }
};

std::uint32_t crc_of(const void* data, std::size_t n, std::uint32_t crc = 0) {
  auto c = static_cast<uLong>(crc);
  const auto* p = static_cast<const Bytef*>(data);
  while (n > 0) {  // zlib takes uInt lengths
    const auto step = static_cast<uInt>(std::min<std::size_t>(n, 1u << 30));
    c = crc32(c, p, step);
    p += step, n -= step;
  }
  return static_cast<std::uint32_t>(c);
}

decode_result fail(std::string why) { return decode_result{std::nullopt, std::move(why)}; }

}  // namespace

std::int32_t java_string_hash(std::string_view utf8) {
  std::uint32_t h = 0;  // Java int arithmetic wraps: unsigned keeps it defined here
  for (std::size_t i = 0; i < utf8.size();) {
    const std::uint32_t cp = next_code_point(utf8, i);
    if (cp >= 0x10000) {  // a surrogate pair in UTF-16
      const std::uint32_t v = cp - 0x10000;
      h = 31 * h + (0xD800 + (v >> 10));
      h = 31 * h + (0xDC00 + (v & 0x3FF));
    } else {
      h = 31 * h + cp;
    }
  }
  return static_cast<std::int32_t>(h);
}

std::int32_t offsets_partition_for(std::string_view group, std::int32_t count) {
  const std::int32_t h = java_string_hash(group);
  const std::int32_t a = h == INT32_MIN ? 0 : (h < 0 ? -h : h);  // Kafka Utils.abs
  return a % count;
}

std::string encode_header(const header& h) {
  std::string out(magic, sizeof magic);
  put_u32(out, h.version);
  put_str(out, h.cluster);
  put_str(out, h.offsets_topic);
  put_u32(out, h.intervals);
  put_u32(out, h.partition_count);
  put_i64(out, h.written_at_ms);
  return out;
}

namespace {
void encode_group(const group_image& g, std::string& out) {
  put_str(out, g.name);
  put_i64(out, g.last_commit);
  put_u32(out, static_cast<std::uint32_t>(g.topics.size()));
  for (const auto& t : g.topics) {
    put_str(out, t.name);
    put_u32(out, t.slot_count);
    put_u32(out, static_cast<std::uint32_t>(t.slots.size()));
    for (const auto& s : t.slots) {
      put_u32(out, static_cast<std::uint32_t>(s.partition));
      put_str(out, s.owner);
      put_str(out, s.client_id);
      put_u32(out, static_cast<std::uint32_t>(s.window.size()));
      consumer_offset prev{};
      for (const auto& c : s.window) {
        put_delta(out, c.offset, prev.offset);
        put_delta(out, c.order, prev.order);
        put_delta(out, c.timestamp, prev.timestamp);
        put_delta(out, c.observed_at, prev.observed_at);
        put_u8(out, c.lag ? 1 : 0);
        if (c.lag) put_uvar(out, *c.lag);
        prev = c;
      }
    }
  }
}
}  // namespace

void partition_encoder::start(std::int64_t next_offset) {
  bytes.clear();
  groups = 0;
  put_i64(bytes, next_offset);
  put_u32(bytes, 0);  // the group count, written by finish()
}

void partition_encoder::add(const group_image& g) {
  encode_group(g, bytes);
  ++groups;
}

void partition_encoder::finish() {
  for (int k = 0; k < 4; ++k) bytes[8 + static_cast<std::size_t>(k)] = static_cast<char>((groups >> (8 * k)) & 0xFF);
}

void encode_partition(const partition_image& p, std::string& out) {
  put_i64(out, p.next_offset);
  put_u32(out, static_cast<std::uint32_t>(p.groups.size()));
  for (const auto& g : p.groups) encode_group(g, out);
}

std::string encode(const image& img) {
  std::string out = encode_header(img.head);
  for (const auto& p : img.partitions) encode_partition(p, out);
  put_u32(out, crc_of(out.data(), out.size()));
  return out;
}

decode_result decode(std::string_view bytes) {
  return decode(std::span<const std::byte>(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()));
}

decode_result decode(std::span<const std::byte> bytes) {
  if (bytes.size() < sizeof magic + 4 + 4) return fail("truncated (" + std::to_string(bytes.size()) + " bytes)");
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  if (std::memcmp(data, magic, sizeof magic) != 0) return fail("not a Warren snapshot (bad magic)");
  const std::size_t body = bytes.size() - 4;
  cursor tail{data + body, 4};
  const std::uint32_t stored_crc = tail.u32();
  // The version is read before the checksum so an old file is reported as such, not as corrupt.
  cursor c{data + sizeof magic, body - sizeof magic};
  image img;
  img.head.version = c.u32();
  if (img.head.version != format_version)
    return fail("unsupported format version " + std::to_string(img.head.version) + " (this Warren reads " +
                std::to_string(format_version) + ")");
  if (crc_of(data, body) != stored_crc) return fail("checksum mismatch (corrupt or truncated)");

  img.head.cluster = c.str();
  img.head.offsets_topic = c.str();
  img.head.intervals = c.u32();
  img.head.partition_count = c.u32();
  img.head.written_at_ms = c.i64();
  if (c.bad) return fail("truncated header");
  if (img.head.intervals < 1 || img.head.intervals > 4096) return fail("intervals out of range");
  if (img.head.partition_count < 1 || img.head.partition_count > max_partition_count)
    return fail("offsets partition count out of range");
  const auto count = static_cast<std::int32_t>(img.head.partition_count);
  if (static_cast<std::uint64_t>(img.head.partition_count) * 12 > c.left) return fail("truncated partitions");
  img.partitions.resize(img.head.partition_count);

  for (std::int32_t pi = 0; pi < count; ++pi) {
    auto& part = img.partitions[static_cast<std::size_t>(pi)];
    part.next_offset = c.i64();
    if (part.next_offset < -1) return fail("bad reader position");
    const std::uint32_t groups = c.count(4 + 8 + 4);
    for (std::uint32_t gi = 0; gi < groups && !c.bad; ++gi) {
      group_image g;
      g.name = c.str();
      g.last_commit = c.i64();
      if (c.bad) break;
      if (!part.groups.empty() && !(part.groups.back().name < g.name)) return fail("groups not sorted");
      if (offsets_partition_for(g.name, count) != pi) return fail("group in the wrong offsets partition");
      const std::uint32_t topics = c.count(4 + 4 + 4);
      for (std::uint32_t ti = 0; ti < topics && !c.bad; ++ti) {
        topic_image t;
        t.name = c.str();
        t.slot_count = c.u32();
        if (c.bad) break;
        if (!g.topics.empty() && !(g.topics.back().name < t.name)) return fail("topics not sorted");
        if (t.slot_count > max_slot_count) return fail("partition count of a topic out of range");
        const std::uint32_t slots = c.count(4 + 4 + 4 + 4);
        if (slots == 0 && !c.bad) return fail("topic without a stored partition");
        for (std::uint32_t si = 0; si < slots && !c.bad; ++si) {
          slot_image s;
          const std::uint32_t p = c.u32();
          s.owner = c.str();
          s.client_id = c.str();
          if (c.bad) break;
          if (p >= t.slot_count) return fail("partition beyond the topic's partition count");
          s.partition = static_cast<std::int32_t>(p);
          if (!t.slots.empty() && t.slots.back().partition >= s.partition) return fail("partitions not sorted");
          const std::uint32_t samples = c.count(4 + 1);
          if (samples > img.head.intervals) return fail("window longer than intervals");
          s.window.reserve(samples);
          consumer_offset prev{};
          for (std::uint32_t k = 0; k < samples && !c.bad; ++k) {
            consumer_offset o;
            o.offset = c.delta(prev.offset);
            o.order = c.delta(prev.order);
            o.timestamp = c.delta(prev.timestamp);
            o.observed_at = c.delta(prev.observed_at);
            const std::uint8_t has_lag = c.u8();
            if (has_lag > 1) return fail("bad lag flag");
            if (has_lag) o.lag = c.uvar();
            prev = o;
            if (c.bad) break;
            // Burrow rule 6 keeps a window ordered by commit order, without duplicates.
            if (!s.window.empty() && s.window.back().order >= o.order) return fail("window not ordered");
            s.window.push_back(o);
          }
          t.slots.push_back(std::move(s));
        }
        g.topics.push_back(std::move(t));
      }
      part.groups.push_back(std::move(g));
    }
    if (c.bad) return fail("truncated partition section");
  }
  if (c.bad) return fail("truncated");
  if (c.left != 0) return fail("trailing bytes after the last partition");
  return decode_result{std::move(img), {}};
}

// ---- files ---------------------------------------------------------------------------------------

std::filesystem::path file_for(const std::filesystem::path& dir, std::string_view cluster) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string name;
  for (char ch : cluster) {
    const auto u = static_cast<unsigned char>(ch);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '-' || u == '_' ||
        (u == '.' && !name.empty())) {
      name.push_back(ch);
    } else {
      name += '%';
      name += hex[u >> 4];
      name += hex[u & 0xF];
    }
  }
  return dir / (name + ".snapshot");
}

namespace {
std::string errno_text(const std::string& what, const std::filesystem::path& p) {
  return what + " " + p.string() + ": " + std::strerror(errno);
}

bool write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w, n -= static_cast<std::size_t>(w);
  }
  return true;
}

void fsync_dir(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);  // best effort: the rename is durable once the directory is
  ::close(fd);
}
}  // namespace

std::string write_file(const std::filesystem::path& path, std::span<const std::string> chunks) {
  const std::filesystem::path dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno_text("cannot create", tmp);
  std::uint32_t crc = 0;
  bool ok = true;
  for (const auto& ch : chunks) {
    crc = crc_of(ch.data(), ch.size(), crc);
    if (!(ok = write_all(fd, ch.data(), ch.size()))) break;
  }
  std::string trailer;
  put_u32(trailer, crc);
  if (ok) ok = write_all(fd, trailer.data(), trailer.size());
  std::string err;
  if (!ok) err = errno_text("cannot write", tmp);
  else if (::fsync(fd) != 0) err = errno_text("cannot fsync", tmp);
  ::close(fd);
  if (err.empty() && ::rename(tmp.c_str(), path.c_str()) != 0) err = errno_text("cannot rename onto", path);
  if (!err.empty()) {
    ::unlink(tmp.c_str());
    return err;
  }
  fsync_dir(dir);
  return {};
}

std::optional<std::string> read_file(const std::filesystem::path& path, std::string& error) {
  error.clear();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) error = errno_text("cannot open", path);
    return std::nullopt;
  }
  std::string out;
  char buf[1 << 16];
  for (;;) {
    const ssize_t r = ::read(fd, buf, sizeof buf);
    if (r < 0) {
      if (errno == EINTR) continue;
      error = errno_text("cannot read", path);
      ::close(fd);
      return std::nullopt;
    }
    if (r == 0) break;
    out.append(buf, static_cast<std::size_t>(r));
  }
  ::close(fd);
  return out;
}

std::string check_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return "cannot create " + dir.string() + ": " + ec.message();
  if (!std::filesystem::is_directory(dir, ec)) return dir.string() + " is not a directory";
  const auto probe = dir / ".warren-write-check";
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno_text("cannot write in", dir);
  ::close(fd);
  ::unlink(probe.c_str());
  return {};
}

}  // namespace warren::snapshot
