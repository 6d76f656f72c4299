# SPDX-License-Identifier: MIT
# What `cmake --install` puts under the prefix, so that another project can
# use the library: the public headers, libipctb.a and libipctb.so, the
# ipctb tool, a CMake package (find_package(ipctb): ipctb::ipctb is the
# shared library, ipctb::ipctb_static the static one, ipctb::tool the
# tool, ipctb::plugin a plug-in's headers, and ipctb_add_plugin() from
# ipctbPlugin.cmake) and ipctb.pc for
# pkg-config. tests/outside/ builds a program against the result (ctest
# install_outside).
include(CMakePackageConfigHelpers)

set(IPCTB_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/ipctb)

# Every header of ipc/include/ipctb/, taken when installing (not when
# configuring), so a header added later is installed without touching this
# file; except conform.h, whose functions live in the conformance harness,
# which is not installed: a user including it would get undefined symbols.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/ipc/include/ipctb
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h" PATTERN "conform.h" EXCLUDE)

install(TARGETS ipctb ipctb_shared EXPORT ipctbTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
# The tool is exported too, as ipctb::tool: ipctb_add_plugin()'s ctest
# entries run the installed one. A plug-in links no libipctb (its ipctb_
# names bind to the loading program's copy), so what it gets from the
# package is the headers alone: ipctb::plugin, an interface target.
set_target_properties(ipctb_tool PROPERTIES EXPORT_NAME tool)
add_library(ipctb_plugin_headers INTERFACE)
set_target_properties(ipctb_plugin_headers PROPERTIES EXPORT_NAME plugin)
target_include_directories(ipctb_plugin_headers INTERFACE
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
# The headers are written for the GNU mode of C11 (key_t, ...).
target_compile_features(ipctb_plugin_headers INTERFACE c_std_11)
install(TARGETS ipctb_tool EXPORT ipctbTargets RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS ipctb_plugin_headers EXPORT ipctbTargets)
install(EXPORT ipctbTargets NAMESPACE ipctb:: DESTINATION ${IPCTB_CMAKE_DIR})

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/ipctbConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/ipctbConfig.cmake INSTALL_DESTINATION ${IPCTB_CMAKE_DIR})
# 0.x: a minor release may break the API, so only the same minor matches.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/ipctbConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/ipctbConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/ipctbConfigVersion.cmake
              ${CMAKE_CURRENT_LIST_DIR}/ipctbPlugin.cmake
        DESTINATION ${IPCTB_CMAKE_DIR})

# ipctb.pc is written when installing, from the prefix given then
# (`cmake --install <build> --prefix P` changes it after configuring), so
# its paths are the real ones. A libdir or includedir given as an absolute
# path is used as it is.
foreach(_d LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${_d}}")
    set(_pc_${_d} "${CMAKE_INSTALL_${_d}}")
  else()
    set(_pc_${_d} "\${prefix}/${CMAKE_INSTALL_${_d}}")
  endif()
endforeach()
set(_pc_out ${CMAKE_CURRENT_BINARY_DIR}/ipctb.pc)
# (Bracket arguments: the install script must not expand "${prefix}".)
install(CODE "
  set(IPCTB_PC_VERSION [[${PROJECT_VERSION}]])
  set(IPCTB_PC_LIBDIR [[${_pc_LIBDIR}]])
  set(IPCTB_PC_INCLUDEDIR [[${_pc_INCLUDEDIR}]])
  configure_file(\"${CMAKE_CURRENT_LIST_DIR}/ipctb.pc.in\" \"${_pc_out}\" @ONLY)
")
install(FILES ${_pc_out} DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
