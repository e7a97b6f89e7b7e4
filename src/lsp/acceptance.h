// Acceptance tracking (docs/lsp.md, "Copilot-compatible extras"): which completion items
// were given recently and whether each was accepted, counted once per item however the
// editor reports it:
//   - explicitly: the item's accept command (workspace/executeCommand infilld.accept {id});
//   - inferred: a didChange after which the document is exactly the text it would be with
//     the last item shown for that document inserted (editors that never run the command).
// An id older than the last kRecentItems is forgotten (the accept command then fails), so
// the memory stays bounded however long the session.
//
// Which thread may call what: the loop thread only (no locking). It knows no JSON and no
// counters: the server parses the messages and counts what these functions report.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <string>
#include <string_view>

namespace infilld::lsp {

class AcceptanceTracker {
 public:
  static constexpr size_t kRecentItems = 1024;

  enum class Accept { Counted, Already, Unknown };

  // An item with a suggestion was sent for `uri`; `expected_text` is the document as it is
  // once the item is inserted. It becomes the document's last shown item.
  void given(const std::string& id, const std::string& uri, std::string expected_text);
  // The accept command for `id`: Counted the first time, Already after that (however the
  // acceptance was reported), Unknown for an id not given recently.
  Accept accept(std::string_view id);
  // The document `uri` changed to `text`: true when that inserted its last shown item,
  // not yet counted (the acceptance is counted here, once).
  bool document_changed(std::string_view uri, const std::string& text);
  // The document was closed: its last shown item can no longer be inferred accepted.
  void document_closed(std::string_view uri);

  size_t recent() const { return accepted_.size(); }

 private:
  bool mark(std::string_view id);  // true when `id` is recent and was not yet accepted

  struct Shown {
    std::string id;
    std::string expected_text;
  };
  std::map<std::string, Shown, std::less<>> shown_;     // the last item shown, by document URI
  std::map<std::string, bool, std::less<>> accepted_;  // recent items: accepted yet?
  std::deque<std::string> order_;                      // recent items, oldest first
};

}  // namespace infilld::lsp
