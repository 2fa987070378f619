// radlite rerank: JSON lines of (query, doc) pairs in, logits and a calibrated score per line out, in order.
#include <exception>
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

constexpr std::size_t kChunkLines = 64;

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
  CrossEncoderOptions options;
  options.batch_size = args.get_count("--batch-size", 32);
  options.threads = args.get_int("--threads", 0);
  options.device = args.get("--device", "cpu");
  options.dtype = parse_dtype(args.get("--dtype", "float32"));
  options.max_length = args.get_count("--max-length", 0);
  const CrossEncoder model = CrossEncoder::load(args.required("--model"), options);

  std::ios::sync_with_stdio(false);
  std::size_t line_number = 0;
  std::vector<InputLine> lines;
  std::string out;
  while (read_chunk(std::cin, kChunkLines, line_number, lines)) {
    // Lines before a bad one are still answered, so the output stays one line per input up to the error.
    std::vector<TokenizedPair> pairs;
    pairs.reserve(lines.size());
    std::exception_ptr pending;
    for (const auto& line : lines) {
      try {
        const auto j = parse_object_line(line);
        if (j.contains("input_ids")) {
          TokenizedPair p;
          p.ids = int_array_field(j, "input_ids", line);
          if (j.contains("token_type_ids")) p.type_ids = int_array_field(j, "token_type_ids", line);
          pairs.push_back(std::move(p));
        } else if (j.contains("query") || j.contains("doc")) {
          pairs.push_back(model.tokenize(string_field(j, "query", line), string_field(j, "doc", line)));
        } else {
          throw FormatError("stdin line " + std::to_string(line.number) +
                            ": expected \"query\" and \"doc\" fields, or \"input_ids\"");
        }
      } catch (const Error&) {
        pending = std::current_exception();
        break;
      }
    }
    std::vector<std::vector<float>> logits;
    try {
      logits = model.logits_ids(pairs);
    } catch (const InvalidArgument&) {
      // Find the offending line by scoring one at a time (error path only), answer the lines before it.
      std::size_t bad = 0;
      std::string message;
      for (; bad < pairs.size(); ++bad) {
        try {
          model.logits_ids({pairs[bad]});
        } catch (const InvalidArgument& e) {
          message = e.what();
          break;
        }
      }
      if (bad == pairs.size()) throw;
      pairs.resize(bad);
      logits = model.logits_ids(pairs);
      pending = std::make_exception_ptr(
          InvalidArgument("stdin line " + std::to_string(lines[bad].number) + ": " + message));
    }
    out.clear();
    for (const auto& l : logits) {
      out += "{\"logits\": [";
      for (std::size_t k = 0; k < l.size(); ++k) {
        if (k) out += ", ";
        append_float(out, l[k]);
      }
      const auto probs = CrossEncoder::calibrate(l, temperature);
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
    std::cout << out;
    std::cout.flush();
    if (pending) std::rethrow_exception(pending);
  }
  return 0;
}

}  // namespace radlite::cli
