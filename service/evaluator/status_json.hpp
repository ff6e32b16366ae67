#pragma once
// Moved: Burrow's JSON bodies live in service/http/burrow_json.hpp (Go-compatible scalars in
// service/http/go_json.hpp). This forwarding header lets files not yet switched to the new
// include keep building; delete it once nothing includes it.
#include "service/http/burrow_json.hpp"
