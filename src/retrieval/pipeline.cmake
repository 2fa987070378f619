# The retrieval pipeline and its index persistence (part of radlite_core; kept apart from sources.cmake so
# the retrieval-core and pipeline work merge without touching the same lines).
target_sources(radlite_core PRIVATE
  retrieval/pipeline.cpp
)
target_sources(radlite_core PRIVATE
  retrieval/pipeline_segments.cpp
  retrieval/index_format.cpp retrieval/pipeline_load.cpp retrieval/pipeline_save.cpp
  retrieval/mapped_file.cpp
)
# HNSW graphs (hnswlib, header-only; Debian libhnswlib-dev). Its distance kernel is radlite's run-time
# dispatched one (dense_kernels_avx2.cpp), so this file is compiled for the baseline ISA.
find_path(RADLITE_HNSWLIB_INCLUDE_DIR hnswlib/hnswlib.h REQUIRED)  # a system include directory
target_sources(radlite_core PRIVATE retrieval/hnsw_index.cpp)
if(NOT RADLITE_HNSWLIB_INCLUDE_DIR STREQUAL "/usr/include")
  target_include_directories(radlite_core SYSTEM PRIVATE "${RADLITE_HNSWLIB_INCLUDE_DIR}")
endif()
# IVF-PQ (FAISS, Debian libfaiss-dev: a static library whose CMake config needs OpenMP found first; it
# links BLAS/LAPACK).
find_package(OpenMP REQUIRED)
find_package(faiss REQUIRED)
target_sources(radlite_core PRIVATE retrieval/ivfpq_index.cpp)
target_link_libraries(radlite_core PRIVATE faiss)
