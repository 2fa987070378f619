# Tests of the retrieval commands (index, search, eval) running the built radlite binary.
radlite_add_test(NAME test_retrieval_cli
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/retrieval_cli_test.cpp ${PROJECT_SOURCE_DIR}/src/cli/progress.cpp
  LIBS radlite_core)
