// From a document and a cursor to an engine request, and from the engine's tokens back to a
// suggestion: the steps every front end shares (infilld complete, infilld context, the
// language server).
//
//   plan_completion: the shape at the cursor (none / one line / several; the canvas length),
//                    prompt windows under the token budget, other files' context in front,
//                    the prefix and suffix token ids; checks that it all fits the model's
//                    positions, with the canvas in the model's own layout (the engine's
//                    canvas_overhead: markers, whole blocks, DreamOn's growth).
//   finish_completion: post-process the middle a backend filled (completion/backend.h)
//                      against the document.
//
// Which thread may call what: any thread that owns its inputs (the server calls both on its
// loop thread; the tokenizer is read-only after loading).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "context/definitions.h"
#include "context/prompt.h"
#include "context/shape.h"
#include "context/snippets.h"
#include "context/syntax_tree.h"
#include "engine/denoise/denoiser.h"
#include "engine/tokenizer/tokenizer.h"

namespace infilld::completion {

// What the planner needs to know of the model that fills the middle: the facts a
// CompletionBackend (completion/backend.h) reports of its model.
struct ModelFacts {
  const engine::Tokenizer* tokenizer = nullptr;  // counts the prompt's tokens, makes its ids
  int64_t max_positions = 0;                     // the model's context length
  engine::CanvasSpec canvas;                     // the model's canvas layout
  engine::DecodeOptions defaults;                // the family's decoding defaults
};

struct PlanInput {
  std::string_view text;    // the whole document
  size_t cursor = 0;        // byte offset in `text`
  const context::SyntaxTree* tree = nullptr;  // of `text`; null for plain text or no parse
  const context::Language* language = nullptr;
  std::string_view path;    // the document's path or URI (its own snippets are skipped)
  bool explicit_request = false;  // the user asked: strings, comments... do not silence it
  const ModelFacts* model = nullptr;  // the backend's (tokenizer, positions, canvas layout)
  int32_t max_length = 0;         // DreamOn's longest span (DecodeOptions::max_length)
  context::PromptOptions prompt;  // budget, shares
  int32_t max_tokens = 0;         // the canvas length; 0: the shape's
  // Other files (both may be null): definitions and similar chunks go in front of the prefix.
  const context::SnippetRing* ring = nullptr;
  const context::DefinitionIndex* definitions = nullptr;
};

struct Plan {
  context::Shape shape;  // kind None: nothing to ask the model
  context::Prompt prompt;
  std::vector<int32_t> prefix_ids, suffix_ids;
  int32_t max_tokens = 0;
  int64_t positions = 0;  // the whole canvas at its longest: prefix, suffix, markers, span
  // The document before the cursor from its last non-blank line on (the cursor's line
  // included): what the shape's cut reads (the unit's indentation, a block opener), for the
  // settled test (fill_request). Not the prompt's prefix, which may end with other text.
  std::string cursor_lines;
};

// Errors: no tokenizer or canvas layout, or a model whose context cannot hold the canvas
// and a useful prompt.
Expected<Plan> plan_completion(const PlanInput& in);

// The longest start of `text` that is well-formed UTF-8 without control characters (other
// than tab and line breaks): what an editor can show. A model's middle may end inside a
// character, or (an untrained one) hold any bytes.
std::string_view printable_prefix(std::string_view text);

// The suggestion for the `middle` a backend filled (FillResult::text): cut at its first
// unprintable byte and post-processed against the document around the cursor ("" when
// nothing is worth showing).
std::string finish_completion(std::string_view middle, std::string_view prefix, std::string_view suffix,
                              context::ShapeKind shape, const context::Language* language);

}  // namespace infilld::completion
