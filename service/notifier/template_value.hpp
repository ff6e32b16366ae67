#pragma once
// Internal to the notifier template engine (template*.cpp): Go renderings of scalars. PURE.
#include <cstdint>
#include <string>
#include <string_view>

namespace warren::go_template {

/// Go fmt %v of a float (strconv 'g', shortest; float32 digits when `f32`).
std::string format_float_v(double d, bool f32);
/// Go encoding/json of a finite float.
std::string format_float_json(double d, bool f32);
/// Burrow StatusConstant.String(): "NOTFOUND" ... "REWIND", else "UNKNOWN".
std::string_view status_name(std::int64_t code);
/// Go time.Time.Format(layout) for the UTC instant `unix_ns`.
std::string format_time(std::int64_t unix_ns, std::string_view layout);

}  // namespace warren::go_template
