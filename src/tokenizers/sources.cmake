# Sources of the tokenizers module (part of radlite_core).
target_sources(radlite_core PRIVATE tokenizers/sentencepiece_model.cpp)
