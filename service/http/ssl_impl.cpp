// Asio's SSL support is compiled once, here (BOOST_ASIO_SEPARATE_COMPILATION; the rest of Asio and
// Beast is in core/asio_impl.cpp).
#include <boost/asio/ssl/impl/src.hpp>
