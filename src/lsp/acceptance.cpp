#include "lsp/acceptance.h"

namespace infilld::lsp {

void AcceptanceTracker::given(const std::string& id, const std::string& uri, std::string expected_text) {
  shown_[uri] = {id, std::move(expected_text)};
  if (!accepted_.emplace(id, false).second) return;  // given again: keeps its place and state
  order_.push_back(id);
  if (order_.size() > kRecentItems) {
    accepted_.erase(order_.front());
    order_.pop_front();
  }
}

bool AcceptanceTracker::mark(std::string_view id) {
  auto it = accepted_.find(id);
  if (it == accepted_.end() || it->second) return false;
  it->second = true;
  return true;
}

AcceptanceTracker::Accept AcceptanceTracker::accept(std::string_view id) {
  if (accepted_.find(id) == accepted_.end()) return Accept::Unknown;
  return mark(id) ? Accept::Counted : Accept::Already;
}

bool AcceptanceTracker::document_changed(std::string_view uri, const std::string& text) {
  auto it = shown_.find(uri);
  if (it == shown_.end() || text != it->second.expected_text) return false;
  // Inferred once: the next change cannot infer it again (nor can a later edit back to it).
  const std::string id = std::move(it->second.id);
  shown_.erase(it);
  return mark(id);
}

void AcceptanceTracker::document_closed(std::string_view uri) {
  if (auto it = shown_.find(uri); it != shown_.end()) shown_.erase(it);
}

}  // namespace infilld::lsp
