#define BOOST_TEST_MODULE warren_integration
#include <boost/test/unit_test.hpp>
