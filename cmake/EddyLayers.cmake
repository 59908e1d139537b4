# eddy's layers as build targets. Each layer under src/ is an OBJECT library whose private
# headers are reachable only by the layers that declare it as a dependency, so an include in
# the wrong direction (io including runtime, say) fails to compile. Users see one library,
# eddy::eddy, made of every layer's objects.
#
# How: a layer's headers are included as "<layer>/file.hpp". The include root that makes that
# path work is a directory of the build tree holding one symbolic link, <layer> -> src/<layer>;
# a layer's target carries its own root as a usage requirement, and a layer sees another's
# root only by linking it (PRIVATE, from above).
#
#   util     helpers shared by every layer (wake list, thread parker, context, errors)
#   io       the I/O driver and its backend
#   signal   the signal driver (and the stack's bottom as the time driver sees it)
#   time     the time driver, timers and the clock
#   runtime  schedulers, the driver stack, blocking pool, coop
#   fs       files over io_uring or the blocking pool
#   net      sockets
#   sync     sync primitives and channels (if present)

set(EDDY_LAYER_ROOT ${PROJECT_BINARY_DIR}/eddy-layers)
set(EDDY_LAYERS "")

# eddy_layer(<name> [DEPENDS <layer>...])
function(eddy_layer name)
  cmake_parse_arguments(L "" "" "DEPENDS" ${ARGN})
  set(root ${EDDY_LAYER_ROOT}/${name})
  file(MAKE_DIRECTORY ${root})
  if(NOT EXISTS ${root}/${name})
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/src/${name} ${root}/${name} SYMBOLIC)
  endif()
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${name}/*.cpp)
  add_library(eddy_${name} OBJECT ${sources})
  target_include_directories(eddy_${name} PUBLIC ${root})
  target_include_directories(eddy_${name} PRIVATE ${PROJECT_SOURCE_DIR}/include)
  target_compile_features(eddy_${name} PUBLIC cxx_std_20)
  if(BUILD_SHARED_LIBS)
    set_target_properties(eddy_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  endif()
  foreach(dep ${L_DEPENDS})
    target_link_libraries(eddy_${name} PRIVATE eddy_${dep})
  endforeach()
  eddy_set_warnings(eddy_${name})
  set_property(GLOBAL PROPERTY EDDY_LAYER_DEPENDS_${name} ${L_DEPENDS})
  set(EDDY_LAYERS ${EDDY_LAYERS} ${name} PARENT_SCOPE)
endfunction()

# eddy_layer_probe(<target> <layer> <source>): an OBJECT target (not built by default) that
# compiles <source> exactly as a file of <layer> is compiled: that layer's include root and its
# dependencies' roots, nothing else. The layering tests build probes that must fail.
function(eddy_layer_probe target layer source)
  get_property(deps GLOBAL PROPERTY EDDY_LAYER_DEPENDS_${layer})
  add_library(${target} OBJECT EXCLUDE_FROM_ALL ${source})
  target_include_directories(${target} PRIVATE ${EDDY_LAYER_ROOT}/${layer} ${PROJECT_SOURCE_DIR}/include)
  foreach(dep ${deps})
    target_link_libraries(${target} PRIVATE eddy_${dep})
  endforeach()
  target_compile_features(${target} PRIVATE cxx_std_20)
endfunction()

eddy_layer(util)
eddy_layer(io DEPENDS util)
eddy_layer(signal DEPENDS util io)
eddy_layer(time DEPENDS util io signal)
eddy_layer(runtime DEPENDS util io signal time)
eddy_layer(fs DEPENDS util io runtime)
eddy_layer(net DEPENDS util io runtime)
if(EXISTS ${PROJECT_SOURCE_DIR}/src/sync)
  eddy_layer(sync DEPENDS util runtime)
endif()

# Every layer's private headers at once: for eddy's own tests and benchmarks, which test the
# internals (the driver, the registration set) directly. Never installed.
add_library(eddy_internal_headers INTERFACE)
foreach(layer ${EDDY_LAYERS})
  target_include_directories(eddy_internal_headers INTERFACE ${EDDY_LAYER_ROOT}/${layer})
endforeach()
