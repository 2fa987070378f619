# Compile flags for the libFuzzer build (RADLITE_BUILD_FUZZERS=ON), included by the top CMakeLists.txt
# before src/ so that the library code the fuzzers reach is instrumented too: coverage feedback
# (fuzzer-no-link) plus AddressSanitizer and UndefinedBehaviorSanitizer, with UB made fatal so that
# libFuzzer records the input. Needs clang (CC=clang-14 CXX=clang++-14); see tests/fuzz/run_fuzzers.sh.
if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "RADLITE_BUILD_FUZZERS needs clang (configure with CC=clang-14 CXX=clang++-14)")
endif()
add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
                    -fno-omit-frame-pointer -g)
add_link_options(-fsanitize=address,undefined)
