// Per-keystroke document work on large files: a ~1 MB file of each tree-sitter language is
// opened in the language server's workspace (lsp::Workspace), then typed into at its middle,
// one character per didChange (Workspace::change: the text and the tree edited, no parse),
// and each keystroke gets what an automatic completion request does before the model: the
// tree for the current text (Workspace::tree: one incremental reparse, bounded in time) and
// the plan (completion::plan_completion with the default model's tokenizer: shape, prompt
// windows, token ids). Times per keystroke, median and worst, per phase, as one JSON line
// per language with the machine.
//
//   bench_document_edits [--bytes 1000000] [--keys 60] [--model models/default]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "completion/plan.h"
#include "context/document.h"
#include "context/languages.h"
#include "context/syntax_tree.h"
#include "engine/model.h"
#include "engine/tokenizer/tokenizer.h"
#include "lsp/workspace.h"

using namespace infilld;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// One function of the language, numbered so that no two are alike. Its first statement
// sets `total`.
std::string unit(std::string_view language, int i) {
  const std::string n = std::to_string(i);
  if (language == "python")
    return "def f" + n + "(xs, k=" + n + "):\n    total = 0\n    for x in xs:\n        if x % k == 0:\n"
           "            total += x * " + n + "\n    return total\n\n\n";
  if (language == "go")
    return "func f" + n + "(xs []int) int {\n\ttotal := 0\n\tfor _, x := range xs {\n\t\tif x%" + n +
           " == 0 {\n\t\t\ttotal += x\n\t\t}\n\t}\n\treturn total\n}\n\n";
  if (language == "rust")
    return "fn f" + n + "(xs: &[i64]) -> i64 {\n    let mut total = 0;\n    for x in xs {\n        if x % " + n +
           " == 0 {\n            total += x;\n        }\n    }\n    total\n}\n\n";
  if (language == "java")
    return "  static int f" + n + "(int[] xs) {\n    int total = 0;\n    for (int x : xs) {\n      if (x % " + n +
           " == 0) {\n        total += x;\n      }\n    }\n    return total;\n  }\n\n";
  if (language == "javascript" || language == "typescript" || language == "tsx")
    return "function f" + n + "(xs) {\n  let total = 0;\n  for (const x of xs) {\n    if (x % " + n +
           " === 0) {\n      total += x;\n    }\n  }\n  return total;\n}\n\n";
  return "int f" + n + "(const int* xs, int n) {\n  int total = 0;\n  for (int i = 0; i < n; ++i) {\n    if (xs[i] % " +
         n + " == 0) {\n      total += xs[i];\n    }\n  }\n  return total;\n}\n\n";  // c, cpp
}

std::string file_of(std::string_view language, size_t bytes) {
  std::string text = language == "java" ? "class Big {\n" : "";
  for (int i = 1; text.size() < bytes; ++i) text += unit(language, i);
  if (language == "java") text += "}\n";
  return text;
}

struct Times {
  std::vector<double> apply, parse, plan;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}
double worst(const std::vector<double>& v) { return v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()); }

}  // namespace

int main(int argc, char** argv) {
  size_t bytes = 1000000;
  int keys = 60;
  std::string model_dir = "models/default";
  std::string only;  // --language NAME: that language only
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--bytes") bytes = std::strtoul(argv[i + 1], nullptr, 10);
    if (flag == "--keys") keys = std::atoi(argv[i + 1]);
    if (flag == "--model") model_dir = argv[i + 1];
    if (flag == "--language") only = argv[i + 1];
  }
  engine::LoadOptions load;
  load.weights = false;
  auto model = engine::Model::load(model_dir, load);
  if (!model || model->tokenizer() == nullptr) {
    std::fprintf(stderr, "bench_document_edits: a model folder with a tokenizer is needed (--model)\n");
    return 1;
  }
  completion::ModelFacts facts;
  facts.tokenizer = model->tokenizer();
  facts.max_positions = model->config().max_positions;
  facts.canvas = engine::canvas_spec(model->config(), model->tokenizer()->vocab_size());
  std::string cpu = "unknown";
  if (std::ifstream info("/proc/cpuinfo"); info)
    for (std::string line; std::getline(info, line);)
      if (line.rfind("model name", 0) == 0) {
        cpu = line.substr(line.find(':') + 2);
        break;
      }

  const std::string typed = "value = compute(total)";
  for (const context::Language& language : context::all_languages()) {
    if (!only.empty() && language.name != only) continue;
    lsp::Workspace workspace;
    std::string content = file_of(language.name, bytes);
    const auto opened = Clock::now();
    workspace.open("file:///big", std::string(language.name), 1, std::move(content));
    const double open_ms = ms_since(opened);
    lsp::OpenDocument& doc = *workspace.find("file:///big");
    const std::string& text = doc.document.text();
    // The cursor: a new line after the line that sets `total` in a function near the
    // middle, typed on.
    const size_t at = text.find(language.name == "go" ? "total := 0" : "total = 0", text.size() / 2);
    const size_t line_end = text.find('\n', at);
    int64_t line = 0;
    for (size_t i = 0; i < at; ++i) line += text[i] == '\n';
    const int64_t end_column = static_cast<int64_t>(line_end - text.rfind('\n', at) - 1);
    const std::string indent = language.name == "go" ? "\t" : "    ";
    int64_t column = end_column;
    Times t;
    int stale = 0;
    for (int k = 0; k < keys; ++k) {
      context::TextEdit edit{context::Range{{line, column}, {line, column}}, std::string(1, typed[k % typed.size()])};
      if (k == 0) edit.text = "\n" + indent;  // a fresh line to type on
      auto start = Clock::now();
      if (Status s = workspace.change("file:///big", 2 + k, {&edit, 1}, context::PositionEncoding::Utf16); !s)
        return std::fprintf(stderr, "change: %s\n", s.message().c_str()), 1;
      t.apply.push_back(ms_since(start));
      start = Clock::now();
      const context::SyntaxTree* tree = workspace.tree(doc);
      t.parse.push_back(ms_since(start));
      stale += tree == nullptr;
      if (!only.empty()) std::fprintf(stderr, "key %d: tree %.2f ms%s\n", k, t.parse.back(), tree ? "" : " (none)");
      if (k == 0) {
        line += 1;
        column = static_cast<int64_t>(indent.size());
      } else {
        column += 1;
      }
      start = Clock::now();
      completion::PlanInput in;
      in.text = doc.document.text();
      auto cursor = doc.document.line_index().offset_of({line, column}, context::PositionEncoding::Utf16);
      if (!cursor) return std::fprintf(stderr, "cursor: %s\n", cursor.message().c_str()), 1;
      in.cursor = *cursor;
      in.tree = tree;
      in.language = &language;
      in.model = &facts;
      auto plan = completion::plan_completion(in);
      if (!plan) return std::fprintf(stderr, "plan: %s\n", plan.message().c_str()), 1;
      t.plan.push_back(ms_since(start));
    }
    std::printf("{\"language\": \"%.*s\", \"bytes\": %zu, \"keys\": %d, \"open_ms\": %.1f, \"did_change_ms\": [%.3f, %.3f], "
                "\"tree_ms\": [%.3f, %.3f], \"without_tree\": %d, \"plan_ms\": [%.3f, %.3f], \"cpu\": \"%s\"}\n",
                static_cast<int>(language.name.size()), language.name.data(), text.size(), keys, open_ms,
                median(t.apply), worst(t.apply), median(t.parse), worst(t.parse), stale, median(t.plan), worst(t.plan),
                cpu.c_str());
    std::fflush(stdout);
  }
  return 0;
}
