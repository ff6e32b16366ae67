#pragma once
// The project-wide coroutine vocabulary. Boost 1.81 has no default completion token, so every
// asynchronous call in Warren uses `use_nothrow` (errors as values) or `use_awaitable`.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace warren {
namespace asio = boost::asio;
template <class T = void>
using task = asio::awaitable<T>;
/// Completion token returning (error_code, results...) as a tuple instead of throwing.
inline constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);
}  // namespace warren
