# Installation and the CMake package: `cmake --install build --prefix <dir>` gives
#   <dir>/include/radlite/*.h                      the public headers
#   <dir>/lib/libradlite_core.a, libradlite.a      (.so with -DBUILD_SHARED_LIBS=ON)
#   <dir>/bin/radlite                              the command-line tool
#   <dir>/lib/cmake/radlite/radlite{Config,ConfigVersion,Targets}.cmake
# so that another project can `find_package(radlite)` and link radlite::radlite or radlite::core. The package has
# components: `core` (radlite::core, found without libtorch) and `radlite` (radlite::radlite and radlite::cli,
# needs Torch); they are exported as two target files so a core-only consumer never loads the Torch one.
# Included from the top-level CMakeLists.txt after src/ has defined the targets.

include(CMakePackageConfigHelpers)

set(RADLITE_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/radlite
    CACHE STRING "Where radliteConfig.cmake is installed, relative to the prefix")
mark_as_advanced(RADLITE_INSTALL_CMAKEDIR)

set_target_properties(radlite_core radlite PROPERTIES
  VERSION ${PROJECT_VERSION}
  SOVERSION ${PROJECT_VERSION_MAJOR})

# Shared builds: the installed tool and libradlite find their sibling radlite libraries relative to
# themselves, so the prefix can move; libtorch from a non-system location stays reachable through its
# link directory.
set_target_properties(radlite PROPERTIES
  INSTALL_RPATH "$ORIGIN"
  INSTALL_RPATH_USE_LINK_PATH ON)
set_target_properties(radlite-cli PROPERTIES
  EXPORT_NAME cli
  INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}"
  INSTALL_RPATH_USE_LINK_PATH ON)

install(TARGETS radlite_core
  EXPORT radliteCoreTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS radlite radlite-cli
  EXPORT radliteTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The whole include/radlite tree: headers that modules add later are installed without touching this file.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/radlite
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")

install(EXPORT radliteCoreTargets
  NAMESPACE radlite::
  FILE radliteCoreTargets.cmake
  DESTINATION ${RADLITE_INSTALL_CMAKEDIR})
install(EXPORT radliteTargets
  NAMESPACE radlite::
  FILE radliteTargets.cmake
  DESTINATION ${RADLITE_INSTALL_CMAKEDIR})

configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/radliteConfig.cmake.in
  ${PROJECT_BINARY_DIR}/radliteConfig.cmake
  INSTALL_DESTINATION ${RADLITE_INSTALL_CMAKEDIR})
# 0.x releases promise no compatibility across minor versions either, but SameMajorVersion is what users
# of 1.x will want; until then pin an exact version in find_package if that matters.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/radliteConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/radliteConfig.cmake
  ${PROJECT_BINARY_DIR}/radliteConfigVersion.cmake
  DESTINATION ${RADLITE_INSTALL_CMAKEDIR})

install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR})
