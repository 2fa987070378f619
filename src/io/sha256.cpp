#include "io/sha256.h"

#include <openssl/evp.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "radlite/error.h"

namespace radlite::io {

// EVP is OpenSSL 3's supported interface (the SHA256_* functions are deprecated); it dispatches to the fastest
// implementation the CPU allows.
struct Sha256::Context {
  EVP_MD_CTX* md = nullptr;
  bool finished = false;
  Context() : md(EVP_MD_CTX_new()) {
    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), nullptr) != 1) {
      EVP_MD_CTX_free(md);
      throw Error("SHA-256: libcrypto could not initialise a digest context");
    }
  }
  ~Context() { EVP_MD_CTX_free(md); }
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
};

Sha256::Sha256() : ctx_(std::make_unique<Context>()) {}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(const void* data, std::size_t size) {
  if (!ctx_ || ctx_->finished) throw InvalidArgument("SHA-256: update() after hex_digest()");
  if (size && EVP_DigestUpdate(ctx_->md, data, size) != 1) throw Error("SHA-256: libcrypto digest update failed");
}

std::string Sha256::hex_digest() {
  if (!ctx_ || ctx_->finished) throw InvalidArgument("SHA-256: hex_digest() called twice");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(ctx_->md, digest, &n) != 1 || n != 32) throw Error("SHA-256: libcrypto digest failed");
  ctx_->finished = true;
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (unsigned int i = 0; i < n; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0xf];
  }
  return out;
}

std::string sha256_hex(const void* data, std::size_t size) {
  Sha256 h;
  h.update(data, size);
  return h.hex_digest();
}

std::string sha256_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path + ": cannot open for reading (" + std::strerror(errno) + ")");
  Sha256 h;
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    h.update(buf.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) throw IoError(path + ": read failed");
  return h.hex_digest();
}

}  // namespace radlite::io
