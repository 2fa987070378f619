// Durable index saves: a child process runs an index mutation (save over an existing index, append and
// save, first save into a new directory) and is SIGKILLed after a random delay; the parent then loads the
// directory. The result must always be exactly the state before or the state after the mutation, never a
// broken or mixed index (issue 8: "a crash during a save must not lose the previous index").
//
// Written against the public Pipeline API only (save / load / add), so it keeps working when the on-disk
// format changes. To cover a new mutation (deletes, segment merges), add a Scenario: `before` builds the
// starting directory, `mutate` is what the killed child runs, and the acceptable outcomes are computed by
// running the same steps to completion.
//
// Rounds per scenario: RADLITE_KILL_ROUNDS (default 100). The kill delays are spread over 1.2 x the
// measured duration of an uninterrupted mutation, so most kills land inside it.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "radlite/error.h"
#include "radlite/retrieval/pipeline.h"
#include "retrieval/fake_models.h"

namespace fs = std::filesystem;
using radlite::BeirDocument;
using radlite::Pipeline;

namespace {

const auto kEncoder = std::make_shared<radlite::test_models::HashingEncoder>(16, "durable-test-hashing-16");

std::vector<BeirDocument> make_docs(int first, int count) {
  const char* words[] = {"lung", "nodule", "ct", "mri", "liver", "lesion", "contrast", "biopsy", "stage", "tumor"};
  std::vector<BeirDocument> docs;
  for (int i = first; i < first + count; ++i) {
    std::string text;
    for (int w = 0; w < 12; ++w) text += std::string(words[(i * 7 + w * 3) % 10]) + (w % 4 == 3 ? ". " : " ");
    docs.push_back({"doc-" + std::to_string(i), i % 3 ? "Title " + std::to_string(i) : "", text});
  }
  return docs;
}

Pipeline build(int n_docs, bool bm25 = true) {
  radlite::PipelineOptions o;
  o.bm25 = bm25;
  Pipeline p(kEncoder, nullptr, o);
  p.add(make_docs(0, n_docs));
  return p;
}

// Everything a user could observe of an index: documents, stages, and the ranked hits of a few queries.
std::string fingerprint(const Pipeline& p) {
  std::ostringstream out;
  out << "docs=" << p.size() << " bm25=" << p.has_bm25() << " dense=" << p.has_embeddings() << '\n';
  for (std::size_t i = 0; i < p.size(); ++i)
    out << p.document(i).id << '|' << p.document(i).title << '|' << p.document(i).text << '\n';
  for (const char* q : {"lung nodule ct", "liver biopsy contrast", "stage"}) {
    out << q << ':';
    for (const auto& h : p.search(q, {5})) out << ' ' << h.id << '=' << h.score;
    out << '\n';
  }
  return out.str();
}

// The loaded state of `dir`, or nullopt when there is no index there at all (only acceptable when the
// state before the mutation was "no index"). A directory that exists and does not load is broken.
std::optional<std::string> observe(const std::string& dir, bool* broken, std::string* error) {
  try {
    return fingerprint(Pipeline::load(dir, kEncoder, nullptr));
  } catch (const radlite::Error& e) {
    *broken = fs::exists(dir);
    *error = e.what();
    return std::nullopt;
  }
}

struct Scenario {
  std::string name;
  std::function<void(const std::string& dir)> before;  // builds the starting state (may leave no index)
  std::function<void(const std::string& dir)> mutate;  // what the child runs and gets killed in
};

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "radlite-durable-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Runs `mutate` in a child; kills it after `delay` (nullopt: lets it finish). Returns true when the
// child was killed before it exited on its own.
bool run_child(const Scenario& s, const std::string& dir, std::optional<std::chrono::microseconds> delay) {
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int code = 0;
    try {
      s.mutate(dir);
    } catch (...) {
      code = 3;
    }
    ::_exit(code);
  }
  if (delay) {
    std::this_thread::sleep_for(*delay);
    ::kill(pid, SIGKILL);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0) throw std::runtime_error("the mutation failed in the child");
  return WIFSIGNALED(status);
}

int rounds() {
  const char* env = std::getenv("RADLITE_KILL_ROUNDS");
  return env ? std::max(1, std::atoi(env)) : 100;
}

void run_scenario(const Scenario& s) {
  TempDir tmp;
  const std::string dir = (tmp.path() / "index").string();

  // The two acceptable outcomes, and how long an uninterrupted mutation takes (median of 3).
  s.before(dir);
  bool broken = false;
  std::string error;
  const std::optional<std::string> old_state = observe(dir, &broken, &error);
  ASSERT_FALSE(broken) << s.name << ": the starting state does not load: " << error;
  std::vector<double> durations;
  std::optional<std::string> new_state;
  for (int i = 0; i < 3; ++i) {
    fs::remove_all(tmp.path());
    fs::create_directories(tmp.path());
    s.before(dir);
    const auto t0 = std::chrono::steady_clock::now();
    run_child(s, dir, std::nullopt);
    durations.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    new_state = observe(dir, &broken, &error);
    ASSERT_FALSE(broken) << s.name << ": the completed mutation does not load: " << error;
  }
  ASSERT_TRUE(new_state.has_value());
  ASSERT_NE(old_state, new_state) << s.name << ": the mutation must change what a load observes";
  std::sort(durations.begin(), durations.end());
  const double span_us = 1.2 * durations[1];

  std::mt19937 rng(20261130);
  std::uniform_real_distribution<double> delay_us(0.0, span_us);
  int saw_old = 0, saw_new = 0, killed = 0;
  const int n = rounds();
  for (int round = 0; round < n; ++round) {
    fs::remove_all(tmp.path());
    fs::create_directories(tmp.path());
    s.before(dir);
    const auto delay = std::chrono::microseconds(static_cast<long>(delay_us(rng)));
    killed += run_child(s, dir, delay);
    const std::optional<std::string> got = observe(dir, &broken, &error);
    ASSERT_FALSE(broken) << s.name << " round " << round << " (killed after " << delay.count()
                         << " us): the index does not load: " << error;
    if (got == old_state) {
      ++saw_old;
    } else if (got == new_state) {
      ++saw_new;
    } else {
      FAIL() << s.name << " round " << round << " (killed after " << delay.count()
             << " us): the loaded index is neither the old nor the new one:\n"
             << got.value_or("(no index)");
    }
  }
  // A save that completes leaves no temp or aside directories of killed saves behind (atomic_directory.h).
  s.mutate(dir);
  std::vector<std::string> leftovers;
  for (const auto& e : fs::directory_iterator(tmp.path()))
    if (e.path().filename() != "index") leftovers.push_back(e.path().filename().string());
  EXPECT_TRUE(leftovers.empty()) << s.name << ": a completed save left " << leftovers.size() << " entries, e.g. "
                                 << (leftovers.empty() ? "" : leftovers[0]);
  std::cout << "[ kill-during-save ] " << s.name << ": " << n << " rounds, mutation " << durations[1] / 1000.0
            << " ms, killed mid-way " << killed << ", loaded old " << saw_old << ", new " << saw_new << '\n';
  // Both outcomes must occur, or the kills did not exercise the interesting window.
  EXPECT_GT(killed, 0) << s.name << ": every child finished before its kill; the delays are too long";
  EXPECT_GT(saw_old + saw_new, 0);
}

TEST(DurableSave, SaveOverExistingIndexKilledAtRandomPoints) {
  run_scenario({"save over an existing index", [](const std::string& dir) { build(20).save(dir); },
                [](const std::string& dir) { build(40).save(dir); }});
}

TEST(DurableSave, AppendAndSaveKilledAtRandomPoints) {
  run_scenario({"load, append, save in place", [](const std::string& dir) { build(20).save(dir); },
                [](const std::string& dir) {
                  Pipeline p = Pipeline::load(dir, kEncoder, nullptr);
                  p.add(make_docs(100, 10));
                  p.save(dir);
                }});
}

TEST(DurableSave, SaveWithOtherStagesKilledAtRandomPoints) {
  // The new index drops BM25: a mixed directory (old bm25.bin beside a new manifest) must never load.
  run_scenario({"replace a BM25 + dense index by a dense-only one", [](const std::string& dir) { build(30).save(dir); },
                [](const std::string& dir) { build(30, /*bm25=*/false).save(dir); }});
}

TEST(DurableSave, FirstSaveKilledAtRandomPoints) {
  // No index before: a killed first save may leave no index (or the complete new one), never a broken one.
  run_scenario({"first save into a new directory", [](const std::string&) {},
                [](const std::string& dir) { build(20).save(dir); }});
}

}  // namespace
