#include "io/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <set>
#include <system_error>

#include <nlohmann/json.hpp>

#include "io/json_reader.h"
#include "radlite/error.h"

namespace radlite::io {

namespace fs = std::filesystem;

namespace {

struct DTypeInfo {
  const char* name;
  TensorDType dtype;
  std::size_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {"BOOL", TensorDType::BOOL, 1},       {"U8", TensorDType::U8, 1},           {"I8", TensorDType::I8, 1},
    {"F8_E5M2", TensorDType::F8_E5M2, 1}, {"F8_E4M3", TensorDType::F8_E4M3, 1}, {"I16", TensorDType::I16, 2},
    {"U16", TensorDType::U16, 2},         {"F16", TensorDType::F16, 2},         {"BF16", TensorDType::BF16, 2},
    {"I32", TensorDType::I32, 4},         {"U32", TensorDType::U32, 4},         {"F32", TensorDType::F32, 4},
    {"F64", TensorDType::F64, 8},         {"I64", TensorDType::I64, 8},         {"U64", TensorDType::U64, 8},
};

const DTypeInfo& info_of(TensorDType d) {
  for (const auto& i : kDTypes)
    if (i.dtype == d) return i;
  return kDTypes[0];  // unreachable: every enumerator is listed
}

std::string shape_string(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// A non-negative integer that fits in 64 bits, or a FormatError.
std::uint64_t as_u64(const nlohmann::json& v, const std::string& what) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0) return static_cast<std::uint64_t>(v.get<std::int64_t>());
  throw FormatError(what + ": expected a non-negative integer, got " + describe(v));
}

}  // namespace

std::size_t dtype_size(TensorDType dtype) { return info_of(dtype).size; }
const char* dtype_name(TensorDType dtype) { return info_of(dtype).name; }

std::int64_t TensorView::numel() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

// The bytes of a file: a read-only mapping or an owned string.
struct SafetensorsFile::Storage {
  const std::uint8_t* data = nullptr;
  std::size_t size = 0;
  void* mapping = nullptr;
  std::string owned;

  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage() {
    if (mapping) ::munmap(mapping, size);
  }
};

SafetensorsFile SafetensorsFile::open(const std::string& path, const SafetensorsLimits& limits) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw IoError(path + ": cannot open for reading (" + std::strerror(errno) + ")");
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    throw IoError(path + ": cannot stat (" + std::strerror(err) + ")");
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw IoError(path + ": not a regular file");
  }
  auto storage = std::make_shared<Storage>();
  storage->size = static_cast<std::size_t>(st.st_size);
  if (storage->size > 0) {
    void* p = ::mmap(nullptr, storage->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      throw IoError(path + ": cannot map (" + std::strerror(err) + ")");
    }
    storage->mapping = p;
    storage->data = static_cast<const std::uint8_t*>(p);
    // Small pages only. The model loader copies each tensor out and releases the copied pages (MADV_DONTNEED) to
    // keep the load's peak resident set at one copy of the weights. Where the page cache holds the file in large
    // folios (recent kernels, a file just written), the mapping could otherwise be PMD-mapped: a fault maps 2 MB
    // at once, including ranges already released, and the whole checkpoint stayed resident next to its copy.
    ::madvise(p, storage->size, MADV_NOHUGEPAGE);
  }
  ::close(fd);  // the mapping stays valid without the descriptor
  SafetensorsFile f;
  f.storage_ = std::move(storage);
  f.source_ = path;
  f.parse(limits);
  return f;
}

SafetensorsFile SafetensorsFile::from_bytes(std::string bytes, const std::string& source,
                                            const SafetensorsLimits& limits) {
  auto storage = std::make_shared<Storage>();
  storage->owned = std::move(bytes);
  storage->data = reinterpret_cast<const std::uint8_t*>(storage->owned.data());
  storage->size = storage->owned.size();
  SafetensorsFile f;
  f.storage_ = std::move(storage);
  f.source_ = source;
  f.parse(limits);
  return f;
}

void SafetensorsFile::parse(const SafetensorsLimits& limits) {
  const std::uint8_t* bytes = storage_->data;
  const std::size_t size = storage_->size;
  if (size < 8)
    throw FormatError(source_ + ": truncated safetensors file (" + std::to_string(size) +
                      " bytes, the 8-byte header length alone needs 8)");
  std::uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | bytes[i];
  if (header_len > limits.max_header_bytes)
    throw FormatError(source_ + ": safetensors header length " + std::to_string(header_len) + " exceeds the limit of " +
                      std::to_string(limits.max_header_bytes) + " bytes (corrupt or not a safetensors file)");
  if (header_len > size - 8)
    throw FormatError(source_ + ": safetensors header length " + std::to_string(header_len) +
                      " runs past the end of the file (" + std::to_string(size) + " bytes)");
  if (header_len < 2 || bytes[8] != '{') throw FormatError(source_ + ": safetensors header is not a JSON object");

  const std::string header(reinterpret_cast<const char*>(bytes + 8), static_cast<std::size_t>(header_len));
  nlohmann::json j = parse_json(header, source_ + " (safetensors header)");
  if (!j.is_object()) throw FormatError(source_ + ": safetensors header is not a JSON object");

  const std::uint8_t* data = bytes + 8 + header_len;
  const std::uint64_t data_size = size - 8 - header_len;

  struct Span {
    std::uint64_t begin, end;
    const std::string* name;
  };
  std::vector<Span> spans;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& name = it.key();
    const auto& entry = it.value();
    if (name == "__metadata__") {
      if (!entry.is_object()) throw FormatError(source_ + ": __metadata__ is not a JSON object");
      for (auto m = entry.begin(); m != entry.end(); ++m)
        if (m.value().is_string()) metadata_[m.key()] = m.value().get<std::string>();
      continue;
    }
    const std::string what = source_ + ": tensor '" + name + "'";
    if (!entry.is_object()) throw FormatError(what + ": entry is not a JSON object");
    auto dt = entry.find("dtype");
    auto sh = entry.find("shape");
    auto off = entry.find("data_offsets");
    if (dt == entry.end() || !dt->is_string()) throw FormatError(what + ": missing or non-string 'dtype'");
    if (sh == entry.end() || !sh->is_array()) throw FormatError(what + ": missing or non-array 'shape'");
    if (off == entry.end() || !off->is_array() || off->size() != 2)
      throw FormatError(what + ": 'data_offsets' must be an array [begin, end]");

    TensorView t;
    t.name = name;
    const std::string dname = dt->get<std::string>();
    bool known = false;
    for (const auto& i : kDTypes)
      if (dname == i.name) {
        t.dtype = i.dtype;
        known = true;
      }
    if (!known) throw FormatError(what + ": unknown dtype '" + dname + "'");

    // Count elements with overflow checks: a corrupt shape must not wrap around into a plausible size.
    std::uint64_t count = 1;
    for (const auto& d : *sh) {
      std::uint64_t v = as_u64(d, what + " shape");
      if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        throw FormatError(what + ": shape dimension " + std::to_string(v) + " is too large");
      if (v != 0 && count > std::numeric_limits<std::uint64_t>::max() / v)
        throw FormatError(what + ": shape " + describe(*sh) + " overflows");
      count *= v;
      t.shape.push_back(static_cast<std::int64_t>(v));
    }
    const std::uint64_t esize = dtype_size(t.dtype);
    if (count > std::numeric_limits<std::uint64_t>::max() / esize)
      throw FormatError(what + ": shape " + describe(*sh) + " overflows");
    const std::uint64_t begin = as_u64((*off)[0], what + " data_offsets[0]");
    const std::uint64_t end = as_u64((*off)[1], what + " data_offsets[1]");
    if (begin > end)
      throw FormatError(what + ": data_offsets begin " + std::to_string(begin) + " > end " + std::to_string(end));
    if (end > data_size)
      throw FormatError(what + ": data_offsets end " + std::to_string(end) + " is past the end of the data section (" +
                        std::to_string(data_size) + " bytes; file truncated?)");
    if (end - begin != count * esize)
      throw FormatError(what + ": byte count " + std::to_string(end - begin) + " does not match dtype " + dname +
                        " x shape " + shape_string(t.shape) + " = " + std::to_string(count * esize) + " bytes");
    t.data = data + begin;
    t.nbytes = static_cast<std::size_t>(end - begin);
    auto ins = tensors_.emplace(name, std::move(t));
    spans.push_back({begin, end, &ins.first->first});
  }

  std::sort(spans.begin(), spans.end(),
            [](const Span& a, const Span& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
  // Empty tensors occupy no bytes and cannot overlap anything.
  const Span* prev = nullptr;
  for (const auto& s : spans) {
    if (s.begin == s.end) continue;
    if (prev && s.begin < prev->end)
      throw FormatError(source_ + ": tensors '" + *prev->name + "' [" + std::to_string(prev->begin) + ", " +
                        std::to_string(prev->end) + ") and '" + *s.name + "' [" + std::to_string(s.begin) + ", " +
                        std::to_string(s.end) + ") overlap");
    prev = &s;
  }
}

const TensorView* SafetensorsFile::find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

Checkpoint Checkpoint::from_file(SafetensorsFile file) {
  Checkpoint c;
  c.description_ = file.source();
  for (const auto& kv : file.tensors()) c.where_[kv.first] = 0;
  c.shards_.push_back(std::move(file));
  return c;
}

Checkpoint Checkpoint::open_directory(const std::string& dir, const SafetensorsLimits& limits) {
  std::error_code ec;  // the path tests below report a failure as false
  const std::string single = (fs::path(dir) / "model.safetensors").string();
  if (fs::is_regular_file(single, ec)) return from_file(SafetensorsFile::open(single, limits));

  const std::string index_path = (fs::path(dir) / "model.safetensors.index.json").string();
  if (!fs::is_regular_file(index_path, ec)) {
    std::string hint;
    if (fs::is_regular_file(fs::path(dir) / "pytorch_model.bin", ec))
      hint = " (pytorch_model.bin is not supported: convert the checkpoint to safetensors)";
    throw IoError(dir + ": no model.safetensors or model.safetensors.index.json" + hint);
  }
  nlohmann::json index = read_json_file(index_path, 64ull << 20);  // an index of tensor names: a few MB at most
  auto wm = index.is_object() ? index.find("weight_map") : index.end();
  if (wm == index.end() || !wm->is_object() || wm->empty())
    throw FormatError(index_path + ": missing or empty 'weight_map' object");

  Checkpoint c;
  c.description_ = index_path;
  std::map<std::string, std::size_t> shard_of_file;
  for (auto it = wm->begin(); it != wm->end(); ++it) {
    if (!it.value().is_string())
      throw FormatError(index_path + ": weight_map entry '" + it.key() + "' is not a file name");
    const std::string file = it.value().get<std::string>();
    if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..")
      throw FormatError(index_path + ": weight_map entry '" + it.key() + "' names '" + file +
                        "', which is not a file name in the model directory");
    auto found = shard_of_file.find(file);
    std::size_t shard;
    if (found == shard_of_file.end()) {
      shard = c.shards_.size();
      c.shards_.push_back(SafetensorsFile::open((fs::path(dir) / file).string(), limits));
      shard_of_file[file] = shard;
    } else {
      shard = found->second;
    }
    if (!c.shards_[shard].find(it.key()))
      throw FormatError(index_path + ": tensor '" + it.key() + "' is mapped to " + file +
                        ", which does not contain it");
    c.where_[it.key()] = shard;
  }
  return c;
}

const TensorView* Checkpoint::find(const std::string& name) const {
  auto it = where_.find(name);
  return it == where_.end() ? nullptr : shards_[it->second].find(name);
}

const TensorView& Checkpoint::require(const std::string& name) const {
  const TensorView* t = find(name);
  if (!t) throw ModelError(description_ + ": missing tensor '" + name + "'");
  return *t;
}

std::string Checkpoint::source_of(const std::string& name) const {
  auto it = where_.find(name);
  return it == where_.end() ? std::string() : shards_[it->second].source();
}

std::vector<std::string> Checkpoint::files() const {
  std::vector<std::string> out;
  for (const auto& s : shards_) out.push_back(s.source());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace radlite::io
