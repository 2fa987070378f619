// CPU speed benchmark of radlite at the real model shapes, with no download: it writes a RoBERTa-base bi-encoder
// and a MiniLM-L12-H384 cross-encoder with deterministic random weights (bench_models.h) and measures, per dtype,
//   tokens/s at 32x128 and 8x512, the latency of one 32-token query, documents/s over the bundled CancerGov
//   answers (their real length mix), cross-encoder pairs/s for 50 (question, answer) pairs at max length 512 and
//   256, and a full pipeline query (median and p95, K2 = 50),
// each next to the GEMM roofline (the faster of at::mm and, where radlite uses it, oneDNN's matmul) measured in the
// same process (as a fraction of it). The CPU's relevant flags are printed first. Few repetitions: the machine is
// shared.
//
// Usage: bench_cpu [--models DIR] [--write-models DIR] [--dtypes f32,int8,bf16] [--threads N] [--repeat N]
//                  [--sections load,tokens,query,docs,rerank,pipeline] [--docs N] [--queries N]
//                  [--accuracy-docs N] [--json FILE] [--smoke]
//   --sections ...,accuracy  for every dtype but f32: the smallest cosine of its embeddings to float32's over the
//                       first --accuracy-docs CancerGov answers (default all 729), and the cross-encoder's largest
//                       logit difference over the 50 pairs at max length 512, relative to the logits' spread
//   --write-models DIR  write the two model directories (DIR/biencoder, DIR/crossencoder) and exit
//   --models DIR        use directories written earlier instead of writing them to a temporary directory
//   --json FILE         also write every figure, and the exact inputs used, for tests/bench/cpu_peers.sh
//   --smoke             two-layer models and tiny subsets: checks that everything runs, measures nothing useful
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "bench_util.h"
#include "model/attention_avx2.h"
#include "model/int8_dnnl.h"
#include "model/int8_linear.h"
#include "radlite/encoder.h"
#include "radlite/retrieval/beir.h"
#include "radlite/retrieval/pipeline.h"
#include "radlite/runtime.h"

namespace fs = std::filesystem;
using nlohmann::json;
using radlite::bench::best_seconds;
using radlite::bench::seconds_of;

namespace {

struct Args {
  std::string models, write_models, json_path;
  std::vector<std::string> dtypes{"f32"};
  std::vector<std::string> sections{"load", "tokens", "query", "docs", "rerank", "pipeline"};
  int threads = 0, repeat = 2, docs = 48, queries = 8, accuracy_docs = 729;
  bool smoke = false;
  std::string self;
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string p; std::getline(ss, p, ',');)
    if (!p.empty()) out.push_back(p);
  return out;
}

Args parse(int argc, char** argv) {
  Args a;
  a.self = argv[0];
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(k + " needs a value");
      return argv[++i];
    };
    if (k == "--models")
      a.models = value();
    else if (k == "--write-models")
      a.write_models = value();
    else if (k == "--json")
      a.json_path = value();
    else if (k == "--dtypes")
      a.dtypes = split(value());
    else if (k == "--sections")
      a.sections = split(value());
    else if (k == "--threads")
      a.threads = std::stoi(value());
    else if (k == "--repeat")
      a.repeat = std::max(1, std::stoi(value()));
    else if (k == "--docs")
      a.docs = std::max(1, std::stoi(value()));
    else if (k == "--queries")
      a.queries = std::max(1, std::stoi(value()));
    else if (k == "--accuracy-docs")
      a.accuracy_docs = std::max(1, std::stoi(value()));
    else if (k == "--smoke")
      a.smoke = true;
    else
      throw std::invalid_argument("unknown option " + k + " (see the top of tests/bench/bench_cpu.cpp)");
  }
  if (a.smoke) {
    a.repeat = 1;
    a.docs = std::min(a.docs, 4);
    a.queries = std::min(a.queries, 2);
    a.accuracy_docs = std::min(a.accuracy_docs, 4);
  }
  return a;
}

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

radlite::DType parse_dtype(const std::string& d) {
  if (d == "f32" || d == "float32") return radlite::DType::F32;
  if (d == "bf16" || d == "bfloat16") return radlite::DType::BF16;
  if (d == "int8") return radlite::DType::Int8;
  throw std::invalid_argument("unknown dtype '" + d + "' (f32, bf16, int8)");
}

radlite::bench::ModelShape bi_shape(bool smoke) {
  auto s = radlite::bench::roberta_base_shape();
  if (smoke) s.layers = 2;
  return s;
}
radlite::bench::ModelShape ce_shape(bool smoke) {
  auto s = radlite::bench::minilm_l12_cross_shape();
  if (smoke) s.layers = 2;
  return s;
}

void write_models(const fs::path& dir, bool smoke) {
  const fs::path tok = RADLITE_TOKENIZER_FILES_DIR;
  radlite::bench::write_biencoder(bi_shape(smoke), dir / "biencoder", tok);
  radlite::bench::write_crossencoder(ce_shape(smoke), dir / "crossencoder", tok);
}

long status_kb(const char* key) {  // VmRSS / VmHWM of this process, in kB
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(key, 0) == 0) return std::atol(line.c_str() + std::strlen(key) + 1);
  return -1;
}

std::vector<std::string> jsonl_texts(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(json::parse(line).at("text").get<std::string>());
  if (out.empty()) throw std::runtime_error("no texts in " + path);
  return out;
}

// Every `stride`-th item, `n` of them: a subset with the whole set's length mix.
template <class T>
std::vector<T> spread_subset(const std::vector<T>& v, std::size_t n) {
  std::vector<T> out;
  n = std::min(n, v.size());
  for (std::size_t i = 0; i < n; ++i) out.push_back(v[i * v.size() / n]);
  return out;
}

// Rows of `len` ids: <s> ... </s> with ordinary ids in between (a fixed pattern, so runs are comparable).
std::vector<std::vector<std::int32_t>> synthetic_ids(std::size_t rows, std::size_t len, int vocab, int bos, int eos) {
  std::vector<std::vector<std::int32_t>> ids(rows);
  for (std::size_t r = 0; r < rows; ++r) {
    ids[r].push_back(bos);
    for (std::size_t j = 1; j + 1 < len; ++j)
      ids[r].push_back(
          static_cast<std::int32_t>(1000 + (r * 7919 + j * 104729) % static_cast<std::size_t>(vocab - 1000)));
    ids[r].push_back(eos);
  }
  return ids;
}

// The pipeline's corpus embeddings are not what is measured (a query's latency is): this encoder gives the
// documents deterministic random unit vectors while indexing, then encodes queries with the real model. Random
// weights make the dense ranking meaningless anyway; the reranked documents are still CancerGov answers.
class QueryOnlyEncoder : public radlite::TextEncoder {
 public:
  explicit QueryOnlyEncoder(std::shared_ptr<const radlite::BiEncoder> e) : e_(std::move(e)) {}
  bool indexing = true;
  radlite::Matrix encode_texts(const std::vector<std::string>& texts) const override {
    if (!indexing) return e_->encode(texts);
    radlite::Matrix m(texts.size(), e_->dimension());
    radlite::bench::detail::Rng rng{texts.size()};
    for (std::size_t i = 0; i < texts.size(); ++i) {
      float n = 0;
      for (std::size_t j = 0; j < m.cols(); ++j) n += (m.row(i)[j] = rng.uniform()) * m.row(i)[j];
      for (std::size_t j = 0; j < m.cols(); ++j) m.row(i)[j] /= std::sqrt(n);
    }
    return m;
  }
  std::size_t dimension() const override { return e_->dimension(); }
  std::string identity() const override { return e_->identity(); }

 private:
  std::shared_ptr<const radlite::BiEncoder> e_;
};

struct Bench {
  Args args;
  fs::path dir;
  json out = json::object();
  double roof_bi = 0, roof_ce = 0;  // GFLOP/s, float32, at each model's FFN shape: at::mm or oneDNN's, the faster

  void row(const std::string& what, const std::string& value, double flops, double seconds, double roof) {
    std::printf("  %-46s %16s   %5.1f%% of roofline\n", what.c_str(), value.c_str(),
                100.0 * flops / seconds * 1e-9 / roof);
    std::fflush(stdout);
  }

  void run_dtype(const std::string& dname) {
    const radlite::DType dtype = parse_dtype(dname);
    json& r = out["radlite"][dname];
    const auto bs = bi_shape(args.smoke), cs = ce_shape(args.smoke);
    std::printf("\n[%s] threads %d, best of %d\n", dname.c_str(), at::get_num_threads(), args.repeat);

    radlite::BiEncoderOptions bo;
    bo.compute.dtype = dtype;
    const long rss0 = status_kb("VmRSS:");
    std::shared_ptr<const radlite::BiEncoder> bi;
    const double t_load = seconds_of([&] {
      bi = std::make_shared<const radlite::BiEncoder>(radlite::BiEncoder::load((dir / "biencoder").string(), bo));
    });
    const double weights_mb = static_cast<double>(fs::file_size(dir / "biencoder" / "model.safetensors")) / 1e6;
    if (has(args.sections, "load")) {
      std::printf("  %-46s %13.2f s   peak RSS +%.0f MB (weight file %.0f MB, %.2fx)\n", "load RoBERTa-base bi-encoder",
                  t_load, (status_kb("VmHWM:") - rss0) / 1e3, weights_mb,
                  (status_kb("VmHWM:") - rss0) / 1e3 / weights_mb);
      r["load_s"] = t_load;
      r["load_peak_rss_mb"] = (status_kb("VmHWM:") - rss0) / 1e3;
    }

    if (has(args.sections, "tokens")) {
      std::vector<std::pair<int, int>> shapes{{32, 128}, {8, 512}};
      if (args.smoke) shapes = {{4, 32}, {2, 64}};
      for (auto [rows, len] : shapes) {
        const auto ids = synthetic_ids(rows, len, bs.vocab, 0, 2);
        bi->encode_ids({ids.front()});
        const double t = best_seconds(args.repeat, [&] { bi->encode_ids(ids); });
        const std::string key = "tokens_per_s_" + std::to_string(rows) + "x" + std::to_string(len);
        r[key] = rows * len / t;
        out["inputs"]["bi_" + std::to_string(rows) + "x" + std::to_string(len)] = ids;
        char v[64];
        std::snprintf(v, sizeof v, "%.0f tokens/s", rows * len / t);
        row("bi-encoder " + std::to_string(rows) + "x" + std::to_string(len), v,
            radlite::bench::encoder_flops(bs, std::vector<std::size_t>(rows, len)), t, roof_bi);
      }
    }
    if (has(args.sections, "query")) {
      const auto q = synthetic_ids(1, 32, bs.vocab, 0, 2);
      std::vector<double> times;
      for (int i = 0; i < 2; ++i) bi->encode_ids(q);
      for (int i = 0; i < (args.smoke ? 2 : 10); ++i) times.push_back(seconds_of([&] { bi->encode_ids(q); }));
      const double t = radlite::bench::quantile(times, 0.5);
      r["query_ms"] = t * 1e3;
      out["inputs"]["bi_query"] = q;
      if (dname == "f32") out["reference"]["bi_query"] = bi->encode_ids(q).values();
      char v[64];
      std::snprintf(v, sizeof v, "%.1f ms", t * 1e3);
      row("one 32-token query (median of 10)", v, radlite::bench::encoder_flops(bs, {32}), t, roof_bi);
    }
    if (has(args.sections, "docs")) {
      const auto texts = spread_subset(jsonl_texts(std::string(RADLITE_EXAMPLES_DATA_DIR) + "/cancergov/corpus.jsonl"),
                                       static_cast<std::size_t>(args.docs));
      std::vector<std::vector<std::int32_t>> ids;
      std::vector<std::size_t> lengths;
      for (const auto& t : texts) {
        ids.push_back(bi->tokenize(t));
        lengths.push_back(ids.back().size());
      }
      bi->encode_ids({ids.front()});
      const double t = seconds_of([&] { bi->encode_ids(ids); });
      r["docs_per_s"] = static_cast<double>(ids.size()) / t;
      std::size_t tokens = 0;
      for (auto n : lengths) tokens += n;
      char v[64];
      std::snprintf(v, sizeof v, "%.2f docs/s", static_cast<double>(ids.size()) / t);
      row("CancerGov answers (" + std::to_string(ids.size()) + " docs, " + std::to_string(tokens) + " tokens)", v,
          radlite::bench::encoder_flops(bs, lengths), t, roof_bi);
    }

    // The cross-encoder: 50 (question, its answer) pairs, at the model's 512 tokens and at 256.
    const auto questions = jsonl_texts(std::string(RADLITE_EXAMPLES_DATA_DIR) + "/cancergov/queries.jsonl");
    const auto answers = jsonl_texts(std::string(RADLITE_EXAMPLES_DATA_DIR) + "/cancergov/corpus.jsonl");
    std::map<std::size_t, std::shared_ptr<const radlite::CrossEncoder>> ces;
    for (std::size_t max_len : {512, 256}) {
      radlite::CrossEncoderOptions co;
      co.compute.dtype = dtype;
      co.compute.max_length = max_len;
      ces[max_len] = std::make_shared<const radlite::CrossEncoder>(
          radlite::CrossEncoder::load((dir / "crossencoder").string(), co));
    }
    if (has(args.sections, "rerank")) {
      const std::size_t npairs = args.smoke ? 8 : 50;
      for (std::size_t max_len : {512, 256}) {
        const auto& ce = *ces[max_len];
        std::vector<radlite::TokenizedPair> pairs;
        std::vector<std::size_t> lengths;
        for (std::size_t i = 0; i < npairs; ++i) {
          const std::size_t k = i * questions.size() / npairs;
          pairs.push_back(ce.tokenize(questions[k], answers[k]));
          lengths.push_back(pairs.back().ids.size());
        }
        ce.logits_ids({pairs.front()});
        std::vector<std::vector<float>> logits;
        const double t = best_seconds(args.repeat, [&] { logits = ce.logits_ids(pairs); });
        const std::string key = "ce_pairs_per_s_" + std::to_string(max_len);
        r[key] = static_cast<double>(npairs) / t;
        json in = json::array();
        for (const auto& p : pairs) in.push_back({{"ids", p.ids}, {"type_ids", p.type_ids}});
        out["inputs"]["ce_" + std::to_string(max_len)] = in;
        if (dname == "f32") out["reference"]["ce_" + std::to_string(max_len)] = logits;
        char v[64];
        std::snprintf(v, sizeof v, "%.2f pairs/s", static_cast<double>(npairs) / t);
        row("cross-encoder " + std::to_string(npairs) + " pairs, max length " + std::to_string(max_len), v,
            radlite::bench::encoder_flops(cs, lengths, /*first_row_last_layer=*/true), t, roof_ce);
      }
    }
    if (has(args.sections, "pipeline")) {
      auto enc = std::make_shared<QueryOnlyEncoder>(bi);
      radlite::Pipeline pipe(enc, ces[512]);
      pipe.add(radlite::load_beir_corpus(std::string(RADLITE_EXAMPLES_DATA_DIR) + "/cancergov/corpus.jsonl"));
      enc->indexing = false;
      const auto qs = spread_subset(questions, static_cast<std::size_t>(args.queries));
      radlite::SearchOptions so;
      so.rerank_depth = args.smoke ? 8 : 50;
      for (std::size_t max_len : {512, 256}) {
        pipe.set_reranker(ces[max_len]);
        pipe.search(qs.front(), so);  // warm-up
        std::vector<double> times;
        for (const auto& q : qs) times.push_back(seconds_of([&] { pipe.search(q, so); }));
        const double med = radlite::bench::quantile(times, 0.5), p95 = radlite::bench::quantile(times, 0.95);
        r["pipeline_median_s_" + std::to_string(max_len)] = med;
        r["pipeline_p95_s_" + std::to_string(max_len)] = p95;
        std::printf("  %-46s %13.2f s   p95 %.2f s over %zu queries\n",
                    ("full query, K2 " + std::to_string(so.rerank_depth) + ", max length " + std::to_string(max_len) +
                     " (median)")
                        .c_str(),
                    med, p95, qs.size());
        std::fflush(stdout);
      }
    }
  }

  void run() {
    const auto cpu = radlite::bench::cpu_info();
    std::printf("CPU: %s, %u hardware threads\n  flags:", cpu.model.c_str(), std::thread::hardware_concurrency());
    for (const auto& [f, on] : cpu.flags) std::printf(" %s%s", on ? "+" : "-", f.c_str());
    std::printf("\nlibtorch %s, oneDNN (MKLDNN) %s, MKL %s\n", radlite::torch_version().c_str(),
                at::hasMKLDNN() ? "yes" : "no", at::hasMKL() ? "yes" : "no");
    for (const auto& [f, on] : cpu.flags) out["cpu"]["flags"][f] = on;
    out["cpu"]["model"] = cpu.model;
    if (has(args.dtypes, "int8")) {
      // The kernel int8 layers get on this CPU (chosen at run time; RADLITE_INT8_KERNEL overrides it).
      c10::InferenceMode guard;
      const radlite::model::Int8Linear probe(at::randn({3072, 768}), at::zeros({3072}));
      const std::string kernel = probe.kernel_detail(4096);
      std::printf("int8 kernel: %s at [4096x768]x[768x3072]\n", kernel.c_str());
      out["int8_kernel"] = kernel;
    }
    // The attention kernels the encoders run here (head sizes 32 and 64): float32 models, int8 models (ATen's
    // path on libtorch's int8 kernel, see transformer.cpp), and bfloat16 models (their bfloat16 rows need a
    // bfloat16 kernel, else ATen's path).
    {
      namespace m = radlite::model;
      const std::string f32 = m::attention_kernel_name(false);
      const std::string int8 = m::Int8Linear::chosen_kernel() == m::Int8Kernel::Torch  // keeps ATen's attention
                                   ? "aten"
                                   : m::attention_kernel_name(m::int8_attention_bf16());
      const std::string bf16 = m::attention_bf16_available() ? m::attention_kernel_name(true) : "aten";
      std::printf("attention kernels: float32 %s, int8 %s, bfloat16 %s\n", f32.c_str(), int8.c_str(), bf16.c_str());
      out["attention_kernels"] = {{"f32", f32}, {"int8", int8}, {"bf16", bf16}};
    }

    radlite::set_num_threads(args.threads);
    const auto bs = bi_shape(args.smoke), cs = ce_shape(args.smoke);
    roof_bi = radlite::bench::gemm_roofline(bs, at::kFloat, args.repeat);
    roof_ce = radlite::bench::gemm_roofline(cs, at::kFloat, args.repeat);
    std::printf(
        "GEMM roofline (at::mm float32, 4096 rows, %d threads): %.1f GFLOP/s at [x768]x[768x3072], "
        "%.1f GFLOP/s at [x384]x[384x1536]\n",
        at::get_num_threads(), roof_bi, roof_ce);
    if (const auto mode = radlite::model::f32_dnnl_mode(); mode != radlite::model::F32DnnlMode::None) {
      // radlite's float32 layers run oneDNN's matmul on this CPU (above kSmallLinearMaxRows rows where the weights
      // stay in place): the roofline is the faster of the two GEMMs.
      auto dnnl_rate = [&](std::int64_t k, std::int64_t n) {
        const at::Tensor w = at::randn({n, k}), a = at::randn({4096, k});
        at::Tensor c = at::empty({4096, n});
        const auto packed = radlite::model::f32_dnnl_pack(w.data_ptr<float>(), nullptr, n, k,
                                                          mode == radlite::model::F32DnnlMode::InPlace);
        radlite::model::f32_dnnl_linear(*packed, a.data_ptr<float>(), 4096, c.data_ptr<float>());
        const double t = radlite::bench::best_seconds(std::max(args.repeat, 10), [&] {  // as gemm_roofline
          radlite::model::f32_dnnl_linear(*packed, a.data_ptr<float>(), 4096, c.data_ptr<float>());
        });
        return 2.0 * 4096 * static_cast<double>(k) * static_cast<double>(n) / t * 1e-9;
      };
      const double d_bi = dnnl_rate(bs.hidden, bs.intermediate), d_ce = dnnl_rate(cs.hidden, cs.intermediate);
      std::printf("  oneDNN matmul float32 (radlite's float32 layers here): %.1f and %.1f GFLOP/s\n", d_bi, d_ce);
      roof_bi = std::max(roof_bi, d_bi);
      roof_ce = std::max(roof_ce, d_ce);
      out["roofline_onednn_gflops"] = {{"biencoder", d_bi}, {"crossencoder", d_ce}};
    }
    if (has(args.dtypes, "bf16")) {
      std::printf("  at::mm bfloat16 at [x768]x[768x3072]: %.1f GFLOP/s\n",
                  radlite::bench::gemm_roofline(bs, at::kBFloat16, 1));
    }
    out["roofline_gflops"] = {{"biencoder", roof_bi}, {"crossencoder", roof_ce}};
    out["threads"] = at::get_num_threads();
    for (const auto& d : args.dtypes) run_dtype(d);
    if (has(args.sections, "accuracy"))
      for (const auto& d : args.dtypes)
        if (parse_dtype(d) != radlite::DType::F32) accuracy(d);
  }

  // Against float32, on the real texts: embeddings' cosine, cross-encoder logits' difference over their spread.
  void accuracy(const std::string& dname) {
    const auto all = jsonl_texts(std::string(RADLITE_EXAMPLES_DATA_DIR) + "/cancergov/corpus.jsonl");
    const std::vector<std::string> texts(all.begin(),
                                         all.begin() + std::min<std::size_t>(all.size(), args.accuracy_docs));
    radlite::BiEncoderOptions fo, qo;
    qo.compute.dtype = parse_dtype(dname);
    const auto a = radlite::BiEncoder::load((dir / "biencoder").string(), fo).encode(texts);
    const auto b = radlite::BiEncoder::load((dir / "biencoder").string(), qo).encode(texts);
    double worst = 1;
    for (std::size_t i = 0; i < a.rows(); ++i) {
      double ab = 0, aa = 0, bb = 0;
      for (std::size_t j = 0; j < a.cols(); ++j) {
        ab += double(a(i, j)) * b(i, j);
        aa += double(a(i, j)) * a(i, j);
        bb += double(b(i, j)) * b(i, j);
      }
      worst = std::min(worst, ab / std::sqrt(aa * bb));
    }
    const auto questions = jsonl_texts(std::string(RADLITE_EXAMPLES_DATA_DIR) + "/cancergov/queries.jsonl");
    std::vector<std::pair<std::string, std::string>> pairs;
    const std::size_t npairs = args.smoke ? 8 : 50;
    for (std::size_t i = 0; i < npairs; ++i)
      pairs.emplace_back(questions[i * all.size() / npairs], all[i * all.size() / npairs]);
    radlite::CrossEncoderOptions cf, cq;
    cq.compute.dtype = qo.compute.dtype;
    const auto la = radlite::CrossEncoder::load((dir / "crossencoder").string(), cf).logits(pairs);
    const auto lb = radlite::CrossEncoder::load((dir / "crossencoder").string(), cq).logits(pairs);
    double lo = 1e300, hi = -1e300, diff = 0;
    for (std::size_t i = 0; i < la.size(); ++i) {
      lo = std::min(lo, double(la[i][0]));
      hi = std::max(hi, double(la[i][0]));
      diff = std::max(diff, std::fabs(double(la[i][0]) - lb[i][0]));
    }
    std::printf(
        "\n[%s accuracy against float32] min embedding cosine %.6f over %zu CancerGov answers; cross-encoder "
        "max |logit diff| %.4f = %.4f of the logit spread (%.3f) over %zu pairs\n",
        dname.c_str(), worst, texts.size(), diff, diff / (hi - lo), hi - lo, pairs.size());
    out["accuracy"][dname] = {
        {"min_cosine", worst}, {"docs", texts.size()}, {"ce_max_diff", diff}, {"ce_spread", hi - lo}};
  }
};

}  // namespace

int main(int argc, char** argv) {
  try {
    const Args args = parse(argc, argv);
    if (!args.write_models.empty()) {
      write_models(args.write_models, args.smoke);
      return 0;
    }
    Bench b;
    b.args = args;
    std::unique_ptr<fs::path> scratch;
    if (!args.models.empty()) {
      b.dir = args.models;
    } else {
      b.dir = fs::temp_directory_path() / ("radlite_bench_cpu_" + std::to_string(::getpid()));
      scratch = std::make_unique<fs::path>(b.dir);
      // Written by a child process, so that this one's peak RSS measures the model load alone.
      const std::string cmd =
          "'" + args.self + "' --write-models '" + b.dir.string() + "'" + (args.smoke ? " --smoke" : "");
      const double t = seconds_of([&] {
        if (std::system(cmd.c_str()) != 0) throw std::runtime_error("writing the models failed: " + cmd);
      });
      std::printf("wrote the random-weight models to %s in %.1f s\n", b.dir.c_str(), t);
    }
    try {
      b.run();
    } catch (...) {
      if (scratch) fs::remove_all(*scratch);
      throw;
    }
    if (scratch) fs::remove_all(*scratch);
    if (!args.json_path.empty()) {
      std::ofstream f(args.json_path);
      f << b.out.dump() << "\n";
      if (!f) throw std::runtime_error("cannot write " + args.json_path);
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "bench_cpu: " << e.what() << "\n";
    return 1;
  }
}
