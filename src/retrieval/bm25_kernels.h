// The float screening pass of BM25's document scan (internal to radlite): for every document of a range,
// an upper estimate of its score from dense per-document term frequencies, and the documents whose estimate
// can reach the current top-k threshold. The caller scores those exactly (in double, as every other path).
//
// As dense_kernels.h: the AVX2 variant's translation unit is compiled with -mavx2 -mfma, so it holds
// intrinsics and plain loops only, and the portable variant is the same arithmetic for CPUs without it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace radlite::bm25_kernels {

/// One query term for the scan: tf[d] = min(term frequency in document d, 255) for the documents of the range
/// (255 means "255 or more", screened as a ratio of 1), and its weight.
struct ScanTerm {
  const std::uint8_t* tf;
  float weight;
};

/// Relative margin of the screen. The float estimate of a score has a relative error of at most
/// (n + 6) * 2^-24 for n terms (each contribution: the norm, the sum, the quotient, the weight and the
/// product each rounded once; the sum of n positive values n - 1 times more). With at most kMaxScanTerms
/// terms that stays under 5e-6, twenty times below this margin.
constexpr float kScanMargin = 1e-4f;
constexpr std::size_t kMaxScanTerms = 64;

/// For d < count (documents of a range; tf and norms point at its first): s(d) = sum_j weight_j * tf_j[d] /
/// (tf_j[d] + float(norms[d])) in float. Writes each d with s(d) > 0 and s(d) * (1 + kScanMargin) >=
/// threshold to out (in increasing order) and returns how many. Every d whose exact score is >= threshold
/// is written.
std::size_t scan_candidates(const ScanTerm* terms, std::size_t n_terms, const double* norms, std::uint32_t count,
                            float threshold, std::uint32_t* out);

/// The same with AVX2 + FMA, 8 documents at a time. Only call when scan_avx2_available().
std::size_t scan_candidates_avx2(const ScanTerm* terms, std::size_t n_terms, const double* norms, std::uint32_t count,
                                 float threshold, std::uint32_t* out);

/// True when this build has the AVX2 kernel and the CPU supports AVX2 and FMA.
bool scan_avx2_available();

}  // namespace radlite::bm25_kernels
