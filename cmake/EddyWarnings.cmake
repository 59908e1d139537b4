# Warnings stay PRIVATE to eddy's own targets so that consumers are not forced into them.
function(eddy_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough)
  # g++ 12 reports a false -Wrestrict inside libstdc++'s std::string (char_traits::copy) for
  # ordinary concatenations at -O2 (GCC bug 105329, fixed in g++ 13); it is not about our code.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(EDDY_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
