// radlite/version.h: the library's version.
#pragma once

namespace radlite {

/// The library version as "MAJOR.MINOR.PATCH".
const char* version();

}  // namespace radlite
