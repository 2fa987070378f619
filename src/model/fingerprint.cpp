#include "model/fingerprint.h"

#include <filesystem>
#include <sstream>
#include <system_error>

#include "io/sha256.h"
#include "tokenizers/tokenizer_files.h"

namespace radlite::model {

namespace fs = std::filesystem;

std::string describe_config(const EncoderConfig& c) {
  static const char* families[] = {"bert", "roberta", "xlm-roberta"};
  static const char* activations[] = {"gelu", "gelu_tanh", "relu", "silu"};
  std::ostringstream s;
  s.precision(17);  // round-trips a double: eps 1e-5 and 1e-12 must not print alike
  s << "family=" << families[static_cast<int>(c.family)] << " hidden=" << c.hidden_size << " layers=" << c.num_layers
    << " heads=" << c.num_heads << " intermediate=" << c.intermediate_size << " vocab=" << c.vocab_size
    << " positions=" << c.max_position_embeddings << " type_vocab=" << c.type_vocab_size << " pad=" << c.pad_token_id
    << " eps=" << c.layer_norm_eps << " act=" << activations[static_cast<int>(c.activation)];
  return s.str();
}

std::string describe_pooling(const PoolingConfig& p) {
  std::string out;
  auto add = [&](bool on, const char* name) {
    if (on) out += (out.empty() ? "" : "+") + std::string(name);
  };
  add(p.cls, "cls");
  add(p.max, "max");
  add(p.mean, "mean");
  add(p.mean_sqrt_len, "mean_sqrt_len");
  add(p.weighted_mean, "weighted_mean");
  add(p.last_token, "last_token");
  return out;
}

std::vector<std::string> tokenizer_files(const std::string& dir) {
  std::error_code ec;  // the path tests below report a failure as false
  std::vector<std::string> out;
  for (const char* f : tokenizers::kTokenizerInputFiles) {
    const std::string path = (fs::path(dir) / f).string();
    if (fs::is_regular_file(path, ec)) out.push_back(path);
  }
  return out;
}

std::string fingerprint(const std::string& label, const std::string& settings,
                        const std::vector<std::string>& weight_files, const std::vector<std::string>& tokenizer_files) {
  // Each part is length-prefixed or newline-terminated so that no two different inputs give the same stream.
  std::string stream = "radlite-fingerprint-v1\nsettings " + std::to_string(settings.size()) + "\n" + settings + "\n";
  for (const auto& f : weight_files) stream += "weights " + io::sha256_file(f) + "\n";
  for (const auto& f : tokenizer_files)
    stream += "tokenizer " + fs::path(f).filename().string() + " " + io::sha256_file(f) + "\n";
  return label + " fp:" + io::sha256_hex(stream.data(), stream.size()).substr(0, 16);
}

}  // namespace radlite::model
