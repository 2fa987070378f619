// DType::Int8: dynamically quantized Linear layers with per-channel weight scales, checked against float32.
#include <gtest/gtest.h>
#include <omp.h>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "golden.h"
#include "model/attention_avx2.h"
#include "model/int8_dnnl.h"
#include "model/int8_linear.h"
#include "radlite/encoder.h"
#include "radlite/error.h"
#include "radlite/runtime.h"
#include "tiny_model_writer.h"

using namespace radlite;
namespace ts = radlite::test_support;

namespace {

double cosine(const float* a, const float* b, std::size_t n) {
  double ab = 0, aa = 0, bb = 0;
  for (std::size_t i = 0; i < n; ++i) {
    ab += double(a[i]) * b[i];
    aa += double(a[i]) * a[i];
    bb += double(b[i]) * b[i];
  }
  return ab / std::sqrt(aa * bb);
}

TEST(Int8Linear, PerChannelScalesKeepSmallRowsAccurate) {
  c10::InferenceMode guard;
  at::manual_seed(3);
  at::Tensor w = at::randn({64, 96}) / 10, b = at::randn({64}) / 10, x = at::randn({40, 96});
  w[0].mul_(1000);  // one outlier row: a per-tensor scale would round every other row to a few levels
  const at::Tensor ref = at::addmm(b, x, w.t());
  const at::Tensor got = model::Int8Linear(w, b).forward(x);
  ASSERT_EQ(got.sizes(), ref.sizes());
  const at::Tensor rest = (got - ref).narrow(1, 1, 63).abs().max(), scale = ref.narrow(1, 1, 63).abs().max();
  const double rel = rest.item<double>() / scale.item<double>();
  std::cout << "[int8] Linear 40x96x64, rows 1..63: max |error| / max |output| = " << rel << "\n";
  EXPECT_LT(rel, 0.05);
  EXPECT_GT(rel, 0.0);  // it really is quantized
  const double row0 = ((got - ref).select(1, 0).abs().max() / ref.select(1, 0).abs().max()).item<double>();
  EXPECT_LT(row0, 0.05);
}

// The kernels (RADLITE_INT8_KERNEL): radlite's AVX2 GEMM and oneDNN's matmul quantize per row and agree bit for bit;
// libtorch's quantized linear (one scale per call) approximates the same float product. forward_into writes through
// a non-contiguous output too.
TEST(Int8Linear, KernelsAgree) {
  c10::InferenceMode guard;
  at::manual_seed(5);
  const at::Tensor w = at::randn({48, 200}) / 10, b = at::randn({48}) / 10, x = at::randn({37, 200});
  const at::Tensor ref = at::addmm(b, x, w.t());
  const double spread = ref.abs().max().item<double>();
  auto build = [&](const char* kernel) {
    ::setenv("RADLITE_INT8_KERNEL", kernel, 1);
    model::Int8Linear layer(w, b);
    ::unsetenv("RADLITE_INT8_KERNEL");
    return layer;
  };
  const model::Int8Linear torch_layer = build("torch");
  EXPECT_EQ(torch_layer.kernel(), model::Int8Kernel::Torch);
  const at::Tensor t = torch_layer.forward(x);
  const double torch_err = (t - ref).abs().max().item<double>() / spread;
  std::cout << "[int8] Linear 37x200x48: max |error| / max |output|: libtorch-quantized " << torch_err << "\n";
  EXPECT_LT(torch_err, 0.03);
  EXPECT_GT(torch_err, 0.0);
  // Each per-row kernel present: within the same bound, equal to each other, through a strided output too.
  std::vector<std::pair<std::string, at::Tensor>> per_row;
  for (const char* kernel : {"own", "onednn"}) {
    ::setenv("RADLITE_INT8_KERNEL", kernel, 1);
    const bool available = [] {
      try {
        (void)model::Int8Linear::chosen_kernel();
        return true;
      } catch (const ModelError&) {
        return false;
      }
    }();
    ::unsetenv("RADLITE_INT8_KERNEL");
    if (!available) continue;
    const model::Int8Linear layer = build(kernel);
    const at::Tensor a = layer.forward(x);
    at::Tensor strided = at::zeros({48, 37}).t();  // [37, 48], not contiguous
    layer.forward_into(x, strided);
    const double err = (a - ref).abs().max().item<double>() / spread;
    std::cout << "[int8] " << layer.kernel_detail(37) << ": " << err << "\n";
    EXPECT_LT(err, 0.03) << kernel;
    EXPECT_GT(err, 0.0) << kernel;
    EXPECT_TRUE(at::equal(strided, a)) << kernel;
    at::Tensor wrong = at::empty({37, 47});
    EXPECT_THROW(layer.forward_into(x, wrong), InvalidArgument) << kernel;
    per_row.emplace_back(kernel, a);
  }
  ::setenv("RADLITE_INT8_KERNEL", "avx9", 1);
  EXPECT_THROW(model::Int8Linear::chosen_kernel(), InvalidArgument);
  ::unsetenv("RADLITE_INT8_KERNEL");
  if (per_row.size() < 2) GTEST_SKIP() << "only one per-row int8 kernel on this CPU / build";
  EXPECT_TRUE(at::equal(per_row[0].second, per_row[1].second)) << "own and onednn differ";
  // A batch large enough for oneDNN's chunked path (each thread quantizes, multiplies and scales its own chunks of
  // 128 rows), with a tail chunk: the same bits as radlite's kernel and as the unchunked path.
  const at::Tensor big = at::randn({16 * 128 + 37, 200});
  const at::Tensor own_big = build("own").forward(big);
  const model::Int8Linear dnnl = build("onednn");
  const at::Tensor chunked = dnnl.forward(big);
  ::setenv("RADLITE_INT8_UNCHUNKED", "1", 1);
  const at::Tensor whole = dnnl.forward(big);
  ::unsetenv("RADLITE_INT8_UNCHUNKED");
  EXPECT_TRUE(at::equal(chunked, own_big));
  EXPECT_TRUE(at::equal(whole, own_big));
  EXPECT_LT((chunked - at::addmm(b, big, w.t())).abs().max().item<double>() / spread, 0.05);
}

TEST(ComputeDtype, Int8BiEncoderCloseToFloat32) {
  const auto g = ts::golden("roberta-biencoder-tiny");
  const auto ids = ts::int_rows(g["input_ids"]);
  BiEncoderOptions o;
  o.compute.dtype = DType::Int8;
  const Matrix got = BiEncoder::load(ts::model_dir("roberta-biencoder-tiny"), o).encode_ids(ids);
  const auto want = ts::float_rows(g["embeddings"]);
  ASSERT_EQ(got.rows(), want.size());
  double worst = 1;
  for (std::size_t i = 0; i < got.rows(); ++i) worst = std::min(worst, cosine(got.row(i), want[i].data(), got.cols()));
  std::cout << "[int8] bi-encoder vs float32 golden: min cosine " << worst << ", max_abs_diff "
            << ts::max_abs_diff(got, want) << "\n";
  EXPECT_GT(worst, 0.99);
  EXPECT_GT(ts::max_abs_diff(got, want), 1e-6);  // not the float32 path
}

// On CPUs with AMX-BF16, int8 models run attention with bfloat16 products (attention_amx.cpp) where the head size
// is a multiple of 32 (RADLITE_INT8_ATTENTION=f32 keeps float32 attention; =bf16 asks for bfloat16 products on CPUs
// with only AVX512-BF16 too), and bfloat16 models run it on their bfloat16 rows, on either kernel, instead of
// ATen's padded path (RADLITE_NO_FUSED_ATTENTION=1 keeps that). A random RoBERTa with two heads of 32 and sequences
// of 5-70 tokens: each stays close to float32, and each pair differs (the bfloat16 kernel ran).
TEST(ComputeDtype, Bfloat16AttentionForInt8AndBfloat16Models) {
  if (!model::attention_bf16_available()) GTEST_SKIP() << "no AMX-BF16 or AVX512-BF16 on this CPU";
  ts::TinySpec spec;
  spec.hidden = 64;
  spec.heads = 2;
  spec.layers = 2;
  spec.intermediate = 96;
  spec.max_positions = 80;
  ts::ScratchDir dir;
  ts::write_tiny_model(spec, dir.path());
  std::mt19937 rng(5);
  std::vector<std::vector<std::int32_t>> ids;
  for (int n : {70, 45, 33, 17, 5}) {
    std::vector<std::int32_t> row{0};
    for (int i = 2; i < n; ++i) row.push_back(std::uniform_int_distribution<std::int32_t>(3, spec.vocab - 1)(rng));
    row.push_back(2);
    ids.push_back(row);
  }
  auto encode = [&](DType dtype, const char* variable, const char* value) {
    if (variable) ::setenv(variable, value, 1);
    BiEncoderOptions o;
    o.compute.dtype = dtype;
    const BiEncoder enc = BiEncoder::load(dir.path(), o);
    if (variable) ::unsetenv(variable);
    return enc.encode_ids(ids);
  };
  const Matrix f32 = encode(DType::F32, nullptr, nullptr);
  auto compare = [&](DType dtype, const char* on, const char* variable, const char* value, const char* what) {
    const Matrix amx = encode(dtype, on ? variable : nullptr, on), other = encode(dtype, variable, value);
    double worst_amx = 1, worst_other = 1, diff = 0;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      worst_amx = std::min(worst_amx, cosine(amx.row(i), f32.row(i), f32.cols()));
      worst_other = std::min(worst_other, cosine(other.row(i), f32.row(i), f32.cols()));
      for (std::size_t c = 0; c < f32.cols(); ++c)
        diff = std::max(diff, static_cast<double>(std::abs(amx.row(i)[c] - other.row(i)[c])));
    }
    std::cout << "[" << what << "] min cosine to float32: " << worst_amx << " with bfloat16 attention, " << worst_other
              << " with " << variable << "=" << value << "\n";
    EXPECT_GT(worst_amx, 0.99) << what;
    EXPECT_GT(worst_other, 0.99) << what;
    EXPECT_GT(diff, 1e-6) << what;
  };
  compare(DType::Int8, model::attention_amx_available() ? nullptr : "bf16", "RADLITE_INT8_ATTENTION", "f32", "int8");
  // A value that is neither f32 nor bf16 (a careless "float32", a case slip) is refused when the model loads.
  for (const char* bad : {"float32", "F32", "bf16 "}) {
    ::setenv("RADLITE_INT8_ATTENTION", bad, 1);
    BiEncoderOptions o;
    o.compute.dtype = DType::Int8;
    EXPECT_THROW(BiEncoder::load(dir.path(), o), InvalidArgument) << bad;
    ::unsetenv("RADLITE_INT8_ATTENTION");
  }
  compare(DType::BF16, nullptr, "RADLITE_NO_FUSED_ATTENTION", "1", "bf16");
}

// One int8 model used from several threads at once gives, bit for bit, what it gives serially, with each kernel
// available here: the per-thread scratch of the quantizer, of oneDNN's matmul and of its kernel cache at work.
TEST(ComputeDtype, Int8ParallelCallsMatchSerialBitForBit) {
  const auto g = ts::golden("roberta-biencoder-tiny");
  const auto ids = ts::int_rows(g["input_ids"]);
  // (libtorch's quantized linear, the fallback kernel, is libtorch's own concern and slow when oversubscribed.)
  for (const char* kernel : {"own", "onednn"}) {
    ::setenv("RADLITE_INT8_KERNEL", kernel, 1);
    BiEncoderOptions o;
    o.compute.dtype = DType::Int8;
    std::optional<BiEncoder> enc;
    try {
      enc.emplace(BiEncoder::load(ts::model_dir("roberta-biencoder-tiny"), o));
    } catch (const ModelError&) {  // that kernel is not available in this build on this CPU
      ::unsetenv("RADLITE_INT8_KERNEL");
      continue;
    }
    ::unsetenv("RADLITE_INT8_KERNEL");
    const Matrix serial = enc->encode_ids(ids);
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<Matrix> results(3);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < results.size(); ++t)
      threads.emplace_back([&, t] { results[t] = enc->encode_ids(ids); });
    for (auto& th : threads) th.join();
    std::cout << "[int8] " << kernel << ": 3 threads at once, "
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s\n";
    for (const auto& r : results) {
      ASSERT_EQ(r.values().size(), serial.values().size()) << kernel;
      EXPECT_TRUE(r.values() == serial.values()) << kernel << ": max diff " << ts::max_abs_diff(r, serial);
    }
  }
}

// oneDNN takes its thread count from OpenMP's setting for the calling thread, and radlite::set_num_threads sets that
// on the calling thread only. A model used from another thread must still run oneDNN on the chosen count: libtorch
// applies its count to each thread's OpenMP setting on that thread's first parallel loop (the embedding's
// LayerNorm, the activations' quantization), before any oneDNN call. This holds radlite to that.
TEST(ComputeDtype, OneDnnFollowsSetNumThreadsOnOtherThreads) {
  if (!model::int8_dnnl_available()) GTEST_SKIP() << "this build has no oneDNN";
  const auto g = ts::golden("roberta-biencoder-tiny");
  const auto ids = ts::int_rows(g["input_ids"]);
  const int before = radlite::num_threads();
  radlite::set_num_threads(1);
  int untouched = -1, after_encode = -1;
  std::thread worker([&] {
    untouched = omp_get_max_threads();  // this thread's own OpenMP default
    ::setenv("RADLITE_INT8_KERNEL", "onednn", 1);
    BiEncoderOptions o;
    o.compute.dtype = DType::Int8;
    const BiEncoder enc = BiEncoder::load(ts::model_dir("roberta-biencoder-tiny"), o);
    ::unsetenv("RADLITE_INT8_KERNEL");
    (void)enc.encode_ids(ids);
    after_encode = omp_get_max_threads();
  });
  worker.join();
  radlite::set_num_threads(before);
  EXPECT_EQ(after_encode, 1);
  if (std::thread::hardware_concurrency() > 1 && !std::getenv("OMP_NUM_THREADS"))
    EXPECT_GT(untouched, 1) << "the worker's OpenMP default was already 1: the check above proves nothing";
}

TEST(ComputeDtype, Int8CrossEncoderCloseToFloat32) {
  const auto gc = ts::golden("bert-crossencoder-tiny");
  std::vector<TokenizedPair> pairs;
  for (std::size_t i = 0; i < 8; ++i)
    pairs.push_back({gc["input_ids"][i].get<std::vector<std::int32_t>>(),
                     gc["token_type_ids"][i].get<std::vector<std::int32_t>>()});
  CrossEncoderOptions co;
  co.compute.dtype = DType::Int8;
  const auto logits = CrossEncoder::load(ts::model_dir("bert-crossencoder-tiny"), co).logits_ids(pairs);
  double diff = 0, lo = 1e300, hi = -1e300;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const double want = gc["logits"][i][0].get<double>();
    diff = std::max(diff, std::fabs(logits[i][0] - want));
    lo = std::min(lo, want);
    hi = std::max(hi, want);
  }
  std::cout << "[int8] cross-encoder logits: max |diff| " << diff << " = " << diff / (hi - lo) << " of the spread\n";
  EXPECT_LT(diff / (hi - lo), 0.1);
  EXPECT_GT(diff, 0.0);
}

TEST(ComputeDtype, Int8IsCpuOnly) {
  BiEncoderOptions o;
  o.compute.dtype = DType::Int8;
  o.compute.device = "cuda";
  EXPECT_THROW(BiEncoder::load(ts::model_dir("roberta-biencoder-tiny"), o), InvalidArgument);
}

}  // namespace
