// The load-time thread default of radlite/runtime.h (internal).
#pragma once

namespace radlite::model {

/// Called by every model load: the first call sets all hardware threads unless the application chose a count
/// (radlite::set_num_threads) or OMP_NUM_THREADS is set; every later call does nothing.
void apply_default_threads();

}  // namespace radlite::model
