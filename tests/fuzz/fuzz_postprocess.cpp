// Post-processing of arbitrary model output against an arbitrary prefix and suffix, in any
// shape and any of the languages (a grammar's syntax check included). Beyond "never a
// crash", what the decode loop and the editor rely on:
//   - a single-line suggestion has no line break;
//   - valid UTF-8 in gives valid UTF-8 out (the cuts fall between characters);
//   - once settled() says the suggestion is settled, more model output does not change it
//     (the decode loop stops there: InfillRequest::settled), unless the syntax check ran
//     near its time budget (then the verdict may depend on the machine's speed);
//   - its memory stays bounded on any text (libFuzzer's -rss_limit_mb): the syntax
//     check's parses are bounded in time.
#include <fuzzer/FuzzedDataProvider.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "context/languages.h"
#include "context/postprocess.h"

namespace {

using infilld::context::PostprocessInput;
using infilld::context::ShapeKind;

void require(bool ok) {
  if (!ok) __builtin_trap();
}

bool valid_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const unsigned c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : c & (0x7F >> n);
    for (size_t k = 1; k < n; ++k) {
      const unsigned t = static_cast<unsigned char>(s[i + k]);
      if ((t & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (t & 0x3F);
    }
    const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[n] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return false;
    i += n;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const auto languages = infilld::context::all_languages();
  const size_t pick = in.ConsumeIntegralInRange<size_t>(0, languages.size());
  const ShapeKind shapes[3] = {ShapeKind::None, ShapeKind::SingleLine, ShapeKind::MultiLine};
  PostprocessInput input;
  input.shape = shapes[in.ConsumeIntegralInRange<int>(0, 2)];
  input.language = pick < languages.size() ? &languages[pick] : nullptr;
  const std::string prefix = in.ConsumeRandomLengthString(512);
  const std::string suffix = in.ConsumeRandomLengthString(512);
  const std::string middle = in.ConsumeRandomLengthString(512);
  const std::string more = in.ConsumeRemainingBytesAsString();
  input.prefix = prefix;
  input.suffix = suffix;
  input.middle = middle;

  const auto start = std::chrono::steady_clock::now();
  const std::string out = infilld::context::postprocess(input);
  // The syntax check has a time budget (100 ms): a result that took a good part of it
  // may depend on the machine's speed, so the settled check below skips it.
  const bool timely = std::chrono::steady_clock::now() - start < std::chrono::milliseconds(30);
  if (input.shape == ShapeKind::SingleLine) require(out.find('\n') == std::string::npos);
  if (valid_utf8(middle)) require(valid_utf8(out));

  if (timely && infilld::context::settled(input)) {
    const std::string longer = middle + more;
    PostprocessInput extended = input;
    extended.middle = longer;
    require(infilld::context::settled(extended));
    require(infilld::context::postprocess(extended) == out);
  }
  return 0;
}
