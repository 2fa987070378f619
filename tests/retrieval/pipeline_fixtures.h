// What the Pipeline tests (pipeline_*_test.cpp, crash_safe_save_test.cpp) share: a small radiology corpus with
// its queries, a larger random one, a bit-for-bit comparison of two result lists, dense-only search options and
// scratch directories.
#pragma once

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "radlite/retrieval/pipeline.h"
#include "support/scratch_dir.h"

namespace pipeline_tests {

using radlite::BeirDocument;
using radlite::PipelineHit;

inline std::vector<BeirDocument> small_corpus() {
  return {
      {"d0", "", "Pulmonary embolism on CT shows a filling defect in the pulmonary artery."},
      {"d1", "", "Acute appendicitis: dilated appendix with periappendiceal fat stranding on CT."},
      {"d2", "Pneumothorax", "A visceral pleural line with absent lung markings beyond it."},
      {"d3", "", "Pulmonary nodules: solid nodules under 6 mm need no routine follow-up."},
      {"d4", "", "Aortic dissection shows an intimal flap separating true and false lumen on CT angiography."},
      {"d5", "", "Embolism of fat after long bone fracture causes petechiae and hypoxemia."},
      {"d6", "", "The filling defect of a pulmonary embolus may be central or eccentric; chronic emboli are mural."},
      {"d7", "", "Ground glass opacity in the lung has many causes including infection and edema."},
      {"d8", "Renal cysts", "Bosniak classification grades cystic renal masses on CT."},
      {"d9", "", "Pleural effusion layers dependently on decubitus radiographs."},
      {"d10", "", "Artery of Adamkiewicz and the spinal cord blood supply."},
      {"d11", "", "CT pulmonary angiography is the test of choice for suspected pulmonary embolism."},
  };
}

inline const std::vector<std::string> kQueries = {"pulmonary embolism CT", "filling defect artery", "pleural lung",
                                                  "renal cysts Bosniak", "fat embolism fracture"};

inline void expect_same_hits(const std::vector<PipelineHit>& a, const std::vector<PipelineHit>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    SCOPED_TRACE("rank " + std::to_string(i));
    EXPECT_EQ(a[i].doc, b[i].doc);
    EXPECT_EQ(a[i].id, b[i].id);
    EXPECT_EQ(a[i].score, b[i].score);
    EXPECT_EQ(a[i].dense, b[i].dense);
    EXPECT_EQ(a[i].bm25, b[i].bm25);
    EXPECT_EQ(a[i].fused, b[i].fused);
    EXPECT_EQ(a[i].rerank_logit, b[i].rerank_logit);
    EXPECT_EQ(a[i].rerank_prob, b[i].rerank_prob);
    EXPECT_EQ(a[i].final, b[i].final);
  }
}

// n documents ("doc0", ...) of 40 words drawn from a small radiology vocabulary with a fixed seed: an index large
// enough that one save takes a while.
inline std::vector<BeirDocument> random_word_corpus(std::size_t n) {
  std::mt19937 rng(7);
  const char* vocab[] = {"pulmonary", "embolism", "artery", "nodule",     "lung",   "ct",
                         "mri",       "contrast", "renal",  "cyst",       "liver",  "lesion",
                         "bone",      "fracture", "brain",  "hemorrhage", "stroke", "aorta"};
  std::vector<BeirDocument> docs;
  for (std::size_t i = 0; i < n; ++i) {
    std::string text;
    for (int w = 0; w < 40; ++w) text += std::string(vocab[rng() % 18]) + " ";
    docs.push_back({"doc" + std::to_string(i), "", text});
  }
  return docs;
}

/// Dense retrieval alone: k hits from k dense candidates, no BM25, no reranker.
inline radlite::SearchOptions dense_only(std::size_t k) {
  radlite::SearchOptions o;
  o.k = k;
  o.candidates = k;
  o.use_bm25 = false;
  o.use_reranker = false;
  return o;
}

inline std::string temp_dir(const std::string& name) {
  return radlite::test_support::fresh_temp_dir("pipeline_" + name);
}

}  // namespace pipeline_tests
