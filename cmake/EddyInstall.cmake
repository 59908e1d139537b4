include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS eddy EXPORT eddyTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/eddy DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT eddyTargets NAMESPACE eddy:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/eddy)

configure_package_config_file(cmake/eddyConfig.cmake.in
  ${PROJECT_BINARY_DIR}/eddyConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/eddy)
# Before 1.0 a minor release may break the API, so only the same minor version is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/eddyConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/eddyConfig.cmake ${PROJECT_BINARY_DIR}/eddyConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/eddy)

# eddy.pc is relocatable: its prefix is found from the .pc file's own location (${pcfiledir}),
# so `cmake --install <build> --prefix <dir>` gives a working file for any <dir>.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(EDDY_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _eddy_pc_up "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
  set(EDDY_PC_PREFIX "\${pcfiledir}/${_eddy_pc_up}")
endif()
configure_file(cmake/eddy.pc.in ${PROJECT_BINARY_DIR}/eddy.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/eddy.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
