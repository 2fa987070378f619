// Peak memory of a model load. Loading copies each tensor out of the file mapping in chunks and releases the
// mapped pages as it goes, so the load's peak resident set is about one copy of the weights. Two ways the mapping
// stayed resident and doubled the peak, both caught here: a finiteness check that read the mapping after the
// release, and a file just written (large page-cache folios) being PMD-mapped, 2 MB per fault.
#include <gtest/gtest.h>
#include <malloc.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "../support/scratch_dir.h"
#include "radlite/encoder.h"
#include "tiny_model_writer.h"

using namespace radlite;
namespace ts = radlite::test_support;

namespace {

long status_kib(const std::string& key) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(key, 0) == 0) return std::stol(line.substr(key.size()));
  return -1;
}

TEST(LoadMemory, PeakResidentSetIsAboutOneCopyOfTheWeights) {
  ts::TinySpec spec;
  spec.model_type = "bert";
  spec.pad_id = 0;
  spec.act = "gelu";
  spec.num_labels = 1;
  spec.hidden = 256;  // 16 layers of 1 MB tensors: 50 MB of weights, no single tensor dominating
  spec.heads = 4;
  spec.intermediate = 1024;
  spec.layers = 16;
  spec.vocab = 1000;
  ts::ScratchDir dir;
  ts::write_tiny_model(spec, dir.path());  // the returned weights are dropped here, before the measurement
  const double file_mib =
      static_cast<double>(std::filesystem::file_size(dir.path() + "/model.safetensors")) / 1024.0 / 1024.0;

  // Other tests in this process freed memory that malloc keeps resident for reuse: a load served from it would
  // not raise the peak at all (the whole test binary run as one process measured +5 MiB). Returned to the system
  // first, every page the load touches is counted.
  malloc_trim(0);
  // Writing 5 to clear_refs resets the peak (VmHWM) to the current resident set (Linux >= 4.0).
  {
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";
    clear.flush();
    if (!clear) GTEST_SKIP() << "/proc/self/clear_refs is not writable here: the peak cannot be reset";
  }
  const long rss0 = status_kib("VmRSS:");
  ASSERT_GT(rss0, 0);
  ASSERT_LE(status_kib("VmHWM:") - rss0, 1024) << "the peak was not reset";
  const CrossEncoder ce = CrossEncoder::load(dir.path(), CrossEncoderOptions{});
  const double peak_mib = static_cast<double>(status_kib("VmHWM:") - rss0) / 1024.0;
  std::cout << "[load memory] weight file " << file_mib << " MiB, peak resident set during load +" << peak_mib
            << " MiB (" << peak_mib / file_mib << "x)\n";
  EXPECT_GT(peak_mib, 0.8 * file_mib) << "the measurement sees the loaded weights";
  EXPECT_LT(peak_mib, 1.5 * file_mib) << "the mapped checkpoint stayed resident next to the copy";
  EXPECT_EQ(ce.num_labels(), 1u);
}

}  // namespace
