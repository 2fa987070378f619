// Shared by `radlite encode` and `radlite rerank`: JSON-lines input in chunks, model option parsing, the
// answer-in-order loop.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/progress.h"
#include "radlite/encoder.h"
#include "radlite/error.h"
#include "radlite/runtime.h"

namespace radlite::cli {

/// One non-parsed input line and its 1-based number.
struct InputLine {
  std::size_t number = 0;
  std::string text;
};

/// Reads up to `max_lines` lines; false when the stream was already exhausted. Streams large inputs.
bool read_chunk(std::istream& in, std::size_t max_lines, std::size_t& line_number, std::vector<InputLine>& out);

/// Parses one line into a JSON object; FormatError "stdin line N: ..." otherwise.
nlohmann::json parse_object_line(const InputLine& line);

/// An array of integers in field `key` (int32 range); FormatError naming the line and field otherwise.
std::vector<std::int32_t> int_array_field(const nlohmann::json& j, const char* key, const InputLine& line);

/// A string field; FormatError naming the line and field when missing or not a string.
const std::string& string_field(const nlohmann::json& j, const char* key, const InputLine& line);

/// "float32" | "float16" | "bfloat16" (or f32 / f16 / bf16); InvalidArgument otherwise.
DType parse_dtype(const std::string& name);

/// BiEncoderOptions or CrossEncoderOptions from the options encode and rerank share: --batch-size (default 32),
/// --device (cpu), --dtype (float32), --max-length (0). --threads (0 = all cores) sets the process's thread count
/// (radlite::set_num_threads).
template <class Options>
Options model_options(const Args& args) {
  set_num_threads(args.get_int("--threads", 0));
  Options options;
  options.compute.batch_size = args.get_count("--batch-size", 32);
  options.compute.device = args.get("--device", "cpu");
  options.compute.dtype = parse_dtype(args.get("--dtype", "float32"));
  options.compute.max_length = args.get_count("--max-length", 0);
  return options;
}


/// Appends a float with enough digits to round-trip (%.9g); non-finite values as null.
void append_float(std::string& out, float v);

/// Input lines read and answered per step: bounds memory on large inputs, keeps batches full.
constexpr std::size_t kChunkLines = 64;

/// The stdin -> stdout loop of `encode` and `rerank`, one output line per input line, in order.
/// `parse(const InputLine&) -> Input` throws an Error for a bad line; `run(const std::vector<Input>&) -> Result`
/// throws InvalidArgument when some input is unusable (an id out of range); `write(std::string&, const Result&)`
/// appends the output lines. On a bad line the lines before it are still answered, so the output stays one line
/// per input up to the error, which is then rethrown naming the line. `label` names the work on the progress line
/// drawn on stderr when it is a terminal (lines done and rate; the total is unknown on a stream).
template <class Input, class Parse, class Run, class Write>
void answer_json_lines(const char* label, Parse parse, Run run, Write write) {
  std::ios::sync_with_stdio(false);
  ProgressBar progress(label, 0, "lines");
  std::size_t line_number = 0;
  std::vector<InputLine> lines;
  std::string out;
  while (read_chunk(std::cin, kChunkLines, line_number, lines)) {
    std::vector<Input> inputs;
    inputs.reserve(lines.size());
    std::exception_ptr pending;
    for (const auto& line : lines) {
      try {
        inputs.push_back(parse(line));
      } catch (const Error&) {
        pending = std::current_exception();
        break;
      }
    }
    decltype(run(inputs)) result;
    try {
      result = run(inputs);
    } catch (const InvalidArgument&) {
      // Find the offending line by running one input at a time (error path only), answer the lines before it.
      std::size_t bad = 0;
      std::string message;
      for (; bad < inputs.size(); ++bad) {
        try {
          run(std::vector<Input>{inputs[bad]});
        } catch (const InvalidArgument& e) {
          message = e.what();
          break;
        }
      }
      if (bad == inputs.size()) throw;
      inputs.resize(bad);
      result = run(inputs);
      pending = std::make_exception_ptr(
          InvalidArgument("stdin line " + std::to_string(lines[bad].number) + ": " + message));
    }
    out.clear();
    write(out, result);
    std::cout << out;
    std::cout.flush();
    if (pending) std::rethrow_exception(pending);
    progress.update(line_number);
  }
}

}  // namespace radlite::cli
