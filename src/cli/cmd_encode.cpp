// radlite encode: JSON lines in, one embedding per line out, in order.
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
    "usage: radlite encode --model DIR [--batch-size N] [--threads N] [--device cpu|cuda[:N]]\n"
    "                      [--dtype float32|float16|bfloat16] [--max-length N]\n"
    "  Reads JSON lines {\"text\": ...} or {\"input_ids\": [...]} on stdin and writes one line {\"embedding\": [...]}\n"
    "  per input, in order. Errors go to stderr with the line number; the exit status is then non-zero.\n"
    "  --model DIR       sentence-transformers or transformers model directory\n"
    "  --batch-size N    texts per forward pass (default 32)\n"
    "  --threads N       intra-op threads (default 0 = all cores)\n"
    "  --device D        cpu (default), cuda or cuda:N\n"
    "  --dtype T         compute dtype (default float32; float16 needs CUDA)\n"
    "  --max-length N    tokens per text (default 0 = the model's max_seq_length)\n";

constexpr std::size_t kChunkLines = 64;

}  // namespace

int cmd_encode(int argc, char** argv) {
  Args args(argc, argv, {"--model", "--batch-size", "--threads", "--device", "--dtype", "--max-length"}, {"--help"});
  if (args.has("--help")) {
    std::cout << kHelp;
    return 0;
  }
  BiEncoderOptions options;
  options.batch_size = args.get_count("--batch-size", 32);
  options.threads = args.get_int("--threads", 0);
  options.device = args.get("--device", "cpu");
  options.dtype = parse_dtype(args.get("--dtype", "float32"));
  options.max_length = args.get_count("--max-length", 0);
  const BiEncoder encoder = BiEncoder::load(args.required("--model"), options);

  std::ios::sync_with_stdio(false);
  std::size_t line_number = 0;
  std::vector<InputLine> lines;
  std::string out;
  while (read_chunk(std::cin, kChunkLines, line_number, lines)) {
    // Lines before a bad one are still answered, so the output stays one line per input up to the error.
    std::vector<std::vector<std::int32_t>> ids;
    ids.reserve(lines.size());
    std::exception_ptr pending;
    for (const auto& line : lines) {
      try {
        const auto j = parse_object_line(line);
        if (j.contains("input_ids")) {
          ids.push_back(int_array_field(j, "input_ids", line));
        } else if (j.contains("text")) {
          ids.push_back(encoder.tokenize(string_field(j, "text", line)));
        } else {
          throw FormatError("stdin line " + std::to_string(line.number) +
                            ": expected a \"text\" or \"input_ids\" field");
        }
      } catch (const Error&) {
        pending = std::current_exception();
        break;
      }
    }
    Matrix m;
    try {
      m = encoder.encode_ids(ids);
    } catch (const InvalidArgument&) {
      // Find the offending line by encoding one at a time (error path only), answer the lines before it.
      std::size_t bad = 0;
      std::string message;
      for (; bad < ids.size(); ++bad) {
        try {
          encoder.encode_ids({ids[bad]});
        } catch (const InvalidArgument& e) {
          message = e.what();
          break;
        }
      }
      if (bad == ids.size()) throw;
      ids.resize(bad);
      m = encoder.encode_ids(ids);
      pending = std::make_exception_ptr(
          InvalidArgument("stdin line " + std::to_string(lines[bad].number) + ": " + message));
    }
    out.clear();
    for (std::size_t r = 0; r < m.rows; ++r) {
      out += "{\"embedding\": [";
      for (std::size_t c = 0; c < m.cols; ++c) {
        if (c) out += ", ";
        append_float(out, m(r, c));
      }
      out += "]}\n";
    }
    std::cout << out;
    std::cout.flush();
    if (pending) std::rethrow_exception(pending);
  }
  return 0;
}

}  // namespace radlite::cli
