#include "context/definitions.h"

#include <algorithm>

namespace infilld::context {

namespace {

bool defines(std::string_view type) {
  for (std::string_view word : {"function_definition", "function_declaration", "function_item", "method_definition",
                                "method_declaration", "class_definition", "class_declaration", "class_specifier",
                                "struct_specifier", "struct_item", "enum_item", "trait_item", "interface_declaration",
                                "type_declaration", "type_spec", "constructor_declaration", "generator_function_declaration",
                                "lexical_declaration_function"})
    if (type == word) return true;
  return false;
}

// The identifier naming a definition: its "name" field, else (C, C++) down the declarator
// chain: function_definition -> function_declarator -> identifier.
std::string name_of(TSNode node, std::string_view text) {
  TSNode name = ts_node_child_by_field_name(node, "name", 4);
  for (int depth = 0; ts_node_is_null(name) && depth < 4; ++depth) {
    TSNode declarator = ts_node_child_by_field_name(node, "declarator", 10);
    if (ts_node_is_null(declarator)) break;
    const std::string_view type = ts_node_type(declarator);
    if (type == "identifier" || type == "field_identifier" || type == "qualified_identifier") name = declarator;
    node = declarator;
  }
  if (ts_node_is_null(name)) return {};
  const uint32_t b = ts_node_start_byte(name), e = ts_node_end_byte(name);
  return e <= text.size() ? std::string(text.substr(b, e - b)) : std::string();
}

// The definition's text before its body ("body" field), cut to 3 lines.
std::string signature_of(TSNode node, std::string_view text) {
  const uint32_t start = ts_node_start_byte(node);
  TSNode body = ts_node_child_by_field_name(node, "body", 4);
  uint32_t end = ts_node_is_null(body) ? ts_node_end_byte(node) : ts_node_start_byte(body);
  end = std::min<uint32_t>(end, static_cast<uint32_t>(text.size()));
  std::string sig(text.substr(start, end - start));
  size_t lines = 0, cut = 0;
  while (cut < sig.size() && lines < 3)
    if (sig[cut++] == '\n') ++lines;
  if (lines == 3) sig.resize(cut - 1);
  while (!sig.empty() && (sig.back() == ' ' || sig.back() == '\n' || sig.back() == '\t')) sig.pop_back();
  return sig;
}

void walk(TSNode node, std::string_view text, std::string_view path, std::vector<Definition>& out, int depth) {
  if (depth > 64) return;  // pathological nesting: the outer definitions suffice
  if (defines(ts_node_type(node))) {
    std::string name = name_of(node, text);
    if (!name.empty()) out.push_back({std::move(name), std::string(path), signature_of(node, text)});
  }
  for (uint32_t i = 0; i < ts_node_named_child_count(node); ++i)
    walk(ts_node_named_child(node, i), text, path, out, depth + 1);
}

}  // namespace

std::vector<Definition> collect_definitions(const SyntaxTree& tree, std::string_view text, std::string_view path) {
  std::vector<Definition> out;
  walk(tree.root(), text, path, out, 0);
  return out;
}

void DefinitionIndex::set_document(std::string_view path, std::vector<Definition> definitions) {
  by_path_[std::string(path)] = std::move(definitions);
}

void DefinitionIndex::remove_document(std::string_view path) {
  if (auto it = by_path_.find(path); it != by_path_.end()) by_path_.erase(it);
}

std::vector<Snippet> DefinitionIndex::lookup(std::string_view near, std::string_view current_path, size_t max) const {
  const auto wanted = identifiers(near);
  std::vector<Snippet> out;
  for (const auto& [path, defs] : by_path_) {
    if (path == current_path) continue;
    for (const Definition& d : defs)
      if (wanted.count(d.name) && out.size() < max) out.push_back({d.path, d.signature, 1.0});
  }
  return out;
}

}  // namespace infilld::context
