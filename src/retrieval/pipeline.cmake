# The retrieval pipeline and its index persistence (part of radlite_core; kept apart from sources.cmake so
# the retrieval-core and pipeline work merge without touching the same lines).
target_sources(radlite_core PRIVATE
  retrieval/pipeline.cpp
)
