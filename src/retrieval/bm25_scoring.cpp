// BM25 top-k scoring over posting lists: exhaustive term-at-a-time (the reference) and MaxScore
// (Turtle & Flood 1995, as PISA and Lucene use it), which skips documents that cannot enter the top k, with
// block-max bounds (Ding & Suel 2011) on the essential term when one remains, which skip whole blocks of it.
//
// Both compute a document's score as 0.0 + c_1 + c_2 + ... with c_i = weight_i * tf / (tf + norm) in the
// order of the query terms, so their scores are bit-identical; only the set of documents scored differs.
#include "retrieval/bm25_internal.h"
#include "retrieval/top_k.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

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

std::vector<Hit> maxscore_top_k(const std::vector<TermPostings>& terms, const double* norms,
                                const std::uint8_t* deleted, std::size_t k, Scratch& s) {
  const std::size_t n = terms.size();
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

}  // namespace

std::vector<Hit> top_k(const std::vector<TermPostings>& terms, const double* norms, const std::uint8_t* deleted,
                       std::size_t n_docs, std::size_t k, Scratch& s, bool exhaustive) {
  if (k == 0 || terms.empty()) return {};
  if (exhaustive || (terms.size() == 1 && terms[0].size <= k))
    return exhaustive_top_k(terms, norms, deleted, n_docs, k, s);
  return maxscore_top_k(terms, norms, deleted, k, s);
}

}  // namespace radlite::bm25_internal
