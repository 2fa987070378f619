# Sources of the model module (part of radlite, links libtorch). Only files here include torch headers
# (transformer.cpp, bi_encoder.cpp, cross_encoder.cpp, runtime.cpp); model_config.cpp and encode_text.cpp do not.
target_sources(radlite PRIVATE
  model/runtime.cpp
  model/model_config.cpp
  model/transformer.cpp
  model/bi_encoder.cpp
  model/cross_encoder.cpp
)
# The text path (tokenize, then encode) needs the tokenizer module's implementation.
file(GLOB RADLITE_TOKENIZER_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/tokenizers/*.cpp)
if(RADLITE_TOKENIZER_SOURCES)
  target_sources(radlite PRIVATE model/encode_text.cpp)
  target_compile_definitions(radlite PRIVATE RADLITE_HAVE_TOKENIZER=1)
else()
  message(STATUS "radlite: no tokenizer implementation in src/tokenizers; encoders build without the text path")
  target_sources(radlite PRIVATE model/encode_text_unavailable.cpp)
endif()
