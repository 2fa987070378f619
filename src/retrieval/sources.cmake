# Sources of the retrieval module (part of radlite_core).
target_sources(radlite_core PRIVATE
  retrieval/analyzer.cpp
  retrieval/bm25.cpp
  retrieval/metrics.cpp
  retrieval/beir.cpp
  retrieval/dense.cpp
  retrieval/fusion.cpp
  retrieval/calibration.cpp
)
