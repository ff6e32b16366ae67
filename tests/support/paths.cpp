#include "tests/support/paths.hpp"

#include <cstdlib>

namespace warren::test {
std::string source_dir() {
  if (const char* s = std::getenv("WARREN_SOURCE_DIR"); s && *s) return s;
  return WARREN_SOURCE_DIR;
}
std::string warren_binary() {
  if (const char* s = std::getenv("WARREN_BINARY"); s && *s) return s;
  return WARREN_BINARY_PATH;
}
}  // namespace warren::test
