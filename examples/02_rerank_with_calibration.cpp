// 02: score (query, document) pairs with a cross-encoder and calibrate the logits with a temperature.
//
//   ./02_rerank_with_calibration [CROSS_ENCODER_DIR] [TEMPERATURE]
//
// RadLITE calibrates its reranker with T = 1.5: probability = sigmoid(logit / T).
#include <radlite/encoder.h>
#include <radlite/error.h>
#include <radlite/retrieval/calibration.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : RADLITE_SOURCE_DIR "/models/tiny/bert-crossencoder-tiny";
  const double temperature = argc > 2 ? std::atof(argv[2]) : 1.5;
  try {
    radlite::CrossEncoder reranker = radlite::CrossEncoder::load(dir);
    const std::string query = "How is a pneumothorax seen on a chest radiograph?";
    const std::vector<std::string> docs = {
        "A visceral pleural line with absent lung markings peripheral to it indicates pneumothorax.",
        "Ultrasound of the gallbladder shows multiple mobile echogenic stones with shadowing.",
        "Deep sulcus sign on a supine radiograph can be the only sign of a pneumothorax.",
    };
    std::vector<float> logits = reranker.score_pairs(query, docs);  // one relevance logit per pair
    std::vector<float> probs = radlite::calibrate(logits, {temperature});

    std::vector<std::size_t> order(docs.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return logits[a] > logits[b]; });
    std::printf("query: %s\n%4s %12s %12s  document\n", query.c_str(), "rank", "logit", "p(T=1.5)");
    for (std::size_t r = 0; r < order.size(); ++r)
      std::printf("%4zu %12.6f %12.6f  %.60s\n", r + 1, logits[order[r]], probs[order[r]], docs[order[r]].c_str());
  } catch (const radlite::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
