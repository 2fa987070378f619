// SentencePiece .model -> pipeline: see sentencepiece_converter.h.
#include "tokenizers/sentencepiece_converter.h"

#include "radlite/error.h"
#include "tokenizers/sentencepiece_proto.h"
#include "tokenizers/unigram.h"

namespace radlite::tokenizers {

ConvertedSentencePiece convert_sentencepiece_xlmr(std::string_view model_bytes, const std::string& what) {
  const SpmProto proto = read_sentencepiece_model(model_bytes, what);
  if (proto.pieces.size() < 3) throw ModelError(what + ": an XLM-R vocabulary needs at least 3 pieces");
  std::vector<ScoredPiece> vocab{{"<s>", 0.0}, {"<pad>", 0.0}, {"</s>", 0.0}, {"<unk>", 0.0}};
  for (std::size_t i = 3; i < proto.pieces.size(); ++i)
    vocab.push_back({proto.pieces[i].piece, static_cast<double>(proto.pieces[i].score)});
  vocab.push_back({"<mask>", 0.0});

  ConvertedSentencePiece out;
  out.normalizer =
      make_precompiled_normalizer(proto.normalizer.charsmap, what + ": normalizer_spec.precompiled_charsmap");
  // The sections transformers writes for this conversion, read by the same factories as a tokenizer.json.
  const nlohmann::json metaspace = {
      {"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", "always"}, {"split", true}};
  const nlohmann::json pre = {{"type", "Sequence"}, {"pretokenizers", {{{"type", "WhitespaceSplit"}}, metaspace}}};
  out.pre_tokenizer = make_pre_tokenizer(pre, JsonPlace{what, "pre_tokenizer"});
  out.model = make_unigram(vocab, /*unk_id=*/3, /*byte_fallback=*/false, what);
  out.decoder = make_decoder(metaspace, JsonPlace{what, "decoder"});
  return out;
}

}  // namespace radlite::tokenizers
