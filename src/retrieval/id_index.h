// The pipeline's map from live document ids to doc numbers (internal to radlite). Open addressing with linear
// probing over slots of {hash, doc}; the ids themselves stay where the segments keep them (in memory, or in
// the mapped offsets files) and are read back through `id_of(doc)` to confirm a match. The
// std::unordered_map<std::string, size_t> it replaces copied every id and allocated a node per document,
// which at a million documents was most of an index load.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "retrieval/term_table.h"

namespace radlite::retrieval_internal {

class IdIndex {
 public:
  std::size_t size() const { return size_; }

  /// Empties the index, with room for `expected` ids before it grows.
  void clear(std::size_t expected = 0) {
    std::size_t capacity = 16;
    while (capacity * 3 < expected * 4 + 4) capacity *= 2;
    slots_.assign(capacity, Slot{0, kEmpty});
    mask_ = capacity - 1;
    size_ = 0;
  }

  /// The doc number of `id`, or -1.
  template <class IdOf>
  std::int64_t find(std::string_view id, IdOf id_of) const {
    const std::size_t i = position(id, TermTable::hash(id), id_of);
    return i == kNotFound ? -1 : static_cast<std::int64_t>(slots_[i].doc);
  }

  /// Adds id -> doc; false (and nothing changes) when the id is already present.
  template <class IdOf>
  bool insert(std::string_view id, std::size_t doc, IdOf id_of) {
    const std::uint64_t h = TermTable::hash(id);
    if (position(id, h, id_of) != kNotFound) return false;
    if ((size_ + 1) * 4 > slots_.size() * 3) grow();
    std::size_t i = h & mask_;
    while (slots_[i].doc != kEmpty) i = (i + 1) & mask_;
    slots_[i] = Slot{h, doc};
    ++size_;
    return true;
  }

  /// Removes `id`; false when it was not present.
  template <class IdOf>
  bool erase(std::string_view id, IdOf id_of) {
    std::size_t i = position(id, TermTable::hash(id), id_of);
    if (i == kNotFound) return false;
    // Backward-shift deletion (Knuth, TAOCP vol. 3, algorithm 6.4R): later entries of the probe run move up
    // unless their home slot lies cyclically in (i, j], so every remaining id stays reachable without tombstones.
    for (std::size_t j = i;;) {
      j = (j + 1) & mask_;
      if (slots_[j].doc == kEmpty) break;
      const std::size_t home = slots_[j].hash & mask_;
      const bool stays = i < j ? (i < home && home <= j) : (i < home || home <= j);
      if (stays) continue;
      slots_[i] = slots_[j];
      i = j;
    }
    slots_[i].doc = kEmpty;
    --size_;
    return true;
  }

 private:
  static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};
  static constexpr std::size_t kNotFound = ~std::size_t{0};
  struct Slot {
    std::uint64_t hash;
    std::uint64_t doc;  // kEmpty: free
  };

  template <class IdOf>
  std::size_t position(std::string_view id, std::uint64_t h, IdOf& id_of) const {
    if (slots_.empty()) return kNotFound;
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.doc == kEmpty) return kNotFound;
      if (s.hash == h && id_of(static_cast<std::size_t>(s.doc)) == id) return i;
    }
  }

  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 16 : old.size() * 2, Slot{0, kEmpty});
    mask_ = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.doc == kEmpty) continue;
      std::size_t i = s.hash & mask_;
      while (slots_[i].doc != kEmpty) i = (i + 1) & mask_;
      slots_[i] = s;
    }
  }

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace radlite::retrieval_internal
