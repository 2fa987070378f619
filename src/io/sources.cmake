# Sources of the io module (part of radlite_core).
target_sources(radlite_core PRIVATE
  io/atomic_directory.cpp
  io/file_util.cpp
  io/json_reader.cpp
  io/numbers.cpp
  io/sha256.cpp
  io/utf8.cpp
  io/safetensors.cpp
)
# libcrypto computes SHA-256 with the CPU's SHA instructions (model identities, index checksums).
target_link_libraries(radlite_core PRIVATE OpenSSL::Crypto)
