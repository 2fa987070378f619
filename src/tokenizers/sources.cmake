# Sources of the tokenizers module (part of radlite_core).
target_sources(radlite_core PRIVATE
  tokenizers/unicode.cpp
  tokenizers/char_classes.cpp
  tokenizers/char_classes_data.cpp
  tokenizers/json_fields.cpp
  tokenizers/normalizers.cpp
  tokenizers/pre_tokenizers.cpp
  tokenizers/models.cpp
  tokenizers/post_processors.cpp
  tokenizers/decoders.cpp
  tokenizers/tokenizer.cpp
  tokenizers/sentencepiece_model.cpp
)
