#include "radlite/version.h"

namespace radlite {

const char* version() { return RADLITE_VERSION_STRING; }

}  // namespace radlite
