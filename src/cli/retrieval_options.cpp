#include "cli/retrieval_options.h"

#include "cli/model_cli_common.h"
#include "radlite/error.h"

namespace radlite::cli {

std::set<std::string> search_value_options() {
  return {"--k", "--candidates", "--rerank-depth", "--fusion", "--dense-weight", "--temperature", "--bm25-weight",
          "--rrf-k", "--device", "--threads", "--batch-size", "--dtype", "--max-length"};
}

std::set<std::string> bm25_value_options() { return {"--k1", "--b", "--stopwords", "--stemmer"}; }

void apply_search_options(const Args& args, SearchOptions& o) {
  o.k = args.get_count("--k", o.k);
  o.candidates = args.get_count("--candidates", o.candidates);
  o.rerank_depth = args.get_count("--rerank-depth", o.rerank_depth);
  if (auto f = args.value("--fusion")) {
    if (*f == "rrf")
      o.fusion = FirstFusion::kRrf;
    else if (*f == "linear")
      o.fusion = FirstFusion::kLinear;
    else
      throw InvalidArgument("option --fusion expects rrf or linear, got '" + *f + "'");
  }
  o.dense_weight = args.get_double("--dense-weight", o.dense_weight);
  o.temperature = args.get_double("--temperature", o.temperature);
  o.final_bm25_weight = args.get_double("--bm25-weight", o.final_bm25_weight);
  o.rrf_k = args.get_double("--rrf-k", o.rrf_k);
}

void apply_bm25_options(const Args& args, Bm25Options& o) {
  o.k1 = args.get_double("--k1", o.k1);
  o.b = args.get_double("--b", o.b);
  o.analyzer.stopwords = args.get("--stopwords", o.analyzer.stopwords);
  o.analyzer.stemmer = args.get("--stemmer", o.analyzer.stemmer);
}

ModelLoadOptions model_load_options(const Args& args) {
  ModelLoadOptions m;
  m.device = args.get("--device", m.device);
  m.threads = args.get_int("--threads", m.threads);
  m.batch_size = args.get_count("--batch-size", m.batch_size);
  if (m.batch_size == 0) throw InvalidArgument("option --batch-size must be >= 1");
  m.dtype = parse_dtype(args.get("--dtype", "float32"));
  m.max_length = args.get_count("--max-length", m.max_length);
  return m;
}

std::string snippet(const std::string& text, std::size_t max_chars) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ', space = false;
    out += c;
    if (out.size() > max_chars) break;
  }
  if (out.size() <= max_chars) return out;
  std::size_t cut = max_chars;
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;  // not inside a code point
  return out.substr(0, cut) + "...";
}

}  // namespace radlite::cli
