// radlite encode: JSON lines in, one embedding per line out, in order.
#include <cstdint>
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
    "Reads JSON lines {\"text\": ...} or {\"input_ids\": [...]} (one of the two) on stdin and writes one line\n"
    "{\"embedding\": [...]} per input, in order. Every line must be a JSON object: a blank line is an error.\n"
    "Errors go to stderr with the line number after the lines before it are answered; the exit status is then\n"
    "non-zero. A NaN or infinite embedding is such an error (JSON cannot hold it).";

struct EncodeArgs {
  std::string model;
  ModelLoadOptions options;
};

void run_encode(const EncodeArgs& a) {
  const BiEncoder encoder = BiEncoder::load(a.model, bi_encoder_options(a.options));
  answer_json_lines<std::vector<std::int32_t>>(
      std::cin, std::cout, "encoding",
      [&](const InputLine& line) -> std::vector<std::int32_t> {
        const auto j = parse_object_line(line);
        const bool ids = j.contains("input_ids"), text = j.contains("text");
        if (ids && text)
          throw FormatError(line_label(line) + ": has both \"text\" and \"input_ids\"; give one of them");
        if (ids) return int_array_field(j, "input_ids", line);
        if (text) return encoder.tokenize(io::get_string(j, "text", place_of(line)));
        throw FormatError(line_label(line) + ": expected a \"text\" or \"input_ids\" field");
      },
      [&](const std::vector<std::vector<std::int32_t>>& ids) { return encoder.encode_ids(ids); },
      [](std::string& out, const Matrix& m, std::size_t r) {
        out += "{\"embedding\": ";
        append_float_array(out, m.row(r), m.cols());
        out += "}\n";
      });
}

}  // namespace

void add_encode_command(CLI::App& root) {
  auto a = std::make_shared<EncodeArgs>();
  CLI::App* cmd = root.add_subcommand("encode", "embed JSON lines of texts or token ids with a bi-encoder");
  cmd->footer(kHelp);
  cmd->add_option("--model", a->model, "sentence-transformers or transformers model directory")
      ->type_name("DIR")
      ->required();
  add_model_options(*cmd, a->options);
  cmd->callback([a] { run_encode(*a); });
}

}  // namespace radlite::cli
