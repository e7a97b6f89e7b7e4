// The languages the context engine knows: each one's tree-sitter grammar and comment syntax,
// chosen from the editor's LSP languageId or, failing that, from the file's extension.
#pragma once

#include <span>
#include <string_view>

#include <tree_sitter/api.h>

namespace infilld::context {

struct Language {
  std::string_view name;           // "c", "cpp", "python", ..., "plaintext"
  const TSLanguage* grammar;       // nullptr for plain text
  std::string_view line_comment;   // "//" or "#"; empty when the language has none
  std::string_view block_comment_open, block_comment_close;  // empty when none
};

// The languages with a grammar, one entry per grammar (c, cpp, python, javascript, typescript,
// tsx, go, rust, java). The objects live for the whole program.
std::span<const Language> all_languages();

// What every file without a known language gets: no grammar and no comment syntax (a guessed
// "#" would put stray syntax into e.g. Markdown or JSON).
const Language& plain_text_language();

// By LSP languageId first (case-insensitive; "javascriptreact" -> javascript,
// "typescriptreact" -> tsx, aliases such as "c++", "py", "js", "ts", "jsx", "tsx"), then by the
// extension of `path` (a file path or a file:// URI), else plain text. A ".h" header goes to
// cpp: the C++ grammar reads C headers well, the C grammar fails on C++ ones.
const Language& language_for(std::string_view language_id, std::string_view path);

}  // namespace infilld::context
