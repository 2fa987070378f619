# Pipeline and index persistence tests (kept apart from retrieval/CMakeLists.txt of the retrieval core).
radlite_add_test(NAME test_pipeline SOURCES ${CMAKE_CURRENT_LIST_DIR}/pipeline_test.cpp
                 ${CMAKE_CURRENT_LIST_DIR}/segments_test.cpp ${CMAKE_CURRENT_LIST_DIR}/segments_kill_test.cpp
                 ${CMAKE_CURRENT_LIST_DIR}/hnsw_test.cpp LIBS radlite_core)

# Overheads of the pipeline over its components (a program, not a test): prints ratios against baselines
# measured in the same run.
if(RADLITE_BUILD_BENCHMARKS)
  add_executable(bench_pipeline ${CMAKE_CURRENT_LIST_DIR}/bench_pipeline.cpp)
  target_link_libraries(bench_pipeline PRIVATE radlite_core)
  target_compile_definitions(bench_pipeline PRIVATE RADLITE_EXAMPLES_DATA_DIR="${PROJECT_SOURCE_DIR}/examples/data")
endif()

# Issue 10's scale figures (a program, not a test): approximate vs exact dense search, BM25 pruning,
# appends vs full saves, mapped vs copied loading. See the comment at its top for the options.
if(RADLITE_BUILD_BENCHMARKS)
  add_executable(bench_scale ${CMAKE_CURRENT_LIST_DIR}/bench_scale.cpp)
  target_link_libraries(bench_scale PRIVATE radlite_core)
endif()
