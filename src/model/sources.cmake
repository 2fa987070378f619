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
  model/fingerprint.cpp
)

# The test-only seam (model/encoder_access.h): perturbed forward passes for the parity tests' negative controls.
# Not part of radlite and not installed.
if(RADLITE_BUILD_TESTS)
  add_library(radlite_model_testing STATIC model/encoder_access.cpp)
  target_include_directories(radlite_model_testing PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(radlite_model_testing PUBLIC radlite PRIVATE torch)
  target_compile_options(radlite_model_testing PRIVATE -Wall -Wextra)
endif()
