// The BM25 index file (see Bm25Index::save in bm25.h). Version 2 ends in arrays aligned to 8 bytes from the
// start of the file, so a mapped file is scored in place (Bm25Index::view):
//
//   magic "RLBM25\0" | u32 version (2) | f64 k1 | f64 b | analyzer options | u64 documents | ids (u32 length +
//   bytes each) | u64 terms | terms (same) | u64 postings | pad | u32 lengths[documents] | pad |
//   u32 max_tf[terms] | u32 min_len[terms] | pad | u64 offsets[terms + 1] | {u32 doc, u32 tf} postings[] |
//   "RLBMEND\0"
//
// Version 1 (read by load(), and by view() through load()) wrote each term's postings after the term.
#include <radlite/error.h>
#include <radlite/retrieval/bm25.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>

#include "retrieval/binary_io.h"
#include "retrieval/bm25_internal.h"
#include "retrieval/mapped_file.h"

namespace radlite {
namespace {

using bm25_internal::Posting;
static_assert(sizeof(Posting) == 8, "postings are stored as two u32");

constexpr char kMagic[8] = "RLBM25\0";
constexpr char kEndMagic[8] = "RLBMEND";
constexpr std::uint32_t kFormatVersion = 2;
constexpr std::size_t kMaxString = 0xFFFFFFFFu;  // anything save() can write

std::uint64_t load_u64(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// What precedes the arrays: options, ids and terms (into `m`), and the version and counts.
struct Header {
  std::uint32_t version = 0;
  std::uint64_t docs = 0, terms = 0, postings = 0;
};

Bm25Options read_options(retrieval_io::Reader& r, Header& h) {
  r.expect_magic(kMagic, sizeof kMagic, "not a radlite BM25 index (bad magic)");
  h.version = r.u32("format version");
  if (h.version != 1 && h.version != kFormatVersion)
    r.fail("unsupported BM25 format version " + std::to_string(h.version) + " (this build reads 1 and " +
           std::to_string(kFormatVersion) + ")");
  Bm25Options o;
  o.k1 = r.f64("k1");
  o.b = r.f64("b");
  o.analyzer.lowercase = r.u8("lowercase") != 0;
  o.analyzer.stopwords = r.str("stopwords", kMaxString);
  const std::uint32_t n_extra = r.u32("extra stopword count");
  for (std::uint32_t i = 0; i < n_extra; ++i) o.analyzer.extra_stopwords.push_back(r.str("extra stopword", kMaxString));
  o.analyzer.stemmer = r.str("stemmer", kMaxString);
  o.analyzer.english_possessive = r.u8("english_possessive") != 0;
  o.analyzer.max_token_length = static_cast<std::size_t>(r.u64("max_token_length"));
  return o;
}

Bm25Index make_index(retrieval_io::Reader& r, const Bm25Options& o) {
  try {
    return Bm25Index(o);
  } catch (const InvalidArgument& e) {
    r.fail(std::string("invalid stored options: ") + e.what());
  }
}

// The ids (read, or with `data` the mapped file's ids located and left in place), and for version 2 the
// terms and the posting count.
void read_names(retrieval_io::Reader& r, Header& h, Bm25Index::Impl& m, const char* data = nullptr,
                std::size_t size = 0) {
  h.docs = r.u64("document count");
  if (h.docs >= std::numeric_limits<std::uint32_t>::max())
    r.fail("document count " + std::to_string(h.docs) + " too large");
  m.n_docs = static_cast<std::size_t>(h.docs);
  if (data) {
    // Each id's length is checked to stay within the file; the reader then continues after the last one.
    const std::size_t start = static_cast<std::size_t>(r.offset());
    std::size_t at = start;
    for (std::uint64_t i = 0; i < h.docs; ++i) {
      std::uint32_t len;
      if (size - at < 4) r.fail("truncated while reading document id");
      std::memcpy(&len, data + at, 4);
      if (size - at - 4 < len) r.fail("truncated while reading document id");
      at += 4 + std::size_t{len};
    }
    m.mapped_ids = data + start;
    m.mapped_id_bytes = at - start;
    m.ids_ready.store(false, std::memory_order_release);
    r.skip(at - start, "document ids");
  } else {
    for (std::uint64_t i = 0; i < h.docs; ++i) {
      std::string id = r.str("document id", kMaxString);
      if (!m.id_to_doc.emplace(id, static_cast<std::uint32_t>(i)).second) r.fail("duplicate document id '" + id + "'");
      m.ids.push_back(std::move(id));
    }
  }
  if (h.version == 1) return;  // lengths, then terms with their postings
  h.terms = r.u64("vocabulary size");
  if (h.terms >= TermTable::kNone) r.fail("vocabulary size " + std::to_string(h.terms) + " too large");
  for (std::uint64_t t = 0; t < h.terms; ++t) {
    std::string term = r.str("term", kMaxString);
    if (term.empty()) r.fail("empty term at vocabulary position " + std::to_string(t));
    if (!m.vocab.insert(term).second) r.fail("duplicate term '" + term + "'");
  }
  h.postings = r.u64("posting count");
  r.padding(8);
}

// Term lengths' totals, the length norms, and (with `all`) every term's postings checked against the
// lengths (each document's length is the sum of its tf): after this, the index is ready to search.
void finish(Bm25Index::Impl& m, bool check_all, const std::string& what) {
  for (std::uint32_t len : m.lengths) {
    m.total_terms += len;
    if (len > 0) ++m.docs_with_terms;
  }
  m.refresh_norms();
  m.block_cache.reset(m.terms());
  m.dense_cache.reset(m.terms());
  if (!check_all) return;
  std::vector<std::uint64_t> recount(m.n_docs, 0);
  for (std::uint32_t t = 0; t < m.terms(); ++t)
    for (const Posting& p : m.plist(t)) recount[p.doc] += p.tf;
  for (std::size_t d = 0; d < m.n_docs; ++d)
    if (recount[d] != m.lengths[d])
      throw FormatError(what + ": document " + std::to_string(d) + " length " + std::to_string(m.lengths[d]) +
                        " does not match its postings (" + std::to_string(recount[d]) + ")");
}

// Version 1: each term followed by its postings.
void read_v1_body(retrieval_io::Reader& r, Bm25Index::Impl& m, std::uint64_t n_docs) {
  r.array(m.lengths, n_docs, "document lengths");
  const std::uint64_t n_terms = r.u64("vocabulary size");
  for (std::uint64_t t = 0; t < n_terms; ++t) {
    std::string term = r.str("term", kMaxString);
    if (term.empty()) r.fail("empty term at vocabulary position " + std::to_string(t));
    if (n_terms >= TermTable::kNone) r.fail("vocabulary size " + std::to_string(n_terms) + " too large");
    if (!m.vocab.insert(term).second) r.fail("duplicate term '" + term + "'");
    const std::uint64_t df = r.u64("posting count");
    if (df == 0 || df > n_docs)
      r.fail("term '" + term + "' has " + std::to_string(df) + " postings for " + std::to_string(n_docs) +
             " documents");
    std::vector<Posting> plist;
    r.array(plist, df, "postings");
    for (std::size_t i = 0; i < plist.size(); ++i)
      if (plist[i].doc >= n_docs || (i > 0 && plist[i].doc <= plist[i - 1].doc) || plist[i].tf == 0)
        r.fail("corrupted postings of term '" + term + "'");
    m.postings.push_back(std::move(plist));
  }
  m.refresh_bounds(0);
}

// Checks the offsets table (starts at 0, rises strictly, each term in at most every document, ends at the
// posting count): the bounds every later read of a term's postings relies on.
void check_offsets(const char* offsets, const Header& h, const std::string& what) {
  std::uint64_t prev = load_u64(offsets);
  if (prev != 0) throw FormatError(what + ": posting offsets do not start at 0 (corrupted BM25 index)");
  for (std::uint64_t t = 1; t <= h.terms; ++t) {
    const std::uint64_t v = load_u64(offsets + 8 * t);
    if (v <= prev || v - prev > h.docs || v > h.postings)
      throw FormatError(what + ": corrupted posting offsets at term " + std::to_string(t - 1) +
                        " (corrupted BM25 index)");
    prev = v;
  }
  if (prev != h.postings)
    throw FormatError(what + ": posting offsets end at " + std::to_string(prev) + ", not at the posting count " +
                      std::to_string(h.postings));
}

}  // namespace

void Bm25Index::Impl::check_term(std::uint32_t t) const {
  std::uint64_t a = load_u64(mapped_offsets + 8 * std::size_t{t}),
                b = load_u64(mapped_offsets + 8 * (std::size_t{t} + 1));
  const Posting* p = mapped_postings + a;
  const std::size_t n = static_cast<std::size_t>(b - a);
  for (std::size_t i = 0; i < n; ++i)
    if (p[i].doc >= n_docs || (i > 0 && p[i].doc <= p[i - 1].doc) || p[i].tf == 0 || p[i].tf > max_tf[t] ||
        lengths[p[i].doc] < min_len[t])
      throw FormatError(what + ": corrupted postings of term '" + vocab.term(t) + "'");
  checked[t].store(true, std::memory_order_release);
}

void Bm25Index::Impl::need_ids() const {
  if (ids_ready.load(std::memory_order_acquire)) return;
  std::lock_guard<std::mutex> lock(ids_mutex);
  if (ids_ready.load(std::memory_order_relaxed)) return;
  std::vector<std::string> all;
  std::unordered_map<std::string, std::uint32_t> to_doc;
  all.reserve(n_docs);
  to_doc.reserve(n_docs);
  each_id([&](std::string_view id) {
    if (!to_doc.emplace(std::string(id), static_cast<std::uint32_t>(all.size())).second)
      throw FormatError(what + ": duplicate document id '" + std::string(id) + "' (corrupted BM25 index)");
    all.emplace_back(id);
  });
  ids = std::move(all);
  id_to_doc = std::move(to_doc);
  ids_ready.store(true, std::memory_order_release);
}

void Bm25Index::Impl::own() {
  need_ids();  // before the mapping they are read from goes
  if (!mapped) return;
  postings.resize(terms());
  for (std::uint32_t t = 0; t < terms(); ++t) {
    const bm25_internal::PostingSpan s = plist(t);
    postings[t].assign(s.begin(), s.end());
  }
  mapped = false;
  mapped_postings = nullptr;
  mapped_offsets = nullptr;
  checked.reset();
  owner.reset();
}

void Bm25Index::save(std::ostream& out) const {
  const Impl& m = *impl_;
  retrieval_io::Writer w(out);
  w.bytes(kMagic, sizeof kMagic);
  w.u32(kFormatVersion);
  w.f64(m.options.k1);
  w.f64(m.options.b);
  const AnalyzerOptions& a = m.options.analyzer;
  w.u8(a.lowercase ? 1 : 0);
  w.str(a.stopwords);
  w.u32(static_cast<std::uint32_t>(a.extra_stopwords.size()));
  for (const auto& s : a.extra_stopwords) w.str(s);
  w.str(a.stemmer);
  w.u8(a.english_possessive ? 1 : 0);
  w.u64(a.max_token_length);
  w.u64(m.n_docs);
  if (m.ids_ready.load(std::memory_order_acquire))
    for (const auto& id : m.ids) w.str(id);
  else
    w.bytes(m.mapped_ids, m.mapped_id_bytes);  // the same u32 length + bytes records, as mapped
  w.u64(m.terms());
  for (std::uint32_t t = 0; t < m.terms(); ++t) w.str(m.vocab.term(t));
  std::uint64_t total = 0;
  for (std::uint32_t t = 0; t < m.terms(); ++t) total += m.plist(t).size;
  w.u64(total);
  w.pad(8);
  w.bytes(m.lengths.data(), m.lengths.size() * sizeof(std::uint32_t));
  w.pad(8);
  w.bytes(m.max_tf.data(), m.terms() * sizeof(std::uint32_t));
  w.bytes(m.min_len.data(), m.terms() * sizeof(std::uint32_t));
  w.pad(8);
  std::uint64_t at = 0;
  w.u64(at);
  for (std::uint32_t t = 0; t < m.terms(); ++t) w.u64(at += m.plist(t).size);
  for (std::uint32_t t = 0; t < m.terms(); ++t) {
    const bm25_internal::PostingSpan s = m.plist(t);
    w.bytes(s.data, s.size * sizeof(Posting));
  }
  w.bytes(kEndMagic, sizeof kEndMagic);
}

Bm25Index Bm25Index::load(std::istream& in, const std::string& what) {
  retrieval_io::Reader r(in, what);
  Header h;
  Bm25Index index = make_index(r, read_options(r, h));
  Impl& m = *index.impl_;
  read_names(r, h, m);
  if (h.version == 1) {
    read_v1_body(r, m, h.docs);
    r.expect_magic(kEndMagic, sizeof kEndMagic, "bad end marker (corrupted or truncated BM25 index)");
    finish(m, true, what);
    return index;
  }
  r.array(m.lengths, h.docs, "document lengths");
  r.padding(8);
  r.array(m.max_tf, h.terms, "term bounds");
  r.array(m.min_len, h.terms, "term bounds");
  r.padding(8);
  std::vector<std::uint64_t> offsets;
  r.array(offsets, h.terms + 1, "posting offsets");
  check_offsets(reinterpret_cast<const char*>(offsets.data()), h, what);
  std::vector<Posting> flat;
  r.array(flat, h.postings, "postings");
  r.expect_magic(kEndMagic, sizeof kEndMagic, "bad end marker (corrupted or truncated BM25 index)");
  // Checked as a view of the flat array, then copied per term.
  m.mapped = true;
  m.mapped_postings = flat.data();
  m.mapped_offsets = reinterpret_cast<const char*>(offsets.data());
  m.checked = std::make_unique<std::atomic<bool>[]>(h.terms);
  m.what = what;
  finish(m, true, what);
  m.own();
  return index;
}

Bm25Index Bm25Index::view(const char* data, std::size_t size, std::shared_ptr<const void> owner,
                          const std::string& what, bool check_postings) {
  retrieval_internal::MappedStream in(data, size);
  retrieval_io::Reader r(in, what);
  Header h;
  const Bm25Options options = read_options(r, h);
  if (h.version == 1 || reinterpret_cast<std::uintptr_t>(data) % 8 != 0) {
    retrieval_internal::MappedStream again(data, size);  // version 1 (or unaligned memory): read by copying
    return load(again, what);
  }
  Bm25Index index = make_index(r, options);
  Impl& m = *index.impl_;
  read_names(r, h, m, data, size);
  // The exact size, without overflow: counts are bounded by the bytes left before anything is allocated.
  const std::uint64_t start = r.offset(), left = size - start;
  const std::uint64_t len_bytes = (4 * h.docs + 7) / 8 * 8, bound_bytes = (8 * h.terms + 7) / 8 * 8;
  if (h.docs > left / 4 || h.terms > left / 16 || h.postings > left / 8 ||
      len_bytes + bound_bytes + 8 * (h.terms + 1) + 8 * h.postings + sizeof kEndMagic != left)
    throw FormatError(what + ": " + std::to_string(size) + " bytes do not hold " + std::to_string(h.docs) +
                      " documents, " + std::to_string(h.terms) + " terms and " + std::to_string(h.postings) +
                      " postings (truncated or corrupted BM25 index)");
  r.array(m.lengths, h.docs, "document lengths");
  r.padding(8);
  r.array(m.max_tf, h.terms, "term bounds");
  r.array(m.min_len, h.terms, "term bounds");
  r.padding(8);
  const char* offsets = data + r.offset();
  check_offsets(offsets, h, what);
  if (std::memcmp(data + size - sizeof kEndMagic, kEndMagic, sizeof kEndMagic) != 0)
    throw FormatError(what + ": bad end marker (corrupted or truncated BM25 index)");
  m.mapped = true;
  m.mapped_offsets = offsets;
  m.mapped_postings = reinterpret_cast<const Posting*>(offsets + 8 * (h.terms + 1));
  m.checked = std::make_unique<std::atomic<bool>[]>(h.terms);
  m.what = what;
  m.owner = std::move(owner);
  finish(m, check_postings, what);
  return index;
}

}  // namespace radlite
