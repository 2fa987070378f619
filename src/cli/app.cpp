#include "cli/app.h"

#include <cctype>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <sstream>
#include <string>

#include "cli/commands.h"
#include "cli/output_file.h"
#include "radlite/error.h"
#include "radlite/version.h"

namespace radlite::cli {

namespace {

// A command's help: the usage line, its one-line summary (the description, also listed by `radlite help`), the
// explanation (the footer), then the generated option groups. CLI11's default puts the description above the
// usage line and the footer last.
class HelpFormatter : public CLI::Formatter {
 public:
  HelpFormatter() {
    label("Usage", "usage");
    column_width(34);
  }
  std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override {
    if (mode == CLI::AppFormatMode::Sub) return make_expanded(app);
    std::ostringstream out;
    out << make_usage(app, name);
    if (!app->get_description().empty()) out << "\n" << app->get_description() << ".\n";
    if (!app->get_footer().empty()) out << "\n" << app->get_footer() << "\n";
    out << make_positionals(app) << make_groups(app, mode);
    return out.str();
  }
  // CLI11 prints a validator's description inside the type ("N:[0, 10]=10"); radlite's validators describe a
  // range, which reads better after the option's text: "--k N=10   hits per query ([0, 10000000])".
  std::string make_option_opts(const CLI::Option* opt) const override {
    if (opt->get_type_size() == 0) return "";
    const std::string full = opt->get_type_name();
    const std::string type = full.substr(0, full.find(':'));
    std::string out = type.empty() ? "" : " " + type;
    if (!opt->get_default_str().empty()) out += "=" + opt->get_default_str();
    if (opt->get_expected_max() == CLI::detail::expected_max_vector_size) out += " ...";
    if (opt->get_required()) out += " REQUIRED";
    return out;
  }
  std::string make_option_desc(const CLI::Option* opt) const override {
    const std::string full = opt->get_type_name();
    const auto colon = full.find(':');
    return opt->get_description() + (colon == std::string::npos ? "" : " (" + full.substr(colon + 1) + ")");
  }
};

// CLI11 reports a missing required option before an unexpected one, so `eval --corpsu F` would say "--corpus is
// required" and hide the typo. Unknown option names are looked up first.
void check_option_names(const CLI::App& cmd, int argc, char** argv) {
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") break;  // the rest is positional
    if (arg.size() < 2 || arg[0] != '-' || std::isdigit(static_cast<unsigned char>(arg[1])) || arg[1] == '.')
      continue;  // a value, a positional or a negative number (its option's validator judges it)
    const std::string name = arg.substr(0, arg.find('='));
    if (!cmd.get_option_no_throw(name)) throw CLI::ExtrasError("unknown option " + name, CLI::ExitCodes::ExtrasError);
  }
}

}  // namespace

std::unique_ptr<CLI::App> make_app() {
  auto app = std::make_unique<CLI::App>("radiology retrieval (bi-encoder, cross-encoder, BM25)", "radlite");
  app->formatter(std::make_shared<HelpFormatter>());
  app->require_subcommand(1);
  app->option_defaults()->always_capture_default(false);
  add_demo_command(*app);
  add_version_command(*app);
  add_tokenize_command(*app);
  add_bench_tokenize_command(*app);
  add_index_command(*app);
  add_info_command(*app);
  add_search_command(*app);
  add_encode_command(*app);
  add_rerank_command(*app);
  add_eval_command(*app);
  return app;
}

void print_usage(const CLI::App& app, std::ostream& out) {
  out << "radlite " << radlite::version() << ": " << app.get_description() << "\n\n"
      << "usage: radlite <command> [options]\n\ncommands:\n";
  for (const CLI::App* c : app.get_subcommands({})) {
    const std::string& name = c->get_name();
    out << "  " << name << std::string(name.size() < 16 ? 16 - name.size() : 1, ' ') << c->get_description() << "\n";
  }
  out << "\n`radlite <command> --help` describes a command's options.\n";
}

int run(int argc, char** argv) {
  std::ios::sync_with_stdio(false);  // every command writes stdout through std::cout only
  const std::unique_ptr<CLI::App> app = make_app();
  if (argc < 2 || !std::strcmp(argv[1], "help") || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    print_usage(*app, std::cout);
    std::cout.flush();
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  bool known = false;
  for (const CLI::App* c : app->get_subcommands({})) known |= c->get_name() == command;
  if (!known) {
    std::cerr << "radlite: unknown command '" << command << "'\n\n";
    print_usage(*app, std::cerr);
    return 2;
  }
  const std::string prefix = "radlite " + command + ": ";
  try {
    check_option_names(*app->get_subcommand(command), argc, argv);
    try {
      app->parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
      std::cout << app->help();
    }
    check_stdout();
    return 0;
  } catch (const CLI::ParseError& e) {
    std::cerr << prefix << "error: " << e.what() << "\n(`radlite " << command << " --help` lists the options)\n";
  } catch (const Error& e) {
    std::cerr << prefix << "error: " << e.what() << "\n";
  } catch (const std::exception& e) {
    std::cerr << prefix << "unexpected error: " << e.what() << "\n";
  }
  // Whatever was answered before the error still reaches stdout; the first error is the one reported.
  std::cout.flush();
  std::fflush(stdout);
  return 1;
}

}  // namespace radlite::cli
