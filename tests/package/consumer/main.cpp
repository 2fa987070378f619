// Uses radlite only through its installed headers and the radlite::radlite target.
// Prints what it observed; the ctest driver compares the output with the expected values.
// usage: consumer [bert-base-uncased model directory]   (the tokenizer part, when built with it)
#include <radlite/error.h>
#include <radlite/matrix.h>
#include <radlite/runtime.h>
#include <radlite/version.h>
#ifdef RADLITE_CONSUMER_WITH_TOKENIZER
#include <radlite/tokenizer.h>
#endif

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  std::printf("radlite version: %s\n", radlite::version());
  std::printf("libtorch version: %s\n", radlite::torch_version().c_str());

  // Process-wide libtorch state set through radlite, read back through radlite.
  radlite::set_num_threads(1);
  std::printf("threads after set_num_threads(1): %d\n", radlite::num_threads());

  radlite::Matrix m(2, 3);
  m(1, 2) = 4.5f;
  std::printf("matrix: %zux%zu, row(1)[2] = %.1f\n", m.rows(), m.cols(), m.row(1)[2]);

  // The error hierarchy is usable across the library boundary.
  try {
    throw radlite::InvalidArgument("consumer: deliberate");
  } catch (const radlite::Error& e) {
    std::printf("caught radlite::Error: %s\n", e.what());
  }
#ifdef RADLITE_CONSUMER_WITH_TOKENIZER
  // Pulls the tokenizer code (and with it SentencePiece, utf8proc) out of the static libraries.
  if (argc < 2) {
    std::fprintf(stderr, "usage: consumer <bert-base-uncased model directory>\n");
    return 2;
  }
  auto tokenizer = radlite::Tokenizer::from_path(argv[1]);
  radlite::Encoding e = tokenizer.encode("Hello world");
  std::printf("tokenizer ids:");
  for (auto id : e.ids) std::printf(" %d", static_cast<int>(id));
  std::printf("\n");
  // An exception thrown inside the library is caught here by its radlite type.
  try {
    radlite::Tokenizer::from_path(std::string(argv[1]) + "/no-such-dir");
  } catch (const radlite::IoError&) {
    std::printf("caught radlite::IoError from the library\n");
  }
#else
  (void)argc;
  (void)argv;
#endif
  return 0;
}
