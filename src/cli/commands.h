// The subcommands of the infilld binary, one file each (src/cli/cmd_<name>.cpp).
//
// Each takes the arguments after its own name and returns the process exit status:
// 0 success, 1 internal failure, 2 a user error (bad flag, bad checkpoint, bad input),
// after printing one clear line "infilld: error: ..." on stderr (see fail() below).
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace infilld::cli {

using Args = std::span<const std::string_view>;

int cmd_info(Args args);
int cmd_forward(Args args);
int cmd_tokenize(Args args);
int cmd_bench(Args args);
int cmd_complete(Args args);
int cmd_context(Args args);
int cmd_lsp(Args args);
int cmd_serve(Args args);

// Prints "infilld: error: <message>" on stderr and returns exit status 2.
int fail(std::string_view message);

}  // namespace infilld::cli
