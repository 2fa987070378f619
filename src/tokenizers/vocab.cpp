// Vocab: the open-addressing token -> id map every model uses (see pipeline.h).
#include <algorithm>

#include "tokenizers/pipeline.h"

namespace radlite::tokenizers {

std::uint64_t Vocab::hash(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a, then a final mix for the low bits used as slot index
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 32;
  return h;
}

void Vocab::reserve(std::size_t n) {
  keys_.reserve(n);
  ids_.reserve(n);
  std::size_t slots = 16;
  while (slots < n * 2) slots *= 2;
  if (slots > slots_.size()) rehash(slots);
}

void Vocab::rehash(std::size_t slots) {
  slots_.assign(slots, -1);
  const std::size_t mask = slots - 1;
  for (std::size_t k = 0; k < keys_.size(); ++k) {
    std::size_t s = hash(keys_[k]) & mask;
    while (slots_[s] >= 0) s = (s + 1) & mask;
    slots_[s] = static_cast<std::int32_t>(k);
  }
}

void Vocab::insert(std::string token, std::int32_t id, bool last_wins) {
  if (last_wins && !slots_.empty()) {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t s = hash(token) & mask; slots_[s] >= 0; s = (s + 1) & mask) {
      const auto k = static_cast<std::size_t>(slots_[s]);
      if (keys_[k] != token) continue;
      ids_[k] = id;
      if (id >= 0) {
        if (static_cast<std::size_t>(id) >= by_id_.size()) by_id_.resize(static_cast<std::size_t>(id) + 1, -1);
        by_id_[static_cast<std::size_t>(id)] = static_cast<std::int32_t>(k);
      }
      ++duplicate_ids_;
      return;
    }
  }
  if (find(token) >= 0) return;
  if (slots_.empty() || (keys_.size() + 1) * 2 > slots_.size()) {
    keys_.push_back(std::move(token));
    ids_.push_back(id);
    rehash(std::max<std::size_t>(16, slots_.size() * 2));
  } else {
    const std::size_t mask = slots_.size() - 1;
    std::size_t s = hash(token) & mask;
    while (slots_[s] >= 0) s = (s + 1) & mask;
    slots_[s] = static_cast<std::int32_t>(keys_.size());
    keys_.push_back(std::move(token));
    ids_.push_back(id);
  }
  if (id >= 0) {
    if (static_cast<std::size_t>(id) >= by_id_.size()) by_id_.resize(static_cast<std::size_t>(id) + 1, -1);
    by_id_[static_cast<std::size_t>(id)] = static_cast<std::int32_t>(keys_.size() - 1);
  }
}

std::int32_t Vocab::find(std::string_view token) const {
  if (slots_.empty()) return -1;
  const std::size_t mask = slots_.size() - 1;
  std::size_t s = hash(token) & mask;
  while (slots_[s] >= 0) {
    const auto k = static_cast<std::size_t>(slots_[s]);
    if (keys_[k] == token) return ids_[k];
    s = (s + 1) & mask;
  }
  return -1;
}

const std::string* Vocab::token_of(std::int32_t id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= by_id_.size() || by_id_[static_cast<std::size_t>(id)] < 0)
    return nullptr;
  return &keys_[static_cast<std::size_t>(by_id_[static_cast<std::size_t>(id)])];
}

}  // namespace radlite::tokenizers
