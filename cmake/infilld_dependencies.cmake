# Dependencies from Debian's packages (README lists them; .ci/run installs them).
find_package(Threads REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)
pkg_check_modules(UTF8PROC REQUIRED IMPORTED_TARGET libutf8proc)
pkg_check_modules(LIBUV REQUIRED IMPORTED_TARGET libuv)
# CPU BLAS: OpenBLAS (see docs/decisions.md and bench/results/blas_shapes.json for why).
pkg_check_modules(OPENBLAS REQUIRED IMPORTED_TARGET openblas)
if(INFILLD_TESTS)
  find_package(doctest REQUIRED)
endif()
