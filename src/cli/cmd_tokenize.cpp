// radlite tokenize / bench-tokenize: JSON-lines front end of radlite::Tokenizer.
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "cli/args.h"
#include "io/json_reader.h"
#include "cli/commands.h"
#include "radlite/error.h"
#include "radlite/tokenizer.h"

namespace radlite::cli {

namespace {

const char* kTokenizeHelp =
    "usage: radlite tokenize --tokenizer PATH [--max-length N] [--pairs]\n"
    "  Reads JSON lines {\"text\": ...} (with --pairs: {\"query\": ..., \"doc\": ...}) on stdin and writes one line\n"
    "  {\"input_ids\": [...], \"token_type_ids\": [...], \"attention_mask\": [...]} per input, in order.\n"
    "  --tokenizer PATH   model directory, tokenizer.json, vocab.txt, vocab.json (+ merges.txt) or .model\n"
    "  --max-length N     truncate to N ids, special tokens included (default: the tokenizer's model_max_length;\n"
    "                     0: no truncation); pairs are truncated longest_first\n"
    "  --pairs            inputs are query/doc pairs\n";

const char* kBenchHelp =
    "usage: radlite bench-tokenize --tokenizer PATH --input FILE.jsonl [--repeat N]\n"
    "  Tokenizes every {\"text\": ...} line of FILE N times (default 1), one thread, no truncation, and prints\n"
    "  {\"texts\": ..., \"bytes\": ..., \"tokens\": ..., \"seconds\": ..., \"tokens_per_s\": ...} (totals over repeats).\n";

void append_ids(std::string& out, const char* name, const std::vector<std::int32_t>& v) {
  out += '"';
  out += name;
  out += "\": [";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(v[i]);
  }
  out += ']';
}

const std::string& string_field(const nlohmann::json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end()) throw FormatError(where + ": missing field '" + key + "'");
  if (!it->is_string()) throw FormatError(where + ": field '" + key + "' must be a string");
  return it->get_ref<const std::string&>();
}

nlohmann::json parse_line(const std::string& line, const std::string& where) {
  nlohmann::json j = io::parse_json(line, where);  // NUL bytes and deep nesting are errors there
  if (!j.is_object()) throw FormatError(where + ": expected a JSON object");
  return j;
}

bool blank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

}  // namespace

int cmd_tokenize(int argc, char** argv) {
  Args args(argc, argv, {"--tokenizer", "--max-length"}, {"--pairs", "--help"});
  if (args.has("--help")) {
    std::cout << kTokenizeHelp;
    return 0;
  }
  Tokenizer tok = Tokenizer::from_path(args.required("--tokenizer"));
  EncodeOptions opt;
  const int max_length = args.get_int("--max-length", static_cast<int>(tok.model_max_length()));
  if (max_length < 0) throw InvalidArgument("--max-length must be >= 0");
  opt.max_length = static_cast<std::size_t>(max_length);
  const bool pairs = args.has("--pairs");

  std::ios::sync_with_stdio(false);
  std::string line, out;
  std::size_t lineno = 0;
  while (std::getline(std::cin, line)) {
    ++lineno;
    if (blank(line)) continue;
    const std::string where = "stdin line " + std::to_string(lineno);
    nlohmann::json j = parse_line(line, where);
    Encoding e = pairs ? tok.encode_pair(string_field(j, "query", where), string_field(j, "doc", where), opt)
                       : tok.encode(string_field(j, "text", where), opt);
    out.clear();
    out += '{';
    append_ids(out, "input_ids", e.ids);
    out += ", ";
    append_ids(out, "token_type_ids", e.type_ids);
    out += ", ";
    append_ids(out, "attention_mask", e.attention_mask);
    out += "}\n";
    std::cout << out;
  }
  std::cout.flush();
  return std::cout ? 0 : 1;
}

int cmd_bench_tokenize(int argc, char** argv) {
  Args args(argc, argv, {"--tokenizer", "--input", "--repeat"}, {"--help"});
  if (args.has("--help")) {
    std::cout << kBenchHelp;
    return 0;
  }
  Tokenizer tok = Tokenizer::from_path(args.required("--tokenizer"));
  const std::string input = args.required("--input");
  const int repeat = args.get_int("--repeat", 1);
  if (repeat < 1) throw InvalidArgument("--repeat must be >= 1");
  std::ifstream in(input);
  if (!in) throw IoError(input + ": cannot open");
  std::vector<std::string> texts;
  std::string line;
  std::size_t lineno = 0, bytes = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (blank(line)) continue;
    const std::string where = input + ": line " + std::to_string(lineno);
    texts.push_back(string_field(parse_line(line, where), "text", where));
    bytes += texts.back().size();
  }
  if (texts.empty()) throw InvalidArgument(input + ": no texts");
  std::size_t tokens = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < repeat; ++r)
    for (const auto& t : texts) tokens += tok.encode(t).ids.size();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  nlohmann::json result = {{"texts", texts.size() * static_cast<std::size_t>(repeat)},
                           {"bytes", bytes * static_cast<std::size_t>(repeat)},
                           {"tokens", tokens},
                           {"seconds", secs},
                           {"tokens_per_s", secs > 0 ? static_cast<double>(tokens) / secs : 0.0}};
  std::cout << result.dump() << "\n";
  return 0;
}

}  // namespace radlite::cli
