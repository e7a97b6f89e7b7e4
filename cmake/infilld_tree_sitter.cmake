# tree-sitter core and grammars, compiled from the C sources that npm installs under
# third_party/node_modules (third_party/package.json pins the versions; third_party/README.md).
#
# Defines one target:
#   infilld_tree_sitter  STATIC, C. Links the core (ts_parser_*, ts_tree_*, ts_node_*) and the
#                        grammar entry points declared in src/context/grammars.h. Consumers get
#                        <core>/lib/include as a SYSTEM include dir, i.e. #include <tree_sitter/api.h>,
#                        and the compile definition INFILLD_HAVE_TREE_SITTER=1.
#
# The sources are third-party code: built at -O2 whatever the build type, with warnings off.
# The top-level CMAKE_C_COMPILER_LAUNCHER (ccache) applies, so only the first build is slow.

set(INFILLD_TS_NODE_MODULES "${PROJECT_SOURCE_DIR}/third_party/node_modules")
set(INFILLD_TS_CORE_DIR "${INFILLD_TS_NODE_MODULES}/tree-sitter/vendor/tree-sitter/lib")

# language name -> grammar src dir (relative to node_modules). The name is the suffix of the
# grammar's entry point, tree_sitter_<name>().
set(INFILLD_TS_LANGUAGES c cpp python javascript typescript tsx go rust java)
set(INFILLD_TS_SRC_c          tree-sitter-c/src)
set(INFILLD_TS_SRC_cpp        tree-sitter-cpp/src)
set(INFILLD_TS_SRC_python     tree-sitter-python/src)
set(INFILLD_TS_SRC_javascript tree-sitter-javascript/src)
set(INFILLD_TS_SRC_typescript tree-sitter-typescript/typescript/src)
set(INFILLD_TS_SRC_tsx        tree-sitter-typescript/tsx/src)
set(INFILLD_TS_SRC_go         tree-sitter-go/src)
set(INFILLD_TS_SRC_rust       tree-sitter-rust/src)
set(INFILLD_TS_SRC_java       tree-sitter-java/src)

set(_infilld_ts_install_hint
  "Install them (exact versions from third_party/package-lock.json) with:\n"
  "    npm ci --ignore-scripts --prefix third_party\n"
  "run from ${PROJECT_SOURCE_DIR} (or: cd third_party && npm ci --ignore-scripts).\n"
  "--ignore-scripts matters: only the C sources are needed, not the Node addons.\n"
  "Or configure with -DINFILLD_TREE_SITTER=OFF to build without tree-sitter.")

# Re-configure when the pinned versions change, so the checks below run again.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  "${PROJECT_SOURCE_DIR}/third_party/package-lock.json")

set(_infilld_ts_missing "")
foreach(_f "${INFILLD_TS_CORE_DIR}/src/lib.c" "${INFILLD_TS_CORE_DIR}/include/tree_sitter/api.h")
  if(NOT EXISTS "${_f}")
    list(APPEND _infilld_ts_missing "${_f}")
  endif()
endforeach()
foreach(_lang IN LISTS INFILLD_TS_LANGUAGES)
  if(NOT EXISTS "${INFILLD_TS_NODE_MODULES}/${INFILLD_TS_SRC_${_lang}}/parser.c")
    list(APPEND _infilld_ts_missing "${INFILLD_TS_NODE_MODULES}/${INFILLD_TS_SRC_${_lang}}/parser.c")
  endif()
endforeach()
if(NOT IS_DIRECTORY "${INFILLD_TS_NODE_MODULES}")
  set(_infilld_ts_missing "${INFILLD_TS_NODE_MODULES} (the whole directory)")
endif()
if(_infilld_ts_missing)
  list(JOIN _infilld_ts_missing "\n    " _infilld_ts_missing_text)
  message(FATAL_ERROR
    "infilld: INFILLD_TREE_SITTER is ON but the tree-sitter sources are not installed.\n"
    "Missing:\n    ${_infilld_ts_missing_text}\n" ${_infilld_ts_install_hint})
endif()

# ABI check: each grammar's LANGUAGE_VERSION must lie in the core's
# [TREE_SITTER_MIN_COMPATIBLE_LANGUAGE_VERSION, TREE_SITTER_LANGUAGE_VERSION].
file(STRINGS "${INFILLD_TS_CORE_DIR}/include/tree_sitter/api.h" _infilld_ts_api_lines
     REGEX "^#define TREE_SITTER_(MIN_COMPATIBLE_)?LANGUAGE_VERSION [0-9]+")
string(REGEX MATCH "TREE_SITTER_LANGUAGE_VERSION ([0-9]+)" _m "${_infilld_ts_api_lines}")
set(_infilld_ts_abi_max "${CMAKE_MATCH_1}")
string(REGEX MATCH "TREE_SITTER_MIN_COMPATIBLE_LANGUAGE_VERSION ([0-9]+)" _m "${_infilld_ts_api_lines}")
set(_infilld_ts_abi_min "${CMAKE_MATCH_1}")

set(INFILLD_TS_SOURCES "${INFILLD_TS_CORE_DIR}/src/lib.c")
set(_infilld_ts_summary "")
foreach(_lang IN LISTS INFILLD_TS_LANGUAGES)
  set(_dir "${INFILLD_TS_NODE_MODULES}/${INFILLD_TS_SRC_${_lang}}")
  file(STRINGS "${_dir}/parser.c" _abi_line REGEX "^#define LANGUAGE_VERSION [0-9]+" LIMIT_COUNT 1)
  string(REGEX MATCH "[0-9]+$" _abi "${_abi_line}")
  if(_infilld_ts_abi_min AND _infilld_ts_abi_max AND
     (_abi STREQUAL "" OR _abi LESS _infilld_ts_abi_min OR _abi GREATER _infilld_ts_abi_max))
    message(FATAL_ERROR
      "infilld: the tree-sitter grammar '${_lang}' (${_dir}/parser.c) has ABI '${_abi}', but the "
      "core in ${INFILLD_TS_CORE_DIR} supports ${_infilld_ts_abi_min}..${_infilld_ts_abi_max}. "
      "Pin compatible versions in third_party/package.json.")
  endif()
  set(_grammar_sources "${_dir}/parser.c")
  foreach(_scanner scanner.c scanner.cc)
    if(EXISTS "${_dir}/${_scanner}")
      list(APPEND _grammar_sources "${_dir}/${_scanner}")
    endif()
  endforeach()
  # Each grammar ships its own tree_sitter/parser.h (and maybe alloc.h, array.h): the include
  # dir is per source file so that no grammar sees another's headers.
  set_source_files_properties(${_grammar_sources} PROPERTIES INCLUDE_DIRECTORIES "${_dir}")
  list(APPEND INFILLD_TS_SOURCES ${_grammar_sources})
  string(APPEND _infilld_ts_summary " ${_lang}(abi ${_abi})")
endforeach()

add_library(infilld_tree_sitter STATIC ${INFILLD_TS_SOURCES})
set_target_properties(infilld_tree_sitter PROPERTIES
  C_STANDARD 11
  C_STANDARD_REQUIRED ON
  POSITION_INDEPENDENT_CODE ON)
target_compile_options(infilld_tree_sitter PRIVATE -O2 -w)
set_source_files_properties("${INFILLD_TS_CORE_DIR}/src/lib.c" PROPERTIES
  INCLUDE_DIRECTORIES "${INFILLD_TS_CORE_DIR}/src"
  COMPILE_DEFINITIONS "_POSIX_C_SOURCE=200112L;_DEFAULT_SOURCE")
target_include_directories(infilld_tree_sitter SYSTEM PUBLIC "${INFILLD_TS_CORE_DIR}/include")
# Lets code that links the target know tree-sitter is there (tests/context/test_tree_sitter.cpp
# compiles to nothing without it, since tests/CMakeLists.txt globs it in either way).
target_compile_definitions(infilld_tree_sitter INTERFACE INFILLD_HAVE_TREE_SITTER=1)

message(STATUS "infilld: tree-sitter core ABI ${_infilld_ts_abi_min}..${_infilld_ts_abi_max}, "
               "grammars:${_infilld_ts_summary}")
