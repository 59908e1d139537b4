// Compiler workarounds shared by eddy::sync's headers.
#pragma once

// EDDY_CORO_TEMPLATE marks a coroutine that is a template (or a member of one). clang (at least
// up to 14) fails to compile such coroutines under -fsanitize=function, part of
// -fsanitize=undefined, with "error in backend: Cannot represent a difference across sections"
// (llvm/llvm-project#49689); turning that one check off for them is the known workaround.
#if defined(__clang__)
#define EDDY_CORO_TEMPLATE [[clang::no_sanitize("function")]]
#else
#define EDDY_CORO_TEMPLATE
#endif
