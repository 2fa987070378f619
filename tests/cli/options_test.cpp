// The radlite tool's options in-process: number validators and their bounds (issue 8 defects 4 and 5: no silent
// wrap-around, no unbounded thread count), the shared option groups, and the generated help of every command.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <string>

#include "cli/app.h"
#include "cli/options.h"
#include "radlite/error.h"

using namespace radlite;
using namespace radlite::cli;

namespace {

// The validator's verdict on `input`: "" when accepted (input may be rewritten), the message otherwise.
std::string check(const CLI::Validator& v, std::string& input) { return v(input); }
std::string check(const CLI::Validator& v, std::string&& input) { return v(input); }

// Parses `line` (without the program name) with the model and search option groups; returns CLI11's message,
// or "" when accepted.
std::string parse_error(const std::string& line, ModelLoadOptions* model = nullptr, SearchOptions* search = nullptr) {
  CLI::App app("test");
  ModelLoadOptions m;
  SearchOptions s;
  add_model_options(app, model ? *model : m);
  add_search_options(app, search ? *search : s);
  try {
    app.parse(line, false);
  } catch (const CLI::ParseError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(CliOptions, IntegersAreDecimalAndBounded) {
  const CLI::Validator v = integer_in(0, 100);
  for (const char* bad :
       {"101", "-1", "4294967297", "18446744073709551617", "", "-", "ten", "1e2", "+5", " 5", "5 ", "0x10", "1.0"})
    EXPECT_NE(check(v, bad), "") << "'" << bad << "' accepted";
  EXPECT_EQ(check(v, "0"), "");
  EXPECT_EQ(check(v, "100"), "");
  // Leading zeros are decimal, never octal: the value CLI11 then converts is rewritten canonically.
  std::string octal_looking = "010";
  EXPECT_EQ(check(v, octal_looking), "");
  EXPECT_EQ(octal_looking, "10");
  EXPECT_EQ(check(v, "4294967297"), "must be an integer in [0, 100], got '4294967297'");
  EXPECT_EQ(check(integer_in(-5, 5), "-5"), "");
}

TEST(CliOptions, RealsAreFiniteAndBounded) {
  const CLI::Validator unit = number_in(0.0, 1.0);
  for (const char* bad : {"nan", "NaN", "-nan", "inf", "-inf", "1e999", "1.5", "-0.1", "", "0.5x", " 0.5"})
    EXPECT_NE(check(unit, bad), "") << "'" << bad << "' accepted";
  for (const char* good : {"0", "1", "0.3", "1e-3"}) EXPECT_EQ(check(unit, good), "") << good;
  const CLI::Validator positive = positive_number();
  for (const char* bad : {"0", "-1", "-0.0", "nan", "inf", "abc"})
    EXPECT_NE(check(positive, bad), "") << "'" << bad << "' accepted";
  EXPECT_EQ(check(positive, "1.5"), "");
  EXPECT_EQ(check(positive, "nan"), "must be a finite number > 0, got 'nan'");
  EXPECT_EQ(check(number_in(0.0, 1.0, true), "0"), "must be a number in (0, 1], got '0'");
}

TEST(CliOptions, ModelOptionsAreRangeChecked) {
  // Issue 8 defects 4 and 5: --threads had no bound (100000 hung), -1 meant "all cores", and 64-bit values
  // were cut to 32 bits (--max-length 4294967298 became 2).
  for (const std::string& line :
       {"--threads 100000", "--threads -1", "--threads=-1", "--batch-size 0", "--batch-size -3",
        "--max-length 4294967298", "--max-length -1", "--dtype float64", "--threads 2.5"}) {
    const std::string error = parse_error(line);
    EXPECT_NE(error, "") << line << " accepted";
    EXPECT_NE(error.find(line.substr(0, line.find_first_of(" ="))), std::string::npos) << line << ": " << error;
  }
  EXPECT_NE(parse_error("--threads 100000").find("[0, " + std::to_string(max_threads()) + "]"), std::string::npos);
  EXPECT_NE(parse_error("--dtype float64").find("float32"), std::string::npos);

  ModelLoadOptions m;
  EXPECT_EQ(parse_error("--threads 0 --batch-size 7 --max-length 4096 --dtype bf16 --device cuda:1", &m), "");
  EXPECT_EQ(m.threads, 0);
  EXPECT_EQ(m.compute.batch_size, 7u);
  EXPECT_EQ(m.compute.max_length, 4096u);
  EXPECT_EQ(m.compute.dtype, DType::BF16);
  EXPECT_EQ(m.compute.device, "cuda:1");
  EXPECT_EQ(parse_error("--threads " + std::to_string(max_threads()), &m), "");
  EXPECT_EQ(m.threads, max_threads());
  EXPECT_GE(max_threads(), 4);
}

TEST(CliOptions, SearchOptionsAreRangeChecked) {
  for (const std::string& line :
       {"--k 4294967297", "--k -1", "--candidates 0", "--rerank-depth 0", "--rerank-depth 99999999999",
        "--temperature nan", "--temperature -1", "--temperature 0", "--temperature inf", "--dense-weight 1.5",
        "--bm25-weight -0.1", "--rrf-k 0", "--rrf-k nan", "--fusion max"}) {
    const std::string error = parse_error(line);
    EXPECT_NE(error, "") << line << " accepted";
    EXPECT_NE(error.find(line.substr(0, line.find(' '))), std::string::npos) << line << ": " << error;
  }
  EXPECT_NE(parse_error("--k 4294967297").find("4294967297"), std::string::npos);

  SearchOptions s;
  EXPECT_EQ(parse_error("--k 0 --candidates 7 --rerank-depth 3 --temperature 2 --fusion linear --dense-weight 0.2 "
                        "--bm25-weight 1 --rrf-k 10",
                        nullptr, &s),
            "");
  EXPECT_EQ(s.k, 0u);
  EXPECT_EQ(s.candidates, 7u);
  EXPECT_EQ(s.rerank_depth, 3u);
  EXPECT_EQ(s.temperature, 2.0);
  EXPECT_EQ(s.fusion, FirstFusion::kLinear);
  EXPECT_EQ(s.dense_weight, 0.2);
  EXPECT_EQ(s.final_bm25_weight, 1.0);
  EXPECT_EQ(s.rrf_k, 10.0);
}

TEST(CliOptions, Bm25OptionsAreChecked) {
  auto parse = [](const std::string& line, Bm25Options& o) -> std::string {
    CLI::App app("test");
    add_bm25_options(app, o);
    try {
      app.parse(line, false);
    } catch (const CLI::ParseError& e) {
      return e.what();
    }
    return "";
  };
  Bm25Options o;
  for (const char* bad : {"--k1 -1", "--k1 nan", "--b 1.5", "--b nan", "--stopwords french", "--stemmer snowball"})
    EXPECT_NE(parse(bad, o), "") << bad;
  EXPECT_EQ(parse("--k1 0.9 --b 0.4 --stopwords english --stemmer porter", o), "");
  EXPECT_EQ(o.k1, 0.9);
  EXPECT_EQ(o.b, 0.4);
  EXPECT_EQ(o.analyzer.stopwords, "english");
  EXPECT_EQ(o.analyzer.stemmer, "porter");
}

TEST(CliOptions, DtypeNames) {
  EXPECT_EQ(parse_dtype("float32"), DType::F32);
  EXPECT_EQ(parse_dtype("f16"), DType::F16);
  EXPECT_EQ(parse_dtype("bfloat16"), DType::BF16);
  EXPECT_THROW(parse_dtype("float64"), InvalidArgument);
}

TEST(CliOptions, EveryCommandHasGeneratedHelp) {
  const auto app = make_app();
  std::ostringstream usage;
  print_usage(*app, usage);
  const auto commands = app->get_subcommands({});
  ASSERT_EQ(commands.size(), 10u);
  for (const CLI::App* c : commands) {
    EXPECT_NE(usage.str().find("  " + c->get_name() + " "), std::string::npos) << c->get_name();
    EXPECT_FALSE(c->get_description().empty()) << c->get_name();
    const std::string text = c->help("radlite");
    EXPECT_EQ(text.rfind("usage: radlite " + c->get_name(), 0), 0u) << text;
    // Every declared option appears in the help with its description.
    for (const CLI::Option* o : c->get_options()) {
      if (o->get_positional()) continue;
      EXPECT_NE(text.find(o->get_name()), std::string::npos) << c->get_name() << " " << o->get_name();
    }
  }
  // Bounds are part of the help, so a user sees them before being refused.
  const std::string search = app->get_subcommand("search")->help("radlite");
  EXPECT_NE(search.find("--k N=10 "), std::string::npos) << search;
  EXPECT_NE(search.find("hits per query ([0, 10000000])"), std::string::npos) << search;
  EXPECT_NE(search.find("--temperature T=1.5 "), std::string::npos) << search;
  EXPECT_NE(search.find("(> 0)"), std::string::npos) << search;
}

TEST(CliOptions, CommandsRejectBadNumbersBeforeRunning) {
  // Parse errors stop before any callback, so no model or index path needs to exist.
  const char* cases[][2] = {
      {"search --index /nonexistent --k 4294967297 q", "--k"},
      {"encode --model /nonexistent --max-length 4294967298", "--max-length"},
      {"rerank --model /nonexistent --temperature nan", "--temperature"},
      {"eval --corpus c --queries q --qrels r --min-relevance 4294967297", "--min-relevance"},
      {"bench-tokenize --tokenizer t --input i --repeat 0", "--repeat"},
      {"tokenize --tokenizer t --max-length -2", "--max-length"},
      {"index --corpus c --out o --b 2", "--b"},
      {"demo --k 0", "--k"},
  };
  for (const auto& c : cases) {
    const auto app = make_app();
    try {
      app->parse(c[0], false);
      ADD_FAILURE() << c[0] << " accepted";
    } catch (const CLI::ParseError& e) {
      EXPECT_NE(std::string(e.what()).find(c[1]), std::string::npos) << c[0] << ": " << e.what();
    }
  }
}
