#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <utility>

#include "io/sha256.h"
#include "radlite/error.h"

using radlite::io::sha256_hex;

// Test vectors from FIPS 180-4 / NIST CAVS examples.
TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  EXPECT_EQ(sha256_hex(two_blocks.data(), two_blocks.size()),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  std::string million(1000000, 'a');
  EXPECT_EQ(sha256_hex(million.data(), million.size()),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, IncrementalEqualsOneShot) {
  std::string s(1000, 'x');
  for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>(i * 7);
  radlite::io::Sha256 h;
  for (std::size_t i = 0; i < s.size(); i += 37) h.update(s.data() + i, std::min<std::size_t>(37, s.size() - i));
  EXPECT_EQ(h.hex_digest(), sha256_hex(s.data(), s.size()));
}

TEST(Sha256, FileMovedAndFinishedHashes) {
  // A file larger than the 1 MiB read buffer, hashed in pieces, equals the one-shot hash of its bytes.
  std::string bytes(3 * (1 << 20) + 17, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 2654435761u) >> 13);
  const std::string path = ::testing::TempDir() + "radlite_sha256_test.bin";
  {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  EXPECT_EQ(radlite::io::sha256_file(path), sha256_hex(bytes.data(), bytes.size()));
  std::remove(path.c_str());
  EXPECT_THROW(radlite::io::sha256_file(path), radlite::IoError);

  // A moved-to hash continues where the moved-from one stopped; a finished hash refuses more input.
  radlite::io::Sha256 a;
  a.update("ab", 2);
  radlite::io::Sha256 b = std::move(a);
  b.update("c", 1);
  EXPECT_EQ(b.hex_digest(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_THROW(b.update("d", 1), radlite::InvalidArgument);
  EXPECT_THROW(b.hex_digest(), radlite::InvalidArgument);
}
