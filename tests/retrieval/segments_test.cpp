// Tests of the segmented index (format version 2): add, delete, update, merge and reload against a fresh
// build of the same live documents (the oracle: BM25 statistics are those of the live documents, so every
// stage score must be identical), incremental saves that write only what changed, version-1 directories,
// and saves of appends, deletes and merges killed with SIGKILL.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "radlite/error.h"
#include "radlite/retrieval/bm25.h"
#include "radlite/retrieval/pipeline.h"
#include "retrieval/fake_models.h"
#include "support/scratch_dir.h"

namespace fs = std::filesystem;
using namespace radlite;
using radlite::test_models::HashingEncoder;
using radlite::test_models::OverlapScorer;

namespace {

std::string temp_dir(const std::string& name) { return radlite::test_support::fresh_temp_dir("segments_" + name); }

std::vector<BeirDocument> corpus(std::size_t n, unsigned seed, const std::string& prefix = "doc") {
  std::mt19937 rng(seed);
  const char* vocab[] = {"pulmonary", "embolism",    "artery",       "nodule",     "lung",       "ct",
                         "mri",       "contrast",    "renal",        "cyst",       "liver",      "lesion",
                         "bone",      "fracture",    "brain",        "hemorrhage", "stroke",     "aorta",
                         "bosniak",   "adamkiewicz", "pneumothorax", "effusion",   "dissection", "appendicitis"};
  std::vector<BeirDocument> docs;
  for (std::size_t i = 0; i < n; ++i) {
    std::string text;
    const int len = 3 + static_cast<int>(rng() % 40);
    for (int w = 0; w < len; ++w) text += std::string(vocab[rng() % 24 % (4 + rng() % 21)]) + " ";
    docs.push_back({prefix + std::to_string(i), i % 7 == 0 ? "Title " + std::to_string(i) : "", text});
  }
  return docs;
}

const std::vector<std::string> kQueries = {"pulmonary embolism ct",   "renal cyst bosniak",        "lung",
                                           "brain hemorrhage stroke", "aorta dissection contrast", "adamkiewicz artery",
                                           "nothing matches zzz"};

// Same ranked ids and the same score of every stage, bit for bit (doc numbers may differ: deleted documents
// keep their slots until a merge).
void expect_same_results(const Pipeline& a, const Pipeline& b, const std::string& what) {
  for (const auto& q : kQueries) {
    for (bool rerank : {false, true}) {
      SearchOptions o;
      o.k = 30;
      o.candidates = 40;
      o.rerank_depth = 15;
      o.use_reranker = rerank;
      const auto x = a.search(q, o), y = b.search(q, o);
      ASSERT_EQ(x.size(), y.size()) << what << ": " << q;
      for (std::size_t i = 0; i < x.size(); ++i) {
        SCOPED_TRACE(what + ": " + q + " rank " + std::to_string(i));
        EXPECT_EQ(x[i].id, y[i].id);
        EXPECT_EQ(x[i].score, y[i].score);
        EXPECT_EQ(x[i].dense, y[i].dense);
        EXPECT_EQ(x[i].bm25, y[i].bm25);
        EXPECT_EQ(x[i].fused, y[i].fused);
        EXPECT_EQ(x[i].rerank_logit, y[i].rerank_logit);
        EXPECT_EQ(x[i].final, y[i].final);
      }
    }
  }
}

// The live documents of `p` in doc order: what a fresh build must be given.
std::vector<BeirDocument> live_documents(const Pipeline& p) {
  std::vector<BeirDocument> out;
  for (std::size_t d = 0; d < p.size(); ++d)
    if (!p.is_deleted(d)) out.push_back(p.document(d));
  return out;
}

Pipeline fresh(const std::vector<BeirDocument>& docs, const std::shared_ptr<const TextEncoder>& enc) {
  Pipeline p(enc, std::make_shared<OverlapScorer>());
  p.add(docs);
  return p;
}

std::set<std::string> files_of(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

ino_t inode(const std::string& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st.st_ino;
}

}  // namespace

TEST(Segments, AddDeleteUpdateMergeReloadMatchAFreshBuild) {
  auto enc = std::make_shared<HashingEncoder>();
  auto ce = std::make_shared<OverlapScorer>();
  Pipeline p(enc, ce);
  auto all = corpus(600, 1);
  p.add(std::vector<BeirDocument>(all.begin(), all.begin() + 300));
  p.add(std::vector<BeirDocument>(all.begin() + 300, all.begin() + 500));
  p.add(std::vector<BeirDocument>(all.begin() + 500, all.end()));
  ASSERT_EQ(p.segments().size(), 3u);
  expect_same_results(p, fresh(all, enc), "three segments");

  // Deletes across segments, and an unknown id.
  EXPECT_EQ(p.remove({"doc3", "doc310", "doc599", "doc42", "no-such-id", "doc3"}), 4u);
  EXPECT_EQ(p.find("doc310"), -1);
  EXPECT_EQ(p.live_size(), 596u);
  EXPECT_EQ(p.size(), 600u);
  for (const auto& q : kQueries)
    for (const auto& h : p.search(q, {50})) EXPECT_TRUE(h.id != "doc3" && h.id != "doc310" && h.id != "doc599");
  expect_same_results(p, fresh(live_documents(p), enc), "after deletes");

  // Updates: new versions of existing documents, and one new document.
  std::vector<BeirDocument> changed = {{"doc7", "", "pulmonary embolism pulmonary embolism ct"},
                                       {"doc450", "Renal", "bosniak renal cyst"},
                                       {"new1", "", "adamkiewicz artery"}};
  p.update(changed);
  EXPECT_EQ(p.live_size(), 597u);  // 596 + new1 (doc7 and doc450 replaced)
  EXPECT_EQ(p.document(static_cast<std::size_t>(p.find("doc7"))).text, changed[0].text);
  EXPECT_THROW(p.add({{"doc7", "", "duplicate"}}), InvalidArgument);  // add() still rejects live ids
  expect_same_results(p, fresh(live_documents(p), enc), "after updates");

  // Save, reload: deletes and updates persist.
  const std::string dir = temp_dir("roundtrip") + "/index";
  p.save(dir);
  Pipeline loaded = Pipeline::load(dir, enc, ce);
  EXPECT_EQ(loaded.live_size(), 597u);
  EXPECT_EQ(loaded.find("doc3"), -1);
  expect_same_results(loaded, fresh(live_documents(p), enc), "reloaded");

  // Merge: one segment, no deleted documents, the same results as a fresh build, doc numbers included.
  const auto live = live_documents(p);
  p.merge();
  ASSERT_EQ(p.segments().size(), 1u);
  EXPECT_EQ(p.size(), live.size());
  Pipeline f = fresh(live, enc);
  expect_same_results(p, f, "merged");
  for (const auto& q : kQueries) {
    const auto x = p.search(q), y = f.search(q);
    for (std::size_t i = 0; i < std::min(x.size(), y.size()); ++i) EXPECT_EQ(x[i].doc, y[i].doc);
  }
  p.save(dir);
  expect_same_results(Pipeline::load(dir, enc, ce), f, "merged and reloaded");

  // The oracle can fail: one more live document changes the BM25 statistics, so some score differs.
  auto plus = live;
  plus.push_back({"extra", "", "lung"});
  Pipeline g = fresh(plus, enc);
  bool differs = false;
  for (const auto& q : kQueries) {
    const auto x = p.search(q), y = g.search(q);
    for (std::size_t i = 0; i < std::min(x.size(), y.size()); ++i) differs |= x[i].bm25 != y[i].bm25;
  }
  EXPECT_TRUE(differs);
}

TEST(Segments, Bm25OnlyDeleteEverythingThenAddAgain) {
  PipelineOptions po;
  po.bm25_options.b = 0.5;
  Pipeline p(nullptr, nullptr, po);
  auto docs = corpus(50, 3);
  p.add(docs);
  std::vector<std::string> ids;
  for (const auto& d : docs) ids.push_back(d.id);
  EXPECT_EQ(p.remove(ids), 50u);
  for (const auto& q : kQueries) EXPECT_TRUE(p.search(q).empty());
  p.add({docs[4]});  // the id is free again
  Pipeline f(nullptr, nullptr, po);
  f.add({docs[4]});
  expect_same_results(p, f, "one document left");
  const std::string dir = temp_dir("bm25only") + "/index";
  p.save(dir);
  expect_same_results(Pipeline::load(dir, nullptr, nullptr), f, "reloaded");
}

TEST(Segments, MergePolicyBoundsTheSegmentCount) {
  auto enc = std::make_shared<HashingEncoder>();
  PipelineOptions po;
  po.max_segments = 3;
  Pipeline p(enc, std::make_shared<OverlapScorer>(), po);
  auto all = corpus(400, 5);
  for (std::size_t start = 0; start < all.size(); start += 50) {
    p.add(std::vector<BeirDocument>(all.begin() + start, all.begin() + start + 50));
    p.remove({all[start + 7].id});
    EXPECT_LE(p.segments().size(), 3u);
  }
  expect_same_results(p, fresh(live_documents(p), enc), "after policy merges");
  EXPECT_EQ(p.find(all[7].id), -1);
  EXPECT_EQ(p.document(static_cast<std::size_t>(p.find(all[8].id))).id, all[8].id);
}

TEST(Segments, SavesWriteOnlyWhatChanged) {
  auto enc = std::make_shared<HashingEncoder>();
  Pipeline p(enc, nullptr);
  p.add(corpus(3000, 2));
  const std::string dir = temp_dir("incremental") + "/index";
  p.save(dir);
  const auto first = files_of(dir);
  std::map<std::string, ino_t> inodes;
  for (const auto& f : first) inodes[f] = inode(dir + "/" + f);

  // Append: the old segment's files are the same files (not rewritten), one new segment appears.
  Pipeline q = Pipeline::load(dir, enc, nullptr);
  q.add(corpus(10, 9, "new"));
  q.save(dir);
  auto second = files_of(dir);
  for (const auto& f : first)
    if (f != "manifest.json") EXPECT_EQ(inode(dir + "/" + f), inodes[f]) << f << " was rewritten";
  std::vector<std::string> added;
  std::set_difference(second.begin(), second.end(), first.begin(), first.end(), std::back_inserter(added));
  ASSERT_EQ(added.size(), 4u);  // docs, docs offsets, bm25, dense of the new segment
  for (const auto& f : added) EXPECT_LT(fs::file_size(dir + "/" + f), 20000u) << f;
  expect_same_results(Pipeline::load(dir, enc, nullptr), q, "after append");

  // Delete: only a tombstone file is added.
  q.remove({"doc17", "new3"});
  q.save(dir);
  auto third = files_of(dir);
  added.clear();
  std::set_difference(third.begin(), third.end(), second.begin(), second.end(), std::back_inserter(added));
  ASSERT_EQ(added.size(), 2u);  // one tombstone file per segment with deletes
  for (const auto& f : added) EXPECT_NE(f.find(".del-"), std::string::npos) << f;
  Pipeline r = Pipeline::load(dir, enc, nullptr);
  EXPECT_EQ(r.find("doc17"), -1);
  expect_same_results(r, q, "after delete");

  // Pipeline::info reads the manifest alone (no model needed).
  const IndexInfo info = Pipeline::info(dir);
  EXPECT_EQ(info.format_version, 2);
  EXPECT_EQ(info.documents, q.live_size());
  EXPECT_EQ(info.dense_kind, "exact");
  EXPECT_EQ(info.encoder_identity, "test-hashing-bow-64");
  ASSERT_EQ(info.segments.size(), 2u);
  EXPECT_EQ(info.segments[0].documents, 3000u);
  EXPECT_EQ(info.segments[0].deleted, 1u);
  EXPECT_EQ(info.segments[1].deleted, 1u);
  EXPECT_GT(info.segments[0].bytes, info.segments[1].bytes);

  // Another delete in the same segment replaces its tombstone file; the old one is removed.
  q.remove({"doc18"});
  q.save(dir);
  EXPECT_EQ(files_of(dir).size(), third.size());

  // Merge: one segment; the files of the merged-away segments are deleted after the switch.
  q.merge();
  q.save(dir);
  auto merged = files_of(dir);
  EXPECT_EQ(merged.size(), 5u) << "manifest + one segment's four files";
  for (const auto& f : first) EXPECT_TRUE(f == "manifest.json" || !merged.count(f)) << f;
  Pipeline m = Pipeline::load(dir, enc, std::make_shared<OverlapScorer>());
  expect_same_results(m, fresh(live_documents(q), enc), "after merge");

  // A save by another pipeline (another index) in between forces a full rewrite, never a mix.
  Pipeline other(enc, nullptr);
  other.add(corpus(20, 11, "other"));
  other.save(dir);
  m.add(corpus(5, 12, "late"));
  m.save(dir);  // the directory is no longer m's index: written whole
  Pipeline back = Pipeline::load(dir, enc, nullptr);
  EXPECT_EQ(back.find("other1"), -1);
  EXPECT_EQ(back.live_size(), m.live_size());
}

TEST(Segments, VersionOneDirectoriesStillLoad) {
  // A version-1 directory: documents.jsonl, bm25.bin and dense.bin (formats unchanged in version 2) and a
  // manifest with a flat "files" table. Built here from a one-segment version-2 save.
  auto enc = std::make_shared<HashingEncoder>();
  Pipeline p(enc, std::make_shared<OverlapScorer>());
  p.add(corpus(200, 4));
  const std::string base = temp_dir("v1");
  p.save(base + "/v2");
  std::ifstream in(base + "/v2/manifest.json");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  fs::create_directories(base + "/v1");
  std::string files = "{";
  for (const auto& [suffix, v1] : std::vector<std::pair<std::string, std::string>>{
           {".docs.jsonl", "documents.jsonl"}, {".bm25.bin", "bm25.bin"}, {".dense.bin", "dense.bin"}}) {
    const std::string name = "seg-000001-0" + suffix;
    fs::copy_file(base + "/v2/" + name, base + "/v1/" + v1);
    auto pos = text.find("\"" + name + "\": {");
    ASSERT_NE(pos, std::string::npos) << text;
    auto end = text.find('}', pos);
    if (files.size() > 1) files += ", ";
    files += "\"" + v1 + "\"" + text.substr(pos + name.size() + 2, end + 1 - pos - name.size() - 2);
  }
  files += "}";
  auto seg = text.find("\"segments\": [");
  ASSERT_NE(seg, std::string::npos);
  std::string v1 = text.substr(0, seg) + "\"files\": " + files + "\n}\n";
  v1.replace(v1.find("\"format_version\": 2"), 19, "\"format_version\": 1");
  std::ofstream(base + "/v1/manifest.json") << v1;
  Pipeline old = Pipeline::load(base + "/v1", enc, std::make_shared<OverlapScorer>());
  expect_same_results(old, p, "version 1");
  // Its next save writes version 2 (in full).
  old.add(corpus(3, 8, "more"));
  old.save(base + "/v1");
  EXPECT_FALSE(fs::exists(base + "/v1/bm25.bin"));
  expect_same_results(Pipeline::load(base + "/v1", enc, std::make_shared<OverlapScorer>()), old, "upgraded");
}

TEST(Segments, LoadWithoutChecksumsStillChecksSizes) {
  auto enc = std::make_shared<HashingEncoder>();
  Pipeline p(enc, nullptr);
  p.add(corpus(100, 6));
  const std::string dir = temp_dir("noverify") + "/index";
  p.save(dir);
  std::string docs;
  for (const auto& f : files_of(dir))
    if (f.find(".docs.jsonl") != std::string::npos) docs = dir + "/" + f;
  // A flipped byte inside a document's text: only the checksum sees it.
  {
    std::fstream f(docs, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(200);
    f.put('Q');
  }
  LoadOptions fast;
  fast.verify_checksums = false;
  EXPECT_THROW(Pipeline::load(dir, enc, nullptr), FormatError);
  EXPECT_NO_THROW(Pipeline::load(dir, enc, nullptr, fast));
  // A truncated file is caught either way, naming it.
  fs::resize_file(docs, fs::file_size(docs) - 3);
  try {
    Pipeline::load(dir, enc, nullptr, fast);
    ADD_FAILURE() << "no exception";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(docs), std::string::npos) << e.what();
  }
}

TEST(Segments, ReplaceGuardKnowsSegmentFilesAndLeftovers) {
  const std::string dir = temp_dir("guard") + "/index";
  Pipeline a(nullptr, nullptr);
  a.add(corpus(30, 1));
  a.add(corpus(5, 2, "more"));
  a.remove({"doc3"});
  a.save(dir);  // two segments and a tombstone file: all named by the manifest
  // What a killed incremental save leaves (a segment file no manifest names) is still the index's own.
  std::ofstream(dir + "/seg-999999-0.docs.jsonl") << "partial";
  Pipeline b(nullptr, nullptr);
  b.add(corpus(3, 3, "other"));
  EXPECT_NO_THROW(Pipeline::check_save_target(dir));
  b.save(dir);
  EXPECT_FALSE(fs::exists(dir + "/seg-999999-0.docs.jsonl"));
  EXPECT_EQ(Pipeline::load(dir, nullptr, nullptr).live_size(), 3u);
  // A user's file in it: a full save refuses, naming it, and leaves everything in place.
  std::ofstream(dir + "/notes.txt") << "mine";
  try {
    a.save(dir);
    ADD_FAILURE() << "no exception";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("notes.txt"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::exists(dir + "/notes.txt"));
  EXPECT_EQ(Pipeline::load(dir, nullptr, nullptr).live_size(), 3u);
}

// Block-max MaxScore over segments with deleted documents against exhaustive scoring of a single index of
// the live documents: Zipf text long enough that whole blocks of postings are skipped.
TEST(Segments, Bm25PruningOverSegmentsAndDeletesMatchesExhaustiveScoring) {
  std::mt19937 rng(11);
  std::vector<double> cdf(4000);
  double sum = 0.0;
  for (std::size_t r = 0; r < cdf.size(); ++r) cdf[r] = sum += 1.0 / static_cast<double>(r + 1);
  auto word = [&] {
    const double u = std::uniform_real_distribution<double>(0.0, sum)(rng);
    return "w" + std::to_string(std::lower_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
  };
  std::vector<BeirDocument> docs;
  for (int d = 0; d < 9000; ++d) {
    std::string text;
    for (int i = 0, n = 5 + static_cast<int>(rng() % 120); i < n; ++i) text += word() + " ";
    docs.push_back({"d" + std::to_string(d), "", text});
  }
  Pipeline p(nullptr, nullptr);
  for (int s = 0; s < 3; ++s) p.add(std::vector<BeirDocument>(docs.begin() + s * 3000, docs.begin() + (s + 1) * 3000));
  std::vector<std::string> victims;
  for (int d = 0; d < 9000; d += 1 + static_cast<int>(rng() % 9)) victims.push_back("d" + std::to_string(d));
  p.remove(victims);
  ASSERT_EQ(p.segments().size(), 3u);
  const auto live = live_documents(p);
  std::vector<std::string> ids, texts;
  for (const auto& d : live) {
    ids.push_back(d.id);
    texts.push_back(d.text);
  }
  Bm25Index single;
  single.add(ids, texts);
  std::size_t compared = 0;
  for (int q = 0; q < 150; ++q) {
    std::string query;
    for (int i = 0, n = 1 + static_cast<int>(rng() % 6); i < n; ++i) query += word() + " ";
    for (std::size_t k : {1u, 10u, 40u}) {
      SearchOptions o;
      o.k = o.candidates = k;
      o.use_dense = o.use_reranker = false;
      const auto got = p.search(query, o);
      const auto want = single.search_exhaustive(query, k);
      ASSERT_EQ(got.size(), want.size()) << query;
      for (std::size_t i = 0; i < want.size(); ++i) {
        ASSERT_EQ(got[i].id, ids[want[i].doc]) << query << " k " << k << " rank " << i;
        ASSERT_EQ(got[i].bm25, want[i].score) << query << " k " << k << " rank " << i;
      }
      compared += want.size();
    }
  }
  EXPECT_GT(compared, 5000u);
}
