// The JSON-lines front end shared by `radlite tokenize`, `encode` and `rerank`: one JSON object per stdin line
// in, one JSON line per input out, in order.
//
// Input rules (the same for the three commands):
//   - every line must be a JSON object; a blank line is an error, not skipped: each input line gets exactly one
//     output line, and a skipped line would silently shift every later answer against its input;
//   - a NUL byte is an error (the JSON parser would otherwise stop reading at it and ignore the rest), and so is
//     nesting deeper than io::kMaxJsonDepth (io::parse_json);
//   - errors name the line: "stdin line 3: ...". The lines before a bad line are still answered.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "cli/output_file.h"
#include "cli/progress.h"
#include "io/json_reader.h"
#include "radlite/error.h"

namespace radlite::cli {

/// One non-parsed input line and its 1-based number.
struct InputLine {
  std::size_t number = 0;
  std::string text;
};

/// "stdin line N".
std::string line_label(const InputLine& line);

/// Reads up to `max_lines` lines; false when the stream was already exhausted. Streams large inputs.
bool read_chunk(std::istream& in, std::size_t max_lines, std::size_t& line_number, std::vector<InputLine>& out);

/// Parses one line into a JSON object; FormatError "<where>: ..." for a blank line, a NUL byte, malformed JSON or
/// a value that is not an object. `where` names the line ("stdin line 3", "in.jsonl: line 3").
nlohmann::json parse_object_line(const std::string& text, const std::string& where);
inline nlohmann::json parse_object_line(const InputLine& line) {
  return parse_object_line(line.text, line_label(line));
}

/// Where a stdin line's fields are, for the io field readers (io::get_string(j, "text", place_of(line)): errors
/// read "stdin line 3: field 'text': missing").
inline io::JsonPlace place_of(const InputLine& line) { return {line_label(line), ""}; }

/// An array of integers in field `key`, each in int32 range; FormatError naming the line, field and element.
std::vector<std::int32_t> int_array_field(const nlohmann::json& j, const char* key, const io::JsonPlace& place);
inline std::vector<std::int32_t> int_array_field(const nlohmann::json& j, const char* key, const InputLine& line) {
  return int_array_field(j, key, place_of(line));
}

/// Thrown by append_float for NaN or an infinity; answer_json_lines turns it into an error naming the line.
struct NonFiniteOutput : std::exception {
  const char* what() const noexcept override { return "non-finite output value"; }
};

/// Appends a float with enough digits to round-trip (%.9g). JSON has no NaN or infinity, and printing them as
/// null would hide a broken model behind exit status 0: throws NonFiniteOutput instead.
void append_float(std::string& out, float v);
/// Appends a JSON array of floats, "[v0, v1, ...]", each as append_float writes it (NonFiniteOutput likewise).
void append_float_array(std::string& out, const float* values, std::size_t n);
inline void append_float_array(std::string& out, const std::vector<float>& values) {
  append_float_array(out, values.data(), values.size());
}

/// Input lines read and answered per step: bounds memory on large inputs, keeps batches full.
constexpr std::size_t kChunkLines = 64;

/// The error path of answer_json_lines when run() threw an E for the chunk: finds the first input that throws E
/// alone (one input at a time), keeps the inputs before it and returns their result, and sets `pending` to that
/// error naming its line. Rethrows when no single input throws (the failure is not one line's).
template <class E, class Input, class Run>
auto answer_before_bad_input(Run& run, std::vector<Input>& inputs, const std::vector<InputLine>& lines,
                             std::exception_ptr& pending) -> decltype(run(inputs)) {
  std::size_t bad = 0;
  std::string message;
  for (; bad < inputs.size(); ++bad) {
    try {
      run(std::vector<Input>{inputs[bad]});
    } catch (const E& e) {
      message = e.what();
      break;
    }
  }
  if (bad == inputs.size()) throw;
  inputs.resize(bad);
  auto result = run(inputs);
  pending = std::make_exception_ptr(E(line_label(lines[bad]) + ": " + message));
  return result;
}

/// The stdin -> stdout loop of `tokenize`, `encode` and `rerank`, one output line per input line, in order.
///   parse(const InputLine&) -> Input      throws an Error for a bad line;
///   run(const std::vector<Input>&) -> Result   throws InvalidArgument when some input is unusable (an id out of
///                                         range), or ModelError when the model fails on one (non-finite output);
///                                         Result has one row per input;
///   write(std::string&, const Result&, std::size_t row)   appends the output line of one row.
/// On a bad line the lines before it are still answered, then the error is thrown naming the line. A row with a
/// NaN or infinite value is such an error too (ModelError). A failed write to `out` throws IoError at once, so
/// a full disk does not end in exit status 0. `label` names the work on the progress line drawn on stderr when it
/// is a terminal (lines done and rate; the total is unknown on a stream).
template <class Input, class Parse, class Run, class Write>
void answer_json_lines(std::istream& in, std::ostream& out, const char* label, Parse parse, Run run, Write write) {
  ProgressBar progress(label, 0, "lines");
  std::size_t line_number = 0;
  std::vector<InputLine> lines;
  std::string text;
  while (read_chunk(in, kChunkLines, line_number, lines)) {
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
      result = answer_before_bad_input<InvalidArgument>(run, inputs, lines, pending);
    } catch (const ModelError&) {  // e.g. the model's own check for non-finite outputs of one input
      result = answer_before_bad_input<ModelError>(run, inputs, lines, pending);
    }
    text.clear();
    for (std::size_t row = 0; row < inputs.size(); ++row) {
      const std::size_t mark = text.size();
      try {
        write(text, result, row);
      } catch (const NonFiniteOutput&) {
        text.resize(mark);  // this line is not answered; it is an earlier line than any pending error
        pending = std::make_exception_ptr(ModelError(
            line_label(lines[row]) +
            ": the model's output is NaN or infinite (broken or overflowing weights, or a dtype too narrow); "
            "nothing was written for this line"));
        break;
      }
    }
    out << text;
    check_written(out, "standard output", "stdin line " + std::to_string(lines.front().number));
    if (pending) std::rethrow_exception(pending);
    progress.update(line_number);
  }
}

}  // namespace radlite::cli
