# Sources of the tokenizers module (part of radlite_core).
target_sources(radlite_core PRIVATE
  tokenizers/unicode.cpp
  tokenizers/char_classes.cpp
  tokenizers/char_classes_data.cpp
  tokenizers/regex.cpp
  tokenizers/precompiled_charsmap.cpp
  tokenizers/normalizers.cpp
  tokenizers/pre_tokenizers.cpp
  tokenizers/vocab.cpp
  tokenizers/models.cpp
  tokenizers/unigram.cpp
  tokenizers/post_processors.cpp
  tokenizers/decoders.cpp
  tokenizers/added_tokens.cpp
  tokenizers/sentencepiece_proto.cpp
  tokenizers/sentencepiece_converter.cpp
  tokenizers/tokenizer.cpp
  tokenizers/tokenizer_loading.cpp
)
