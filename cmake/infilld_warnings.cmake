# Warnings for the project's own targets (not third-party sources).
add_library(infilld_warnings INTERFACE)
target_compile_options(infilld_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wno-unused-parameter>)
# GCC 12 reports -Wrestrict inside libstdc++'s std::string at -O2/-O3 (GCC bug 105329), a
# false positive we cannot fix in our code.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(infilld_warnings INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-Wno-restrict>)
endif()
