// BM25 postings read in place (Bm25Index::view): identical hits and scores to the index that was saved and to
// a copy read by load() (MaxScore, exhaustive, batch and single-document scores), version-1 bytes, and
// corrupted or truncated data refused at view() or, for a term's postings, on the first search that uses them.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "radlite/error.h"
#include "radlite/retrieval/bm25.h"

using radlite::Bm25Index;
using radlite::FormatError;

namespace {

// Bytes in 8-aligned memory (what a mapping gives), kept alive by the returned owner.
struct Aligned {
  std::shared_ptr<std::vector<std::uint64_t>> words;
  std::size_t size = 0;
  const char* data() const { return reinterpret_cast<const char*>(words->data()); }
};

Aligned aligned(const std::string& bytes) {
  Aligned a;
  a.words = std::make_shared<std::vector<std::uint64_t>>((bytes.size() + 7) / 8 + 1, 0);
  std::memcpy(a.words->data(), bytes.data(), bytes.size());
  a.size = bytes.size();
  return a;
}

Bm25Index view(const std::string& bytes, bool check = true) {
  Aligned a = aligned(bytes);
  return Bm25Index::view(a.data(), a.size, a.words, "idx/bm25.bin", check);
}

std::string saved(const Bm25Index& index) {
  std::stringstream buf;
  index.save(buf);
  return buf.str();
}

// The version-1 form radlite wrote before postings were mapped: each term followed by its postings.
std::string version1(const std::vector<std::string>& ids, const std::vector<std::uint32_t>& lengths,
                     const std::vector<std::pair<std::string, std::vector<std::uint32_t>>>& terms) {
  std::string out("RLBM25\0", 8);
  auto pod = [&](auto v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); };
  auto str = [&](const std::string& s) {
    pod(static_cast<std::uint32_t>(s.size()));
    out += s;
  };
  pod(std::uint32_t{1});
  pod(1.2);
  pod(0.75);
  pod(std::uint8_t{1});
  str("none");
  pod(std::uint32_t{0});
  str("none");
  pod(std::uint8_t{0});
  pod(std::uint64_t{255});
  pod(static_cast<std::uint64_t>(ids.size()));
  for (const auto& id : ids) str(id);
  for (std::uint32_t len : lengths) pod(len);
  pod(static_cast<std::uint64_t>(terms.size()));
  for (const auto& [term, flat] : terms) {  // flat: doc, tf, doc, tf, ...
    str(term);
    pod(static_cast<std::uint64_t>(flat.size() / 2));
    for (std::uint32_t v : flat) pod(v);
  }
  out.append("RLBMEND\0", 8);
  return out;
}

void expect_same(const std::vector<radlite::Hit>& a, const std::vector<radlite::Hit>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].doc, b[i].doc) << what << " rank " << i;
    EXPECT_EQ(a[i].score, b[i].score) << what << " rank " << i;
  }
}

}  // namespace

TEST(Bm25Mapped, ViewScoresLikeTheSavedIndexAndItsCopy) {
  // 3,000 documents over a skewed vocabulary: long and short posting lists, so MaxScore prunes.
  std::mt19937 rng(11);
  std::vector<std::string> ids, texts;
  for (int i = 0; i < 3000; ++i) {
    ids.push_back("d" + std::to_string(i));
    std::string t;
    const int len = 5 + static_cast<int>(rng() % 60);
    for (int w = 0; w < len; ++w) t += "w" + std::to_string(rng() % (1 + rng() % 400)) + " ";
    texts.push_back(t);
  }
  Bm25Index index;
  index.add(ids, texts);
  const std::string bytes = saved(index);
  std::istringstream in(bytes);
  const Bm25Index copy = Bm25Index::load(in, "mem");
  const Bm25Index checked = view(bytes, true), lazy = view(bytes, false);
  std::vector<std::string> queries;
  for (int q = 0; q < 60; ++q)
    queries.push_back("w" + std::to_string(rng() % 5) + " w" + std::to_string(rng() % 50) + " w" +
                      std::to_string(rng() % 390) + " w" + std::to_string(rng() % 390));
  for (const auto& q : queries) {
    const auto want = index.search(q, 10);
    ASSERT_FALSE(want.empty()) << q;
    expect_same(index.search_exhaustive(q, 10), want, "exhaustive " + q);
    for (const Bm25Index* other : {&copy, &checked, &lazy}) {
      expect_same(other->search(q, 10), want, "pruned " + q);
      expect_same(other->search_exhaustive(q, 10), want, "exhaustive " + q);
      for (const auto& h : want) EXPECT_EQ(other->score(q, h.doc), h.score) << q;
    }
  }
  const auto batch = lazy.search_batch(queries, 10, 2);
  for (std::size_t q = 0; q < queries.size(); ++q) expect_same(batch[q], index.search(queries[q], 10), "batch");
  EXPECT_EQ(lazy.vocabulary_size(), index.vocabulary_size());
  EXPECT_EQ(lazy.doc_frequency("w1"), index.doc_frequency("w1"));
  EXPECT_EQ(lazy.average_length(), index.average_length());
  EXPECT_EQ(lazy.id(2999), "d2999");
  // Saving a viewed index writes the same bytes; adding to it copies the postings first.
  EXPECT_EQ(saved(lazy), bytes);
  Bm25Index grown = view(bytes, false);
  grown.add({"extra"}, {"w1 w2 w2"});
  Bm25Index fresh;
  std::vector<std::string> ids2 = ids, texts2 = texts;
  ids2.push_back("extra");
  texts2.push_back("w1 w2 w2");
  fresh.add(ids2, texts2);
  for (const auto& q : queries) expect_same(grown.search(q, 10), fresh.search(q, 10), "grown " + q);
}

TEST(Bm25Mapped, VersionOneBytesStillLoad) {
  // d0 "alpha beta", d1 "beta gamma gamma", in version 1.
  const std::string v1 = version1({"d0", "d1"}, {2, 3}, {{"alpha", {0, 1}}, {"beta", {0, 1, 1, 1}}, {"gamma", {1, 2}}});
  Bm25Index now;
  now.add({"d0", "d1"}, {"alpha beta", "beta gamma gamma"});
  std::istringstream in(v1);
  const Bm25Index loaded = Bm25Index::load(in, "v1");
  const Bm25Index viewed = view(v1, false);  // copied: version 1 is not laid out for reading in place
  for (const char* q : {"alpha", "gamma", "beta gamma", "alpha gamma"}) {
    expect_same(loaded.search(q, 5), now.search(q, 5), q);
    expect_same(viewed.search(q, 5), now.search(q, 5), q);
  }
  EXPECT_EQ(saved(loaded), saved(now));  // and it is written back as version 2
}

TEST(Bm25Mapped, CorruptedDataIsRefusedAtViewOrOnFirstUse) {
  Bm25Index index;
  index.add({"d0", "d1"}, {"alpha beta", "beta gamma gamma"});  // terms alpha, beta, gamma; 4 postings
  const std::string good = saved(index);
  // The arrays at the end: max_tf[3] min_len[3] | offsets[4] | postings[4] | end marker.
  const std::size_t postings = good.size() - 8 - 4 * 8, offsets = postings - 4 * 8, bounds = offsets - 3 * 8;
  auto patched = [&](std::size_t at, std::uint32_t v) {
    std::string b = good;
    std::memcpy(&b[at], &v, sizeof v);
    return b;
  };
  std::uint32_t gamma_tf;
  std::memcpy(&gamma_tf, &good[postings + 3 * 8 + 4], 4);
  ASSERT_EQ(gamma_tf, 2u);  // the layout this test assumes
  auto expect_error = [](const std::string& what, auto&& f) {
    try {
      f();
      ADD_FAILURE() << what << ": no exception";
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()).find("idx/bm25.bin"), std::string::npos) << what << ": " << e.what();
    }
  };
  // A posting's document out of range, or a tf above its term's stored bound: found when the term is used.
  for (const auto& [what, bytes] : {std::make_pair(std::string("doc out of range"), patched(postings + 3 * 8, 7)),
                                    std::make_pair(std::string("tf above the bound"), patched(postings + 3 * 8 + 4, 3)),
                                    std::make_pair(std::string("bound below a tf"), patched(bounds + 2 * 4, 1))}) {
    const Bm25Index lazy = view(bytes, false);
    EXPECT_EQ(lazy.search("alpha", 5).size(), 1u) << what;  // other terms are fine
    expect_error(what + " (first use)", [&] { lazy.search("beta gamma", 5); });
    expect_error(what + " (again)", [&] { lazy.search_exhaustive("gamma", 5); });
    expect_error(what + " (checked view)", [&] { view(bytes, true); });
    std::istringstream in(bytes);
    EXPECT_THROW(Bm25Index::load(in, "m"), FormatError) << what;
  }
  // Offsets, sizes and the end marker are checked by every view.
  expect_error("offset past the postings", [&] { view(patched(offsets + 2 * 8, 9), false); });
  expect_error("offsets not increasing", [&] { view(patched(offsets + 1 * 8, 0), false); });
  expect_error("end marker", [&] { view(patched(good.size() - 8, 0), false); });
  // A document length that its postings do not add up to: only the full check (load, checked view) sees it.
  expect_error("length of d1 (checked view)", [&] { view(patched(bounds - 4, 99), true); });
  for (std::size_t n = 0; n < good.size(); ++n)
    expect_error("truncated at " + std::to_string(n), [&] { view(good.substr(0, n), false); });
  expect_error("one byte more", [&] { view(good + "x", false); });
}

// A view leaves the ids in the file: searching, counting and saving never build the id tables; the first
// id() or find() does, and only then is a duplicate id (a corrupted file) reported, naming the file.
TEST(Bm25Mapped, IdsStayInTheFileUntilAskedFor) {
  Bm25Index index;
  index.add({"doc-a", "doc-b", "doc-c"}, {"renal cyst", "lung nodule", "renal mass"});
  const std::string bytes = saved(index);
  {
    const Bm25Index v = view(bytes);
    EXPECT_EQ(v.size(), 3u);
    EXPECT_EQ(saved(v), bytes);  // the ids copied as they are mapped
    ASSERT_EQ(v.search("renal", 3).size(), 2u);
    EXPECT_EQ(v.id(2), "doc-c");
    EXPECT_EQ(v.find("doc-b"), 1);
    EXPECT_EQ(v.find("doc-z"), -1);
  }
  std::string dup = bytes;
  const std::size_t at = dup.find("doc-b");
  ASSERT_NE(at, std::string::npos);
  dup[at + 4] = 'a';  // two documents named doc-a
  const Bm25Index v = view(dup);
  EXPECT_EQ(v.search("lung", 1).size(), 1u);
  try {
    (void)v.find("doc-a");
    FAIL() << "duplicate id accepted";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("idx/bm25.bin"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("duplicate document id 'doc-a'"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)v.id(0), FormatError);
  std::stringstream in(dup);
  EXPECT_THROW(Bm25Index::load(in, "copy"), FormatError);  // load() reads the ids and checks them at once
}
