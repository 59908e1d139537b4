# Warnings stay PRIVATE to eddy's own targets so that consumers are not forced into them.
function(eddy_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough)
  if(EDDY_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
