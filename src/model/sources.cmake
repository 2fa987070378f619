# Sources of the model module (part of radlite, links libtorch). Only files here include torch headers
# (transformer.cpp, bi_encoder.cpp, cross_encoder.cpp, runtime.cpp); model_config.cpp and encode_text.cpp do not.
target_sources(radlite PRIVATE
  model/runtime.cpp
  model/model_config.cpp
  model/transformer.cpp
  model/bi_encoder.cpp
  model/cross_encoder.cpp
  model/encode_text.cpp
)

# Debian's libsentencepiece (used by radlite_core) exports the protobuf-lite 3.14 it bundles; libtorch needs the
# system libprotobuf 3.21. In one process the library that comes first in symbol order serves both, and with
# libsentencepiece first libprotobuf's own static initialisation crashes before main(). Putting libprotobuf first
# (a link option precedes every library on the link line) lets every binary that links radlite start; the price
# is that libsentencepiece's .model parser then refuses to run in those binaries (protobuf version check,
# reported as an exception). tokenizer.json files are unaffected.
target_link_options(radlite INTERFACE "LINKER:--push-state,--no-as-needed,-lprotobuf,--pop-state")
