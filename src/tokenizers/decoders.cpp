// Decoders: token strings back to text (ByteLevel, WordPiece, Metaspace, Replace, ByteFallback, Fuse, Strip,
// Sequence), applied as HF's decode_chain.
#include <cstdio>

#include "radlite/error.h"
#include "tokenizers/pipeline.h"
#include "tokenizers/unicode.h"

namespace radlite::tokenizers {

using nlohmann::json;

namespace {

class ChainDecoder : public Decoder {
 public:
  // Transforms the token list in place (HF's decode_chain); decode joins the result.
  virtual void chain(std::vector<std::string>& tokens) const = 0;
  std::string decode(const std::vector<std::string>& tokens) const override {
    std::vector<std::string> t = tokens;
    chain(t);
    std::string out;
    for (auto& s : t) out += s;
    return out;
  }
};

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  std::size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
}

class ByteLevelDecoder : public ChainDecoder {
 public:
  ByteLevelDecoder() {
    to_byte_.fill(-1);
    int next = 256;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
      to_byte_[static_cast<std::size_t>(printable ? b : next++)] = static_cast<std::int16_t>(b);
    }
  }
  void chain(std::vector<std::string>& tokens) const override {
    std::string bytes;
    for (auto& t : tokens) {
      std::size_t i = 0;
      while (i < t.size()) {
        std::size_t b = i;
        char32_t c = unicode::next_cp(t, i);
        if (c < to_byte_.size() && to_byte_[c] >= 0)
          bytes.push_back(static_cast<char>(to_byte_[c]));
        else
          bytes.append(t, b, i - b);  // not a byte-level character (an added token): kept as text
      }
    }
    tokens.assign(1, unicode::repair_utf8(bytes));
  }

 private:
  std::array<std::int16_t, 324> to_byte_{};
};

class WordPieceDecoder : public ChainDecoder {
 public:
  WordPieceDecoder(std::string prefix, bool cleanup) : prefix_(std::move(prefix)), cleanup_(cleanup) {}
  void chain(std::vector<std::string>& tokens) const override {
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      std::string& t = tokens[i];
      if (i > 0) {
        if (!prefix_.empty() && t.compare(0, prefix_.size(), prefix_) == 0)
          t.erase(0, prefix_.size());
        else
          t.insert(0, " ");
      }
      if (cleanup_) {
        for (auto [from, to] : kCleanup) replace_all(t, from, to);
      }
    }
  }

 private:
  static constexpr std::pair<const char*, const char*> kCleanup[] = {
      {" .", "."},   {" ?", "?"},           {" !", "!"},   {" ,", ","},     {" ' ", "'"},   {" n't", "n't"},
      {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  std::string prefix_;
  bool cleanup_;
};

class MetaspaceDecoder : public ChainDecoder {
 public:
  MetaspaceDecoder(std::string rep, bool strip_first) : rep_(std::move(rep)), strip_first_(strip_first) {}
  void chain(std::vector<std::string>& tokens) const override {
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      replace_all(tokens[i], rep_, " ");
      if (i == 0 && strip_first_ && !tokens[i].empty() && tokens[i][0] == ' ') tokens[i].erase(0, 1);
    }
  }

 private:
  std::string rep_;
  bool strip_first_;
};

class ReplaceDecoder : public ChainDecoder {
 public:
  ReplaceDecoder(std::string from, std::string to) : from_(std::move(from)), to_(std::move(to)) {}
  void chain(std::vector<std::string>& tokens) const override {
    for (auto& t : tokens) replace_all(t, from_, to_);
  }

 private:
  std::string from_, to_;
};

class ByteFallbackDecoder : public ChainDecoder {
 public:
  void chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string bytes;
    auto flush = [&] {
      if (!bytes.empty()) out.push_back(unicode::repair_utf8(bytes));
      bytes.clear();
    };
    for (auto& t : tokens) {
      unsigned v = 0;
      if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>' && std::sscanf(t.c_str() + 3, "%2x", &v) == 1) {
        bytes.push_back(static_cast<char>(v));
      } else {
        flush();
        out.push_back(t);
      }
    }
    flush();
    tokens.swap(out);
  }
};

class FuseDecoder : public ChainDecoder {
 public:
  void chain(std::vector<std::string>& tokens) const override {
    std::string all;
    for (auto& t : tokens) all += t;
    tokens.assign(1, all);
  }
};

class StripDecoder : public ChainDecoder {
 public:
  StripDecoder(std::string content, std::size_t start, std::size_t stop)
      : content_(std::move(content)), start_(start), stop_(stop) {}
  void chain(std::vector<std::string>& tokens) const override {
    for (auto& t : tokens) {
      std::size_t s = 0;
      while (s < start_ && t.compare(s * content_.size(), content_.size(), content_) == 0) ++s;
      t.erase(0, s * content_.size());
      std::size_t e = 0;
      while (e < stop_ && t.size() >= content_.size() * (e + 1) &&
             t.compare(t.size() - content_.size() * (e + 1), content_.size(), content_) == 0)
        ++e;
      t.resize(t.size() - e * content_.size());
    }
  }

 private:
  std::string content_;
  std::size_t start_, stop_;
};

class SequenceDecoder : public ChainDecoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<ChainDecoder>> items) : items_(std::move(items)) {}
  void chain(std::vector<std::string>& tokens) const override {
    for (auto& d : items_) d->chain(tokens);
  }

 private:
  std::vector<std::unique_ptr<ChainDecoder>> items_;
};

std::unique_ptr<ChainDecoder> make_chain_decoder(const json& j, const JsonPlace& p) {
  if (!j.is_object()) format_error(p, "expected an object");
  const std::string type = get_string(j, "type", p, "");
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "WordPiece")
    return std::make_unique<WordPieceDecoder>(get_string(j, "prefix", p, "##"), get_bool(j, "cleanup", p, true));
  if (type == "Metaspace") {
    std::string scheme = get_string(j, "prepend_scheme", p, "always");
    bool strip = scheme != "never" && get_bool(j, "add_prefix_space", p, true);
    return std::make_unique<MetaspaceDecoder>(get_string(j, "replacement", p, "\xE2\x96\x81"), strip);
  }
  if (type == "Replace") {
    const json& pat = require(j, "pattern", p);
    if (!pat.is_object() || !pat.contains("String") || !pat["String"].is_string())
      model_error(p.at("pattern"), "only String patterns are supported in the Replace decoder");
    return std::make_unique<ReplaceDecoder>(pat["String"].get<std::string>(), get_string(j, "content", p, ""));
  }
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Strip")
    return std::make_unique<StripDecoder>(get_string(j, "content", p, " "),
                                          static_cast<std::size_t>(get_int(j, "start", p, 0, 0, 1 << 20)),
                                          static_cast<std::size_t>(get_int(j, "stop", p, 0, 0, 1 << 20)));
  if (type == "Sequence") {
    const json& list = require(j, "decoders", p);
    if (!list.is_array()) format_error(p.at("decoders"), "expected an array");
    std::vector<std::unique_ptr<ChainDecoder>> items;
    for (std::size_t i = 0; i < list.size(); ++i) items.push_back(make_chain_decoder(list[i], p.at("decoders").at(i)));
    return std::make_unique<SequenceDecoder>(std::move(items));
  }
  model_error(p.at("type"), "unknown decoder type '" + type + "'");
}

}  // namespace

std::unique_ptr<Decoder> make_decoder(const json& j, const JsonPlace& p) {
  if (j.is_null()) return nullptr;
  return make_chain_decoder(j, p);
}
std::unique_ptr<Decoder> make_byte_level_decoder() { return std::make_unique<ByteLevelDecoder>(); }
std::unique_ptr<Decoder> make_wordpiece_decoder(const std::string& prefix, bool cleanup) {
  return std::make_unique<WordPieceDecoder>(prefix, cleanup);
}

}  // namespace radlite::tokenizers
