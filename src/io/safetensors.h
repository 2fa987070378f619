// safetensors reader (internal to radlite): memory-mapped or in-memory, every header field checked.
//
// Format: 8-byte little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]},
// "__metadata__": {...}}, then the data section; offsets are relative to the data section.
// The reader validates everything before any tensor is handed out: the header length against a cap and the file
// size, the JSON, each dtype, shape and offset pair (begin <= end <= data size, end - begin = element size x
// element count) and that no two tensors overlap. Every error is a FormatError naming the source and the tensor.
//
// Usage:
//   auto f = radlite::io::SafetensorsFile::open("model.safetensors");
//   const radlite::io::TensorView* t = f.find("embeddings.word_embeddings.weight");  // nullptr when absent
//   auto ckpt = radlite::io::Checkpoint::open_directory("models/x");  // model.safetensors or a sharded index
//   const auto& w = ckpt.require("classifier.weight");                   // ModelError naming it when absent
//
// Thread safety: immutable after opening; concurrent reads are safe. Copies share the mapping, which stays
// valid as long as any copy (or a TensorView obtained from one that is still alive) is in use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace radlite::io {

/// The element types of the safetensors format.
enum class TensorDType { BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64 };

/// Bytes per element of a dtype.
std::size_t dtype_size(TensorDType dtype);
/// The format's spelling ("F32", "BF16", ...).
const char* dtype_name(TensorDType dtype);

/// One tensor of an opened file. `data` points into the mapping (not necessarily aligned).
struct TensorView {
  std::string name;
  TensorDType dtype = TensorDType::F32;
  std::vector<std::int64_t> shape;
  const std::uint8_t* data = nullptr;
  std::size_t nbytes = 0;

  std::int64_t numel() const;
};

/// Limits applied while parsing; the defaults suit real checkpoints.
struct SafetensorsLimits {
  std::uint64_t max_header_bytes = 100ull * 1024 * 1024;  // headers above this are refused as corrupt
};

class SafetensorsFile {
 public:
  /// Maps the file read-only. Throws IoError when it cannot be opened, FormatError when it is malformed.
  static SafetensorsFile open(const std::string& path, const SafetensorsLimits& limits = {});
  /// Parses a copy of `bytes`; `source` names it in error messages.
  static SafetensorsFile from_bytes(std::string bytes, const std::string& source, const SafetensorsLimits& limits = {});

  /// The tensor called `name`, or nullptr.
  const TensorView* find(const std::string& name) const;
  /// All tensors, sorted by name.
  const std::map<std::string, TensorView>& tensors() const { return tensors_; }
  /// The string entries of "__metadata__" (other value types are skipped).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  /// The path or the source name given to from_bytes.
  const std::string& source() const { return source_; }

 private:
  struct Storage;
  SafetensorsFile() = default;
  void parse(const SafetensorsLimits& limits);

  std::shared_ptr<const Storage> storage_;
  std::string source_;
  std::map<std::string, TensorView> tensors_;
  std::map<std::string, std::string> metadata_;
};

/// A model's weights: one model.safetensors, or the shards a model.safetensors.index.json names.
class Checkpoint {
 public:
  /// Opens `dir`/model.safetensors, else the shards listed by `dir`/model.safetensors.index.json.
  /// Throws IoError / FormatError / ModelError naming the file.
  static Checkpoint open_directory(const std::string& dir, const SafetensorsLimits& limits = {});
  /// One file (a path or bytes already parsed).
  static Checkpoint from_file(SafetensorsFile file);

  /// The tensor, or nullptr.
  const TensorView* find(const std::string& name) const;
  /// The tensor; ModelError naming it and the checkpoint when absent.
  const TensorView& require(const std::string& name) const;
  /// The file a tensor lives in (for error messages); empty when absent.
  std::string source_of(const std::string& name) const;
  /// The weight files, in a stable order (for identities and checksums); the source names for in-memory files.
  std::vector<std::string> files() const;
  /// A short description for messages: the single file, or the index file.
  const std::string& description() const { return description_; }

 private:
  std::vector<SafetensorsFile> shards_;
  std::map<std::string, std::size_t> where_;  // tensor name -> shard
  std::string description_;
};

}  // namespace radlite::io
