// The JSON-lines loop of tokenize / encode / rerank, in-process with stand-in parse / run / write steps: order
// across chunks, the input rules (blank lines, NUL bytes), non-finite outputs and failed writes, each reported
// naming the line after the lines before it are answered.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <streambuf>
#include <string>
#include <vector>

#include "cli/json_lines.h"
#include "radlite/error.h"

using namespace radlite;
using namespace radlite::cli;

namespace {

// Input: {"x": <number>}; run: doubles each value, or throws InvalidArgument for 13; output: {"y": <float>}.
struct Outcome {
  std::string out;
  std::string error;       // what() of the error thrown, "" when none
  std::string error_kind;  // "format", "model", "invalid", "io" or ""
};

Outcome answer(const std::string& input, std::ostream* sink = nullptr) {
  std::istringstream in(input);
  std::ostringstream captured;
  std::ostream& out = sink ? *sink : captured;
  Outcome o;
  try {
    answer_json_lines<float>(
        in, out, "test",
        [](const InputLine& line) {
          const auto j = parse_object_line(line);
          if (!j.contains("x") || !j["x"].is_number()) throw FormatError(line_label(line) + ": no x");
          return j["x"].get<float>();
        },
        [](const std::vector<float>& xs) {
          std::vector<float> ys;
          for (float x : xs) {
            if (x == 13) throw InvalidArgument("13 is unlucky");
            ys.push_back(x * 2);
          }
          return ys;
        },
        [](std::string& text, const std::vector<float>& ys, std::size_t row) {
          text += "{\"y\": ";
          append_float(text, ys[row]);
          text += "}\n";
        });
  } catch (const FormatError& e) {
    o.error = e.what(), o.error_kind = "format";
  } catch (const ModelError& e) {
    o.error = e.what(), o.error_kind = "model";
  } catch (const InvalidArgument& e) {
    o.error = e.what(), o.error_kind = "invalid";
  } catch (const IoError& e) {
    o.error = e.what(), o.error_kind = "io";
  }
  o.out = captured.str();
  return o;
}

std::size_t count_lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

// A stream buffer that fails every write, as stdout does on /dev/full.
struct FullDisk : std::streambuf {
  int overflow(int) override { return traits_type::eof(); }
  std::streamsize xsputn(const char*, std::streamsize) override { return 0; }
};

}  // namespace

TEST(JsonLines, AnswersEveryLineInOrderAcrossChunks) {
  std::string input;
  for (int i = 100; i < 250; ++i) input += "{\"x\": " + std::to_string(i) + "}\r\n";  // CRLF lines are accepted
  const Outcome o = answer(input);
  ASSERT_EQ(o.error, "");
  std::istringstream lines(o.out);
  std::string line;
  for (int i = 100; i < 250; ++i) {
    ASSERT_TRUE(std::getline(lines, line));
    EXPECT_EQ(line, "{\"y\": " + std::to_string(2 * i) + "}");
  }
  EXPECT_FALSE(std::getline(lines, line));
}

TEST(JsonLines, BlankLineIsAnErrorNamingIt) {
  // Issue 8 defect 13: tokenize skipped blank lines where encode refused them. Both refuse now, since each
  // input line gets exactly one output line.
  for (const char* blank : {"", " ", "\t", "\r"}) {
    const Outcome o = answer(std::string("{\"x\": 1}\n") + blank + "\n{\"x\": 2}\n");
    EXPECT_EQ(o.error_kind, "format");
    EXPECT_NE(o.error.find("stdin line 2: empty line"), std::string::npos) << o.error;
    EXPECT_EQ(o.out, "{\"y\": 2}\n");  // line 1 answered, nothing after the error
  }
}

TEST(JsonLines, NulByteIsAnErrorNotTheEndOfTheLine) {
  // Issue 8 defect 12: nlohmann::json stops at a NUL byte, so "{...}\0garbage" parsed as "{...}".
  const Outcome o = answer(std::string("{\"x\": 1}\n{\"x\": 2}\0{\"x\": 3}\n", 27));
  EXPECT_EQ(o.error_kind, "format");
  EXPECT_NE(o.error.find("stdin line 2: invalid JSON (NUL byte at offset 8)"), std::string::npos) << o.error;
  EXPECT_EQ(o.out, "{\"y\": 2}\n");
  const Outcome inside = answer(std::string("{\"x\": \0 1}\n", 11));
  EXPECT_NE(inside.error.find("stdin line 1: invalid JSON (NUL byte at offset 6)"), std::string::npos) << inside.error;
}

TEST(JsonLines, NonFiniteOutputIsAnErrorNamingTheLine) {
  // Issue 8 defect 7: NaN or infinite values were printed as null with exit status 0.
  for (const char* huge : {"3e38", "-3e38"}) {  // doubled: +-inf in float
    const Outcome o = answer(std::string("{\"x\": 1}\n{\"x\": 2}\n{\"x\": ") + huge + "}\n{\"x\": 4}\n");
    EXPECT_EQ(o.error_kind, "model");
    EXPECT_NE(o.error.find("stdin line 3: the model's output is NaN or infinite"), std::string::npos) << o.error;
    EXPECT_EQ(o.out, "{\"y\": 2}\n{\"y\": 4}\n");
    EXPECT_EQ(o.out.find("null"), std::string::npos);
  }
  std::string text;
  EXPECT_THROW(append_float(text, std::numeric_limits<float>::quiet_NaN()), NonFiniteOutput);
  EXPECT_EQ(text, "");
  append_float(text, 0.1f);
  EXPECT_EQ(text, "0.100000001");  // round-trips
}

TEST(JsonLines, UnusableInputIsFoundAndNamed) {
  const Outcome o = answer("{\"x\": 1}\n{\"x\": 2}\n{\"x\": 13}\n{\"x\": 4}\n");
  EXPECT_EQ(o.error_kind, "invalid");
  EXPECT_EQ(o.error, "stdin line 3: 13 is unlucky");
  EXPECT_EQ(count_lines(o.out), 2u);
  // A malformed line after an unusable one: the earlier line is reported.
  const Outcome both = answer("{\"x\": 13}\n{\"x\": \n");
  EXPECT_EQ(both.error, "stdin line 1: 13 is unlucky");
  EXPECT_EQ(both.out, "");
}

TEST(JsonLines, MalformedLinesAreNamed) {
  EXPECT_NE(answer("{\"x\": 1}\n{\"x\": \n").error.find("stdin line 2: invalid JSON"), std::string::npos);
  EXPECT_NE(answer("[1, 2]\n").error.find("stdin line 1: expected a JSON object"), std::string::npos);
  EXPECT_NE(answer("{\"x\": 1} {\"x\": 2}\n").error.find("stdin line 1: invalid JSON"), std::string::npos);
}

TEST(JsonLines, FailedWriteIsAnIoError) {
  // Issue 8 defect 6: with stdout on /dev/full the commands exited 0.
  FullDisk full;
  std::ostream out(&full);
  const Outcome o = answer("{\"x\": 1}\n{\"x\": 2}\n", &out);
  EXPECT_EQ(o.error_kind, "io");
  EXPECT_NE(o.error.find("standard output: write failed"), std::string::npos) << o.error;
  EXPECT_NE(o.error.find("stdin line 1"), std::string::npos) << o.error;
}

TEST(JsonLines, Fields) {
  const InputLine line{7, ""};
  const auto j = nlohmann::json::parse(R"({"ids": [1, -2, 2147483647], "big": [2147483648], "neg": [-2147483649],
                                          "float": [1.5], "nested": [[[[1]]]], "s": "text", "n": 3})");
  EXPECT_EQ(int_array_field(j, "ids", line), (std::vector<std::int32_t>{1, -2, 2147483647}));
  const struct {
    const char* key;
    const char* message;
  } bad[] = {
      {"big", "stdin line 7: field 'big[0]': out of range [-2147483648, 2147483647]: 2147483648"},
      {"neg", "stdin line 7: field 'neg[0]': out of range [-2147483648, 2147483647]: -2147483649"},
      {"float", "stdin line 7: field 'float[0]': expected an integer, got 1.5"},
      {"nested", "stdin line 7: field 'nested[0]': expected an integer, got [[[1]]]"},
      {"s", "stdin line 7: field 's': expected an array of integers, got \"text\""},
      {"missing", "stdin line 7: field 'missing': missing"},
  };
  for (const auto& b : bad) {
    try {
      int_array_field(j, b.key, line);
      ADD_FAILURE() << b.key << " accepted";
    } catch (const FormatError& e) {
      EXPECT_STREQ(e.what(), b.message);
    }
  }
}
