// infilld tokenize: text -> token ids, or ids -> text, with a model folder's tokenizer.
//
//   infilld tokenize --model DIR [--verbose] TEXT   ids on one line, separated by spaces
//   infilld tokenize --model DIR [--verbose] --stdin
//   infilld tokenize --model DIR --decode "1 2 3"   the exact text, no newline added
//
// Only the tokenizer files are read (never the weights). --verbose adds one line per
// token after the ids: "id<TAB>piece", the piece's text escaped.
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/model_dir.h"
#include "engine/tokenizer/tokenizer.h"

namespace infilld::cli {

namespace {

using engine::Tokenizer;

// The length of the well-formed UTF-8 sequence at text[pos], or 0 if there is none.
size_t utf8_sequence(std::string_view text, size_t pos) {
  const auto b = static_cast<unsigned char>(text[pos]);
  size_t n = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (b >= 0xC2 && b <= 0xDF) {
    n = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    n = 3;
    if (b == 0xE0) lo = 0xA0;
    if (b == 0xED) hi = 0x9F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    n = 4;
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (pos + n > text.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    const auto c = static_cast<unsigned char>(text[pos + k]);
    if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xBF)) return 0;
  }
  return n;
}

// \n \t \r \\ escaped; other control bytes, DEL and bytes that are not part of a
// well-formed UTF-8 character (a token may hold half a character) as \xNN.
std::string escape(std::string_view piece) {
  std::string out;
  size_t pos = 0;
  while (pos < piece.size()) {
    const auto c = static_cast<unsigned char>(piece[pos]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
    } else if (c >= 0x80) {
      if (const size_t n = utf8_sequence(piece, pos); n > 0) {
        out.append(piece.substr(pos, n));
        pos += n;
        continue;
      }
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02X", static_cast<unsigned>(c));
      out += hex;
    } else {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02X", static_cast<unsigned>(c));
      out += hex;
    }
    ++pos;
  }
  return out;
}

bool write_all(std::string_view bytes) {
  return std::fwrite(bytes.data(), 1, bytes.size(), stdout) == bytes.size();
}

Expected<std::string> read_stdin() {
  std::string text;
  char buffer[1 << 16];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof(buffer), stdin)) > 0) text.append(buffer, n);
  if (std::ferror(stdin)) return error("cannot read standard input");
  return text;
}

}  // namespace

int cmd_tokenize(Args args) {
  const FlagSpec spec{{"model", "decode"}, {"verbose", "stdin"}};
  auto flags = Flags::parse(args, spec);
  if (!flags) return fail(flags.message());

  auto model_dir = resolve_model_dir(*flags);  // --model DIR, else INFILLD_MODEL
  if (!model_dir) return fail(model_dir.message());

  const bool decode = flags->has("decode");
  const bool from_stdin = flags->has("stdin");
  const auto& positional = flags->positional();
  if (decode && (from_stdin || !positional.empty())) {
    return fail("--decode takes the ids as its value (--decode \"1 2 3\"); it cannot be combined with TEXT or --stdin");
  }
  if (!decode) {
    if (from_stdin && !positional.empty()) return fail("give the text either as TEXT or with --stdin, not both");
    if (!from_stdin && positional.empty()) return fail("missing TEXT to tokenize (or pass --stdin)");
    if (positional.size() > 1) {
      return fail("expected one TEXT argument, got " + std::to_string(positional.size()) +
                  " (quote the text so that the shell passes it as one argument)");
    }
  }

  auto tokenizer = Tokenizer::load(*model_dir);
  if (!tokenizer) return fail(tokenizer.message());

  if (decode) {
    auto ids = parse_token_ids("--decode", *flags->get("decode"));
    if (!ids) return fail(ids.message());
    auto text = tokenizer->decode(*ids);
    if (!text) return fail(text.message());
    if (!write_all(*text) || std::fflush(stdout) != 0) return fail("cannot write to standard output");
    return 0;
  }

  std::string text;
  if (from_stdin) {
    auto input = read_stdin();
    if (!input) return fail(input.message());
    text = std::move(*input);
  } else {
    text = positional.front();
  }
  const std::vector<int32_t> ids = tokenizer->encode(text);
  std::string out;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += ' ';
    out += std::to_string(ids[i]);
  }
  out += '\n';
  if (flags->has("verbose")) {
    for (int32_t id : ids) {
      const int32_t one[1] = {id};
      auto piece = tokenizer->decode(one);
      if (!piece) return fail(piece.message());
      out += std::to_string(id) + "\t" + escape(*piece) + "\n";
    }
  }
  if (!write_all(out) || std::fflush(stdout) != 0) return fail("cannot write to standard output");
  return 0;
}

}  // namespace infilld::cli
