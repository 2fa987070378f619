# ctest driver for `package_consumer`: installs the current build tree into a scratch prefix, moves the
# prefix (the package must be relocatable), then configures, builds and runs tests/package/consumer
# against it and compares what the consumer prints with the expected values.
#
# cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DCONSUMER_DIR=... -DWORK_DIR=... -DEXPECTED_VERSION=...
#       -DGENERATOR=... -DCXX_COMPILER=... [-DCONFIG=...] [-DCONSUMER_LINK_FLAGS=...]
#       [-DWITH_TOKENIZER=ON -DMODELS_DIR=<models/tiny>] -P run_consumer.cmake

foreach(var BUILD_DIR SOURCE_DIR CONSUMER_DIR WORK_DIR EXPECTED_VERSION GENERATOR CXX_COMPILER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_consumer.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT CONFIG)
  set(CONFIG Release)
endif()

# Runs a command, fails the test with its output when it exits non-zero; output in <out_var>.
function(run_step name out_var)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${name} failed (exit ${rc}):\n${ARGN}\n--- stdout\n${out}\n--- stderr\n${err}")
  endif()
  set(${out_var} "${out}" PARENT_SCOPE)
endfunction()

set(stage ${WORK_DIR}/stage)
set(prefix ${WORK_DIR}/relocated)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

run_step("cmake --install" install_out ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${stage} --config ${CONFIG})

# The package files must not point back into the source tree, the build tree or the install prefix:
# paths relative to the config file's location are what make the prefix movable.
file(GLOB_RECURSE package_files ${stage}/*/radliteConfig.cmake ${stage}/*/radliteTargets*.cmake)
list(LENGTH package_files package_file_count)
if(package_file_count LESS 3)
  message(FATAL_ERROR "expected radliteConfig.cmake and radliteTargets*.cmake under ${stage}, found: ${package_files}")
endif()
foreach(file IN LISTS package_files)
  file(READ ${file} text)
  foreach(path ${SOURCE_DIR} ${BUILD_DIR} ${stage})
    string(FIND "${text}" "${path}" pos)
    if(NOT pos EQUAL -1)
      message(FATAL_ERROR "${file} contains the absolute path ${path}: the installed package is not relocatable")
    endif()
  endforeach()
endforeach()

# Dependencies in the exported link interface must be targets (found again on the user's machine by
# radliteConfig.cmake), never this machine's library paths.
file(GLOB_RECURSE targets_files ${stage}/*/radliteTargets.cmake ${stage}/*/radliteCoreTargets.cmake)
list(LENGTH targets_files targets_file_count)
if(NOT targets_file_count EQUAL 2)
  message(FATAL_ERROR "expected radliteTargets.cmake and radliteCoreTargets.cmake under ${stage}, found: ${targets_files}")
endif()
foreach(targets_file IN LISTS targets_files)
  file(READ "${targets_file}" targets_text)
  string(REGEX MATCHALL "INTERFACE_LINK_LIBRARIES \"[^\"]*\"" link_properties "${targets_text}")
  if(NOT link_properties)
    message(FATAL_ERROR "no INTERFACE_LINK_LIBRARIES in '${targets_file}'")
  endif()
  foreach(property IN LISTS link_properties)
    string(REGEX REPLACE "^INTERFACE_LINK_LIBRARIES \"(.*)\"$" "\\1" items "${property}")
    string(REGEX REPLACE "\\\\?\\$<LINK_ONLY:([^>]*)>" "\\1" items "${items}")
    foreach(item IN LISTS items)
      if(item MATCHES "^/" OR item MATCHES "^-l")
        message(FATAL_ERROR "${targets_file}: the exported link interface names '${item}' instead of a target")
      endif()
    endforeach()
  endforeach()
endforeach()
# The core target file must not mention Torch: a core-only consumer never loads it.
file(GLOB_RECURSE core_targets_file ${stage}/*/radliteCoreTargets.cmake)
file(READ "${core_targets_file}" core_targets_text)
if(core_targets_text MATCHES "torch|Torch")
  message(FATAL_ERROR "${core_targets_file} refers to Torch")
endif()

file(RENAME ${stage} ${prefix})

foreach(header radlite/version.h radlite/matrix.h radlite/runtime.h radlite/error.h)
  file(GLOB_RECURSE found ${prefix}/include/${header})
  if(NOT found)
    message(FATAL_ERROR "installed prefix lacks include/${header}")
  endif()
endforeach()

# The installed tool runs from the moved prefix.
run_step("installed radlite version" cli_out ${prefix}/bin/radlite version)
if(NOT cli_out MATCHES "^radlite ${EXPECTED_VERSION} \\(libtorch ([0-9]+\\.[0-9]+\\.[0-9]+)")
  message(FATAL_ERROR "`radlite version` printed '${cli_out}', expected 'radlite ${EXPECTED_VERSION} (libtorch X.Y.Z...'")
endif()
set(torch_version ${CMAKE_MATCH_1})

set(configure_args -G ${GENERATOR} -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=${CONFIG}
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON
    "-DCMAKE_EXE_LINKER_FLAGS=${CONSUMER_LINK_FLAGS}" -DRADLITE_CONSUMER_WITH_TOKENIZER=${WITH_TOKENIZER})

# An incompatible major version must be refused (radliteConfigVersion.cmake, SameMajorVersion).
string(REGEX MATCH "^[0-9]+" major "${EXPECTED_VERSION}")
math(EXPR next_major "${major} + 1")
execute_process(
  COMMAND ${CMAKE_COMMAND} -S ${CONSUMER_DIR} -B ${WORK_DIR}/consumer-wrong-version ${configure_args}
          -DRADLITE_REQUESTED_VERSION=${next_major}.0
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "compatible with requested version")
  message(FATAL_ERROR "find_package(radlite ${next_major}.0) should fail against ${EXPECTED_VERSION} "
                      "(exit ${rc}):\n${out}\n${err}")
endif()

run_step("configure consumer" configure_out
         ${CMAKE_COMMAND} -S ${CONSUMER_DIR} -B ${WORK_DIR}/consumer-build ${configure_args})
if(NOT configure_out MATCHES "radlite package: ([^\n]*) \\(version ([^)\n]*)\\)")
  message(FATAL_ERROR "consumer configure did not report the radlite package:\n${configure_out}")
endif()
set(found_dir "${CMAKE_MATCH_1}")
set(found_version "${CMAKE_MATCH_2}")
string(FIND "${found_dir}" "${prefix}/" pos)
if(NOT pos EQUAL 0)
  message(FATAL_ERROR "consumer found radlite in ${found_dir}, not in the installed prefix ${prefix}")
endif()
if(NOT found_version STREQUAL EXPECTED_VERSION)
  message(FATAL_ERROR "consumer found radlite version ${found_version}, expected ${EXPECTED_VERSION}")
endif()

run_step("build consumer" build_out ${CMAKE_COMMAND} --build ${WORK_DIR}/consumer-build --config ${CONFIG} --parallel 2)

# The executable of <target> in the consumer build, in <out_var>.
function(find_consumer_exe target out_var)
  file(GLOB_RECURSE exe ${WORK_DIR}/consumer-build/${target} ${WORK_DIR}/consumer-build/${target}.exe)
  if(NOT exe)
    message(FATAL_ERROR "the consumer build produced no ${target} executable")
  endif()
  list(GET exe 0 exe)
  set(${out_var} ${exe} PARENT_SCOPE)
endfunction()

find_consumer_exe(consumer_core core_exe)
run_step("run consumer_core" core_out ${core_exe})
set(expected_core "radlite core version: ${EXPECTED_VERSION}\nlibtorch mapped: no\n")
if(NOT core_out STREQUAL expected_core)
  message(FATAL_ERROR "consumer_core (radlite::core only) output differs.\n--- expected\n${expected_core}--- actual\n${core_out}")
endif()

# radlite::core alone: find_package(radlite COMPONENTS core) must configure, build and run with Torch made
# unfindable; asking for the default components without Torch must fail and say so.
run_step("configure core-only consumer" core_only_configure_out
         ${CMAKE_COMMAND} -S ${CONSUMER_DIR} -B ${WORK_DIR}/consumer-core-only ${configure_args}
         -DRADLITE_CONSUMER_CORE_ONLY=ON -DCMAKE_DISABLE_FIND_PACKAGE_Torch=ON)
run_step("build core-only consumer" core_only_build_out
         ${CMAKE_COMMAND} --build ${WORK_DIR}/consumer-core-only --config ${CONFIG} --parallel 2)
file(GLOB_RECURSE core_only_exe ${WORK_DIR}/consumer-core-only/consumer_core)
if(NOT core_only_exe)
  message(FATAL_ERROR "the core-only consumer build produced no consumer_core executable")
endif()
list(GET core_only_exe 0 core_only_exe)
run_step("run core-only consumer_core" core_only_out ${core_only_exe})
if(NOT core_only_out STREQUAL expected_core)
  message(FATAL_ERROR "core-only consumer_core output differs.\n--- expected\n${expected_core}--- actual\n${core_only_out}")
endif()
execute_process(
  COMMAND ${CMAKE_COMMAND} -S ${CONSUMER_DIR} -B ${WORK_DIR}/consumer-no-torch ${configure_args}
          -DCMAKE_DISABLE_FIND_PACKAGE_Torch=ON
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "Torch")
  message(FATAL_ERROR "find_package(radlite) without Torch should fail naming Torch (exit ${rc}):\n${out}\n${err}")
endif()

find_consumer_exe(consumer consumer_exe)
run_step("run consumer" run_out ${consumer_exe} ${MODELS_DIR}/bert-biencoder-cls-tiny)

set(expected "radlite version: ${EXPECTED_VERSION}
libtorch version: ${torch_version}
threads after set_num_threads(1): 1
matrix: 2x3, row(1)[2] = 4.5
caught radlite::Error: consumer: deliberate
")
if(WITH_TOKENIZER)
  # bert-base-uncased: [CLS] hello world [SEP]
  string(APPEND expected "tokenizer ids: 101 7592 2088 102\ncaught radlite::IoError from the library\n")
endif()
if(NOT run_out STREQUAL expected)
  message(FATAL_ERROR "consumer output differs.\n--- expected\n${expected}--- actual\n${run_out}")
endif()
message(STATUS "consumer built against ${prefix} and printed the expected output:\n${run_out}")
