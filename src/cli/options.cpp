#include "cli/options.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <thread>

#include "io/numbers.h"
#include "radlite/error.h"
#include "radlite/runtime.h"

namespace radlite::cli {

namespace {

std::string in_quotes(const std::string& s) { return "'" + s + "'"; }

std::string real_text(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

}  // namespace

int max_threads() {
  const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::min(std::max(4, 4 * hw), radlite::kMaxThreads);
}

CLI::Validator integer_in(std::int64_t lo, std::int64_t hi) {
  const std::string range = "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  return CLI::Validator(
      [lo, hi, range](std::string& input) -> std::string {
        // Decimal only (io::parse_int): CLI11's own conversion would read "010" as octal and "0x10" as hex.
        const auto v = io::parse_int(input, lo, hi);
        if (!v) return "must be an integer in " + range + ", got " + in_quotes(input);
        input = std::to_string(*v);  // canonical: leading zeros gone, so CLI11 converts the same value
        return {};
      },
      range);
}

CLI::Validator number_in(double lo, double hi, bool lo_open) {
  const std::string range =
      lo_open ? "(" + real_text(lo) + ", " + real_text(hi) + "]" : "[" + real_text(lo) + ", " + real_text(hi) + "]";
  return CLI::Validator(
      [lo, hi, lo_open, range](std::string& input) -> std::string {
        const std::string error = "must be a number in " + range + ", got " + in_quotes(input);
        const auto v = io::parse_double(input);
        // NaN fails every comparison, so the range test below would let it through: test finiteness first.
        if (!v || !std::isfinite(*v)) return error;
        if ((lo_open ? !(*v > lo) : !(*v >= lo)) || !(*v <= hi)) return error;
        return {};
      },
      range);
}

CLI::Validator positive_number() {
  return CLI::Validator(
      [](std::string& input) -> std::string {
        const auto v = io::parse_double(input);
        if (!v || !std::isfinite(*v) || !(*v > 0)) return "must be a finite number > 0, got " + in_quotes(input);
        return {};
      },
      "> 0");
}

CLI::Validator one_of(std::vector<std::string> choices) {
  std::string list;
  for (std::size_t i = 0; i < choices.size(); ++i)
    list += (i ? i + 1 == choices.size() ? " or " : ", " : "") + choices[i];
  return CLI::Validator(
      [choices, list](std::string& input) -> std::string {
        for (const auto& c : choices)
          if (input == c) return {};
        return "must be " + list + ", got " + in_quotes(input);
      },
      "");
}

DType parse_dtype(const std::string& name) {
  if (name == "float32" || name == "f32") return DType::F32;
  if (name == "float16" || name == "f16") return DType::F16;
  if (name == "bfloat16" || name == "bf16") return DType::BF16;
  if (name == "int8") return DType::Int8;
  throw InvalidArgument("--dtype must be float32, float16, bfloat16 or int8, got '" + name + "'");
}

void add_model_options(CLI::App& app, ModelLoadOptions& m) {
  const std::string group = "Model";
  app.add_option("--device", m.compute.device, "cpu, cuda or cuda:N")
      ->type_name("D")
      ->capture_default_str()
      ->group(group);
  app.add_option("--threads", m.threads, "intra-op threads; 0 = all cores; at most 4x the hardware threads")
      ->type_name("N")
      ->check(integer_in(0, max_threads()))
      ->capture_default_str()
      ->group(group);
  app.add_option("--batch-size", m.compute.batch_size, "texts or pairs per forward pass")
      ->type_name("N")
      ->check(integer_in(1, kMaxBatchSize))
      ->capture_default_str()
      ->group(group);
  app.add_option_function<std::string>(
         "--dtype", [&m](const std::string& name) { m.compute.dtype = parse_dtype(name); },
         "compute dtype: float32 (default), bfloat16, float16 (CUDA only) or int8 (CPU only); f32, bf16, f16 "
         "also accepted")
      ->type_name("T")
      ->check(one_of({"float32", "float16", "bfloat16", "int8", "f32", "f16", "bf16"}))
      ->group(group);
  app.add_option("--max-length", m.compute.max_length, "tokens per text or pair; 0 = the model's limit")
      ->type_name("N")
      ->check(integer_in(0, kMaxTokens))
      ->capture_default_str()
      ->group(group);
}

void add_search_options(CLI::App& app, SearchOptions& o) {
  const std::string group = "Search";
  app.add_option("--k", o.k, "hits per query")
      ->type_name("N")
      ->check(integer_in(0, kMaxHits))
      ->capture_default_str()
      ->group(group);
  app.add_option("--candidates", o.candidates, "first-stage depth K1: hits each retriever contributes")
      ->type_name("N")
      ->check(integer_in(1, kMaxHits))
      ->capture_default_str()
      ->group(group);
  app.add_option("--rerank-depth", o.rerank_depth, "K2: top candidates the cross-encoder scores")
      ->type_name("N")
      ->check(integer_in(1, kMaxHits))
      ->capture_default_str()
      ->group(group);
  app.add_option_function<std::string>(
         "--fusion",
         [&o](const std::string& f) { o.fusion = f == "linear" ? FirstFusion::kLinear : FirstFusion::kRrf; },
         "first fusion of dense and BM25 candidates: rrf (default) or linear")
      ->type_name("rrf|linear")
      ->check(one_of({"rrf", "linear"}))
      ->group(group);
  app.add_option("--rrf-k", o.rrf_k, "RRF rank constant")
      ->type_name("X")
      ->check(positive_number())
      ->capture_default_str()
      ->group(group);
  app.add_option("--dense-weight", o.dense_weight, "linear fusion: weight of the dense score")
      ->type_name("W")
      ->check(number_in(0.0, 1.0))
      ->capture_default_str()
      ->group(group);
  app.add_option("--temperature", o.temperature, "calibration: rerank_prob = sigmoid(logit / T)")
      ->type_name("T")
      ->check(positive_number())
      ->capture_default_str()
      ->group(group);
  app.add_option("--bm25-weight", o.final_bm25_weight, "final fusion: weight of min-max(BM25)")
      ->type_name("W")
      ->check(number_in(0.0, 1.0))
      ->capture_default_str()
      ->group(group);
  app.add_option("--ef-search", o.ef_search, "HNSW: graph candidates per query; IVF-PQ: shortlist re-ranked exactly")
      ->type_name("N")
      ->check(integer_in(1, kMaxHits))
      ->capture_default_str()
      ->group(group);
  app.add_option("--nprobe", o.nprobe, "IVF-PQ: cells scanned per query")
      ->type_name("N")
      ->check(integer_in(1, 1'000'000))
      ->capture_default_str()
      ->group(group);
}

void add_bm25_options(CLI::App& app, Bm25Options& o) {
  const std::string group = "BM25";
  // Upper bound of k1: saturation is complete long before; Lucene's useful range is 0..3.
  app.add_option("--k1", o.k1, "term-frequency saturation (0: term presence only)")
      ->type_name("X")
      ->check(number_in(0.0, 1000.0))
      ->capture_default_str()
      ->group(group);
  app.add_option("--b", o.b, "length normalisation")
      ->type_name("Y")
      ->check(number_in(0.0, 1.0))
      ->capture_default_str()
      ->group(group);
  app.add_option("--stopwords", o.analyzer.stopwords, "none or english (Lucene's English stop set)")
      ->type_name("S")
      ->check(one_of({"none", "english"}))
      ->capture_default_str()
      ->group(group);
  app.add_option("--stemmer", o.analyzer.stemmer, "none, porter (Lucene's PorterStemFilter) or english (Snowball)")
      ->type_name("S")
      ->check(one_of({"none", "porter", "english"}))
      ->capture_default_str()
      ->group(group);
}

void add_dense_index_options(CLI::App& app, PipelineOptions& o) {
  const std::string group = "Dense index (fixed when the index is built)";
  app.add_option_function<std::string>(
         "--dense",
         [&o](const std::string& kind) {
           o.dense_kind = kind == "hnsw" ? DenseKind::kHnsw : kind == "ivfpq" ? DenseKind::kIvfPq : DenseKind::kExact;
         },
         "exact (default), hnsw (fast approximate) or ivfpq (least memory)")
      ->type_name("KIND")
      ->check(one_of({"exact", "hnsw", "ivfpq"}))
      ->group(group);
  app.add_option_function<std::string>(
         "--vector-dtype",
         [&o](const std::string& d) {
           o.vector_dtype = d == "float16" ? VectorDtype::kFloat16 : VectorDtype::kFloat32;
         },
         "stored vectors: float32 (default, exact) or float16 (half the memory and files)")
      ->type_name("DTYPE")
      ->check(one_of({"float32", "float16"}))
      ->group(group);
  app.add_option("--hnsw-m", o.hnsw.m, "HNSW graph degree")
      ->type_name("N")
      ->check(integer_in(2, 256))
      ->capture_default_str()
      ->group(group);
  app.add_option("--hnsw-ef-construction", o.hnsw.ef_construction, "HNSW build-time candidate list")
      ->type_name("N")
      ->check(integer_in(1, 100000))
      ->capture_default_str()
      ->group(group);
  app.add_option("--ivf-nlist", o.ivfpq.nlist, "IVF-PQ cells; 0 = 4 * sqrt(documents per segment)")
      ->type_name("N")
      ->check(integer_in(0, 1 << 20))
      ->capture_default_str()
      ->group(group);
  app.add_option("--ivf-pq-m", o.ivfpq.pq_m, "IVF-PQ bytes per vector (divides the dimension); 0 = auto")
      ->type_name("N")
      ->check(integer_in(0, 4096))
      ->capture_default_str()
      ->group(group);
}

const char* dense_kind_name(DenseKind kind) {
  return kind == DenseKind::kHnsw ? "hnsw" : kind == DenseKind::kIvfPq ? "ivfpq" : "exact";
}

}  // namespace radlite::cli
