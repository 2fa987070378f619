// A segment's documents, in memory or read on demand from the mapped documents file (see document_store.h).
#include "retrieval/document_store.h"

#include <nlohmann/json.hpp>

#include <cstring>

#include "io/json_reader.h"
#include "radlite/error.h"
#include "retrieval/binary_io.h"

namespace radlite::retrieval_internal {

namespace {

const char kMagic[8] = "RLDOCIX";
const char kEnd[8] = {'R', 'L', 'D', 'I', 'X', 'E', 'N', 'D'};
constexpr std::size_t kHeaderBytes = 8 + 4 + 4 + 8 + 8 + 8;

std::uint64_t load_u64(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace

DocumentStore DocumentStore::mapped(std::shared_ptr<const MappedFile> docs, std::shared_ptr<const MappedFile> index) {
  const std::string& path = index->path();
  auto fail = [&](const std::string& problem) -> void {
    throw FormatError(path + ": " + problem + " (corrupted or truncated offsets file; rebuild the index)");
  };
  const char* p = index->data();
  const std::size_t size = index->size();
  if (size < kHeaderBytes + 8 || std::memcmp(p, kMagic, sizeof kMagic) != 0) fail("not a radlite offsets file");
  std::uint32_t version;
  std::memcpy(&version, p + 8, sizeof version);
  if (version != 1) fail("unsupported offsets format version " + std::to_string(version));
  const std::uint64_t count = load_u64(p + 16), docs_bytes = load_u64(p + 24), id_bytes = load_u64(p + 32);
  // Sizes first, without overflow: two tables of count + 1 offsets, the ids and the end marker.
  const std::uint64_t room = size - kHeaderBytes - 8;
  if (count >= room / 16 || id_bytes != room - 16 * (count + 1))
    fail(std::to_string(count) + " documents and " + std::to_string(id_bytes) + " id bytes do not fit its " +
         std::to_string(size) + " bytes");
  if (std::memcmp(p + size - 8, kEnd, sizeof kEnd) != 0) fail("bad end marker");
  if (docs_bytes != docs->size())
    fail("it describes a documents file of " + std::to_string(docs_bytes) + " bytes, " + docs->path() + " has " +
         std::to_string(docs->size()));
  DocumentStore s;
  s.count_ = static_cast<std::size_t>(count);
  s.lines_ = p + kHeaderBytes;
  s.id_offsets_ = s.lines_ + 8 * (count + 1);
  s.ids_ = s.id_offsets_ + 8 * (count + 1);
  // Both tables start at 0, rise strictly (no empty line, no empty id) and end at their data's size.
  auto check = [&](const char* table, std::uint64_t end, const char* what) {
    std::uint64_t prev = load_u64(table);
    if (prev != 0) fail(std::string(what) + " do not start at 0");
    for (std::uint64_t i = 1; i <= count; ++i) {
      const std::uint64_t v = load_u64(table + 8 * i);
      if (v <= prev || v > end)
        fail(std::string(what) + " not increasing within bounds at document " + std::to_string(i - 1));
      prev = v;
    }
    if (prev != end) fail(std::string(what) + " end at " + std::to_string(prev) + ", not at " + std::to_string(end));
  };
  check(s.lines_, docs_bytes, "line offsets");
  check(s.id_offsets_, id_bytes, "id offsets");
  s.docs_ = std::move(docs);
  s.index_ = std::move(index);
  return s;
}

std::string_view DocumentStore::id(std::size_t i) const {
  if (!docs_) return memory_[i].id;
  const std::uint64_t a = load_u64(id_offsets_ + 8 * i), b = load_u64(id_offsets_ + 8 * (i + 1));
  return std::string_view(ids_ + a, static_cast<std::size_t>(b - a));
}

BeirDocument DocumentStore::get(std::size_t i) const {
  if (!docs_) return memory_[i];
  const std::uint64_t a = load_u64(lines_ + 8 * i), b = load_u64(lines_ + 8 * (i + 1));
  const io::JsonPlace at{docs_->path() + " line " + std::to_string(i + 1), ""};
  const char* line = docs_->data() + a;
  std::size_t n = static_cast<std::size_t>(b - a);
  if (line[n - 1] != '\n') io::format_error(at, "does not end where the offsets file says (corrupted file)");
  const nlohmann::json j = io::parse_json(std::string(line, n - 1), at.file);
  BeirDocument d{io::get_string(j, "_id", at), io::get_string(j, "title", at), io::get_string(j, "text", at)};
  if (d.id != id(i))
    io::format_error(at.at("_id"), "'" + d.id + "', but " + index_->path() + " has '" + std::string(id(i)) + "'");
  return d;
}

std::vector<std::uint64_t> DocumentStore::write_documents(std::ostream& out) const {
  std::vector<std::uint64_t> offsets;
  offsets.reserve(size() + 1);
  offsets.push_back(0);
  if (docs_) {
    // The mapped lines are the file: copy them as they are.
    for (std::size_t i = 1; i <= count_; ++i) offsets.push_back(load_u64(lines_ + 8 * i));
    retrieval_io::Writer(out).bytes(docs_->data(), docs_->size());
    return offsets;
  }
  std::string line;
  for (const auto& d : memory_) {
    line = nlohmann::json{{"_id", d.id}, {"title", d.title}, {"text", d.text}}.dump();
    line += '\n';
    retrieval_io::Writer(out).bytes(line.data(), line.size());
    offsets.push_back(offsets.back() + line.size());
  }
  return offsets;
}

void DocumentStore::write_index(std::ostream& out, const std::vector<std::uint64_t>& line_offsets) const {
  retrieval_io::Writer w(out);
  std::uint64_t id_bytes = 0;
  for (std::size_t i = 0; i < size(); ++i) id_bytes += id(i).size();
  w.bytes(kMagic, sizeof kMagic);
  w.u32(1);
  w.u32(0);
  w.u64(size());
  w.u64(line_offsets.back());
  w.u64(id_bytes);
  w.bytes(line_offsets.data(), line_offsets.size() * sizeof(std::uint64_t));
  std::uint64_t at = 0;
  w.u64(at);
  for (std::size_t i = 0; i < size(); ++i) w.u64(at += id(i).size());
  for (std::size_t i = 0; i < size(); ++i) w.bytes(id(i).data(), id(i).size());
  w.bytes(kEnd, sizeof kEnd);
}

}  // namespace radlite::retrieval_internal
