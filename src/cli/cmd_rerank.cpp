// radlite rerank: JSON lines of (query, doc) pairs in, logits and a calibrated score per line out, in order.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/json_lines.h"
#include "cli/model_loading.h"
#include "cli/options.h"
#include "radlite/encoder.h"
#include "radlite/error.h"

namespace radlite::cli {

namespace {

const char kHelp[] =
    "Reads JSON lines {\"query\": ..., \"doc\": ...} or {\"input_ids\": [...], \"token_type_ids\": [...]} (one of the\n"
    "two forms; token_type_ids optional) on stdin and writes one line {\"logits\": [...], \"score\": S} per input, in\n"
    "order: S = sigmoid(logit / T) for a one-label model, softmax(logits / T)[1] for two labels (more labels:\n"
    "\"probabilities\" instead). Every line must be a JSON object: a blank line is an error. Errors go to stderr\n"
    "with the line number after the lines before it are answered; the exit status is then non-zero. A NaN or\n"
    "infinite logit is such an error (JSON cannot hold it).";

struct RerankArgs {
  std::string model;
  double temperature = 1.0;
  ModelLoadOptions options;
};

TokenizedPair parse_pair(const CrossEncoder& model, const InputLine& line) {
  const auto j = parse_object_line(line);
  const bool ids = j.contains("input_ids"), text = j.contains("query") || j.contains("doc");
  if (ids && text)
    throw FormatError(line_label(line) + ": has both \"query\"/\"doc\" and \"input_ids\"; give one form");
  if (ids) {
    TokenizedPair p;
    p.ids = int_array_field(j, "input_ids", line);
    if (j.contains("token_type_ids")) p.type_ids = int_array_field(j, "token_type_ids", line);
    return p;
  }
  if (j.contains("token_type_ids")) throw FormatError(line_label(line) + ": \"token_type_ids\" without \"input_ids\"");
  const io::JsonPlace place = place_of(line);
  if (text) return model.tokenize(io::get_string(j, "query", place), io::get_string(j, "doc", place));
  throw FormatError(line_label(line) + ": expected \"query\" and \"doc\" fields, or \"input_ids\"");
}

void run_rerank(const RerankArgs& a) {
  const CrossEncoder model = CrossEncoder::load(a.model, cross_encoder_options(a.options));
  answer_json_lines<TokenizedPair>(
      std::cin, std::cout, "reranking", [&](const InputLine& line) { return parse_pair(model, line); },
      [&](const std::vector<TokenizedPair>& pairs) { return model.logits_ids(pairs); },
      [&](std::string& out, const std::vector<std::vector<float>>& logits, std::size_t row) {
        const auto& l = logits[row];
        out += "{\"logits\": ";
        append_float_array(out, l);
        const auto probs = CrossEncoder::probabilities(l, a.temperature);
        if (l.size() <= 2) {
          out += ", \"score\": ";
          append_float(out, probs[l.size() == 1 ? 0 : 1]);
        } else {
          out += ", \"probabilities\": ";
          append_float_array(out, probs);
        }
        out += "}\n";
      });
}

}  // namespace

void add_rerank_command(CLI::App& root) {
  auto a = std::make_shared<RerankArgs>();
  CLI::App* cmd = root.add_subcommand("rerank", "score JSON lines of (query, doc) pairs with a cross-encoder");
  cmd->footer(kHelp);
  cmd->add_option("--model", a->model, "cross-encoder (transformers *ForSequenceClassification) directory")
      ->type_name("DIR")
      ->required();
  cmd->add_option("--temperature", a->temperature, "calibration temperature")
      ->type_name("T")
      ->check(positive_number())
      ->capture_default_str();
  add_model_options(*cmd, a->options);
  cmd->callback([a] { run_rerank(*a); });
}

}  // namespace radlite::cli
