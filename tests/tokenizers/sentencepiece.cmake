# SentencePiece component tests; libsentencepiece is linked directly for the cross-check against the library.
radlite_add_test(NAME test_sentencepiece SOURCES ${CMAKE_CURRENT_LIST_DIR}/sentencepiece_test.cpp
                 LIBS radlite_core PkgConfig::SENTENCEPIECE)
