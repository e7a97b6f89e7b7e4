// Status and Expected<T>: how library code reports errors a user can act on.
//
// Library code never throws across its API and never calls exit(); it returns a Status
// (success or an Error) or an Expected<T> (a value or an Error). The message says what
// failed, where, expected versus found, and what to do (DESIGN.md section 8, rule 4).
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <string_view>
#include <type_traits>
#include <variant>

namespace infilld {

inline std::string to_text(const std::string& s) { return s; }
inline std::string to_text(std::string_view s) { return std::string(s); }
inline std::string to_text(const char* s) { return s; }
inline std::string to_text(char c) { return std::string(1, c); }
template <class N>
  requires std::is_arithmetic_v<N>
std::string to_text(N n) {
  return std::to_string(n);
}

struct Error {
  std::string message;
};

// Builds an Error from pieces: error("tensor ", name, ": expected ", a, ", found ", b).
template <class... Parts>
Error error(Parts&&... parts) {
  std::string message;
  ((message += to_text(std::forward<Parts>(parts))), ...);
  return Error{std::move(message)};
}

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error e) : error_(std::move(e.message)), ok_(false) {}  // NOLINT: implicit by design

  static Status ok() { return Status(); }
  bool is_ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const std::string& message() const { return error_; }

 private:
  std::string error_;
  bool ok_ = true;
};

template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Expected(Error e) : v_(std::move(e)) {}      // NOLINT: implicit by design

  bool is_ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return is_ok(); }

  T& value() & { assert(is_ok()); return std::get<T>(v_); }
  const T& value() const& { assert(is_ok()); return std::get<T>(v_); }
  T&& value() && { assert(is_ok()); return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const std::string& message() const { assert(!is_ok()); return std::get<Error>(v_).message; }
  Error error() const { return std::get<Error>(v_); }
  Status status() const { return is_ok() ? Status::ok() : Status(error()); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace infilld

// Propagates an error from a Status or Expected expression.
#define INFILLD_TRY(expr)                                          \
  do {                                                             \
    auto infilld_try_result_ = (expr);                             \
    if (!infilld_try_result_) return ::infilld::Error{infilld_try_result_.message()}; \
  } while (0)
