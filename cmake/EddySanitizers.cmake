# EDDY_SANITIZE applies to every target in the build (library, tests, benchmarks) because mixing
# instrumented and uninstrumented code gives false reports under TSan.
if(EDDY_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
elseif(EDDY_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(NOT EDDY_SANITIZE STREQUAL "")
  message(FATAL_ERROR "EDDY_SANITIZE must be '', 'address' or 'thread', not '${EDDY_SANITIZE}'")
endif()
