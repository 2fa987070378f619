# Sources of the model module (part of radlite, links libtorch). Only files here include torch headers
# (transformer.cpp, bi_encoder.cpp, cross_encoder.cpp, runtime.cpp); model_config.cpp and encode_text.cpp do not.
target_sources(radlite PRIVATE
  model/runtime.cpp
  model/model_config.cpp
  model/transformer.cpp
  model/int8_linear.cpp
  model/bi_encoder.cpp
  model/cross_encoder.cpp
  model/encode_text.cpp
)
