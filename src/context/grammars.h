// Entry points of the tree-sitter grammars compiled into the infilld_tree_sitter target
// (cmake/infilld_tree_sitter.cmake; versions pinned in third_party/package.json).
// Each returns a static, immutable language object: never free it.
#pragma once

#include <tree_sitter/api.h>

#ifdef __cplusplus
extern "C" {
#endif

const TSLanguage* tree_sitter_c(void);
const TSLanguage* tree_sitter_cpp(void);
const TSLanguage* tree_sitter_python(void);
const TSLanguage* tree_sitter_javascript(void);
const TSLanguage* tree_sitter_typescript(void);
const TSLanguage* tree_sitter_tsx(void);
const TSLanguage* tree_sitter_go(void);
const TSLanguage* tree_sitter_rust(void);
const TSLanguage* tree_sitter_java(void);

#ifdef __cplusplus
}
#endif
