// BM25 top-k scoring over posting lists: exhaustive term-at-a-time (the reference) and MaxScore
// (Turtle & Flood 1995, as PISA and Lucene use it), which skips documents that cannot enter the top k, with
// block-max bounds (Ding & Suel 2011) on the essential term when one remains, which skip whole blocks of it.
//
// A query of frequent terms only (each in at least 1 / kDenseFraction of the documents: "w10 w11 w13" in a
// report archive) defeats both bounds, since every document nearly reaches them; such a query is answered by a
// scan instead: every document's score is estimated in float from dense term frequencies, 8 documents per
// instruction, and only those whose estimate can reach the k-th score so far are scored exactly.
//
// All compute a document's score as 0.0 + c_1 + c_2 + ... with c_i = weight_i * tf / (tf + norm) in the
// order of the query terms, so their scores are bit-identical; only the set of documents scored differs.
#include "retrieval/bm25_internal.h"
#include "retrieval/bm25_kernels.h"
#include "retrieval/top_k.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace radlite::bm25_internal {
namespace {

constexpr std::size_t kPrefetchAhead = 16;

inline double contribution(double weight, std::uint32_t tf_count, double norm) {
  const double tf = static_cast<double>(tf_count);
  return weight * tf / (tf + norm);
}

std::vector<Hit> exhaustive_top_k(const std::vector<TermPostings>& terms, const double* norms,
                                  const std::uint8_t* deleted, std::size_t n_docs, std::size_t k, Scratch& s) {
  std::size_t total_postings = 0;
  for (const auto& t : terms) total_postings += t.size;
  TopK top(k);
  // A dense accumulator costs O(N) to allocate and clear; when the query touches few postings, sorting the
  // contributions is cheaper. Both sum a document's contributions in query-term order.
  if (s.acc.size() < n_docs && total_postings * 16 < n_docs) {
    s.contributions.clear();
    for (const auto& t : terms)
      for (std::size_t i = 0; i < t.size; ++i) {
        const Posting& p = t.data[i];
        if (deleted && deleted[p.doc]) continue;
        s.contributions.emplace_back(p.doc, contribution(t.weight, p.tf, norms[p.doc]));
      }
    std::stable_sort(s.contributions.begin(), s.contributions.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t i = 0; i < s.contributions.size();) {
      const std::uint32_t doc = s.contributions[i].first;
      double sum = 0.0;
      for (; i < s.contributions.size() && s.contributions[i].first == doc; ++i) sum += s.contributions[i].second;
      top.push(doc, sum);
    }
    return top.take();
  }
  if (s.acc.size() < n_docs) s.acc.assign(n_docs, 0.0);
  s.touched.clear();
  double* acc = s.acc.data();
  for (const auto& t : terms)
    for (std::size_t i = 0; i < t.size; ++i) {
      const Posting& p = t.data[i];
      if (deleted && deleted[p.doc]) continue;
      // A contribution is > 0 for every term a document contains, so 0 marks "not yet touched".
      if (acc[p.doc] == 0.0) s.touched.push_back(p.doc);
      acc[p.doc] += contribution(t.weight, p.tf, norms[p.doc]);
    }
  for (std::uint32_t d : s.touched) {
    top.push(d, acc[d]);
    acc[d] = 0.0;
  }
  return top.take();
}

// First position >= from in `t` whose doc is >= doc: a short linear scan (MaxScore's targets are mostly a
// few postings ahead, where a scan beats the mispredicted branches of a search), then galloping and a
// binary search.
std::size_t seek(const TermPostings& t, std::size_t from, std::uint32_t doc) {
  for (const std::size_t near = std::min(t.size, from + 8); from < near; ++from)
    if (t.data[from].doc >= doc) return from;
  std::size_t step = 1, hi = from;
  while (hi < t.size && t.data[hi].doc < doc) {
    from = hi + 1;
    hi += step;
    step *= 2;
  }
  hi = std::min(hi, t.size);
  return static_cast<std::size_t>(
      std::lower_bound(t.data + from, t.data + hi, doc, [](const Posting& p, std::uint32_t d) { return p.doc < d; }) -
      t.data);
}

// The scan (see the top of this file) of the documents from `from` on, into `top` (threshold: its k-th score
// once full), over ranges of documents. A term with dense frequencies is read in place; a rarer one's postings
// in the range are spread into a range-sized buffer first. Candidates come in increasing doc order, as in
// MaxScore, which may hand its top k over to this halfway.
void scan_from(const std::vector<TermPostings>& terms, const double* norms, const std::uint8_t* deleted,
               std::size_t from, std::size_t n_docs, TopK& top, double& threshold, Scratch& s, bool avx2) {
  const std::size_t n = terms.size();
  constexpr std::size_t kMaxRange = 8192;
  bm25_kernels::ScanTerm scan[bm25_kernels::kMaxScanTerms];
  std::size_t sparse = 0;  // terms without dense frequencies, each given kMaxRange bytes of s.spread
  std::size_t slot[bm25_kernels::kMaxScanTerms];
  std::size_t pos[bm25_kernels::kMaxScanTerms];
  for (std::size_t j = 0; j < n; ++j) {
    const TermPostings& t = terms[j];
    scan[j].weight = static_cast<float>(t.weight);
    if (t.dense) continue;
    slot[j] = sparse++;
    pos[j] = static_cast<std::size_t>(std::lower_bound(t.data, t.data + t.size, from, [](const Posting& p, std::size_t d) {
                                        return p.doc < d;
                                      }) - t.data);
  }
  s.spread.resize(sparse * kMaxRange);
  const auto screen = avx2 ? bm25_kernels::scan_candidates_avx2 : bm25_kernels::scan_candidates;
  s.candidates.resize(kMaxRange);
  // Short ranges first when the top k is not full yet and most documents are candidates.
  std::size_t range = top.full() ? kMaxRange : 64;
  for (std::size_t begin = from; begin < n_docs; begin += range, range = std::min(kMaxRange, range * 2)) {
    const std::size_t end = std::min(n_docs, begin + range);
    for (std::size_t j = 0; j < n; ++j) {
      const TermPostings& t = terms[j];
      if (t.dense) {
        scan[j].tf = t.dense + begin;
        continue;
      }
      std::uint8_t* local = s.spread.data() + slot[j] * kMaxRange;
      std::memset(local, 0, end - begin);
      std::size_t& p = pos[j];
      for (; p < t.size && t.data[p].doc < end; ++p)
        local[t.data[p].doc - begin] = static_cast<std::uint8_t>(std::min<std::uint32_t>(t.data[p].tf, 255));
      scan[j].tf = local;
    }
    // The float threshold is rounded down so it never exceeds the exact one.
    const float limit = std::nextafter(static_cast<float>(threshold), -std::numeric_limits<float>::infinity());
    const std::size_t found =
        screen(scan, n, norms + begin, static_cast<std::uint32_t>(end - begin), limit, s.candidates.data());
    for (std::size_t c = 0; c < found; ++c) {
      const std::uint32_t i = s.candidates[c];
      const std::uint32_t doc = static_cast<std::uint32_t>(begin) + i;
      if (deleted && deleted[doc]) continue;
      double score = 0.0;
      for (std::size_t j = 0; j < n; ++j) {
        std::uint32_t tf = scan[j].tf[i];
        if (tf == 0) continue;
        if (tf == 255) {  // 255 or more: the exact count is in the postings
          const TermPostings& t = terms[j];
          tf = std::lower_bound(t.data, t.data + t.size, doc, [](const Posting& q, std::uint32_t d) {
                 return q.doc < d;
               })->tf;
        }
        score += contribution(terms[j].weight, tf, norms[doc]);
      }
      if (!top.full() || score > threshold) {
        top.push(doc, score);
        if (top.full()) threshold = top.threshold();
      }
    }
  }
}

enum class HandOver { kNever, kWhenCheaper, kAlways };

// MaxScore. With HandOver::kWhenCheaper it counts its work as it goes and, once its rate exceeds what a scan
// of the same documents costs, hands its top k over to a scan of the rest (both go in doc order, so the scan
// continues exactly where MaxScore stands). kAlways hands over at the first check (for tests).
std::vector<Hit> maxscore_top_k(const std::vector<TermPostings>& terms, const double* norms,
                                const std::uint8_t* deleted, std::size_t n_docs, std::size_t k, Scratch& s,
                                HandOver hand_over, bool avx2) {
  const std::size_t n = terms.size();
  // Work in units of one posting screened by the lone-essential filter (a few ns); a document that reaches
  // the general loop costs about kDocUnits, and the scan about scan_units per document (with 1.5x in favour
  // of staying). The constants come from timing both on the 1M-document benchmark of bench_scale.
  constexpr double kDocUnits = 8.0;
  const double scan_units = 1.5 * (0.04 + 0.07 * static_cast<double>(n));
  const double scan_full = scan_units * static_cast<double>(n_docs);
  double work = 0.0, checkpoint_work = 0.0;
  std::size_t visits = 0, checkpoint_doc = 0;
  // Terms by ascending upper bound; bound_prefix[m] = sum of the bounds of the m + 1 smallest.
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::vector<double> bound(n);
  for (std::size_t i = 0; i < n; ++i) bound[i] = terms[i].weight * terms[i].max_ratio;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return bound[a] < bound[b]; });
  std::vector<double> bound_prefix(n);
  double run = 0.0;
  for (std::size_t m = 0; m < n; ++m) bound_prefix[m] = run += bound[order[m]];
  // Upper bounds are sums in a different order than the scores; a relative slack keeps rounding from
  // skipping a document whose exact score reaches the threshold.
  auto below = [](double upper, double threshold) { return upper * (1.0 + 1e-12) + 1e-300 < threshold; };

  s.cursor.assign(n, 0);
  std::vector<double> c(n);
  std::vector<std::uint8_t> has(n);
  TopK top(k);
  double threshold = -std::numeric_limits<double>::infinity();
  std::size_t first_essential = 0;  // order[0 .. first_essential) are non-essential: they alone cannot enter
  std::size_t bm_list = n, bm_block = 0;  // the essential term and block last judged by its block bound
  bool bm_may_enter = true;
  for (;;) {
    if (top.full() && first_essential + 1 == n) {
      // One essential term (the usual case once the top k is full, and the costly one when that term is
      // frequent): with every other term at its global bound, a whole block of its postings is skipped when the
      // block's bound cannot reach the threshold (block-max, judged once per block), and inside a block each
      // document that cannot, before the bookkeeping below.
      const std::size_t e = order[n - 1];
      const TermPostings& t = terms[e];
      const double others = n > 1 ? bound_prefix[n - 2] : 0.0;
      std::size_t& pos = s.cursor[e];
      while (pos < t.size) {
        const std::size_t b = pos / kBlockPostings;
        if (bm_list != e || bm_block != b) {
          bm_list = e;
          bm_block = b;
          const BlockMax& m = t.blocks[b];
          bm_may_enter = !below(t.weight * ratio_bound(m.max_tf, m.min_len, t.k1, t.b, t.avg) + others, threshold);
        }
        if (!bm_may_enter) {
          pos = (b + 1) * kBlockPostings;
          continue;
        }
        // Inside the block: skip while w * tf / (tf + norm) < need, tested without the division as
        // w * tf < need * (tf + norm) with a margin of 1e-9 of the threshold, far above rounding, so that a
        // skipped document also fails the exact test above; the rest go through it.
        const double need = threshold - others - 1e-9 * std::abs(threshold);
        const std::size_t block_end = std::min(t.size, (b + 1) * kBlockPostings);
        work += static_cast<double>(block_end - pos);  // counted whole: the loop may stop early
        while (pos < block_end) {
          const Posting p = t.data[pos];
          if (pos + kPrefetchAhead < t.size) __builtin_prefetch(norms + t.data[pos + kPrefetchAhead].doc);
          const double tf = static_cast<double>(p.tf);
          if (t.weight * tf >= need * (tf + norms[p.doc])) break;
          ++pos;
        }
        if (pos < block_end) break;
      }
    }
    std::uint32_t doc = std::numeric_limits<std::uint32_t>::max();
    for (std::size_t m = first_essential; m < n; ++m) {
      const TermPostings& t = terms[order[m]];
      const std::size_t pos = s.cursor[order[m]];
      if (pos < t.size) doc = std::min(doc, t.data[pos].doc);
    }
    if (doc == std::numeric_limits<std::uint32_t>::max()) break;
    if (hand_over != HandOver::kNever && (++visits & 255) == 0) {
      // MaxScore is costliest at the start, while the threshold is low: its rate is judged from a checkpoint
      // taken after 5% of a whole scan's cost, and compared once it has spent 15%.
      work += 256 * kDocUnits;
      if (work >= 0.05 * scan_full && checkpoint_doc == 0) {
        checkpoint_doc = doc;
        checkpoint_work = work;
      } else if (hand_over == HandOver::kAlways ||
                 (work >= 0.15 * scan_full && doc > checkpoint_doc &&
                  work - checkpoint_work > scan_units * static_cast<double>(doc - checkpoint_doc))) {
        scan_from(terms, norms, deleted, doc, n_docs, top, threshold, s, avx2);
        return top.take();
      }
    }
    std::fill(has.begin(), has.end(), 0);
    double partial = 0.0;
    for (std::size_t m = first_essential; m < n; ++m) {
      const std::size_t i = order[m];
      const TermPostings& t = terms[i];
      std::size_t& pos = s.cursor[i];
      if (pos < t.size && t.data[pos].doc == doc) {
        c[i] = contribution(t.weight, t.data[pos].tf, norms[doc]);
        has[i] = 1;
        partial += c[i];
        ++pos;
        // The norms of the candidates ahead are scattered over an array of N doubles: fetch them early.
        if (pos + kPrefetchAhead < t.size) __builtin_prefetch(norms + t.data[pos + kPrefetchAhead].doc);
      }
    }
    if (deleted && deleted[doc]) continue;
    bool skip = false;
    for (std::size_t m = first_essential; m-- > 0;) {
      if (below(partial + bound_prefix[m], threshold)) {
        skip = true;
        break;
      }
      const std::size_t i = order[m];
      const TermPostings& t = terms[i];
      std::size_t& pos = s.cursor[i];
      pos = seek(t, pos, doc);
      if (pos < t.size && t.data[pos].doc == doc) {
        c[i] = contribution(t.weight, t.data[pos].tf, norms[doc]);
        has[i] = 1;
        partial += c[i];
      }
    }
    if (skip) continue;
    double score = 0.0;
    for (std::size_t i = 0; i < n; ++i)
      if (has[i]) score += c[i];
    // Documents come in increasing order, so an equal score never outranks a kept one (ties: doc asc).
    if (!top.full() || score > threshold) {
      top.push(doc, score);
      if (top.full()) {
        threshold = top.threshold();
        while (first_essential < n && below(bound_prefix[first_essential], threshold)) ++first_essential;
        if (first_essential == n) break;
      }
    }
  }
  return top.take();
}

// kScan applies: every term has dense frequencies, there are few enough terms for the screen's error bound,
// and the float estimate cannot overflow (k1 and the weights far inside float's range).
bool can_scan(const std::vector<TermPostings>& terms) {
  if (terms.size() > bm25_kernels::kMaxScanTerms) return false;
  for (const auto& t : terms)
    if (!(t.weight <= 1e30) || !(t.k1 <= 1e6)) return false;
  return true;
}

// kAuto scans from the start when every term is in at least 1 / kScanFraction of the documents (then MaxScore
// rarely beats a scan); otherwise it starts with MaxScore, which may hand over to a scan.
constexpr std::size_t kScanFraction = 64;
bool prefer_scan(const std::vector<TermPostings>& terms, std::size_t n_docs) {
  for (const auto& t : terms)
    if (t.size * kScanFraction < n_docs) return false;
  return true;
}

}  // namespace


std::vector<Hit> top_k(const std::vector<TermPostings>& terms, const double* norms, const std::uint8_t* deleted,
                       std::size_t n_docs, std::size_t k, Scratch& s, Strategy strategy, bool allow_avx2) {
  if (k == 0 || terms.empty()) return {};
  const bool avx2 = allow_avx2 && bm25_kernels::scan_avx2_available();
  const bool scannable = can_scan(terms);
  if (strategy == Strategy::kAuto && scannable && prefer_scan(terms, n_docs)) strategy = Strategy::kScan;
  if (strategy == Strategy::kScan) {
    if (!scannable) throw std::logic_error("bm25: too many query terms, or weights too large, for a scan");
    TopK top(k);
    double threshold = -std::numeric_limits<double>::infinity();
    scan_from(terms, norms, deleted, 0, n_docs, top, threshold, s, avx2);
    return top.take();
  }
  if (strategy == Strategy::kExhaustive || (terms.size() == 1 && terms[0].size <= k))
    return exhaustive_top_k(terms, norms, deleted, n_docs, k, s);
  const HandOver hand_over = !scannable || strategy == Strategy::kMaxScore ? HandOver::kNever
                             : strategy == Strategy::kMaxScoreThenScan  ? HandOver::kAlways
                                                                        : HandOver::kWhenCheaper;
  return maxscore_top_k(terms, norms, deleted, n_docs, k, s, hand_over, avx2);
}

}  // namespace radlite::bm25_internal

namespace radlite::bm25_kernels {

std::size_t scan_candidates(const ScanTerm* terms, std::size_t n_terms, const double* norms, std::uint32_t count,
                            float threshold, std::uint32_t* out) {
  std::size_t found = 0;
  for (std::uint32_t d = 0; d < count; ++d) {
    const float norm = static_cast<float>(norms[d]);
    float acc = 0.0f;
    for (std::size_t j = 0; j < n_terms; ++j) {
      const std::uint8_t b = terms[j].tf[d];
      if (b == 0) continue;
      const float tf = b == 255 ? 1e30f : static_cast<float>(b);
      acc += terms[j].weight * (tf / std::max(tf + norm, 1e-30f));
    }
    if (acc > 0.0f && acc * (1.0f + kScanMargin) >= threshold) out[found++] = d;
  }
  return found;
}

}  // namespace radlite::bm25_kernels
