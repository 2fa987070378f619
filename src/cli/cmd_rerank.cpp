// radlite rerank: JSON lines of (query, doc) pairs in, logits and a calibrated score per line out, in order.
#include <iostream>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/model_cli_common.h"
#include "radlite/encoder.h"
#include "radlite/error.h"

namespace radlite::cli {

namespace {

const char* kHelp =
    "usage: radlite rerank --model DIR [--temperature T] [--batch-size N] [--threads N] [--device cpu|cuda[:N]]\n"
    "                      [--dtype float32|float16|bfloat16] [--max-length N]\n"
    "  Reads JSON lines {\"query\": ..., \"doc\": ...} or {\"input_ids\": [...], \"token_type_ids\": [...]} on stdin\n"
    "  and writes one line {\"logits\": [...], \"score\": S} per input, in order: S = sigmoid(logit / T) for a\n"
    "  one-label model, softmax(logits / T)[1] for two labels (more labels: \"probabilities\" instead).\n"
    "  Errors go to stderr with the line number; the exit status is then non-zero.\n"
    "  --model DIR       cross-encoder (transformers *ForSequenceClassification) directory\n"
    "  --temperature T   calibration temperature, > 0 (default 1)\n"
    "  --batch-size N    pairs per forward pass (default 32)\n"
    "  --threads N       intra-op threads (default 0 = all cores)\n"
    "  --device D        cpu (default), cuda or cuda:N\n"
    "  --dtype T         compute dtype (default float32; float16 needs CUDA)\n"
    "  --max-length N    tokens per pair (default 0 = the model's limit)\n";

}  // namespace

int cmd_rerank(int argc, char** argv) {
  Args args(argc, argv,
            {"--model", "--temperature", "--batch-size", "--threads", "--device", "--dtype", "--max-length"},
            {"--help"});
  if (args.has("--help")) {
    std::cout << kHelp;
    return 0;
  }
  const double temperature = args.get_double("--temperature", 1.0);
  if (!(temperature > 0)) throw InvalidArgument("--temperature must be > 0");
  const auto options = model_options<CrossEncoderOptions>(args);
  const CrossEncoder model = CrossEncoder::load(args.required("--model"), options);

  answer_json_lines<TokenizedPair>(
      "reranking",
      [&](const InputLine& line) -> TokenizedPair {
        const auto j = parse_object_line(line);
        if (j.contains("input_ids")) {
          TokenizedPair p;
          p.ids = int_array_field(j, "input_ids", line);
          if (j.contains("token_type_ids")) p.type_ids = int_array_field(j, "token_type_ids", line);
          return p;
        }
        if (j.contains("query") || j.contains("doc"))
          return model.tokenize(string_field(j, "query", line), string_field(j, "doc", line));
        throw FormatError("stdin line " + std::to_string(line.number) +
                          ": expected \"query\" and \"doc\" fields, or \"input_ids\"");
      },
      [&](const std::vector<TokenizedPair>& pairs) { return model.logits_ids(pairs); },
      [&](std::string& out, const std::vector<std::vector<float>>& logits) {
        for (const auto& l : logits) {
          out += "{\"logits\": [";
          for (std::size_t k = 0; k < l.size(); ++k) {
            if (k) out += ", ";
            append_float(out, l[k]);
          }
          const auto probs = CrossEncoder::probabilities(l, temperature);
          if (l.size() <= 2) {
            out += "], \"score\": ";
            append_float(out, probs[l.size() == 1 ? 0 : 1]);
            out += "}\n";
          } else {
            out += "], \"probabilities\": [";
            for (std::size_t k = 0; k < probs.size(); ++k) {
              if (k) out += ", ";
              append_float(out, probs[k]);
            }
            out += "]}\n";
          }
        }
      });
  return 0;
}

}  // namespace radlite::cli
