// Writes the seed corpus of fuzz_index_load: small indexes saved by Pipeline::save, each packed as a file
// archive (fuzz_files.h). Run by tests/fuzz/run_fuzzers.sh --update-seeds; its output is committed, so
// rerun it after an index format change.
//   make_index_seeds OUT_DIR
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "fuzz_files.h"
#include "io/file_util.h"
#include "radlite/retrieval/pipeline.h"
#include "retrieval/fake_models.h"

namespace fs = std::filesystem;

namespace {

radlite::fuzz::FuzzArchive pack(const fs::path& dir, const std::string& preamble) {
  radlite::fuzz::FuzzArchive a;
  a.preamble = preamble;
  std::vector<fs::path> paths;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) paths.push_back(e.path());
  std::sort(paths.begin(), paths.end());
  for (const auto& p : paths)
    a.files.push_back({fs::relative(p, dir).generic_string(), radlite::io::read_file(p.string())});
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_index_seeds OUT_DIR\n";
    return 2;
  }
  const fs::path out = argv[1];
  fs::create_directories(out);
  const fs::path work = fs::temp_directory_path() / ("radlite-index-seeds-" + std::to_string(::getpid()));
  fs::create_directories(work);
  const std::vector<radlite::BeirDocument> docs = {
      {"d1", "Lung cancer", "CT imaging stages non-small cell lung cancer."},
      {"d2", "", "Caf\xC3\xA9 au lait spots \xE2\x80\x94 neurofibromatosis."},
      {"d3", "Breast", "Mammography finds breast cancer early."}};
  auto encoder = std::make_shared<radlite::test_models::HashingEncoder>(8, "fuzz-hashing-8");
  struct Variant {
    const char* name;
    bool dense, bm25;
    std::size_t docs;
    const char* preamble;
  };
  const Variant variants[] = {{"bm25-dense", true, true, 3, ""},
                              {"bm25-only", false, true, 3, ""},
                              {"dense-only", true, false, 3, ""},
                              {"empty", true, true, 0, ""},
                              {"bm25-dense-nofix", true, true, 2, "nofix"}};
  for (const Variant& v : variants) {
    radlite::PipelineOptions o;
    o.bm25 = v.bm25;
    radlite::Pipeline p(v.dense ? encoder : nullptr, nullptr, o);
    p.add(std::vector<radlite::BeirDocument>(docs.begin(), docs.begin() + static_cast<long>(v.docs)));
    const fs::path dir = work / v.name;
    p.save(dir.string());
    std::ofstream(out / (std::string(v.name) + ".idx"), std::ios::binary)
        << radlite::fuzz::join_archive(pack(dir, v.preamble));
  }
  fs::remove_all(work);
  std::cout << "wrote " << std::size(variants) << " seeds to " << out << '\n';
  return 0;
}
