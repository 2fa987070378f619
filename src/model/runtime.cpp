#include "radlite/runtime.h"

#include <torch/torch.h>

#include <thread>

namespace radlite {

void set_num_threads(int n) {
  if (n <= 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(n);
}

int num_threads() { return at::get_num_threads(); }

bool cuda_available() { return torch::cuda::is_available(); }

std::string torch_version() {
  return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
         std::to_string(TORCH_VERSION_PATCH);
}

}  // namespace radlite
