# Pipeline and index persistence tests (kept apart from retrieval/CMakeLists.txt of the retrieval core).
radlite_add_test(NAME test_pipeline SOURCES ${CMAKE_CURRENT_LIST_DIR}/pipeline_test.cpp LIBS radlite_core)
