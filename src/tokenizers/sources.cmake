# Sources of the tokenizers module (part of radlite_core).
target_sources(radlite_core PRIVATE
  tokenizers/unicode.cpp
  tokenizers/components.cpp
  tokenizers/models.cpp
  tokenizers/processors.cpp
  tokenizers/tokenizer.cpp
)
# The SentencePiece / Unigram component is developed on its own branch; Unigram tokenizer.json files and .model
# files are supported when its source is present (both branches merged).
if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/sentencepiece_model.cpp)
  target_sources(radlite_core PRIVATE tokenizers/sentencepiece_model.cpp)
  target_compile_definitions(radlite_core PRIVATE RADLITE_HAVE_SP_COMPONENT=1)
endif()
