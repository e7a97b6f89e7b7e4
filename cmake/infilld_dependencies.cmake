# Dependencies from Debian's packages (README lists them; .ci/run installs them).
find_package(Threads REQUIRED)
find_package(OpenMP REQUIRED)  # oneDNN's threading runtime in Debian; we size its team per op
find_package(nlohmann_json 3.10 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)
pkg_check_modules(UTF8PROC REQUIRED IMPORTED_TARGET libutf8proc)
pkg_check_modules(LIBUV REQUIRED IMPORTED_TARGET libuv)
# infilld serve's HTTP/1.1 (Debian's libcpp-httplib-dev; docs/decisions.md "HTTP library").
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
# Remote engines (completion/remote_backend.h): Debian's libcurl4-openssl-dev.
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl)
# CPU BLAS: oneDNN (docs/decisions.md, bench/results/blas_shapes.json). Found by header and
# library rather than find_package(dnnl): Debian's dnnl-config.cmake requires the OpenCL
# headers, which we do not use. OpenBLAS is only for the BLAS comparison benchmark.
find_path(INFILLD_DNNL_INCLUDE_DIR oneapi/dnnl/dnnl.hpp REQUIRED)
find_library(INFILLD_DNNL_LIBRARY dnnl REQUIRED)
add_library(infilld_dnnl INTERFACE)
target_include_directories(infilld_dnnl SYSTEM INTERFACE ${INFILLD_DNNL_INCLUDE_DIR})
target_link_libraries(infilld_dnnl INTERFACE ${INFILLD_DNNL_LIBRARY})
pkg_check_modules(OPENBLAS IMPORTED_TARGET openblas)
if(INFILLD_TESTS)
  find_package(doctest REQUIRED)
endif()
