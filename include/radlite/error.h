// radlite/error.h: the one error model of the library.
//
// Every failure the library reports is an exception derived from radlite::Error. Messages name the file,
// tensor, field or line involved and, where it applies, the expected and the actual value, e.g.
//   "model.safetensors: tensor 'embeddings.word_embeddings.weight': expected shape [50265, 768], got [50265, 512]".
// Catch radlite::Error to handle all of them; catch a subclass to react to one kind.
#pragma once

#include <stdexcept>
#include <string>

namespace radlite {

/// Base class of every exception thrown by radlite.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

/// A file or directory could not be opened, read, written or renamed.
class IoError : public Error {
 public:
  using Error::Error;
};

/// A file's content is malformed: broken JSON, a truncated or inconsistent safetensors file, a corrupted index.
class FormatError : public Error {
 public:
  using Error::Error;
};

/// A file is well formed but describes something radlite does not support or that is inconsistent
/// (unknown architecture or tokenizer type, a missing tensor, a shape that does not match the config).
class ModelError : public Error {
 public:
  using Error::Error;
};

/// An argument passed by the caller is invalid (empty batch where one is required, bad option value,
/// invalid UTF-8 where text is required, index out of range).
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

}  // namespace radlite
