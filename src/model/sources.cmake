# Sources of the model module (part of radlite, links libtorch). Only files here include torch headers.
target_sources(radlite PRIVATE
  model/runtime.cpp
)
