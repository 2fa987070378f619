// radlite encode: JSON lines in, one embedding per line out, in order.
#include <cstdint>
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

}  // namespace

int cmd_encode(int argc, char** argv) {
  Args args(argc, argv, {"--model", "--batch-size", "--threads", "--device", "--dtype", "--max-length"}, {"--help"});
  if (args.has("--help")) {
    std::cout << kHelp;
    return 0;
  }
  const auto options = model_options<BiEncoderOptions>(args);
  const BiEncoder encoder = BiEncoder::load(args.required("--model"), options);

  answer_json_lines<std::vector<std::int32_t>>(
      "encoding",
      [&](const InputLine& line) -> std::vector<std::int32_t> {
        const auto j = parse_object_line(line);
        if (j.contains("input_ids")) return int_array_field(j, "input_ids", line);
        if (j.contains("text")) return encoder.tokenize(string_field(j, "text", line));
        throw FormatError("stdin line " + std::to_string(line.number) + ": expected a \"text\" or \"input_ids\" field");
      },
      [&](const std::vector<std::vector<std::int32_t>>& ids) { return encoder.encode_ids(ids); },
      [](std::string& out, const Matrix& m) {
        for (std::size_t r = 0; r < m.rows(); ++r) {
          out += "{\"embedding\": [";
          for (std::size_t c = 0; c < m.cols(); ++c) {
            if (c) out += ", ";
            append_float(out, m(r, c));
          }
          out += "]}\n";
        }
      });
  return 0;
}

}  // namespace radlite::cli
