// The public API's contracts that are not about numbers: the thread count is a process setting that loading a
// model never changes, both model kinds share one DeviceOptions, Matrix keeps its shape and values consistent,
// EvalResult starts initialised.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <type_traits>
#include <utility>

#include "golden.h"
#include "radlite/encoder.h"
#include "radlite/error.h"
#include "radlite/matrix.h"
#include "radlite/retrieval/metrics.h"
#include "radlite/runtime.h"

using namespace radlite;
namespace ts = radlite::test_support;

namespace {

// No per-model thread option any more: a field named `threads` in either options struct would not compile here.
template <class T, class = void>
struct HasThreads : std::false_type {};
template <class T>
struct HasThreads<T, std::void_t<decltype(std::declval<T>().threads)>> : std::true_type {};
static_assert(!HasThreads<BiEncoderOptions>::value, "threads is a runtime setting (radlite/runtime.h)");
static_assert(!HasThreads<CrossEncoderOptions>::value, "threads is a runtime setting (radlite/runtime.h)");
static_assert(!HasThreads<DeviceOptions>::value, "threads is a runtime setting (radlite/runtime.h)");
static_assert(std::is_same_v<decltype(BiEncoderOptions::compute), decltype(CrossEncoderOptions::compute)>);

// Restores the process's thread count when a test ends, so tests do not leak settings into each other.
struct ThreadCountGuard {
  int saved = num_threads();
  ~ThreadCountGuard() { set_num_threads(saved); }
};

TEST(Runtime, LoadingModelsNeverChangesTheThreadCount) {
  ThreadCountGuard guard;
  auto ids = ts::int_rows(ts::golden("roberta-biencoder-tiny")["input_ids"]);
  ids.resize(std::min<std::size_t>(ids.size(), 4));  // enough to compare; 1-thread passes are slow on a busy machine

  set_num_threads(1);
  const BiEncoder first = BiEncoder::load(ts::model_dir("roberta-biencoder-tiny"));
  EXPECT_EQ(num_threads(), 1);
  const Matrix first_alone = first.encode_ids(ids);

  // A second model loaded while the process runs 2 threads: it does not set the count back, nor does the first
  // model's load (under 1) limit it.
  set_num_threads(2);
  const BiEncoder second = BiEncoder::load(ts::model_dir("roberta-biencoder-tiny"));
  const CrossEncoder ce = CrossEncoder::load(ts::model_dir("roberta-crossencoder-tiny"));
  EXPECT_EQ(num_threads(), 2);
  const Matrix a = first.encode_ids(ids), b = second.encode_ids(ids);
  EXPECT_EQ(num_threads(), 2);
  // Both models compute the same vectors whatever count they were loaded under.
  EXPECT_LT(ts::max_abs_diff(a, b), 1e-6);
  EXPECT_LT(ts::max_abs_diff(a, first_alone), 1e-6);

  set_num_threads(1);
  (void)ce.logits("query", {"document"});
  EXPECT_EQ(num_threads(), 1);
}

// The default is observable only in a process that has not chosen a count yet: each EXPECT_EXIT runs its statement
// in a fresh copy of this test binary ("threadsafe" death tests re-execute it). The exit code carries the verdict;
// the printed count is what the message regex matches (an empty POSIX regex matches nothing here).
TEST(RuntimeDeathTest, FirstLoadDefaultsToAllCoresUnlessTheApplicationChose) {
  if (std::getenv("OMP_NUM_THREADS")) GTEST_SKIP() << "OMP_NUM_THREADS is set: libtorch's count stands";
  ::testing::GTEST_FLAG(death_test_style) = "threadsafe";
  const int hardware = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const std::string dir = ts::model_dir("roberta-biencoder-tiny");
  EXPECT_EXIT(
      {
        (void)BiEncoder::load(dir);
        std::fprintf(stderr, "threads %d\n", num_threads());
        std::_Exit(num_threads() == hardware ? 0 : 10 + num_threads());
      },
      ::testing::ExitedWithCode(0), "threads");
  EXPECT_EXIT(
      {
        set_num_threads(1);
        (void)BiEncoder::load(dir);
        (void)CrossEncoder::load(ts::model_dir("roberta-crossencoder-tiny"));
        std::fprintf(stderr, "threads %d\n", num_threads());
        std::_Exit(num_threads() == 1 ? 0 : 10 + num_threads());
      },
      ::testing::ExitedWithCode(0), "threads");
  // Set after the first load: later loads keep it.
  EXPECT_EXIT(
      {
        (void)BiEncoder::load(dir);
        set_num_threads(1);
        (void)BiEncoder::load(dir);
        std::fprintf(stderr, "threads %d\n", num_threads());
        std::_Exit(num_threads() == 1 ? 0 : 10 + num_threads());
      },
      ::testing::ExitedWithCode(0), "threads");
}

TEST(Runtime, ThreadCountIsRangeChecked) {
  ThreadCountGuard guard;
  EXPECT_THROW(set_num_threads(-1), InvalidArgument);
  EXPECT_THROW(set_num_threads(kMaxThreads + 1), InvalidArgument);
  EXPECT_THROW(set_num_threads(100000), InvalidArgument);
  try {
    set_num_threads(-1);
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("-1"), std::string::npos) << e.what();
  }
  set_num_threads(0);  // all hardware threads
  EXPECT_EQ(num_threads(), static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  set_num_threads(3);
  EXPECT_EQ(num_threads(), 3);
}

// cpu_has_fast_dtype reads the CPU's flags: float32 always, float16 never on the CPU, bfloat16 exactly where
// AVX512-BF16 is, int8 wherever radlite's AVX2 kernel or oneDNN's VNNI kernels (AMX CPUs have VNNI) run.
TEST(Runtime, FastDtypesFollowTheCpuFlags) {
  EXPECT_TRUE(cpu_has_fast_dtype(DType::F32));
  EXPECT_FALSE(cpu_has_fast_dtype(DType::F16));
#if defined(__GNUC__) && defined(__x86_64__)
  EXPECT_EQ(cpu_has_fast_dtype(DType::BF16), static_cast<bool>(__builtin_cpu_supports("avx512bf16")));
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const bool vnni = __builtin_cpu_supports("avx512vnni") || __builtin_cpu_supports("avxvnni");
  if (avx2) EXPECT_TRUE(cpu_has_fast_dtype(DType::Int8));
  if (!avx2 && !vnni) EXPECT_FALSE(cpu_has_fast_dtype(DType::Int8));
#else
  GTEST_SKIP() << "not x86-64: only float32 and float16 checked";
#endif
}

TEST(DeviceOptionsTest, OneStructForBothModelKinds) {
  DeviceOptions d;
  d.batch_size = 0;
  BiEncoderOptions bo;
  bo.compute = d;
  CrossEncoderOptions co;
  co.compute = d;
  EXPECT_THROW(BiEncoder::load(ts::model_dir("roberta-biencoder-tiny"), bo), InvalidArgument);
  EXPECT_THROW(CrossEncoder::load(ts::model_dir("roberta-crossencoder-tiny"), co), InvalidArgument);
  d.batch_size = 2;
  d.max_length = 16;
  bo.compute = co.compute = d;
  EXPECT_EQ(BiEncoder::load(ts::model_dir("roberta-biencoder-tiny"), bo).max_length(), 16u);
  EXPECT_EQ(CrossEncoder::load(ts::model_dir("roberta-crossencoder-tiny"), co).max_length(), 16u);
}

TEST(MatrixTest, ConstructorsCheckTheShape) {
  const Matrix z(2, 3);
  EXPECT_EQ(z.rows(), 2u);
  EXPECT_EQ(z.cols(), 3u);
  EXPECT_EQ(z.size(), 6u);
  EXPECT_EQ(z(1, 2), 0.0f);
  const Matrix m(2, 2, {1, 2, 3, 4});
  EXPECT_EQ(m(1, 0), 3.0f);
  EXPECT_EQ(m.row(1)[1], 4.0f);
  EXPECT_EQ(m.values(), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_THROW(Matrix(2, 2, {1, 2, 3}), InvalidArgument);
  EXPECT_THROW(Matrix(0, 5, {1}), InvalidArgument);
  EXPECT_NO_THROW(Matrix(0, 5, {}));
  try {
    Matrix(3, 4, std::vector<float>(10));
    ADD_FAILURE() << "no exception";
  } catch (const InvalidArgument& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("3 x 4"), std::string::npos) << msg;
    EXPECT_NE(msg.find("12"), std::string::npos) << msg;
    EXPECT_NE(msg.find("10"), std::string::npos) << msg;
  }
  // rows * cols overflowing size_t is refused before anything is allocated.
  EXPECT_THROW(Matrix(std::size_t{1} << 40, std::size_t{1} << 40), InvalidArgument);
}

TEST(EvalResultTest, StartsInitialised) {
  const EvalResult r;
  EXPECT_EQ(r.queries, 0u);
  EXPECT_TRUE(std::isnan(r.mrr_at_10));
  EXPECT_TRUE(std::isnan(r.ndcg_at_10));
  EXPECT_TRUE(std::isnan(r.recall_at_10));
  EXPECT_TRUE(std::isnan(r.recall_at_100));
  EXPECT_TRUE(std::isnan(r.map));
}

}  // namespace
