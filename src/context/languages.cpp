#include "context/languages.h"

#include <array>
#include <cstddef>

#include "context/grammars.h"

namespace infilld::context {
namespace {

// Indices into the table below.
enum Index : std::size_t { C, Cpp, Python, JavaScript, TypeScript, Tsx, Go, Rust, Java, Count };

const std::array<Language, Count>& table() {
  // Built on first use: the grammar entry points are functions, not constants.
  static const std::array<Language, Count> languages{{
      {"c", tree_sitter_c(), "//", "/*", "*/"},
      {"cpp", tree_sitter_cpp(), "//", "/*", "*/"},
      {"python", tree_sitter_python(), "#", "", ""},  // docstrings are strings, not comments
      {"javascript", tree_sitter_javascript(), "//", "/*", "*/"},
      {"typescript", tree_sitter_typescript(), "//", "/*", "*/"},
      {"tsx", tree_sitter_tsx(), "//", "/*", "*/"},
      {"go", tree_sitter_go(), "//", "/*", "*/"},
      {"rust", tree_sitter_rust(), "//", "/*", "*/"},
      {"java", tree_sitter_java(), "//", "/*", "*/"},
  }};
  return languages;
}

struct Alias {
  std::string_view key;  // lower case
  Index index;
};

constexpr Alias kLanguageIds[] = {
    {"c", C},
    {"cpp", Cpp},           {"c++", Cpp},          {"cxx", Cpp},     {"cc", Cpp},
    {"python", Python},     {"py", Python},        {"python3", Python},
    {"javascript", JavaScript}, {"javascriptreact", JavaScript},  // the grammar parses JSX
    {"js", JavaScript},     {"jsx", JavaScript},
    {"typescript", TypeScript}, {"ts", TypeScript},
    {"typescriptreact", Tsx},   {"tsx", Tsx},
    {"go", Go},             {"golang", Go},
    {"rust", Rust},         {"rs", Rust},
    {"java", Java},
};

constexpr Alias kExtensions[] = {
    {"c", C},
    {"h", Cpp},  {"cc", Cpp},  {"cpp", Cpp},  {"cxx", Cpp},
    {"hpp", Cpp}, {"hh", Cpp}, {"hxx", Cpp},
    {"py", Python}, {"pyi", Python},
    {"js", JavaScript}, {"mjs", JavaScript}, {"cjs", JavaScript}, {"jsx", JavaScript},
    {"ts", TypeScript}, {"mts", TypeScript}, {"cts", TypeScript},
    {"tsx", Tsx},
    {"go", Go},
    {"rs", Rust},
    {"java", Java},
};

char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool equals_ignoring_case(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (to_lower(text[i]) != lower[i]) return false;
  }
  return true;
}

template <std::size_t N>
const Language* lookup(const Alias (&aliases)[N], std::string_view key) {
  if (key.empty()) return nullptr;
  for (const Alias& alias : aliases) {
    if (equals_ignoring_case(key, alias.key)) return &table()[alias.index];
  }
  return nullptr;
}

// The extension of the last path component ("" for none, and for dot files like ".bashrc").
// Works for plain paths and URIs alike; a URI's query or fragment is dropped (in a plain path
// '?' and '#' are ordinary characters).
std::string_view extension_of(std::string_view path) {
  if (path.find("://") != std::string_view::npos) path = path.substr(0, path.find_first_of("?#"));
  const std::size_t slash = path.find_last_of("/\\");
  const std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  const std::size_t dot = base.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  return base.substr(dot + 1);
}

}  // namespace

std::span<const Language> all_languages() { return table(); }

const Language& plain_text_language() {
  static const Language plain_text{"plaintext", nullptr, "", "", ""};
  return plain_text;
}

const Language& language_for(std::string_view language_id, std::string_view path) {
  if (const Language* by_id = lookup(kLanguageIds, language_id)) return *by_id;
  const std::string_view extension = extension_of(path);
  // gcc's convention: upper-case ".C" and ".H" are C++ (lower-case ".c" is C).
  if (extension == "C" || extension == "H") return table()[Cpp];
  if (const Language* by_extension = lookup(kExtensions, extension)) return *by_extension;
  return plain_text_language();
}

}  // namespace infilld::context
