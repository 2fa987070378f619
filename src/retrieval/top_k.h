// Bounded top-k selection in radlite's ranking order (score desc, doc asc), internal to radlite.
#pragma once

#include <radlite/retrieval/hit.h>

#include <algorithm>
#include <vector>

namespace radlite {

class TopK {
 public:
  explicit TopK(std::size_t k) : k_(k) { heap_.reserve(std::min<std::size_t>(k, 1 << 16)); }

  // The heap keeps the worst kept hit at the front (a max-heap under "ranks after").
  void push(std::size_t doc, double score) {
    if (k_ == 0) return;
    const Hit h{doc, score};
    if (heap_.size() < k_) {
      heap_.push_back(h);
      std::push_heap(heap_.begin(), heap_.end(), ranks_before);
    } else if (ranks_before(h, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), ranks_before);
      heap_.back() = h;
      std::push_heap(heap_.begin(), heap_.end(), ranks_before);
    }
  }
  // True when a hit with this score could still enter (cheap pre-filter for scans).
  bool may_enter(double score) const { return heap_.size() < k_ || score >= heap_.front().score; }
  bool full() const { return heap_.size() >= k_; }
  // The score of the worst kept hit (only meaningful when full()).
  double threshold() const { return heap_.front().score; }

  std::vector<Hit> take() {
    std::sort(heap_.begin(), heap_.end(), ranks_before);
    return std::move(heap_);
  }

 private:
  std::size_t k_;
  std::vector<Hit> heap_;
};

}  // namespace radlite
