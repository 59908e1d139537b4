# Run by ctest as `cmake -P check.cmake` (see CMakeLists.txt beside this file for the inputs).
cmake_minimum_required(VERSION 3.22)

foreach(var EDDY_BUILD_DIR EDDY_LIBDIR CONSUMER_SOURCE_DIR WORK_DIR GENERATOR CXX)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "check.cmake: ${var} is not set")
  endif()
endforeach()

# Runs a command, echoing it, and fails the test when it fails.
function(run)
  string(REPLACE ";" " " shown "${ARGN}")
  message(STATUS "install check: ${shown}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "install check: command failed (${rc}): ${shown}")
  endif()
endfunction()

set(prefix ${WORK_DIR}/prefix)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

# 1. Install into the scratch prefix.
set(config_args)
if(EDDY_CONFIG)
  set(config_args --config ${EDDY_CONFIG})
endif()
run(${CMAKE_COMMAND} --install ${EDDY_BUILD_DIR} --prefix ${prefix} ${config_args})

# 2. A CMake consumer: find_package(eddy REQUIRED) + target_link_libraries(... eddy::eddy).
#    CMAKE_FIND_USE_PACKAGE_REGISTRY and the system prefixes are off so that only the scratch
#    prefix can satisfy find_package.
run(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${WORK_DIR}/cmake-consumer -G ${GENERATOR}
  -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=Release
  -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
  -DCMAKE_FIND_USE_CMAKE_SYSTEM_PATH=OFF)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/cmake-consumer)
run(${WORK_DIR}/cmake-consumer/eddy_consumer)

# 3. A pkg-config consumer: c++ consumer.cpp $(pkg-config --cflags --libs eddy).
find_program(PKG_CONFIG_EXECUTABLE NAMES pkg-config pkgconf REQUIRED)
set(ENV{PKG_CONFIG_PATH} ${prefix}/${EDDY_LIBDIR}/pkgconfig)
execute_process(COMMAND ${PKG_CONFIG_EXECUTABLE} --cflags --libs eddy
  OUTPUT_VARIABLE pc_flags OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "install check: pkg-config --cflags --libs eddy failed (${rc})")
endif()
message(STATUS "install check: pkg-config --cflags --libs eddy -> ${pc_flags}")
separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
# The libraries go after the source, as a static library needs.
run(${CXX} -Wall -Wextra -Werror ${CONSUMER_SOURCE_DIR}/consumer.cpp -o ${WORK_DIR}/pkgconfig-consumer
  ${pc_flags})
run(${WORK_DIR}/pkgconfig-consumer)

message(STATUS "install check: passed (find_package and pkg-config)")
