// Fuzzes the safetensors reader from bytes: header length, header JSON, dtypes, shapes, offsets, overlap.
// Every malformed input must end in a radlite::Error; anything else (another exception type, a crash, an
// ASan/UBSan report, an out-of-range view) is a finding. Views are read end to end so that ASan sees any
// tensor that reaches past the data section.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "io/safetensors.h"
#include "radlite/error.h"

static int fuzz_one(const std::uint8_t* data, std::size_t size) {
  using namespace radlite::io;
  try {
    SafetensorsFile file =
        SafetensorsFile::from_bytes(std::string(reinterpret_cast<const char*>(data), size), "fuzz.safetensors");
    unsigned checksum = 0;
    for (const auto& [name, t] : file.tensors()) {
      RADLITE_FUZZ_CHECK(name == t.name, "tensor map key equals its name");
      std::int64_t n = 1;
      for (std::int64_t d : t.shape) {
        RADLITE_FUZZ_CHECK(d >= 0, "shape dimensions are non-negative");
        RADLITE_FUZZ_CHECK(!__builtin_mul_overflow(n, d, &n), "the shape product fits in 64 bits");
      }
      RADLITE_FUZZ_CHECK(t.numel() == n, "numel is the shape product");
      RADLITE_FUZZ_CHECK(static_cast<std::size_t>(n) * dtype_size(t.dtype) == t.nbytes,
                         "nbytes = numel x element size");
      RADLITE_FUZZ_CHECK(t.nbytes <= size, "a view is never larger than the file");
      for (std::size_t i = 0; i < t.nbytes; ++i) checksum += t.data[i];
    }
    for (const auto& [k, v] : file.metadata()) checksum += static_cast<unsigned>(k.size() + v.size());
    Checkpoint ckpt = Checkpoint::from_file(file);
    for (const auto& [name, t] : file.tensors())
      RADLITE_FUZZ_CHECK(ckpt.find(name) != nullptr, "checkpoint finds every tensor");
    try {
      ckpt.require("no such tensor \x01");
      RADLITE_FUZZ_CHECK(false, "require() of a missing tensor throws");
    } catch (const radlite::ModelError&) {
    }
    volatile unsigned sink = checksum;
    (void)sink;
  } catch (const radlite::Error&) {
    // A clean, typed refusal: what we want for malformed files.
  }
  return 0;
}

RADLITE_FUZZ_ENTRY(fuzz_one)
