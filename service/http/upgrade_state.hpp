#pragma once
// The Beast side of upgrade.hpp. Include from .cpp files only.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "service/http/upgrade.hpp"

namespace warren::http {

struct upgrade_state {
  boost::beast::tcp_stream stream;
  boost::beast::http::request<boost::beast::http::string_body> request;
  boost::beast::flat_buffer buffer;  ///< bytes read past the request (usually empty)
};

}  // namespace warren::http
