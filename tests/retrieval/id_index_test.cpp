// The pipeline's id -> doc table (retrieval/id_index.h) against std::unordered_map as the oracle, through a
// long random run of inserts, finds and erases over a few thousand ids: enough for probe runs that wrap
// around the end of the table, for growth, and for many backward shifts on erase.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "retrieval/id_index.h"

using radlite::retrieval_internal::IdIndex;

TEST(IdIndex, AgreesWithAHashMapThroughInsertsFindsAndErases) {
  std::vector<std::string> names;  // doc number -> id (what the segments hold)
  auto id_of = [&](std::size_t doc) { return std::string_view(names[doc]); };
  IdIndex index;
  std::unordered_map<std::string, std::size_t> oracle;
  std::mt19937 rng(5);
  std::size_t checked = 0;
  for (int step = 0; step < 60000; ++step) {
    const std::string id = "r" + std::to_string(rng() % 3000);
    const unsigned op = rng() % 3;
    if (op == 0) {  // add a new document under this id, if it is free
      names.push_back(id);
      const bool added = index.insert(id, names.size() - 1, id_of);
      ASSERT_EQ(added, oracle.emplace(id, names.size() - 1).second) << id;
      if (!added) names.pop_back();
    } else if (op == 1) {
      ASSERT_EQ(index.erase(id, id_of), oracle.erase(id) == 1) << id;
    } else {
      const auto it = oracle.find(id);
      ASSERT_EQ(index.find(id, id_of), it == oracle.end() ? -1 : static_cast<std::int64_t>(it->second)) << id;
      ++checked;
    }
    ASSERT_EQ(index.size(), oracle.size());
  }
  for (const auto& [id, doc] : oracle) ASSERT_EQ(index.find(id, id_of), static_cast<std::int64_t>(doc)) << id;
  EXPECT_GT(oracle.size(), 500u);
  EXPECT_GT(checked, 10000u);
  // clear() empties it, and it fills again past its first capacity.
  index.clear(10);
  EXPECT_EQ(index.size(), 0u);
  EXPECT_EQ(index.find(oracle.begin()->first, id_of), -1);
  names.clear();
  for (int i = 0; i < 5000; ++i) {
    names.push_back("n" + std::to_string(i));
    ASSERT_TRUE(index.insert(names.back(), names.size() - 1, id_of));
  }
  for (int i = 0; i < 5000; i += 7) EXPECT_EQ(index.find("n" + std::to_string(i), id_of), i);
  EXPECT_FALSE(index.insert("n42", 0, id_of));
}
