// The text path: from the goldens' texts the tokenizer must give the goldens' input_ids, and the embeddings /
// logits must match transformers / sentence-transformers within 1e-5.
#include <gtest/gtest.h>

#include <cstring>
#include <iostream>

#include "../support/safetensors_writer.h"
#include "../support/scratch_dir.h"
#include "golden.h"
#include "radlite/encoder.h"
#include "radlite/error.h"

using namespace radlite;
namespace ts = radlite::test_support;

namespace {

class BiEncoderText : public ::testing::TestWithParam<ts::ModelAndGolden> {};

TEST_P(BiEncoderText, TokensAndEmbeddingsMatchGolden) {
  const auto& [model_name, golden_name] = GetParam();
  const auto g = ts::golden(golden_name);
  const BiEncoder enc = BiEncoder::load(ts::model_dir(model_name));
  const auto texts = g["texts"].get<std::vector<std::string>>();
  const auto ids = ts::int_rows(g["input_ids"]);
  std::size_t mismatched = 0;
  for (std::size_t i = 0; i < texts.size(); ++i)
    if (enc.tokenize(texts[i]) != ids[i]) {
      if (++mismatched <= 3)
        ADD_FAILURE() << model_name << ": ids differ for text " << i << ": " << texts[i].substr(0, 80);
    }
  EXPECT_EQ(mismatched, 0u);
  const double diff = ts::max_abs_diff(enc.encode(texts), ts::float_rows(g["embeddings"]));
  std::cout << "[text] " << model_name << " embeddings from text max_abs_diff=" << diff << "\n";
  EXPECT_LT(diff, 1e-5);
  // encode_texts (the TextEncoder interface) is the same computation.
  const TextEncoder& iface = enc;
  const std::vector<std::string> some = {texts[0], texts[5]};
  EXPECT_LT(ts::max_abs_diff(iface.encode_texts(some), enc.encode(some)), 1e-7);
}

INSTANTIATE_TEST_SUITE_P(TinyModels, BiEncoderText, ::testing::ValuesIn(ts::bi_encoder_goldens()), ts::ModelTestName());

class CrossEncoderText : public ::testing::TestWithParam<ts::ModelAndGolden> {};

TEST_P(CrossEncoderText, TokensAndLogitsMatchGolden) {
  const auto& [model_name, golden_name] = GetParam();
  const auto g = ts::golden(golden_name);
  const CrossEncoder ce = CrossEncoder::load(ts::model_dir(model_name));
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& p : g["pairs"]) pairs.emplace_back(p[0].get<std::string>(), p[1].get<std::string>());
  const auto ids = ts::int_rows(g["input_ids"]);
  std::size_t mismatched = 0;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    auto t = ce.tokenize(pairs[i].first, pairs[i].second);
    if (pairs[i].second.empty()) {
      // The recorded ids of an empty document lack the separators predict() used (see parity_test.cpp).
      const std::size_t extra = g["token_type_ids"][0].is_null() ? 2 : 1;
      ASSERT_EQ(t.ids.size(), ids[i].size() + extra);
      t.ids.resize(ids[i].size());
    }
    if (t.ids != ids[i] && ++mismatched <= 3) ADD_FAILURE() << model_name << ": ids differ for pair " << i;
    if (!g["token_type_ids"][i].is_null()) {
      auto expected_types = g["token_type_ids"][i].get<std::vector<std::int32_t>>();
      t.type_ids.resize(expected_types.size());
      EXPECT_EQ(t.type_ids, expected_types) << "pair " << i;
    }
  }
  EXPECT_EQ(mismatched, 0u);
  const auto logits = ce.logits(pairs);
  const double diff = ts::max_abs_diff(logits, ts::float_rows(g["logits"]));
  std::cout << "[text] " << model_name << " logits from text max_abs_diff=" << diff << "\n";
  EXPECT_LT(diff, 1e-5);

  // PairScorer: one label -> the logit itself.
  const auto scores = ce.score_pairs(pairs[0].first, {pairs[0].second, pairs[1].second});
  const auto direct = ce.logits(pairs[0].first, {pairs[0].second, pairs[1].second});
  EXPECT_FLOAT_EQ(scores[0], direct[0][0]);
  EXPECT_FLOAT_EQ(scores[1], direct[1][0]);
}

INSTANTIATE_TEST_SUITE_P(TinyModels, CrossEncoderText, ::testing::ValuesIn(ts::cross_encoder_goldens()),
                         ts::ModelTestName());

// A copy of the BERT cross-encoder whose classifier has `labels` rows (random values).
void write_multilabel(const std::string& dir, int labels) {
  ts::copy_model_dir(ts::model_dir("bert-crossencoder-tiny"), dir);
  const std::string bytes = ts::read_bytes(dir + "/model.safetensors");
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  const nlohmann::json header = nlohmann::json::parse(bytes.substr(8, n));
  std::vector<ts::RawTensor> tensors;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__" || it.key().rfind("classifier.", 0) == 0) continue;
    const auto b = it.value()["data_offsets"][0].get<std::size_t>(),
               e = it.value()["data_offsets"][1].get<std::size_t>();
    tensors.push_back(
        {it.key(), "F32", it.value()["shape"].get<std::vector<std::int64_t>>(), bytes.substr(8 + n + b, e - b)});
  }
  std::vector<float> w(static_cast<std::size_t>(labels) * 32), bias(static_cast<std::size_t>(labels));
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(std::sin(1.7 * i));
  for (std::size_t i = 0; i < bias.size(); ++i) bias[i] = 0.1f * static_cast<float>(i);
  tensors.push_back({"classifier.weight", "F32", {labels, 32}, ts::f32_bytes(w)});
  tensors.push_back({"classifier.bias", "F32", {labels}, ts::f32_bytes(bias)});
  ts::write_file(dir + "/model.safetensors", ts::build_safetensors(tensors));
  nlohmann::json config = nlohmann::json::parse(ts::read_bytes(dir + "/config.json"));
  config["id2label"] = nlohmann::json::object();
  for (int i = 0; i < labels; ++i) config["id2label"][std::to_string(i)] = "L" + std::to_string(i);
  ts::write_file(dir + "/config.json", config.dump());
}

TEST(PairScorer, TwoLabelsGiveTheLogitDifference) {
  ts::ScratchDir dir;
  write_multilabel(dir.path(), 2);
  const CrossEncoder ce = CrossEncoder::load(dir.path());
  ASSERT_EQ(ce.num_labels(), 2u);
  const std::vector<std::string> docs = {"CT shows a filling defect.", "Normal chest radiograph."};
  const auto logits = ce.logits("pulmonary embolism", docs);
  const auto scores = ce.score_pairs("pulmonary embolism", docs);
  for (std::size_t i = 0; i < docs.size(); ++i) {
    EXPECT_FLOAT_EQ(scores[i], logits[i][1] - logits[i][0]);
    const auto probs = CrossEncoder::probabilities(logits[i], 1.5);
    EXPECT_NEAR(CrossEncoder::probabilities({scores[i]}, 1.5)[0], probs[1], 1e-6);
  }
}

TEST(PairScorer, ThreeLabelsRefused) {
  ts::ScratchDir dir;
  write_multilabel(dir.path(), 3);
  const CrossEncoder ce = CrossEncoder::load(dir.path());
  EXPECT_EQ(ce.logits("q", {"d"})[0].size(), 3u);
  EXPECT_THROW(ce.score_pairs("q", {"d"}), ModelError);
}

TEST(TextPath, TruncatesAtMaxLength) {
  BiEncoderOptions o;
  o.compute.max_length = 8;
  const BiEncoder enc = BiEncoder::load(ts::model_dir("roberta-biencoder-tiny"), o);
  const std::string long_text(2000, 'a');
  const auto ids = enc.tokenize("word " + std::string("radiology findings ") + long_text);
  EXPECT_EQ(ids.size(), 8u);
  EXPECT_EQ(ids.back(), 2);  // </s> kept
  EXPECT_EQ(enc.encode({long_text, ""}).rows(), 2u);
}

TEST(TextPath, DirectoryWithoutTokenizer) {
  ts::ScratchDir dir;
  ts::copy_model_dir(ts::model_dir("xlmr-biencoder-sp-tiny"), dir.path());
  for (const char* f : {"tokenizer.json", "sentencepiece.bpe.model"}) std::remove(dir.file(f).c_str());
  const BiEncoder enc = BiEncoder::load(dir.path());
  EXPECT_EQ(enc.encode_ids({{0, 5, 2}}).rows(), 1u);
  try {
    enc.encode({"text"});
    FAIL() << "no exception";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("no tokenizer files"), std::string::npos) << e.what();
  }
}

}  // namespace
