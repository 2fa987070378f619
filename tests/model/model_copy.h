// Test support for load-error tests: a scratch copy of a tiny fixture model that a test may break, and a check
// that a call throws the expected radlite error with a message naming the expected parts.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../support/safetensors_writer.h"
#include "../support/scratch_dir.h"
#include "golden.h"

namespace radlite::test_support {

// A scratch copy of a tiny fixture model that a test may break.
struct ModelCopy {
  ScratchDir dir;
  explicit ModelCopy(const std::string& name) { copy_model_dir(model_dir(name), dir.path()); }
  std::string path(const std::string& f = "") const { return f.empty() ? dir.path() : dir.file(f); }

  // Rewrites model.safetensors after `edit` changes its header JSON and data section.
  void edit_weights(const std::function<void(nlohmann::json&, std::string&)>& edit) const {
    const std::string bytes = read_bytes(path("model.safetensors"));
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
    nlohmann::json header = nlohmann::json::parse(bytes.substr(8, n));
    std::string data = bytes.substr(8 + n);
    edit(header, data);
    write_file(path("model.safetensors"), build_raw(header.dump(), data));
  }
  void edit_json(const std::string& file, const std::function<void(nlohmann::json&)>& edit) const {
    nlohmann::json j = nlohmann::json::parse(read_bytes(path(file)));
    edit(j);
    write_file(path(file), j.dump(2));
  }
};

template <typename E, typename F>
void expect_error(F&& f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "no exception";
  } catch (const E& e) {
    const std::string msg = e.what();
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "missing '" << p << "' in: " << msg;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
}

}  // namespace radlite::test_support
