// Crash-safe saves: the atomic directory writer (replace, checksums, failed saves, recovery of an aside copy),
// pipeline saves killed with SIGKILL at random instants, the naive in-place overwrite that such kills do tear (the
// control), and loads racing saves.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <thread>

#include "io/atomic_directory.h"
#include "pipeline_fixtures.h"
#include "radlite/error.h"
#include "radlite/retrieval/pipeline.h"
#include "retrieval/fake_models.h"

namespace fs = std::filesystem;
using namespace radlite;
using namespace pipeline_tests;
using radlite::test_models::HashingEncoder;
using radlite::test_models::OverlapScorer;

namespace ri = radlite::io;

namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_dir(const std::string& target, const std::string& content, bool exchange) {
  ri::AtomicDirectoryWriter w(
      target, [](const std::string&) { return std::string(); }, exchange);
  w.write_file("a.txt", [&](std::ostream& out) { out << content; });
  w.write_file("b.txt", [&](std::ostream& out) { out << content << content; });
  w.commit();
}

std::vector<std::string> leftovers(const std::string& parent) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(parent)) {
    std::string n = e.path().filename().string();
    if (n.find(".radlite-") != std::string::npos) out.push_back(n);
  }
  return out;
}

}  // namespace

TEST(AtomicDirectory, ReplacesWithAndWithoutExchange) {
  for (bool exchange : {true, false}) {
    std::string parent = temp_dir(exchange ? "atomic_x" : "atomic_r");
    std::string target = parent + "/idx";
    write_dir(target, "one", exchange);
    EXPECT_EQ(read_all(target + "/a.txt"), "one");
    write_dir(target, "two", exchange);
    EXPECT_EQ(read_all(target + "/a.txt"), "two");
    EXPECT_EQ(read_all(target + "/b.txt"), "twotwo");
    EXPECT_TRUE(leftovers(parent).empty());
  }
}

TEST(AtomicDirectory, ChecksumAndSizeOfWrittenFile) {
  std::string parent = temp_dir("atomic_sum");
  ri::AtomicDirectoryWriter w(parent + "/idx");
  auto f = w.write_file("abc.txt", [](std::ostream& out) { out << "abc"; });
  EXPECT_EQ(f.bytes, 3u);
  EXPECT_EQ(f.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");  // FIPS 180-2 example
  w.commit();
}

TEST(AtomicDirectory, FailedSaveLeavesPreviousContent) {
  std::string parent = temp_dir("atomic_fail");
  std::string target = parent + "/idx";
  write_dir(target, "old", true);
  {
    ri::AtomicDirectoryWriter w(target, [](const std::string&) { return std::string(); });
    w.write_file("a.txt", [](std::ostream& out) { out << "partial"; });
    EXPECT_THROW(w.write_file("b.txt", [](std::ostream&) { throw IoError("simulated failure"); }), IoError);
  }  // destroyed without commit
  EXPECT_EQ(read_all(target + "/a.txt"), "old");
  EXPECT_TRUE(leftovers(parent).empty());
}

TEST(AtomicDirectory, RecoversAnAsideCopyWhenTheTargetIsMissing) {
  // The state a kill between the two renames of the rename-aside path leaves: no target, one complete
  // aside copy named after a process that no longer exists (a child that has exited).
  std::string parent = temp_dir("atomic_recover");
  std::string target = parent + "/idx";
  write_dir(target, "previous", false);
  pid_t child = ::fork();
  if (child == 0) _exit(0);
  ::waitpid(child, nullptr, 0);
  std::string aside = parent + "/.idx.radlite-old-" + std::to_string(child) + "-0000abcd";
  fs::rename(target, aside);
  EXPECT_EQ(ri::recover_directory(target), aside);
  EXPECT_EQ(read_all(ri::recover_directory(target) + "/a.txt"), "previous");
  // The aside survives the next writer's cleanup while there is no target, and is deleted once there is.
  write_dir(target, "next", false);
  EXPECT_EQ(read_all(target + "/a.txt"), "next");
  EXPECT_TRUE(fs::exists(aside));
  write_dir(target, "third", false);
  EXPECT_FALSE(fs::exists(aside));
  EXPECT_TRUE(leftovers(parent).empty());
}

namespace {

// A pipeline large enough that one save takes a while (several MB, fsynced).
Pipeline big_pipeline(std::size_t n, const std::shared_ptr<const TextEncoder>& enc) {
  Pipeline p(enc, nullptr);
  p.add(random_word_corpus(n));
  return p;
}

}  // namespace

TEST(PipelinePersistence, SaveKilledMidwayLeavesALoadableIndex) {
  auto enc = std::make_shared<HashingEncoder>(64, "test-hashing-bow-64");
  Pipeline a = big_pipeline(20000, enc);
  Pipeline b = big_pipeline(20000, enc);
  b.add({{"extra", "", "zebra unicorn"}});
  std::string parent = temp_dir("kill");
  std::string dir = parent + "/index";
  auto t0 = std::chrono::steady_clock::now();
  a.save(dir);
  double save_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const std::string q = "zebra unicorn lung";
  const auto ref_a = a.search(q), ref_b = b.search(q);
  ASSERT_EQ(ref_b[0].id, "extra");
  ASSERT_NE(ref_a[0].id, "extra");

  std::mt19937 rng(42);
  int mid_save_kills = 0, iterations = 0;
  for (; iterations < 40 && mid_save_kills < 5; ++iterations) {
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      // Alternate between the two indexes forever; the parent kills us at a random instant.
      for (;;) {
        try {
          b.save(dir);
          a.save(dir);
        } catch (...) {
          _exit(3);
        }
      }
    }
    std::uniform_real_distribution<double> delay(0.0, 3.0 * save_ms);
    std::this_thread::sleep_for(std::chrono::microseconds(static_cast<long>(1000 * delay(rng))));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the saving child failed on its own";
    if (!leftovers(parent).empty()) ++mid_save_kills;  // killed while a temp/aside directory existed
    Pipeline loaded = Pipeline::load(dir, enc, nullptr);
    ASSERT_TRUE(loaded.size() == a.size() || loaded.size() == b.size()) << loaded.size();
    expect_same_hits(loaded.search(q), loaded.size() == a.size() ? ref_a : ref_b);
  }
  EXPECT_GT(mid_save_kills, 0) << "no kill landed inside a save in " << iterations << " tries";
  // The next save removes what the killed children left behind.
  a.save(dir);
  EXPECT_TRUE(leftovers(parent).empty());
  std::printf("[ info ] one save %.1f ms; %d of %d kills landed mid-save\n", save_ms, mid_save_kills, iterations);
}

// The control for the test above: the same kills during a naive in-place overwrite (files rewritten one by
// one inside the index directory) do leave indexes that fail to load, so the test above can fail, and the
// checksums catch the torn state instead of serving a mix of two indexes.
TEST(PipelinePersistence, InPlaceOverwriteKilledMidwayIsDetected) {
  auto enc = std::make_shared<HashingEncoder>(64, "test-hashing-bow-64");
  Pipeline a = big_pipeline(20000, enc);
  Pipeline b = big_pipeline(20000, enc);
  b.add({{"extra", "", "zebra unicorn"}});
  std::string parent = temp_dir("naive");
  a.save(parent + "/a");
  b.save(parent + "/b");
  const std::string dir = parent + "/index";
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(parent + "/a")) files.push_back(e.path().filename().string());
  std::sort(files.begin(), files.end());
  std::rotate(files.begin(), files.begin() + 1, files.end());  // manifest.json last, as a save writes it
  auto copy_all = [&](const std::string& from) {
    for (const auto& f : files) {
      std::ifstream in(from + "/" + f, std::ios::binary);
      std::ofstream out(dir + "/" + f, std::ios::binary | std::ios::trunc);
      std::vector<char> buf(1 << 16);
      while (in.read(buf.data(), buf.size()) || in.gcount() > 0) out.write(buf.data(), in.gcount());
    }
  };
  fs::create_directories(dir);
  copy_all(parent + "/a");
  auto t0 = std::chrono::steady_clock::now();
  copy_all(parent + "/a");
  double copy_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::mt19937 rng(1);
  int failures = 0, iterations = 0;
  for (; iterations < 60 && failures == 0; ++iterations) {
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      for (;;) {
        copy_all(parent + "/b");
        copy_all(parent + "/a");
      }
    }
    std::uniform_real_distribution<double> delay(0.0, 2.0 * copy_ms);
    std::this_thread::sleep_for(std::chrono::microseconds(static_cast<long>(1000 * delay(rng))));
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    try {
      Pipeline::load(dir, enc, nullptr);
    } catch (const FormatError&) {
      ++failures;
    }
  }
  EXPECT_GT(failures, 0) << "no torn index in " << iterations << " kills: the kill test would not detect a naive save";
}

// Loads racing with saves of the same directory either fail cleanly (FormatError/IoError) or return one of
// the two saved indexes in full, never a mix of their files.
TEST(PipelinePersistence, LoadsRacingSavesNeverMixIndexes) {
  auto enc = std::make_shared<HashingEncoder>(64, "test-hashing-bow-64");
  Pipeline a = big_pipeline(3000, enc);
  Pipeline b = big_pipeline(3000, enc);
  b.add({{"extra", "", "zebra unicorn"}});
  const std::string dir = temp_dir("race") + "/index";
  a.save(dir);
  const std::string q = "zebra unicorn lung";
  const auto ref_a = a.search(q), ref_b = b.search(q);
  std::atomic<bool> stop{false};
  std::thread saver([&] {
    while (!stop) {
      b.save(dir);
      a.save(dir);
    }
  });
  int ok = 0, failed = 0;
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (std::chrono::steady_clock::now() < until) {
    try {
      Pipeline loaded = Pipeline::load(dir, enc, nullptr);
      ASSERT_TRUE(loaded.size() == a.size() || loaded.size() == b.size());
      expect_same_hits(loaded.search(q), loaded.size() == a.size() ? ref_a : ref_b);
      ++ok;
    } catch (const Error&) {
      ++failed;
    }
  }
  stop = true;
  saver.join();
  EXPECT_GT(ok, 0);
  std::printf("[ info ] %d loads succeeded, %d failed cleanly while saves ran\n", ok, failed);
}

namespace {

// Runs `save` in a child process whose files may not grow past 64 KB (write() then fails with EFBIG, as on a
// full disk it fails with ENOSPC); returns the IoError message the save threw, or what went wrong instead.
std::string save_failure_under_file_limit(const std::function<void()>& save) {
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed";
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(fds[0]);
    ::signal(SIGXFSZ, SIG_IGN);  // the write fails instead of killing the process
    const rlimit limit{64 * 1024, 64 * 1024};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    std::string message = "no error";
    try {
      save();
    } catch (const IoError& e) {
      message = e.what();
    } catch (const std::exception& e) {
      message = std::string("not an IoError: ") + e.what();
    }
    (void)!::write(fds[1], message.data(), message.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string message;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) message.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  return message;
}

}  // namespace

// A write that fails midway (file size limit here, full disk in the field) is reported with the file and the
// system's reason, by a first save (atomic directory) and by an append (new segment files), and the index on
// disk stays what it was.
TEST(PipelinePersistence, FailedWriteNamesTheFileAndTheReason) {
  auto enc = std::make_shared<HashingEncoder>(64, "test-hashing-bow-64");
  const std::string parent = temp_dir("efbig");
  {
    Pipeline p = big_pipeline(3000, enc);
    const std::string message = save_failure_under_file_limit([&] { p.save(parent + "/first"); });
    EXPECT_NE(message.find(parent + "/"), std::string::npos) << message;
    EXPECT_NE(message.find("write failed (File too large)"), std::string::npos) << message;
    EXPECT_FALSE(fs::exists(parent + "/first/manifest.json"));
  }
  Pipeline a(enc, nullptr);
  a.add(random_word_corpus(20));
  a.save(parent + "/index");
  std::vector<BeirDocument> more = random_word_corpus(3000);
  for (auto& d : more) d.id = "more-" + d.id;
  a.add(more);
  const std::string message = save_failure_under_file_limit([&] { a.save(parent + "/index"); });
  EXPECT_NE(message.find(parent + "/index/seg-"), std::string::npos) << message;
  EXPECT_NE(message.find("write failed (File too large)"), std::string::npos) << message;
  EXPECT_EQ(Pipeline::load(parent + "/index", enc, nullptr).live_size(), 20u);
}
