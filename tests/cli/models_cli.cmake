# The retrieval commands with the bundled tiny model directories (demo, index/search/eval with models).
radlite_add_test(NAME test_models_cli SOURCES ${CMAKE_CURRENT_LIST_DIR}/models_cli_test.cpp LIBS radlite_core)
add_dependencies(test_models_cli radlite-cli)
