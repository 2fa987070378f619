// The Aho-Corasick automaton of added-token matching: see added_tokens.h.
#include "tokenizers/added_tokens.h"

#include <algorithm>

namespace radlite::tokenizers {

void AddedTokenMatcher::add(std::string_view pattern, std::size_t token_index) {
  if (pattern.empty()) return;
  if (building_.empty()) {
    building_.emplace_back();
    token_.push_back(-1);
    depth_.push_back(0);
  }
  std::int32_t node = 0;
  for (const char ch : pattern) {
    const auto c = static_cast<unsigned char>(ch);
    auto& edges = building_[static_cast<std::size_t>(node)];
    auto it = std::find_if(edges.begin(), edges.end(), [c](const auto& e) { return e.first == c; });
    if (it != edges.end()) {
      node = it->second;
      continue;
    }
    const auto next = static_cast<std::int32_t>(building_.size());
    edges.emplace_back(c, next);
    building_.emplace_back();
    token_.push_back(-1);
    depth_.push_back(depth_[static_cast<std::size_t>(node)] + 1);
    node = next;
  }
  if (token_[static_cast<std::size_t>(node)] < 0) {
    token_[static_cast<std::size_t>(node)] = static_cast<std::int32_t>(token_index);
    ++terminal_count_;
  }
}

std::int32_t AddedTokenMatcher::child(std::int32_t node, unsigned char c) const {
  const auto begin = labels_.begin() + first_edge_[static_cast<std::size_t>(node)];
  const auto end = labels_.begin() + first_edge_[static_cast<std::size_t>(node) + 1];
  const auto it = std::lower_bound(begin, end, c);
  if (it == end || *it != c) return -1;
  return targets_[static_cast<std::size_t>(it - labels_.begin())];
}

void AddedTokenMatcher::finish() {
  if (!first_edge_.empty()) return;  // already finished
  const std::size_t n = building_.size();
  first_edge_.assign(n + 1, 0);
  labels_.clear();
  targets_.clear();
  for (std::size_t k = 0; k < n; ++k) {
    auto& edges = building_[k];
    std::sort(edges.begin(), edges.end());
    first_edge_[k] = static_cast<std::int32_t>(labels_.size());
    for (const auto& [c, next] : edges) {
      labels_.push_back(c);
      targets_.push_back(next);
    }
  }
  first_edge_[n] = static_cast<std::int32_t>(labels_.size());
  // Failure links in breadth-first order: a node's fail is the longest proper suffix of its text that is a trie
  // path; output_ follows them to the longest pattern that ends at the node.
  fail_.assign(n, 0);
  output_.assign(n, -1);
  std::vector<std::int32_t> queue;
  queue.reserve(n);
  if (n > 0) queue.push_back(0);
  for (std::size_t q = 0; q < queue.size(); ++q) {
    const std::int32_t node = queue[q];
    const auto u = static_cast<std::size_t>(node);
    output_[u] = token_[u] >= 0 ? node : (node == 0 ? -1 : output_[static_cast<std::size_t>(fail_[u])]);
    for (std::int32_t e = first_edge_[u]; e < first_edge_[u + 1]; ++e) {
      const unsigned char c = labels_[static_cast<std::size_t>(e)];
      const std::int32_t next = targets_[static_cast<std::size_t>(e)];
      std::int32_t f = node == 0 ? -1 : fail_[u];
      std::int32_t target = 0;
      while (f >= 0) {
        const std::int32_t t = child(f, c);
        if (t >= 0) {
          target = t;
          break;
        }
        f = f == 0 ? -1 : fail_[static_cast<std::size_t>(f)];
      }
      fail_[static_cast<std::size_t>(next)] = target;
      queue.push_back(next);
    }
  }
  building_.clear();
  building_.shrink_to_fit();
}

// One pass of the automaton from `from`. The best match so far (leftmost, then longest) is final once the
// automaton's current state no longer reaches back to its start: no match beginning there or earlier can end
// later. A match beginning earlier than the best can still appear while the state reaches back past it.
AddedTokenMatcher::Match AddedTokenMatcher::find(std::string_view s, std::size_t from) const {
  Match best{0, 0, -1};
  std::int32_t state = 0;
  for (std::size_t j = from; j < s.size(); ++j) {
    const auto c = static_cast<unsigned char>(s[j]);
    std::int32_t next = child(state, c);
    while (next < 0 && state != 0) {
      state = fail_[static_cast<std::size_t>(state)];
      next = child(state, c);
    }
    state = next < 0 ? 0 : next;
    const std::size_t reach = j + 1 - static_cast<std::size_t>(depth_[static_cast<std::size_t>(state)]);
    if (best.token >= 0 && reach > best.begin) return best;
    const std::int32_t out = output_[static_cast<std::size_t>(state)];
    if (out < 0) continue;
    const std::size_t begin = j + 1 - static_cast<std::size_t>(depth_[static_cast<std::size_t>(out)]);
    if (best.token < 0 || begin < best.begin || (begin == best.begin && j + 1 > best.end))
      best = {begin, j + 1, token_[static_cast<std::size_t>(out)]};
  }
  return best;
}

bool AddedTokenMatcher::word_char_at(std::string_view s, std::size_t i) {
  const char32_t c = unicode::next_cp(s, i);
  return c == '_' || unicode::is_letter(c) || unicode::is_number(c);
}

bool AddedTokenMatcher::word_boundary_before(std::string_view s, std::size_t pos) {
  if (pos == 0) return true;
  std::size_t k = pos - 1;
  while (k > 0 && (static_cast<unsigned char>(s[k]) & 0xC0) == 0x80) --k;
  return !word_char_at(s, k);
}

}  // namespace radlite::tokenizers
