# Sources of the retrieval module (part of radlite_core).
target_sources(radlite_core PRIVATE
  retrieval/analyzer.cpp
  retrieval/bm25.cpp
  retrieval/bm25_scoring.cpp
  retrieval/metrics.cpp
  retrieval/beir.cpp
  retrieval/dense.cpp
  retrieval/dense_kernels_avx2.cpp
  retrieval/fusion.cpp
  retrieval/calibration.cpp
)
# The AVX2 dense kernel alone is built for AVX2 + FMA; dense.cpp calls it only when the CPU has them.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$" AND CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  set_source_files_properties(retrieval/dense_kernels_avx2.cpp PROPERTIES COMPILE_OPTIONS "-mavx2;-mfma")
endif()
