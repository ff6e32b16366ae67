#pragma once
// Where tests find the repository (test data, kafka.sh) and the built `warren` binary.
#include <string>

namespace warren::test {
/// Repository root: $WARREN_SOURCE_DIR, else the path compiled in.
std::string source_dir();
/// The `warren` binary under test: $WARREN_BINARY (set by CTest).
std::string warren_binary();
}  // namespace warren::test
