// radlite tokenize / bench-tokenize: JSON-lines front end of radlite::Tokenizer.
#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/json_lines.h"
#include "cli/options.h"
#include "radlite/error.h"
#include "radlite/tokenizer.h"

namespace radlite::cli {

namespace {

const char kTokenizeHelp[] =
    "Reads JSON lines {\"text\": ...} (with --pairs: {\"query\": ..., \"doc\": ...}) on stdin and writes one line\n"
    "{\"input_ids\": [...], \"token_type_ids\": [...], \"attention_mask\": [...]} per input, in order.\n"
    "Every line must be a JSON object: a blank line is an error, like any bad line it is reported with its line\n"
    "number after the lines before it are answered, and the exit status is then non-zero.";

const char kBenchHelp[] =
    "Tokenizes every {\"text\": ...} line of FILE N times, one thread, no truncation, and prints\n"
    "{\"texts\": ..., \"bytes\": ..., \"tokens\": ..., \"seconds\": ..., \"tokens_per_s\": ...} (totals over "
    "repeats).\n"
    "Blank lines of FILE are skipped (the result is a total, not one line per input).";

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

struct TokenizeArgs {
  std::string tokenizer;
  std::size_t max_length = 0;
  CLI::Option* max_length_option = nullptr;
  bool pairs = false;
};

void run_tokenize(const TokenizeArgs& a) {
  Tokenizer tok = Tokenizer::from_path(a.tokenizer);
  EncodeOptions opt;
  opt.max_length = a.max_length_option->count() ? a.max_length : tok.model_max_length();
  answer_json_lines<Encoding>(
      std::cin, std::cout, "tokenizing",
      [&](const InputLine& line) {
        const auto j = parse_object_line(line);
        const io::JsonPlace place = place_of(line);
        return a.pairs ? tok.encode_pair(io::get_string(j, "query", place), io::get_string(j, "doc", place), opt)
                       : tok.encode(io::get_string(j, "text", place), opt);
      },
      [](const std::vector<Encoding>& encodings) { return encodings; },
      [](std::string& out, const std::vector<Encoding>& encodings, std::size_t row) {
        const Encoding& e = encodings[row];
        out += '{';
        append_ids(out, "input_ids", e.ids);
        out += ", ";
        append_ids(out, "token_type_ids", e.type_ids);
        out += ", ";
        append_ids(out, "attention_mask", e.attention_mask);
        out += "}\n";
      });
}

bool blank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

struct BenchArgs {
  std::string tokenizer, input;
  int repeat = 1;
};

void run_bench(const BenchArgs& a) {
  Tokenizer tok = Tokenizer::from_path(a.tokenizer);
  std::ifstream in(a.input);
  if (!in) throw IoError(a.input + ": cannot open");
  std::vector<std::string> texts;
  std::string line;
  std::size_t lineno = 0, bytes = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (blank(line)) continue;
    const std::string where = a.input + ": line " + std::to_string(lineno);
    texts.push_back(io::get_string(parse_object_line(line, where), "text", {where, ""}));
    bytes += texts.back().size();
  }
  if (texts.empty()) throw InvalidArgument(a.input + ": no texts");
  std::size_t tokens = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < a.repeat; ++r)
    for (const auto& t : texts) tokens += tok.encode(t).ids.size();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto repeat = static_cast<std::size_t>(a.repeat);
  nlohmann::json result = {{"texts", texts.size() * repeat},
                           {"bytes", bytes * repeat},
                           {"tokens", tokens},
                           {"seconds", secs},
                           {"tokens_per_s", secs > 0 ? static_cast<double>(tokens) / secs : 0.0}};
  std::cout << result.dump() << "\n";
}

}  // namespace

void add_tokenize_command(CLI::App& root) {
  auto a = std::make_shared<TokenizeArgs>();
  CLI::App* cmd = root.add_subcommand("tokenize", "tokenize JSON lines from stdin (ids, type ids, mask per line)");
  cmd->footer(kTokenizeHelp);
  cmd->add_option("--tokenizer", a->tokenizer,
                  "model directory, tokenizer.json, vocab.txt, vocab.json (+ merges.txt) or .model")
      ->type_name("PATH")
      ->required();
  a->max_length_option =
      cmd->add_option("--max-length", a->max_length,
                      "truncate to N ids, special tokens included (default: the tokenizer's model_max_length; "
                      "0: no truncation); pairs are truncated longest_first")
          ->type_name("N")
          ->check(integer_in(0, kMaxTokens));
  cmd->add_flag("--pairs", a->pairs, "inputs are query/doc pairs");
  cmd->callback([a] { run_tokenize(*a); });
}

void add_bench_tokenize_command(CLI::App& root) {
  auto a = std::make_shared<BenchArgs>();
  CLI::App* cmd = root.add_subcommand("bench-tokenize", "single-thread tokenizer throughput on a JSONL file");
  cmd->footer(kBenchHelp);
  cmd->add_option("--tokenizer", a->tokenizer, "as for `radlite tokenize`")->type_name("PATH")->required();
  cmd->add_option("--input", a->input, "JSON lines {\"text\": ...}")->type_name("FILE")->required();
  cmd->add_option("--repeat", a->repeat, "passes over the file")
      ->type_name("N")
      ->check(integer_in(1, 1'000'000))
      ->capture_default_str();
  cmd->callback([a] { run_bench(*a); });
}

}  // namespace radlite::cli
