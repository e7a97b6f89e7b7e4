# Warnings for the project's own targets (not third-party sources).
add_library(infilld_warnings INTERFACE)
target_compile_options(infilld_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wno-unused-parameter>)
