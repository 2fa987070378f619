// Small stand-ins for the model roles (radlite/text_models.h) used by the pipeline and CLI tests: they
// implement the interfaces with simple, predictable arithmetic so tests can compute expected rankings.
#pragma once

#include <algorithm>
#include <cctype>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "radlite/text_models.h"

namespace radlite::test_models {

inline std::vector<std::string> words_of(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      cur += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!cur.empty()) {
      out.push_back(cur);
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

// A bag-of-words "bi-encoder": word counts hashed into `dim` buckets, so cosine similarity measures word
// overlap. It records every text it was asked to encode.
class HashingEncoder : public TextEncoder {
 public:
  explicit HashingEncoder(std::size_t dim = 64, std::string identity = "test-hashing-bow-64")
      : dim_(dim), identity_(std::move(identity)) {}
  Matrix encode_texts(const std::vector<std::string>& texts) const override {
    Matrix m(texts.size(), dim_);
    for (std::size_t i = 0; i < texts.size(); ++i)
      for (const auto& w : words_of(texts[i])) m(i, std::hash<std::string>{}(w) % dim_) += 1.0f;
    std::lock_guard<std::mutex> lock(mu_);
    seen_.insert(seen_.end(), texts.begin(), texts.end());
    ++calls_;
    return m;
  }
  std::size_t dimension() const override { return dim_; }
  std::string identity() const override { return identity_; }
  std::vector<std::string> seen() const {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }
  std::size_t calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  std::size_t dim_;
  std::string identity_;
  mutable std::mutex mu_;
  mutable std::vector<std::string> seen_;
  mutable std::size_t calls_ = 0;
};

// A "cross-encoder": logit = 6 * (fraction of distinct query words in the document) - 3, minus a small
// length penalty, so it ranks differently from both BM25 and the hashing encoder.
class OverlapScorer : public PairScorer {
 public:
  std::vector<float> score_pairs(const std::string& query, const std::vector<std::string>& docs) const override {
    std::vector<std::string> q = words_of(query);
    std::set<std::string> qs(q.begin(), q.end());
    std::vector<float> out;
    for (const auto& d : docs) {
      std::vector<std::string> dw = words_of(d);
      std::set<std::string> ds(dw.begin(), dw.end());
      std::size_t hit = 0;
      for (const auto& w : qs) hit += ds.count(w);
      out.push_back(static_cast<float>(6.0 * hit / std::max<std::size_t>(1, qs.size()) - 3.0 - 0.01 * dw.size()));
    }
    std::lock_guard<std::mutex> lock(mu_);
    last_docs_ = docs;
    pairs_ += docs.size();
    return out;
  }
  std::string identity() const override { return "test-overlap-scorer"; }
  std::size_t pairs() const {
    std::lock_guard<std::mutex> lock(mu_);
    return pairs_;
  }
  std::vector<std::string> last_docs() const {
    std::lock_guard<std::mutex> lock(mu_);
    return last_docs_;
  }

 private:
  mutable std::mutex mu_;
  mutable std::vector<std::string> last_docs_;
  mutable std::size_t pairs_ = 0;
};

}  // namespace radlite::test_models
