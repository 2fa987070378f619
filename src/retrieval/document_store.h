// The documents of one pipeline segment (internal to radlite): held in memory (a segment made by add() or
// read from an index without an offsets file), or read on demand from the memory-mapped documents file
// through its offsets file, so that loading an index reads no document text.
//
// Files of a saved segment: `<segment>.docs.jsonl`, one JSON object {_id, title, text} per line (unchanged
// since format version 1, and still readable by radlite versions that do not know the offsets file), and
// `<segment>.docs.idx`, the byte offset of every line plus the ids:
//
//   magic "RLDOCIX\0" | u32 version (1) | u32 reserved (0) | u64 count | u64 documents-file bytes |
//   u64 id bytes | u64 line_offsets[count + 1] | u64 id_offsets[count + 1] | id bytes | "RLDIXEND"
//
// Line i is bytes [line_offsets[i], line_offsets[i+1]) of the documents file, newline included; id i is bytes
// [id_offsets[i], id_offsets[i+1]) of the id bytes. The ids are kept apart from the text so that building the
// id map at load touches only the offsets file. Every offset is checked once at load (see mapped()), so no
// later read can leave either mapping; a line that is not the JSON object its offsets promise is reported
// when it is read (the checksums of the load catch such corruption before that).
//
// Thread safety: const methods may run concurrently.
#pragma once

#include <radlite/retrieval/beir.h>

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "retrieval/mapped_file.h"

namespace radlite::retrieval_internal {

class DocumentStore {
 public:
  DocumentStore() = default;
  explicit DocumentStore(std::vector<BeirDocument> docs) : memory_(std::move(docs)) {}

  /// Documents read on demand from `docs` (a documents file) through `index` (its offsets file). FormatError
  /// naming the offsets file when its header, sizes or offsets are inconsistent with itself or with `docs`.
  static DocumentStore mapped(std::shared_ptr<const MappedFile> docs, std::shared_ptr<const MappedFile> index);

  std::size_t size() const { return docs_ ? count_ : memory_.size(); }
  bool is_mapped() const { return docs_ != nullptr; }
  std::string_view id(std::size_t i) const;
  /// Document i, parsed from its line when mapped (FormatError naming the documents file and line when the
  /// line is not a document or its id differs from the offsets file's).
  BeirDocument get(std::size_t i) const;

  /// Writes the documents file; returns the line offsets (size() + 1) for write_index.
  std::vector<std::uint64_t> write_documents(std::ostream& out) const;
  /// Writes the offsets file for the documents file write_documents wrote.
  void write_index(std::ostream& out, const std::vector<std::uint64_t>& line_offsets) const;

 private:
  std::vector<BeirDocument> memory_;
  std::shared_ptr<const MappedFile> docs_, index_;
  const char* lines_ = nullptr;  // u64[count_ + 1], read with memcpy (no alignment or aliasing assumptions)
  const char* id_offsets_ = nullptr;
  const char* ids_ = nullptr;
  std::size_t count_ = 0;
};

}  // namespace radlite::retrieval_internal
