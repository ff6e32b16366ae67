#define BOOST_TEST_MODULE warren_unit
#include <boost/test/unit_test.hpp>
