# Sources of the tokenizers module (part of radlite_core).
target_sources(radlite_core PRIVATE
  tokenizers/unicode.cpp
  tokenizers/json_fields.cpp
  tokenizers/normalizers.cpp
  tokenizers/pre_tokenizers.cpp
  tokenizers/models.cpp
  tokenizers/post_processors.cpp
  tokenizers/decoders.cpp
  tokenizers/tokenizer.cpp
)
# The SentencePiece / Unigram component is developed on its own branch; Unigram tokenizer.json files and .model
# files are supported when its source is present (both branches merged).
if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/sentencepiece_model.cpp)
  target_sources(radlite_core PRIVATE tokenizers/sentencepiece_model.cpp)
  target_compile_definitions(radlite_core PRIVATE RADLITE_HAVE_SP_COMPONENT=1)
endif()
