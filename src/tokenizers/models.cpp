// Models: byte-pair encoding (with a word cache), WordPiece and WordLevel, and the model factory (Unigram is in
// unigram.cpp, the vocabulary map in vocab.cpp).
#include <algorithm>
#include <cstdio>
#include <functional>
#include <queue>
#include <sstream>

#include "io/file_util.h"
#include "radlite/error.h"
#include "tokenizers/pipeline.h"
#include "tokenizers/unicode.h"
#include "tokenizers/unigram.h"

namespace radlite::tokenizers {

using nlohmann::json;

namespace {

Vocab vocab_from_object(const json& j, const JsonPlace& p) {
  if (!j.is_object()) format_error(p, "expected an object of token -> id");
  Vocab v;
  v.reserve(j.size());
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it->is_number_integer() || it->get<long long>() < 0 || it->get<long long>() > INT32_MAX)
      format_error(p, "token '" + it.key() + "' has no valid id");
    v.insert(it.key(), static_cast<std::int32_t>(it->get<long long>()));
  }
  if (v.size() == 0) format_error(p, "empty vocabulary");
  return v;
}

// ------------------------------------------------------------------------------------------------ BPE
class Bpe : public Model {
 public:
  struct Options {
    std::string unk_token;  // empty: none
    std::string prefix;     // continuing_subword_prefix
    std::string suffix;     // end_of_word_suffix
    bool fuse_unk = false;
    bool byte_fallback = false;
    bool ignore_merges = false;
  };

  Bpe(Vocab vocab, const std::vector<std::pair<std::string, std::string>>& merges, Options o, const JsonPlace& p)
      : vocab_(std::move(vocab)), opt_(std::move(o)) {
    merges_.reserve(merges.size() * 2);
    for (std::size_t r = 0; r < merges.size(); ++r) {
      const auto& [a, b] = merges[r];
      std::int32_t ia = vocab_.find(a), ib = vocab_.find(b);
      if (ia < 0 || ib < 0)
        format_error(p.at(r), "merge '" + a + " " + b + "': token '" + (ia < 0 ? a : b) + "' not in the vocabulary");
      std::string joined = a;
      if (!opt_.prefix.empty() && b.compare(0, opt_.prefix.size(), opt_.prefix) == 0)
        joined.append(b, opt_.prefix.size(), std::string::npos);
      else
        joined += b;
      std::int32_t ij = vocab_.find(joined);
      if (ij < 0) format_error(p.at(r), "merge result '" + joined + "' not in the vocabulary");
      // An earlier (higher-priority) duplicate merge wins.
      merges_.emplace(key(ia, ib), Merge{static_cast<std::int32_t>(r), ij});
    }
    if (!opt_.unk_token.empty()) {
      unk_id_ = vocab_.find(opt_.unk_token);
      if (unk_id_ < 0) format_error(p, "unk_token '" + opt_.unk_token + "' is not in the vocabulary");
    }
  }

  const Vocab& vocab() const override { return vocab_; }

  void tokenize(std::string_view word, std::vector<std::int32_t>& ids) const override {
    if (word.empty()) return;
    if (opt_.ignore_merges) {
      std::int32_t id = vocab_.find(word);
      if (id >= 0) {
        ids.push_back(id);
        return;
      }
    }
    if (word.size() > kMaxCachedWordBytes) {
      merge_word(word, ids);
      return;
    }
    // The key is built outside the lock so that the critical sections stay short under concurrent use.
    std::string key(word);
    Shard& shard = shards_[std::hash<std::string>()(key) % kShards];
    {
      std::lock_guard<std::mutex> lock(shard.mutex);
      auto it = shard.map.find(key);
      if (it != shard.map.end()) {
        ids.insert(ids.end(), it->second.begin(), it->second.end());
        return;
      }
    }
    const std::size_t before = ids.size();
    merge_word(word, ids);
    std::vector<std::int32_t> value(ids.begin() + static_cast<long>(before), ids.end());
    std::lock_guard<std::mutex> lock(shard.mutex);
    // Like HF, a full cache stops taking new words rather than evicting.
    if (shard.map.size() < kShardCapacity) shard.map.emplace(std::move(key), std::move(value));
  }

 private:
  struct Merge {
    std::int32_t rank;
    std::int32_t id;
  };
  static std::uint64_t key(std::int32_t a, std::int32_t b) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(a)) << 32) | static_cast<std::uint32_t>(b);
  }
  static constexpr std::size_t kShards = 16;
  static constexpr std::size_t kShardCapacity = 4096;
  static constexpr std::size_t kMaxCachedWordBytes = 256;
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, std::vector<std::int32_t>> map;
  };

  // Initial symbols of a word (characters, with the subword prefix / word suffix), unknowns handled as HF does,
  // then merges applied lowest rank first, leftmost first among equal ranks.
  void merge_word(std::string_view word, std::vector<std::int32_t>& ids) const {
    std::vector<std::int32_t> sym;
    sym.reserve(word.size());
    std::string scratch;
    std::int32_t pending_unk = -1;
    std::size_t i = 0;
    while (i < word.size()) {
      const std::size_t b = i;
      i += unicode::cp_len(static_cast<unsigned char>(word[i]));
      std::string_view ch = word.substr(b, i - b);
      std::int32_t id;
      if ((b > 0 && !opt_.prefix.empty()) || (i == word.size() && !opt_.suffix.empty())) {
        scratch.clear();
        if (b > 0) scratch += opt_.prefix;
        scratch.append(ch.data(), ch.size());
        if (i == word.size()) scratch += opt_.suffix;
        id = vocab_.find(scratch);
      } else {
        id = vocab_.find(ch);
      }
      if (id >= 0) {
        if (pending_unk >= 0) sym.push_back(pending_unk);
        pending_unk = -1;
        sym.push_back(id);
        continue;
      }
      if (opt_.byte_fallback) {
        bool all = true;
        std::size_t mark = sym.size();
        for (char byte : ch) {
          char name[8];
          std::snprintf(name, sizeof name, "<0x%02X>", static_cast<unsigned char>(byte));
          std::int32_t bid = vocab_.find(name);
          if (bid < 0) {
            all = false;
            break;
          }
          sym.push_back(bid);
        }
        if (all) {
          if (pending_unk >= 0) sym.insert(sym.begin() + static_cast<long>(mark), pending_unk);
          pending_unk = -1;
          continue;
        }
        sym.resize(mark);
      }
      if (unk_id_ >= 0) {
        if (pending_unk >= 0 && !opt_.fuse_unk) sym.push_back(pending_unk);
        pending_unk = unk_id_;
      }
      // No unk token: HF drops the character.
    }
    if (pending_unk >= 0) sym.push_back(pending_unk);
    const std::size_t n = sym.size();
    if (n <= 1) {
      ids.insert(ids.end(), sym.begin(), sym.end());
      return;
    }
    if (n <= 48) {
      // Short words: a linear scan per merge beats heap bookkeeping.
      std::size_t len = n;
      while (len > 1) {
        std::int32_t best_rank = INT32_MAX, best_id = -1;
        std::size_t best = 0;
        for (std::size_t k = 0; k + 1 < len; ++k) {
          auto it = merges_.find(key(sym[k], sym[k + 1]));
          if (it != merges_.end() && it->second.rank < best_rank) {
            best_rank = it->second.rank;
            best_id = it->second.id;
            best = k;
          }
        }
        if (best_id < 0) break;
        sym[best] = best_id;
        sym.erase(sym.begin() + static_cast<long>(best) + 1);
        --len;
      }
      ids.insert(ids.end(), sym.begin(), sym.begin() + static_cast<long>(len));
      return;
    }
    // Long words: doubly linked symbols and a heap of candidate merges (rank, position).
    std::vector<std::int32_t> prev(n), next(n);
    std::vector<char> alive(n, 1);
    for (std::size_t k = 0; k < n; ++k) {
      prev[k] = static_cast<std::int32_t>(k) - 1;
      next[k] = k + 1 < n ? static_cast<std::int32_t>(k + 1) : -1;
    }
    struct Cand {
      std::int32_t rank, pos, right, left_id, right_id, new_id;
      bool operator>(const Cand& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
    };
    std::priority_queue<Cand, std::vector<Cand>, std::greater<Cand>> heap;
    auto push = [&](std::int32_t l) {
      if (l < 0) return;
      std::int32_t r = next[static_cast<std::size_t>(l)];
      if (r < 0) return;
      auto it = merges_.find(key(sym[static_cast<std::size_t>(l)], sym[static_cast<std::size_t>(r)]));
      if (it == merges_.end()) return;
      heap.push(
          {it->second.rank, l, r, sym[static_cast<std::size_t>(l)], sym[static_cast<std::size_t>(r)], it->second.id});
    };
    for (std::size_t k = 0; k + 1 < n; ++k) push(static_cast<std::int32_t>(k));
    while (!heap.empty()) {
      Cand c = heap.top();
      heap.pop();
      auto l = static_cast<std::size_t>(c.pos), r = static_cast<std::size_t>(c.right);
      if (!alive[l] || !alive[r] || next[l] != c.right || sym[l] != c.left_id || sym[r] != c.right_id) continue;
      sym[l] = c.new_id;
      alive[r] = 0;
      next[l] = next[r];
      if (next[r] >= 0) prev[static_cast<std::size_t>(next[r])] = c.pos;
      push(prev[l]);
      push(c.pos);
    }
    for (std::int32_t k = 0; k >= 0; k = next[static_cast<std::size_t>(k)])
      ids.push_back(sym[static_cast<std::size_t>(k)]);
  }

  Vocab vocab_;
  Options opt_;
  std::unordered_map<std::uint64_t, Merge> merges_;
  std::int32_t unk_id_ = -1;
  mutable std::array<Shard, kShards> shards_;
};

// ------------------------------------------------------------------------------------------------ WordPiece
class WordPiece : public Model {
 public:
  WordPiece(Vocab vocab, const std::string& unk, std::string prefix, std::size_t max_chars, const JsonPlace& p)
      : vocab_(std::move(vocab)), prefix_(std::move(prefix)), max_chars_(max_chars) {
    unk_id_ = vocab_.find(unk);
    if (unk_id_ < 0) format_error(p, "unk_token '" + unk + "' is not in the vocabulary");
  }
  const Vocab& vocab() const override { return vocab_; }

  // Greedy longest-match-first; a word with any unmatched remainder becomes one unk token.
  void tokenize(std::string_view word, std::vector<std::int32_t>& ids) const override {
    // Character boundaries; words longer than the stack buffer (possible only with a large
    // max_input_chars_per_word) use the heap.
    std::size_t stack_bounds[kMaxBounds];
    std::vector<std::size_t> heap_bounds;
    std::size_t* bounds = stack_bounds;
    if (max_chars_ + 1 >= kMaxBounds && word.size() + 1 >= kMaxBounds) {
      heap_bounds.resize(word.size() + 1);
      bounds = heap_bounds.data();
    }
    std::size_t nchars = 0;
    for (std::size_t i = 0; i < word.size(); i += unicode::cp_len(static_cast<unsigned char>(word[i]))) {
      if (nchars >= max_chars_) {
        ids.push_back(unk_id_);
        return;
      }
      bounds[nchars++] = i;
    }
    bounds[nchars] = word.size();
    const std::size_t before = ids.size();
    std::string scratch;
    std::size_t start = 0;
    while (start < nchars) {
      std::int32_t found = -1;
      std::size_t end = nchars;
      for (; end > start; --end) {
        std::string_view sub = word.substr(bounds[start], bounds[end] - bounds[start]);
        if (start > 0) {
          scratch.assign(prefix_);
          scratch.append(sub.data(), sub.size());
          found = vocab_.find(scratch);
        } else {
          found = vocab_.find(sub);
        }
        if (found >= 0) break;
      }
      if (found < 0) {
        ids.resize(before);
        ids.push_back(unk_id_);
        return;
      }
      ids.push_back(found);
      start = end;
    }
  }

 private:
  static constexpr std::size_t kMaxBounds = 1024;
  Vocab vocab_;
  std::string prefix_;
  std::size_t max_chars_;
  std::int32_t unk_id_;
};

// ------------------------------------------------------------------------------------------------ WordLevel
class WordLevel : public Model {
 public:
  WordLevel(Vocab vocab, const std::string& unk, const JsonPlace& p) : vocab_(std::move(vocab)) {
    unk_id_ = vocab_.find(unk);
    if (unk_id_ < 0) format_error(p, "unk_token '" + unk + "' is not in the vocabulary");
  }
  const Vocab& vocab() const override { return vocab_; }
  void tokenize(std::string_view word, std::vector<std::int32_t>& ids) const override {
    std::int32_t id = vocab_.find(word);
    ids.push_back(id >= 0 ? id : unk_id_);
  }

 private:
  Vocab vocab_;
  std::int32_t unk_id_;
};

std::vector<std::pair<std::string, std::string>> parse_merges(const json& j, const JsonPlace& p) {
  if (!j.is_array()) format_error(p, "expected an array of merges");
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(j.size());
  for (std::size_t i = 0; i < j.size(); ++i) {
    const json& m = j[i];
    if (m.is_string()) {
      const std::string& s = m.get_ref<const std::string&>();
      auto sp = s.find(' ');
      if (sp == std::string::npos || sp == 0 || sp + 1 >= s.size())
        format_error(p.at(i), "merge '" + s + "' is not two tokens separated by a space");
      out.emplace_back(s.substr(0, sp), s.substr(sp + 1));
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      out.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
    } else {
      format_error(p.at(i), "expected \"a b\" or [\"a\", \"b\"]");
    }
  }
  return out;
}

}  // namespace

std::unique_ptr<Model> make_model(const json& j, const JsonPlace& p) {
  if (!j.is_object()) format_error(p, "expected an object");
  std::string type = get_string(j, "type", p, "");
  if (type.empty()) {
    // Files written by older tokenizers versions have no tag; infer it from the fields, as HF's untagged
    // deserialization does (BPE has merges; a list vocabulary is Unigram; else WordPiece's fields).
    if (j.contains("merges"))
      type = "BPE";
    else if (j.contains("vocab") && j["vocab"].is_array())
      type = "Unigram";
    else if (j.contains("continuing_subword_prefix") || j.contains("max_input_chars_per_word"))
      type = "WordPiece";
    else
      model_error(p.at("type"), "missing, and the fields match no supported model (BPE, WordPiece, Unigram)");
  }
  if (type == "Unigram") return make_unigram_model(j, p);
  if (type == "BPE") {
    Vocab v = vocab_from_object(require(j, "vocab", p), p.at("vocab"));
    auto merges = parse_merges(require(j, "merges", p), p.at("merges"));
    Bpe::Options o;
    o.unk_token = get_string(j, "unk_token", p, "");
    o.prefix = get_string(j, "continuing_subword_prefix", p, "");
    o.suffix = get_string(j, "end_of_word_suffix", p, "");
    o.fuse_unk = get_bool(j, "fuse_unk", p, false);
    o.byte_fallback = get_bool(j, "byte_fallback", p, false);
    o.ignore_merges = get_bool(j, "ignore_merges", p, false);
    if (j.contains("dropout") && j["dropout"].is_number() && j["dropout"].get<double>() > 0)
      model_error(p.at("dropout"), "BPE dropout is not supported (it makes tokenization random)");
    return std::make_unique<Bpe>(std::move(v), merges, o, p.at("merges"));
  }
  if (type == "WordPiece") {
    Vocab v = vocab_from_object(require(j, "vocab", p), p.at("vocab"));
    // HF reads it as an unsigned integer: a negative value is malformed, not "no limit".
    const long long max_chars = get_int(j, "max_input_chars_per_word", p, 100, 0, INT32_MAX);
    return std::make_unique<WordPiece>(std::move(v), get_string(j, "unk_token", p, "[UNK]"),
                                       get_string(j, "continuing_subword_prefix", p, "##"),
                                       static_cast<std::size_t>(max_chars), p.at("unk_token"));
  }
  if (type == "WordLevel") {
    Vocab v = vocab_from_object(require(j, "vocab", p), p.at("vocab"));
    return std::make_unique<WordLevel>(std::move(v), get_string(j, "unk_token", p, "<unk>"), p.at("unk_token"));
  }
  model_error(p.at("type"), "unknown model type '" + type + "'");
}

std::unique_ptr<Model> make_bpe_from_files(const std::string& vocab_json_path, const std::string& merges_path) {
  json vj = io::read_json_file(vocab_json_path);
  Vocab v = vocab_from_object(vj, JsonPlace{vocab_json_path, ""});
  std::string text = io::read_file(merges_path);
  std::vector<std::pair<std::string, std::string>> merges;
  std::istringstream in(text);
  std::string line;
  std::size_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || (lineno == 1 && line.rfind("#version", 0) == 0)) continue;
    auto sp = line.find(' ');
    if (sp == std::string::npos || sp == 0 || sp + 1 >= line.size() || line.find(' ', sp + 1) != std::string::npos)
      throw FormatError(merges_path + ": line " + std::to_string(lineno) +
                        ": expected two tokens separated by a space");
    merges.emplace_back(line.substr(0, sp), line.substr(sp + 1));
  }
  return std::make_unique<Bpe>(std::move(v), merges, Bpe::Options{}, JsonPlace{merges_path, ""});
}

std::unique_ptr<Model> make_wordpiece_from_file(const std::string& vocab_txt_path, const std::string& unk_token) {
  std::string text = io::read_file(vocab_txt_path);
  Vocab v;
  std::istringstream in(text);
  std::string line;
  std::int32_t id = 0;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    v.insert(line, id++);  // line number = id; a duplicated line keeps its first id
  }
  if (v.size() == 0) throw FormatError(vocab_txt_path + ": empty vocabulary");
  return std::make_unique<WordPiece>(std::move(v), unk_token, "##", 100, JsonPlace{vocab_txt_path, ""});
}

}  // namespace radlite::tokenizers
