// Shared by `radlite encode` and `radlite rerank`: JSON-lines input in chunks, model option parsing.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <istream>
#include <string>
#include <vector>

#include "cli/args.h"
#include "radlite/encoder.h"

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


/// Appends a float with enough digits to round-trip (%.9g); non-finite values as null.
void append_float(std::string& out, float v);

}  // namespace radlite::cli
