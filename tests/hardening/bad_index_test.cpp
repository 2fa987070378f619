// Bad-input catalogue, part 3: damaged index directories (empty, truncated, wrong magic, huge declared
// sizes, non-finite vectors) and an index loaded with a bi-encoder of another embedding dimension.
// See catalogue.h; index_files.h edits the files independently of the exact layout.
#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <memory>
#include <string>

#include "catalogue.h"
#include "index_files.h"
#include "radlite/encoder.h"
#include "radlite/retrieval/pipeline.h"
#include "retrieval/fake_models.h"

namespace {

using radlite::FormatError;
using radlite::ModelError;
using radlite::Pipeline;
using radlite::hardening::expect_error;
using radlite::hardening::find_index_file;
using radlite::hardening::fix_manifest_checksums;
using radlite::hardening::patch_file;
namespace ts = radlite::test_support;

const char* kArea = "index directory (Pipeline::load)";
const auto kEncoder = std::make_shared<radlite::test_models::HashingEncoder>(16, "catalogue-hashing");

std::vector<radlite::BeirDocument> docs() {
  return {{"d1", "Lung", "CT stages lung cancer."}, {"d2", "", "MRI of the liver."}, {"d3", "Breast", "Mammography."}};
}

// A fresh BM25 + dense index in a scratch directory.
struct FreshIndex {
  ts::ScratchDir scratch;
  std::string dir = scratch.file("index");
  FreshIndex() {
    Pipeline p(kEncoder, nullptr);
    p.add(docs());
    p.save(dir);
  }
  void load() const { Pipeline::load(dir, kEncoder, nullptr); }
  std::string file(const std::string& name) const { return find_index_file(dir, name); }
};

std::string u64le(std::uint64_t n) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out;
}

TEST(BadIndex, DamagedFiles) {
  {
    FreshIndex x;
    ts::write_file(x.file("manifest.json"), "");
    expect_error<FormatError>(kArea, "manifest.json empty", {"manifest.json"}, [&] { x.load(); });
  }
  {
    FreshIndex x;
    const std::string m = ts::read_bytes(x.file("manifest.json"));
    ts::write_file(x.file("manifest.json"), m.substr(0, m.size() / 2));
    expect_error<FormatError>(kArea, "manifest.json truncated", {"manifest.json"}, [&] { x.load(); });
  }
  {
    ts::ScratchDir empty;
    expect_error<FormatError>(kArea, "a directory that is not an index (no manifest.json)", {"manifest.json"},
                              [&] { Pipeline::load(empty.path(), kEncoder, nullptr); });
  }
  {
    FreshIndex x;
    const std::string d = ts::read_bytes(x.file("docs.jsonl"));  // a segment's documents
    ts::write_file(x.file("docs.jsonl"), d.substr(0, d.size() - 7));
    expect_error<FormatError>(kArea, "<segment>.docs.jsonl truncated", {"docs.jsonl"}, [&] { x.load(); });
  }
  {
    FreshIndex x;
    patch_file(x.file("bm25.bin"), 20, "\x7f");
    expect_error<FormatError>(kArea, "bm25.bin: one byte changed (checksum)", {"bm25.bin", "sha256"},
                              [&] { x.load(); });
  }
  {
    FreshIndex x;
    ts::write_file(x.file("dense.bin"), "");
    fix_manifest_checksums(x.dir);
    expect_error<FormatError>(kArea, "dense.bin empty (manifest checksums fixed up)", {"dense.bin"}, [&] { x.load(); });
  }
  {
    FreshIndex x;
    const std::string b = ts::read_bytes(x.file("bm25.bin"));
    ts::write_file(x.file("bm25.bin"), b.substr(0, b.size() / 2));
    fix_manifest_checksums(x.dir);
    expect_error<FormatError>(kArea, "bm25.bin truncated to half (checksums fixed up)", {"bm25.bin"},
                              [&] { x.load(); });
  }
  {
    FreshIndex x;
    patch_file(x.file("bm25.bin"), 0, "NOTBM25");
    fix_manifest_checksums(x.dir);
    expect_error<FormatError>(kArea, "bm25.bin: wrong magic (checksums fixed up)", {"bm25.bin", "magic"},
                              [&] { x.load(); });
  }
  {
    FreshIndex x;
    patch_file(x.file("dense.bin"), 16, u64le(1ull << 60));  // row count (magic 8, version 4, metric 1, pad 3)
    fix_manifest_checksums(x.dir);
    expect_error<FormatError>(kArea, "dense.bin: huge declared row count 2^60 (checksums fixed up)", {"dense.bin"},
                              [&] { x.load(); });
  }
  {
    FreshIndex x;
    patch_file(x.file("dense.bin"), 24, u64le(1u << 19));  // dimension
    fix_manifest_checksums(x.dir);
    expect_error<FormatError>(kArea, "dense.bin: declared dimension 524288 in a small file (checksums fixed up)",
                              {"dense.bin"}, [&] { x.load(); });
  }
  {
    FreshIndex x;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::string bytes(4, '\0');
    std::memcpy(bytes.data(), &nan, 4);
    patch_file(x.file("dense.bin"), 64, bytes);  // the first vector value (format 2: vectors start at 64)
    fix_manifest_checksums(x.dir);
    expect_error<FormatError>(kArea, "dense.bin: a NaN vector value (checksums fixed up)", {"dense.bin", "non-finite"},
                              [&] { x.load(); });
  }
  {
    FreshIndex x;
    std::string m = ts::read_bytes(x.file("manifest.json"));
    const auto pos = m.find("\"format_version\": 2");
    ASSERT_NE(pos, std::string::npos) << m;
    m.replace(pos, 19, "\"format_version\": 999");
    ts::write_file(x.file("manifest.json"), m);
    expect_error<FormatError>(kArea, "manifest.json: format_version 999", {"manifest.json", "format_version"},
                              [&] { x.load(); });
  }
}

TEST(BadIndex, EmbeddingDimensionMismatch) {
  FreshIndex x;
  // Same identity, other dimension: only the dimension check can catch it.
  const auto narrow = std::make_shared<radlite::test_models::HashingEncoder>(8, "catalogue-hashing");
  expect_error<ModelError>(kArea, "index of 16-dim vectors, encoder with the same identity and 8 dims", {"16", "8"},
                           [&] { Pipeline::load(x.dir, narrow, nullptr); });
  // Real models: an index made with the 32-dim RoBERTa tiny model, loaded with the 16-dim BERT one.
  ts::ScratchDir scratch;
  const std::string models = RADLITE_MODELS_DIR;
  auto roberta = std::make_shared<radlite::BiEncoder>(radlite::BiEncoder::load(models + "/roberta-biencoder-tiny"));
  auto bert = std::make_shared<radlite::BiEncoder>(radlite::BiEncoder::load(models + "/bert-biencoder-cls-tiny"));
  Pipeline p(roberta, nullptr);
  p.add(docs());
  p.save(scratch.file("index"));
  expect_error<ModelError>(
      kArea, "index built with roberta-biencoder-tiny (32 dims), loaded with bert-biencoder-cls-tiny (16)",
      {"bi-encoder"}, [&] { Pipeline::load(scratch.file("index"), bert, nullptr); });
}

}  // namespace
