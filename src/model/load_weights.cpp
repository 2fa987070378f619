// Weights from a checkpoint onto a placement (transformer.h): where the model runs, each tensor copied out of the
// file mapping with its shape and finiteness checked, and the prefix the checkpoint's tensor names carry.
#include <ATen/Context.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "model/transformer.h"
#include "radlite/error.h"

namespace radlite::model {

namespace {

std::string shape_string(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// Drops the whole pages of a checkpoint range that was just copied out of the file mapping. Mapped pages count in
// the resident set: keeping them would put the load's peak at twice the weights. The mapping is read-only, so a
// later read of the range (none is expected) faults the pages in again from the file.
void release_pages(const void* data, std::size_t n) {
  static const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = (reinterpret_cast<std::uintptr_t>(data) + page - 1) / page * page;
  const auto end = (reinterpret_cast<std::uintptr_t>(data) + n) / page * page;
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

// Maps a range of the checkpoint in one call before it is copied (MADV_POPULATE_READ, Linux 5.14), instead of a
// page fault per 4 KB page: the mapping uses small pages so that release_pages is exact (see safetensors.cpp).
// Where the kernel lacks it, the copy faults the pages in as before.
void populate_pages(const void* data, std::size_t n) {
#ifdef MADV_POPULATE_READ
  static const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<std::uintptr_t>(data) / page * page;
  const auto end = reinterpret_cast<std::uintptr_t>(data) + n;
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_READ);
#else
  (void)data;
  (void)n;
#endif
}

// Non-finite values have all exponent bits set, in every IEEE-style float format: one pass over the raw bytes, no
// temporaries (half a GB of weights scans in a fraction of the time the copy takes).
template <typename Bits>
void scan_exponents(const std::uint8_t* data, std::size_t n, Bits mask, std::int64_t& count, std::int64_t& first,
                    Bits& first_bits) {
  for (std::size_t i = 0; i < n; ++i) {
    Bits b;
    std::memcpy(&b, data + i * sizeof(Bits), sizeof(Bits));
    if ((b & mask) == mask) {
      if (count++ == 0) first = static_cast<std::int64_t>(i), first_bits = b;
    }
  }
}

void require_finite(const io::TensorView& t, const std::string& where) {
  std::int64_t count = 0, first = -1;
  bool nan = false, negative = false;
  if (t.dtype == io::TensorDType::F32) {
    std::uint32_t bits = 0;
    scan_exponents<std::uint32_t>(t.data, t.nbytes / 4, 0x7f800000u, count, first, bits);
    nan = (bits & 0x007fffffu) != 0, negative = (bits >> 31) != 0;
  } else {
    const std::uint16_t mask = t.dtype == io::TensorDType::F16 ? 0x7c00 : 0x7f80;  // F16 or BF16
    std::uint16_t bits = 0;
    scan_exponents<std::uint16_t>(t.data, t.nbytes / 2, mask, count, first, bits);
    nan = (bits & static_cast<std::uint16_t>(~mask & 0x7fff)) != 0, negative = (bits >> 15) != 0;
  }
  if (count == 0) return;
  throw ModelError(where + ": " + std::to_string(count) + " non-finite value(s), the first at flat index " +
                   std::to_string(first) + " (" +
                   (nan        ? "nan"
                    : negative ? "-inf"
                               : "inf") +
                   "); the checkpoint is corrupt");
}
}  // namespace

Placement resolve_placement(const std::string& device, DType dtype) {
  Placement p;
  try {
    p.device = at::Device(device);
  } catch (const std::exception&) {
    throw InvalidArgument("device '" + device + "' is not valid (use cpu, cuda or cuda:N)");
  }
  if (p.device.is_cuda()) {
    if (!at::hasCUDA()) throw InvalidArgument("device '" + device + "': this libtorch build has no usable CUDA device");
  } else if (!p.device.is_cpu()) {
    throw InvalidArgument("device '" + device + "' is not supported (use cpu, cuda or cuda:N)");
  }
  switch (dtype) {
    case DType::F32:
      p.dtype = at::kFloat;
      break;
    case DType::BF16:
      p.dtype = at::kBFloat16;
      break;
    case DType::F16:
      if (p.device.is_cpu())
        throw InvalidArgument(
            "dtype float16 needs a CUDA device (libtorch has no float16 GEMM on CPU); "
            "use bfloat16 or float32 on CPU");
      p.dtype = at::kHalf;
      break;
    case DType::Int8:
      if (!p.device.is_cpu())
        throw InvalidArgument("dtype int8 runs on CPU only (device '" + device + "'); use float16 or bfloat16 on CUDA");
      p.dtype = at::kFloat;
      p.int8 = true;
      break;
  }
  return p;
}

at::Tensor load_weight(const io::Checkpoint& ckpt, const std::string& name, const std::vector<std::int64_t>& shape,
                       const Placement& placement) {
  const io::TensorView* t = ckpt.find(name);
  if (!t) throw ModelError(ckpt.description() + ": missing tensor '" + name + "'");
  const std::string where = ckpt.source_of(name) + ": tensor '" + name + "'";
  if (t->shape != shape)
    throw ModelError(where + ": expected shape " + shape_string(shape) + " (from config.json), got " +
                     shape_string(t->shape));
  at::ScalarType src;
  switch (t->dtype) {
    case io::TensorDType::F32:
      src = at::kFloat;
      break;
    case io::TensorDType::F16:
      src = at::kHalf;
      break;
    case io::TensorDType::BF16:
      src = at::kBFloat16;
      break;
    default:
      throw ModelError(where + ": unsupported dtype " + io::dtype_name(t->dtype) +
                       " (weights must be F32, F16 or BF16)");
  }
  // Copy out of the mapping: its data need not be aligned, and the model must not depend on the file staying open.
  // The copy runs in page-aligned chunks, each released from the mapping once copied, so that the load's peak
  // resident set is one copy of the weights plus a chunk (not plus the largest tensor, the 150 MB word embeddings
  // of a base model).
  at::Tensor host = at::empty(shape, at::TensorOptions().dtype(src));
  if (t->nbytes) {
    static const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    constexpr std::uintptr_t kChunk = std::uintptr_t{8} << 20;
    const auto base = reinterpret_cast<std::uintptr_t>(t->data);
    auto* dst = static_cast<std::uint8_t*>(host.data_ptr());
    for (std::size_t off = 0; off < t->nbytes;) {
      const auto next = static_cast<std::size_t>((base + off + kChunk) / page * page - base);
      const std::size_t end = std::min(t->nbytes, next);
      populate_pages(t->data + off, end - off);
      std::memcpy(dst + off, t->data + off, end - off);
      release_pages(t->data + off, end - off);
      off = end;
    }
  }
  // A NaN or infinity in any weight turns every output it reaches into NaN; refuse it here, naming the tensor, rather
  // than hand out null embeddings later. (float32 weights beyond float16's range, converted for a CUDA float16 run,
  // would still overflow: the forward pass's output check catches that.) The check reads the copy: reading the
  // mapping after release_pages would fault the checkpoint back in and double the load's peak resident set.
  io::TensorView copied = *t;
  copied.data = static_cast<const std::uint8_t*>(host.data_ptr());
  require_finite(copied, where);
  return host.to(placement.device, placement.dtype).contiguous();
}

std::string detect_prefix(const io::Checkpoint& ckpt, const EncoderConfig& config) {
  for (std::string prefix : {std::string(), std::string(config.base_prefix())})
    if (ckpt.find(prefix + "embeddings.word_embeddings.weight")) return prefix;
  throw ModelError(ckpt.description() + ": missing tensor 'embeddings.word_embeddings.weight' (also looked for '" +
                   config.base_prefix() + "embeddings.word_embeddings.weight')");
}

}  // namespace radlite::model
