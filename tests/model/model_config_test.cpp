// config.json and sentence-transformers layouts: both module-name generations, pooling flags and strings,
// Normalize present or not, and the max_seq_length resolution order.
#include <gtest/gtest.h>

#include "../support/scratch_dir.h"
#include "golden.h"
#include "model/model_config.h"
#include "radlite/error.h"

using namespace radlite;
namespace ts = radlite::test_support;

TEST(EncoderConfig, FixtureFamilies) {
  auto r = model::read_encoder_config(ts::model_dir("roberta-biencoder-tiny"));
  EXPECT_EQ(r.family, model::Family::Roberta);
  EXPECT_EQ(r.hidden_size, 32);
  EXPECT_EQ(r.pad_token_id, 1);
  EXPECT_DOUBLE_EQ(r.layer_norm_eps, 1e-5);
  EXPECT_EQ(r.max_tokens(), 512);
  auto x = model::read_encoder_config(ts::model_dir("xlmr-biencoder-sp-tiny"));
  EXPECT_EQ(x.family, model::Family::XlmRoberta);
  EXPECT_EQ(x.vocab_size, 1002);
  auto b = model::read_encoder_config(ts::model_dir("bert-crossencoder-tiny"));
  EXPECT_EQ(b.family, model::Family::Bert);
  EXPECT_EQ(b.max_tokens(), 512);
  EXPECT_EQ(b.type_vocab_size, 2);
  EXPECT_EQ(b.num_labels.value_or(-1), 1);
  EXPECT_EQ(b.activation, model::Activation::GeluErf);
}

TEST(BiEncoderLayout, SentenceTransformers6And5GiveTheSameModel) {
  auto v6 = model::read_bi_encoder_layout(ts::model_dir("roberta-biencoder-tiny"));
  auto v5 = model::read_bi_encoder_layout(ts::model_dir("roberta-biencoder-tiny-st5"));
  for (const auto* l : {&v6, &v5}) {
    EXPECT_TRUE(l->pooling.mean);
    EXPECT_EQ(l->pooling.count(), 1);
    EXPECT_TRUE(l->normalize);
    EXPECT_EQ(l->max_seq_length, 512u);
  }
  // 6.x: sentence_bert_config.json has no max_seq_length; it comes from tokenizer_config.json.
  auto cls = model::read_bi_encoder_layout(ts::model_dir("bert-biencoder-cls-tiny"));
  EXPECT_TRUE(cls.pooling.cls);
  EXPECT_TRUE(cls.normalize);
  EXPECT_EQ(cls.max_seq_length, 128u);
  auto sp = model::read_bi_encoder_layout(ts::model_dir("xlmr-biencoder-sp-tiny"));
  EXPECT_TRUE(sp.pooling.mean);
  EXPECT_FALSE(sp.normalize);
  EXPECT_EQ(sp.max_seq_length, 256u);
}

TEST(BiEncoderLayout, MaxSeqLengthResolutionOrder) {
  ts::ScratchDir d;
  ts::copy_model_dir(ts::model_dir("roberta-biencoder-tiny-st5"), d.path());
  EXPECT_EQ(model::read_bi_encoder_layout(d.path()).max_seq_length, 512u);
  ts::write_file(d.file("sentence_bert_config.json"), R"({"max_seq_length": 77})");
  EXPECT_EQ(model::read_bi_encoder_layout(d.path()).max_seq_length, 77u);
  // No sentence_bert value: the tokenizer's model_max_length.
  ts::write_file(d.file("sentence_bert_config.json"), R"({"do_lower_case": false})");
  ts::write_file(d.file("tokenizer_config.json"), R"({"model_max_length": 64})");
  EXPECT_EQ(model::read_bi_encoder_layout(d.path()).max_seq_length, 64u);
  // The "no limit" sentinel is ignored: the position table decides (514 - 1 - 1 for RoBERTa).
  ts::write_file(d.file("tokenizer_config.json"), R"({"model_max_length": 1000000000000000019884624838656})");
  EXPECT_EQ(model::read_bi_encoder_layout(d.path()).max_seq_length, 512u);
  std::remove(d.file("tokenizer_config.json").c_str());
  std::remove(d.file("sentence_bert_config.json").c_str());
  EXPECT_EQ(model::read_bi_encoder_layout(d.path()).max_seq_length, 512u);
  // A plain transformers directory: mean pooling, no Normalize.
  std::remove(d.file("modules.json").c_str());
  auto plain = model::read_bi_encoder_layout(d.path());
  EXPECT_TRUE(plain.pooling.mean);
  EXPECT_FALSE(plain.normalize);
}

TEST(BiEncoderLayout, PoolingFlagsAndModes) {
  ts::ScratchDir d;
  ts::copy_model_dir(ts::model_dir("roberta-biencoder-tiny-st5"), d.path());
  ts::write_file(
      d.file("1_Pooling/config.json"),
      R"({"word_embedding_dimension": 32, "pooling_mode_cls_token": true, "pooling_mode_max_tokens": true})");
  auto l = model::read_bi_encoder_layout(d.path());
  EXPECT_TRUE(l.pooling.cls && l.pooling.max && !l.pooling.mean);
  ts::write_file(d.file("1_Pooling/config.json"), R"({"pooling_mode": "lasttoken"})");
  EXPECT_TRUE(model::read_bi_encoder_layout(d.path()).pooling.last_token);
  ts::write_file(d.file("1_Pooling/config.json"), R"({"pooling_mode_mean_tokens": false})");
  EXPECT_THROW(model::read_bi_encoder_layout(d.path()), ModelError);
  ts::write_file(d.file("1_Pooling/config.json"), R"({"pooling_mode_mean_tokens": "yes"})");
  EXPECT_THROW(model::read_bi_encoder_layout(d.path()), FormatError);
}
