// Vocabulary of the BM25 index: term strings numbered densely in insertion order, looked up through an
// open-addressing hash table (power-of-two capacity, linear probing). std::unordered_map spent most of the
// indexing time in its prime-modulo bucket computation and node chasing. Internal to radlite.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace radlite {

class TermTable {
 public:
  static constexpr std::uint32_t kNone = 0xFFFFFFFFu;

  std::size_t size() const { return terms_.size(); }
  const std::string& term(std::uint32_t id) const { return terms_[id]; }

  /// The number of `term`, or kNone.
  std::uint32_t find(std::string_view term) const {
    if (slots_.empty()) return kNone;
    const std::uint64_t h = hash(term);
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const std::uint32_t s = slots_[i];
      if (s == kNone) return kNone;
      if (hashes_[s] == h && terms_[s] == term) return s;
    }
  }

  /// The number of `term`, adding it when absent; second is true when added.
  std::pair<std::uint32_t, bool> insert(std::string_view term) {
    if ((terms_.size() + 1) * 4 > slots_.size() * 3) grow();
    const std::uint64_t h = hash(term);
    std::size_t i = h & mask_;
    for (;; i = (i + 1) & mask_) {
      const std::uint32_t s = slots_[i];
      if (s == kNone) break;
      if (hashes_[s] == h && terms_[s] == term) return {s, false};
    }
    const auto id = static_cast<std::uint32_t>(terms_.size());
    slots_[i] = id;
    terms_.emplace_back(term);
    hashes_.push_back(h);
    return {id, true};
  }

  /// Drops the terms numbered `n` and above (used to undo a failed add()).
  void truncate(std::size_t n) {
    if (n >= terms_.size()) return;
    terms_.resize(n);
    hashes_.resize(n);
    rehash(slots_.size());
  }

  static std::uint64_t hash(std::string_view s) {
    const char* p = s.data();
    std::size_t n = s.size();
    std::uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xFF51AFD7ED558CCDull);
    while (n >= 8) {
      std::uint64_t v;
      std::memcpy(&v, p, 8);
      h = (h ^ v) * 0xBF58476D1CE4E5B9ull;
      h ^= h >> 29;
      p += 8;
      n -= 8;
    }
    // The last 0-7 bytes without a byte loop: two overlapping 4-byte loads, or three single bytes.
    std::uint64_t v = 0;
    if (n >= 4) {
      std::uint32_t lo, hi;
      std::memcpy(&lo, p, 4);
      std::memcpy(&hi, p + n - 4, 4);
      v = (static_cast<std::uint64_t>(hi) << 32) | lo;
    } else if (n > 0) {
      v = static_cast<std::uint64_t>(static_cast<unsigned char>(p[0])) |
          static_cast<std::uint64_t>(static_cast<unsigned char>(p[n / 2])) << 8 |
          static_cast<std::uint64_t>(static_cast<unsigned char>(p[n - 1])) << 16;
    }
    h = (h ^ v) * 0x94D049BB133111EBull;
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 29;
    return h;
  }

 private:
  void grow() { rehash(slots_.empty() ? 1024 : slots_.size() * 2); }
  void rehash(std::size_t capacity) {
    slots_.assign(capacity, kNone);
    mask_ = capacity - 1;
    for (std::uint32_t id = 0; id < terms_.size(); ++id) {
      std::size_t i = hashes_[id] & mask_;
      while (slots_[i] != kNone) i = (i + 1) & mask_;
      slots_[i] = id;
    }
  }

  std::vector<std::string> terms_;
  std::vector<std::uint64_t> hashes_;
  std::vector<std::uint32_t> slots_;  // term number or kNone
  std::size_t mask_ = 0;
};

}  // namespace radlite
