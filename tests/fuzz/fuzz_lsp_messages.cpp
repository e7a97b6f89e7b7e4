// Any byte stream a client may send, split at input-chosen points, goes through the LSP
// framing and JSON-RPC classification: every body is a message or an error to answer,
// never a crash, and the reader's memory stays bounded by its cap.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "lsp/framing.h"
#include "lsp/message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  constexpr size_t kCap = 4096;
  infilld::lsp::FrameReader reader(kCap);
  // The first byte picks the chunk size, so splits inside headers and bodies are explored.
  const size_t chunk = 1 + data[0] % 64;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  while (!rest.empty()) {
    const size_t n = rest.size() < chunk ? rest.size() : chunk;
    reader.feed(rest.substr(0, n));
    rest.remove_prefix(n);
    while (auto body = reader.next()) {
      if (!*body) continue;
      auto parsed = infilld::lsp::parse_message(**body);
      if (auto* e = std::get_if<infilld::lsp::RpcError>(&parsed)) (void)infilld::lsp::make_error(*e).dump();
    }
    if (reader.buffered() > 2 * kCap + infilld::lsp::kMaxHeaderBlock + 64) __builtin_trap();
  }
  return 0;
}
