// libFuzzer target: a remote engine's streamed answer (completion/remote_stream.h), as any
// server might send it. The first byte picks the kind; the rest is the wire, read twice,
// whole and one byte at a time: neither may crash or throw, and both must read the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "completion/remote_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const char* kinds[] = {"infilld", "openai", "fim", "llamacpp", "ollama"};
  const std::string kind = kinds[data[0] % 5];
  const std::string_view wire(reinterpret_cast<const char*>(data + 1), size - 1);
  infilld::completion::RemoteStream whole(kind, {}), bytewise(kind, [](std::string) {});
  whole.feed(wire);
  whole.end();
  for (char c : wire) bytewise.feed(std::string_view(&c, 1));
  bytewise.end();
  if (whole.text() != bytewise.text() || whole.finished() != bytewise.finished() ||
      whole.stopped() != bytewise.stopped() || whole.error() != bytewise.error())
    std::abort();
  (void)infilld::completion::remote_error_message(wire);
  return 0;
}
