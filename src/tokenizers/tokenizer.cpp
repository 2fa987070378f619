// Tokenizer::Impl's pipeline and the public encode / decode calls (see tokenizer_impl.h).
#include <algorithm>

#include "radlite/error.h"
#include "tokenizers/tokenizer_impl.h"
#include "tokenizers/unicode.h"

namespace radlite {

using namespace radlite::tokenizers;

void Tokenizer::Impl::add_token(AddedToken t) {
  if (t.content.empty()) return;
  max_added_id = std::max(max_added_id, t.id);
  auto it = added_by_content.find(t.content);
  if (it != added_by_content.end()) {
    added[it->second] = t;
    added_by_id[t.id] = it->second;
    return;
  }
  added_by_content[t.content] = added.size();
  added_by_id[t.id] = added.size();
  added.push_back(std::move(t));
}

std::int32_t Tokenizer::Impl::id_for_new_token(const std::string& content) const {
  auto it = added_by_content.find(content);
  if (it != added_by_content.end()) return added[it->second].id;
  const std::int32_t id = model->vocab().find(content);
  if (id >= 0) return id;
  const auto vocab_n = static_cast<std::int32_t>(model->vocab().size());
  if (added.empty()) return vocab_n;
  return (max_added_id >= vocab_n || vocab_n == 0) ? max_added_id + 1 : vocab_n;
}

void Tokenizer::Impl::finish() {
  for (std::size_t k = 0; k < added.size(); ++k) {
    const AddedToken& t = added[k];
    if (t.normalized && normalizer) {
      std::string pattern = t.content;
      normalizer->normalize(pattern);
      normalized_matcher.add(pattern, k);
    } else if (t.normalized) {
      normalized_matcher.add(t.content, k);
    } else {
      raw_matcher.add(t.content, k);
    }
  }
  raw_matcher.finish();
  normalized_matcher.finish();
}

std::int32_t Tokenizer::Impl::token_to_id(const std::string& token) const {
  auto it = added_by_content.find(token);
  if (it != added_by_content.end()) return added[it->second].id;
  return model->vocab().find(token);
}

std::string Tokenizer::Impl::id_to_token(std::int32_t id) const {
  auto it = added_by_id.find(id);
  if (it != added_by_id.end()) return added[it->second].content;
  if (const std::string* t = model->vocab().token_of(id)) return *t;
  throw InvalidArgument("token id " + std::to_string(id) + " is out of range (vocabulary size " +
                        std::to_string(vocab_size()) + ")");
}

bool Tokenizer::Impl::has_id(std::int32_t id) const { return added_by_id.count(id) || model->vocab().token_of(id); }

std::size_t Tokenizer::Impl::vocab_size() const {
  std::size_t n = model->vocab().size();
  for (const auto& t : added)
    if (!model->vocab().token_of(t.id)) ++n;
  return n;
}

// Ids of one text, no special tokens. With limit > 0, stops after the first pre-token (word) at which the count
// reaches limit, as HF tokenizers >= 0.23 does when truncation is on ("early exit"): pair truncation then works
// on these capped lengths, so the cap decides which side of a pair keeps the odd token. Added tokens count but,
// as in HF, do not end the sequence themselves.
void Tokenizer::Impl::encode_sequence(std::string_view input, std::vector<std::int32_t>& ids, std::size_t limit) const {
  std::string repaired;
  if (!unicode::is_valid_utf8(input)) {
    repaired = unicode::repair_utf8(input);
    input = repaired;
  }
  Pieces in, out;
  std::string text;
  bool done = false;
  auto word_done = [&] {
    if (limit && ids.size() >= limit) done = true;
  };
  raw_matcher.split(input, added, [&](std::string_view seg, int token, std::size_t offset) {
    if (done) return;
    if (token >= 0) {
      ids.push_back(added[static_cast<std::size_t>(token)].id);
      return;
    }
    text.assign(seg.data(), seg.size());
    // HF asks whether a split starts at original offset 0 (Metaspace prepend_scheme "first"); after
    // normalization that is false when the normalizer deleted the first character (a control or a lone
    // combining mark, say).
    bool seg_at_start = offset == 0;
    if (normalizer) {
      normalizer->normalize(text);
      if (seg_at_start && !seg.empty()) {
        std::string first(seg.substr(0, unicode::cp_len(static_cast<unsigned char>(seg[0]))));
        normalizer->normalize(first);
        seg_at_start = !first.empty();
      }
    }
    normalized_matcher.split(text, added, [&](std::string_view sub, int tok2, std::size_t offset2) {
      if (done) return;
      if (tok2 >= 0) {
        ids.push_back(added[static_cast<std::size_t>(tok2)].id);
        return;
      }
      in.clear();
      in.add(sub, seg_at_start && offset2 == 0);
      const Pieces* words = &in;
      if (pre_tokenizer) {
        pre_tokenizer->apply(in, out);
        words = &out;
      }
      for (const auto& span : words->spans) {
        model->tokenize(words->view(span), ids);
        word_done();
        if (done) return;
      }
    });
  });
}

void Tokenizer::Impl::fill(const Sequence& s, Encoding& e) const {
  e.ids = s.ids;
  e.type_ids = s.type_ids;
  e.attention_mask.assign(s.ids.size(), 1);
  e.tokens.clear();
  e.tokens.reserve(s.ids.size());
  for (std::int32_t id : s.ids) {
    auto it = added_by_id.find(id);
    if (it != added_by_id.end()) {
      e.tokens.push_back(added[it->second].content);
    } else if (const std::string* t = model->vocab().token_of(id)) {
      e.tokens.push_back(*t);
    } else {
      e.tokens.emplace_back();
    }
  }
}

std::size_t Tokenizer::Impl::content_budget(const EncodeOptions& o, bool pair) const {
  std::size_t added_n = o.add_special_tokens ? post->added_tokens(pair) : 0;
  if (o.max_length < added_n)
    throw InvalidArgument("max_length " + std::to_string(o.max_length) + " is smaller than the " +
                          std::to_string(added_n) + " special tokens the tokenizer adds");
  return o.max_length - added_n;
}

Tokenizer::Tokenizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

Encoding Tokenizer::encode(std::string_view text, const EncodeOptions& options) const {
  Sequence a, out;
  impl_->encode_sequence(text, a.ids, options.max_length);
  if (options.max_length) {
    std::size_t budget = impl_->content_budget(options, false);
    if (a.ids.size() > budget) a.ids.resize(budget);
  }
  a.type_ids.assign(a.ids.size(), 0);
  impl_->post->process(a, nullptr, options.add_special_tokens, out);
  Encoding e;
  impl_->fill(out, e);
  return e;
}

Encoding Tokenizer::encode_pair(std::string_view first, std::string_view second, const EncodeOptions& options) const {
  // transformers treats an empty second text as no pair at all (text_pair="" is falsy); the reference ids follow it.
  if (second.empty()) return encode(first, options);
  Sequence a, b, out;
  impl_->encode_sequence(first, a.ids, options.max_length);
  impl_->encode_sequence(second, b.ids, options.max_length);
  if (options.max_length) {
    // longest_first as HF computes it on the capped lengths: the shorter side keeps its length when it fits in
    // half, else both get half and the longer one the odd token (the second one on a tie).
    const std::size_t budget = impl_->content_budget(options, true);
    std::size_t n1 = a.ids.size(), n2 = b.ids.size();
    if (n1 + n2 > budget) {
      const bool swap = n1 > n2;
      if (swap) std::swap(n1, n2);
      n2 = n1 > budget ? n1 : std::max(n1, budget - n1);
      if (n1 + n2 > budget) {
        n1 = budget / 2;
        n2 = n1 + budget % 2;
      }
      if (swap) std::swap(n1, n2);
      a.ids.resize(std::min(a.ids.size(), n1));
      b.ids.resize(std::min(b.ids.size(), n2));
    }
  }
  a.type_ids.assign(a.ids.size(), 0);
  b.type_ids.assign(b.ids.size(), 1);
  impl_->post->process(a, &b, options.add_special_tokens, out);
  Encoding e;
  impl_->fill(out, e);
  return e;
}

std::vector<Encoding> Tokenizer::encode_batch(const std::vector<std::string>& texts,
                                              const EncodeOptions& options) const {
  std::vector<Encoding> out;
  out.reserve(texts.size());
  for (const auto& t : texts) out.push_back(encode(t, options));
  return out;
}

std::string Tokenizer::decode(const std::vector<std::int32_t>& ids, bool skip_special_tokens) const {
  const Impl& m = *impl_;
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (std::int32_t id : ids) {
    auto it = m.added_by_id.find(id);
    if (it != m.added_by_id.end() && skip_special_tokens && m.added[it->second].special) continue;
    tokens.push_back(m.id_to_token(id));
  }
  if (m.decoder) return m.decoder->decode(tokens);
  std::string result;
  for (std::size_t i = 0; i < tokens.size(); ++i) result += (i ? " " : "") + tokens[i];
  return result;
}

std::int32_t Tokenizer::token_to_id(const std::string& token) const { return impl_->token_to_id(token); }
std::string Tokenizer::id_to_token(std::int32_t id) const { return impl_->id_to_token(id); }
std::size_t Tokenizer::vocab_size() const { return impl_->vocab_size(); }
std::int32_t Tokenizer::pad_id() const { return impl_->pad; }
std::size_t Tokenizer::model_max_length() const { return impl_->max_length; }

}  // namespace radlite