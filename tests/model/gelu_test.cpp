// radlite's GELU kernels (model/gelu.h) against erf in double precision and against libtorch's at::gelu, and fused
// into the int8 Linear layers (Int8Linear::forward_into with gelu): the same values as GELU applied afterwards, for
// every kernel and however the rows are split; and oneDNN's float32 epilogues.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "model/gelu.h"
#include "model/int8_dnnl.h"
#include "model/int8_linear.h"
#include "radlite/error.h"

using namespace radlite;

namespace {

// Inputs over the range GELU sees, the points where its parts switch (0, -0, large magnitudes where erf is +-1 or
// e^(-z^2) underflows) and a count that leaves every remainder of 8- and 16-float vectors.
std::vector<float> inputs() {
  std::vector<float> x;
  for (int i = -4000; i <= 4000; ++i) x.push_back(static_cast<float>(i) * 0.0025f);  // [-10, 10]
  for (float v : {0.0f, -0.0f, 1e-30f, -1e-30f, 13.5f, -13.5f, 30.0f, -30.0f, 1e4f, -1e4f}) x.push_back(v);
  x.resize(x.size() + 13, 0.37f);
  return x;
}

double max_error_vs_double(const std::vector<float>& in, const std::vector<float>& got) {
  double m = 0.0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const double x = in[i];
    const double want = 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
    m = std::max(m, std::abs(got[i] - want) / std::max(1.0, std::abs(x)));
  }
  return m;
}

using Kernel = void (*)(float*, std::int64_t);

}  // namespace

TEST(Gelu, KernelsMatchErfInDoubleAndLibtorch) {
  c10::InferenceMode guard;
  const std::vector<float> in = inputs();
  std::vector<std::pair<std::string, Kernel>> kernels{{"reference", model::gelu_erf_reference},
                                                      {"dispatch", model::gelu_erf}};
  if (model::gelu_avx2_available()) kernels.emplace_back("avx2", model::gelu_erf_avx2);
  if (model::gelu_avx512_available()) kernels.emplace_back("avx512", model::gelu_erf_avx512);
  const at::Tensor torch_gelu = at::gelu(at::tensor(in));
  for (const auto& [name, kernel] : kernels) {
    std::vector<float> got = in;
    kernel(got.data(), static_cast<std::int64_t>(got.size()));
    // Abramowitz and Stegun 7.1.26 errs at most 1.5e-7 in erf: at most 0.75e-7 |x| in GELU, plus rounding.
    EXPECT_LT(max_error_vs_double(in, got), 2e-7) << name;
    const double vs_torch = (at::tensor(got) - torch_gelu).abs().max().item<double>();
    EXPECT_LT(vs_torch, 2e-6) << name;  // the largest inputs are 1e4: 2e-10 relative
    EXPECT_EQ(got[in.size() - 14], 0.0f) << name;  // gelu(-1e4) underflows to (negative) zero
    // Split at odd places: the same bits (the int8 kernels rely on it).
    std::vector<float> split = in;
    for (std::size_t at = 0; at < split.size(); at += 37)
      kernel(split.data() + at, static_cast<std::int64_t>(std::min<std::size_t>(37, split.size() - at)));
    EXPECT_EQ(split, got) << name;
  }
  // The comparison can fail: GELU's tanh form differs from the erf form by up to about 5e-4.
  const at::Tensor tanh_form = at::gelu(at::tensor(in), "tanh");
  std::vector<float> tanh_values(tanh_form.data_ptr<float>(), tanh_form.data_ptr<float>() + in.size());
  EXPECT_GT(max_error_vs_double(in, tanh_values), 1e-4);
}

// forward_into(..., gelu = true) equals GELU applied to forward()'s output bit for bit, on the chunked path (many
// rows) and the query path (few rows), and the per-row kernels agree with each other.
TEST(Gelu, FusedIntoInt8LayersAsAppliedAfterwards) {
  c10::InferenceMode guard;
  at::manual_seed(11);
  const at::Tensor w = at::randn({45, 120}) / 8, b = at::randn({45}) / 8;
  const at::Tensor x_query = at::randn({3, 120}), x_batch = at::randn({1500, 120});
  std::vector<at::Tensor> fused_by_kernel;
  for (const char* kernel : {"own", "onednn", "torch"}) {
    ::setenv("RADLITE_INT8_KERNEL", kernel, 1);
    bool available = true;
    try {
      (void)model::Int8Linear::chosen_kernel();
    } catch (const ModelError&) {
      available = false;
    }
    if (!available) {
      ::unsetenv("RADLITE_INT8_KERNEL");
      continue;
    }
    const model::Int8Linear layer(w, b);
    ::unsetenv("RADLITE_INT8_KERNEL");
    for (std::int64_t rows : {3, 1500}) {
      const at::Tensor& x = rows == 3 ? x_query : x_batch;
      const at::Tensor plain = layer.forward(x);
      at::Tensor fused = at::empty({rows, 45});
      layer.forward_into(x, fused, /*gelu=*/true);
      at::Tensor after = plain.clone();
      if (layer.kernel() == model::Int8Kernel::Torch)
        at::gelu_(after);
      else
        model::gelu_erf(after.data_ptr<float>(), after.numel());
      EXPECT_TRUE(at::equal(fused, after)) << kernel << " rows " << rows;
      EXPECT_FALSE(at::equal(fused, plain)) << kernel << " rows " << rows;  // GELU did change the values
      if (rows == 1500 && layer.kernel() != model::Int8Kernel::Torch) fused_by_kernel.push_back(fused);
    }
  }
  if (fused_by_kernel.size() == 2) EXPECT_TRUE(at::equal(fused_by_kernel[0], fused_by_kernel[1]));
}

// oneDNN's float32 Linear with its epilogues (int8_dnnl.h, what float32 layers use on x86-64 CPUs with AVX2 or
// AVX-512), with its own blocked copy of the weights and reading them in place: GELU and the residual applied as the
// sums are stored equal GELU and the addition applied afterwards, to rounding.
TEST(Gelu, OneDnnFloat32EpiloguesMatchTheSeparateSteps) {
  if (!model::int8_dnnl_available()) GTEST_SKIP() << "this build has no oneDNN";
  c10::InferenceMode guard;
  at::manual_seed(12);
  const at::Tensor w = at::randn({70, 96}) / 6, b = at::randn({70}) / 6;
  for (const bool in_place : {false, true}) {
    at::Tensor mine = w.clone();
    const auto packed = model::f32_dnnl_pack(mine.data_ptr<float>(), b.data_ptr<float>(), 70, 96, in_place);
    for (std::int64_t rows : {1, 33, 600}) {
      const at::Tensor x = at::randn({rows, 96}), residual = at::randn({rows, 70});
      at::Tensor plain = at::empty({rows, 70}), gelu = at::empty({rows, 70}), summed = at::empty({rows, 70});
      model::f32_dnnl_linear(*packed, x.data_ptr<float>(), rows, plain.data_ptr<float>());
      model::f32_dnnl_linear(*packed, x.data_ptr<float>(), rows, gelu.data_ptr<float>(), model::F32Epilogue::Gelu);
      model::f32_dnnl_linear(*packed, x.data_ptr<float>(), rows, summed.data_ptr<float>(),
                             model::F32Epilogue::Residual, residual.data_ptr<float>());
      EXPECT_LT((plain - at::addmm(b, x, w.t())).abs().max().item<double>(), 1e-5) << rows << " " << in_place;
      EXPECT_LT((gelu - at::gelu(plain)).abs().max().item<double>(), 1e-6) << rows << " " << in_place;
      EXPECT_LT((summed - (plain + residual)).abs().max().item<double>(), 1e-6) << rows << " " << in_place;
      // The comparisons can fail: without the epilogue the outputs differ.
      EXPECT_GT((plain - at::gelu(plain)).abs().max().item<double>(), 1e-2) << rows;
      EXPECT_GT((plain - (plain + residual)).abs().max().item<double>(), 1e-2) << rows;
    }
    // In place, oneDNN reads the caller's weights: a change to them shows; the blocked copy does not see it.
    const at::Tensor x = at::randn({5, 96});
    at::Tensor before = at::empty({5, 70}), after = at::empty({5, 70});
    model::f32_dnnl_linear(*packed, x.data_ptr<float>(), 5, before.data_ptr<float>());
    mine.mul_(2);
    model::f32_dnnl_linear(*packed, x.data_ptr<float>(), 5, after.data_ptr<float>());
    if (in_place)
      EXPECT_GT((after - before).abs().max().item<double>(), 1e-2);
    else
      EXPECT_EQ((after - before).abs().max().item<double>(), 0.0);
    EXPECT_THROW(model::f32_dnnl_linear(*packed, nullptr, 1, nullptr, model::F32Epilogue::Residual), InvalidArgument);
  }
}
