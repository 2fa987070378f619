# Sources of the tokenizers module (part of radlite_core).
target_sources(radlite_core PRIVATE
  tokenizers/unicode.cpp
  tokenizers/json_fields.cpp
  tokenizers/regex.cpp
  tokenizers/normalizers.cpp
  tokenizers/pre_tokenizers.cpp
  tokenizers/models.cpp
  tokenizers/post_processors.cpp
  tokenizers/decoders.cpp
  tokenizers/added_tokens.cpp
  tokenizers/tokenizer.cpp
  tokenizers/sentencepiece_model.cpp
)
