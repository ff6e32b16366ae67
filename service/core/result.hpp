#pragma once
// result<T>: a value or an error_code. The project-wide way to report expected failures.
#include <boost/system/result.hpp>
#include <system_error>

namespace warren {
template <class T>
using result = boost::system::result<T, boost::system::error_code>;
}  // namespace warren
