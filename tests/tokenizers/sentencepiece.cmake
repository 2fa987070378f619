# SentencePiece component tests. libsentencepiece is the oracle of the cross-checks and is linked here only
# (test_sentencepiece has no libtorch, so its embedded protobuf 3.14 cannot clash with torch's protobuf 3.21).
radlite_add_test(NAME test_sentencepiece SOURCES ${CMAKE_CURRENT_LIST_DIR}/sentencepiece_test.cpp
                 ${PROJECT_SOURCE_DIR}/tests/support/sentencepiece_native.cpp
                 LIBS radlite_core PkgConfig::SENTENCEPIECE)
# The same code inside a libtorch process, where libsentencepiece must not be.
radlite_add_test(NAME test_sentencepiece_with_torch
                 SOURCES ${CMAKE_CURRENT_LIST_DIR}/sentencepiece_torch_process_test.cpp LIBS radlite)
