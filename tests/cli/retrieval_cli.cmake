# Tests of the retrieval commands (index, search, eval): the built radlite binary on the bundled data, and
# the eval configuration logic in-process with stand-in models.
radlite_add_test(NAME test_retrieval_cli
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/retrieval_cli_test.cpp ${CMAKE_CURRENT_LIST_DIR}/eval_ablation_test.cpp
          ${PROJECT_SOURCE_DIR}/src/cli/progress.cpp ${PROJECT_SOURCE_DIR}/src/cli/evaluation.cpp
  LIBS radlite_core)
add_dependencies(test_retrieval_cli radlite-cli)  # runs the built binary through support/cli_runner.h
