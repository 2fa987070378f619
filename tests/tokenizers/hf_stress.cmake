# Differential test against Hugging Face tokenizers on synthetic stress texts (tests/data/tokenizers/extra).
radlite_add_test(NAME test_tokenizers_hf_stress SOURCES ${CMAKE_CURRENT_LIST_DIR}/hf_stress_test.cpp LIBS radlite_core)
