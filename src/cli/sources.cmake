# The radlite command-line tool. Each subcommand lives in its own cmd_*.cpp file.
add_executable(radlite-cli
  cli/main.cpp
  cli/args.cpp
  cli/cmd_version.cpp
  cli/cmd_tokenize.cpp
  cli/cmd_index.cpp
  cli/cmd_search.cpp
  cli/cmd_eval.cpp
  cli/progress.cpp
  cli/retrieval_options.cpp
  cli/evaluation.cpp
  cli/model_loading.cpp
  cli/hit_table.cpp
  cli/cmd_demo.cpp
  cli/cmd_encode.cpp
  cli/cmd_rerank.cpp
  cli/model_cli_common.cpp
)
set_target_properties(radlite-cli PROPERTIES OUTPUT_NAME radlite RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})
target_include_directories(radlite-cli PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_compile_definitions(radlite-cli PRIVATE RADLITE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
target_link_libraries(radlite-cli PRIVATE radlite nlohmann_json::nlohmann_json)
