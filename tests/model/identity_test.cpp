// Model identities fingerprint what determines the outputs, not where a model is stored: a byte-identical copy in
// another directory has the same identity (and an index built with one loads with the other), while any change to
// the weights, tokenizer, config, pooling, normalization or max length gives another identity (and the index
// refuses the changed model).
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

#include "golden.h"
#include "model_copy.h"
#include "radlite/encoder.h"
#include "radlite/error.h"
#include "radlite/retrieval/pipeline.h"

using namespace radlite;
namespace ts = radlite::test_support;
using ts::ModelCopy;

namespace {

const char* kBi = "roberta-biencoder-tiny";

std::string id_of(const std::string& dir, const BiEncoderOptions& o = {}) { return BiEncoder::load(dir, o).identity(); }

TEST(Identity, ContentNotLocation) {
  const std::string original = id_of(ts::model_dir(kBi));
  EXPECT_EQ(original.rfind("roberta bi-encoder fp:", 0), 0u) << original;
  EXPECT_EQ(original.size(), std::string("roberta bi-encoder fp:").size() + 16) << original;
  EXPECT_EQ(original.find("roberta-biencoder-tiny"), std::string::npos) << "the directory name is not content";

  ModelCopy copy(kBi);  // a scratch directory with another name
  EXPECT_EQ(id_of(copy.path()), original);
  // Re-serialising config.json (other indentation) and adding a field radlite does not read change nothing.
  copy.edit_json("config.json", [](nlohmann::json& c) { c["transformers_version"] = "9.9.9"; });
  EXPECT_EQ(id_of(copy.path()), original);
}

TEST(Identity, EveryInputOfTheVectorsCounts) {
  const std::string original = id_of(ts::model_dir(kBi));
  std::vector<std::string> seen = {original};
  auto expect_new = [&](const std::string& id, const char* what) {
    for (const auto& s : seen) EXPECT_NE(id, s) << what << " did not change the identity";
    seen.push_back(id);
  };
  {
    ModelCopy m(kBi);
    m.edit_json("config.json", [](nlohmann::json& c) { c["layer_norm_eps"] = 1e-6; });
    expect_new(id_of(m.path()), "layer_norm_eps");
  }
  {
    ModelCopy m(kBi);
    m.edit_json("1_Pooling/config.json", [](nlohmann::json& c) { c["pooling_mode"] = "cls"; });
    expect_new(id_of(m.path()), "pooling");
  }
  {
    ModelCopy m(kBi);
    m.edit_json("modules.json", [](nlohmann::json& j) { j.erase(2); });  // no Normalize module
    expect_new(id_of(m.path()), "normalization");
  }
  {
    ModelCopy m(kBi);
    m.edit_json("sentence_bert_config.json", [](nlohmann::json& c) { c["max_seq_length"] = 17; });
    expect_new(id_of(m.path()), "max_seq_length");
  }
  {
    BiEncoderOptions o;
    o.compute.max_length = 19;
    expect_new(id_of(ts::model_dir(kBi), o), "the max_length option");
    BiEncoderOptions n;
    n.normalize = false;
    expect_new(id_of(ts::model_dir(kBi), n), "the normalize option");
  }
  {
    ModelCopy m(kBi);
    m.edit_weights([](nlohmann::json&, std::string& data) { data[data.size() / 2] ^= 1; });  // one bit of one weight
    expect_new(id_of(m.path()), "a weight");
  }
  {
    ModelCopy m(kBi);
    m.edit_json("tokenizer.json", [](nlohmann::json& t) { t["model"]["vocab"]["radlitetoken"] = 9999; });
    expect_new(id_of(m.path()), "the tokenizer");
  }
  // The compute settings that change results by rounding only are not part of it.
  BiEncoderOptions batching;
  batching.compute.batch_size = 3;
  batching.compute.max_batch_tokens = 0;
  EXPECT_EQ(id_of(ts::model_dir(kBi), batching), original);
}

TEST(Identity, CrossEncoderFingerprint) {
  const CrossEncoder a = CrossEncoder::load(ts::model_dir("roberta-crossencoder-tiny"));
  EXPECT_EQ(a.identity().rfind("roberta cross-encoder fp:", 0), 0u) << a.identity();
  ModelCopy copy("roberta-crossencoder-tiny");
  EXPECT_EQ(CrossEncoder::load(copy.path()).identity(), a.identity());
  CrossEncoderOptions o;
  o.compute.max_length = 20;
  EXPECT_NE(CrossEncoder::load(copy.path(), o).identity(), a.identity());
  // Same weights as a bi-encoder elsewhere would still differ: the kind and settings are hashed too.
  EXPECT_NE(a.identity().substr(a.identity().size() - 16),
            id_of(ts::model_dir(kBi)).substr(id_of(ts::model_dir(kBi)).size() - 16));
}

// The index's model check through the public Pipeline: a copy is accepted, a changed pooling refused.
TEST(Identity, IndexAcceptsACopyAndRefusesAChangedModel) {
  ModelCopy copy(kBi);
  ModelCopy changed(kBi);
  changed.edit_json("1_Pooling/config.json", [](nlohmann::json& c) { c["pooling_mode"] = "cls"; });
  ts::ScratchDir scratch;
  const std::string index_dir = scratch.file("index");
  {
    Pipeline p(std::make_shared<BiEncoder>(BiEncoder::load(ts::model_dir(kBi))), nullptr);
    p.add({{"d1", "", "chest radiograph"}, {"d2", "", "abdominal CT"}});
    p.save(index_dir);
  }
  const Pipeline ok = Pipeline::load(index_dir, std::make_shared<BiEncoder>(BiEncoder::load(copy.path())), nullptr);
  EXPECT_EQ(ok.size(), 2u);
  ts::expect_error<ModelError>(
      [&] { Pipeline::load(index_dir, std::make_shared<BiEncoder>(BiEncoder::load(changed.path())), nullptr); },
      {"roberta bi-encoder fp:"});
}

}  // namespace
