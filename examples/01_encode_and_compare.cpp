// 01: encode texts with a bi-encoder and compare them by cosine similarity.
//
//   ./01_encode_and_compare [BI_ENCODER_DIR]
//
// With the bundled tiny model (random weights) the similarities are meaningless; with the real
// matulichpt/radlit-biencoder the two pulmonary-embolism texts come out closest.
#include <radlite/encoder.h>
#include <radlite/error.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace {

double cosine(const radlite::Matrix& m, std::size_t a, std::size_t b) {
  double dot = 0, na = 0, nb = 0;
  for (std::size_t j = 0; j < m.cols(); ++j) {
    dot += double(m(a, j)) * m(b, j);
    na += double(m(a, j)) * m(a, j);
    nb += double(m(b, j)) * m(b, j);
  }
  return dot / std::sqrt(na * nb);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : RADLITE_SOURCE_DIR "/models/tiny/roberta-biencoder-tiny";
  try {
    radlite::BiEncoder encoder = radlite::BiEncoder::load(dir);  // all cores, float32, CPU
    const std::vector<std::string> texts = {
        "What are the CT findings in pulmonary embolism?",
        "CT pulmonary angiography shows an intraluminal filling defect in a segmental artery.",
        "MRI of the knee demonstrates a complex tear of the medial meniscus.",
    };
    radlite::Matrix vectors = encoder.encode(texts);  // one row per text, in input order
    std::printf("%zu texts -> %zu x %zu (normalized: %s)\n", texts.size(), vectors.rows(), vectors.cols(),
                encoder.normalizes() ? "yes" : "no");
    for (std::size_t i = 0; i < texts.size(); ++i)
      for (std::size_t j = i + 1; j < texts.size(); ++j)
        std::printf("cos(%zu, %zu) = %+.6f\n", i, j, cosine(vectors, i, j));
  } catch (const radlite::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
