// The safetensors header validation, on images built in memory.
#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "engine/checkpoint/safetensors.h"

using infilld::engine::parse_safetensors;

namespace {

// u64 header length + header text + data bytes.
std::vector<std::byte> image(const std::string& header, size_t data_bytes, uint64_t claimed_len = 0) {
  std::vector<std::byte> bytes(8 + header.size() + data_bytes, std::byte{0});
  uint64_t len = claimed_len ? claimed_len : header.size();
  for (int i = 0; i < 8; ++i) bytes[i] = std::byte(static_cast<uint8_t>(len >> (8 * i)));
  std::memcpy(bytes.data() + 8, header.data(), header.size());
  return bytes;
}

std::string parse_error(const std::vector<std::byte>& bytes) {
  auto r = parse_safetensors(bytes, "x.safetensors");
  REQUIRE_FALSE(r.is_ok());
  return r.message();
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("safetensors: reads a valid header") {
  // Header padded to 8 bytes so that the data is aligned, as real writers do.
  std::string h = R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
                  R"("b":{"dtype":"BF16","shape":[4],"data_offsets":[24,32]}})";
  h.append((8 - h.size() % 8) % 8, ' ');
  auto bytes = image(h, 32);
  auto r = parse_safetensors(bytes, "x.safetensors");
  REQUIRE(r.is_ok());
  REQUIRE(r->size() == 2);
  const auto& a = (*r)[0].name == "a" ? (*r)[0] : (*r)[1];
  CHECK(a.shape == std::vector<int64_t>{2, 3});
  CHECK(a.n_bytes == 24);
  CHECK(a.data == bytes.data() + 8 + h.size());
}

TEST_CASE("safetensors: rejects malformed headers with a clear message") {
  CHECK(contains(parse_error({}), "truncated"));
  CHECK(contains(parse_error(image("{}", 0, 1000)), "header length"));
  CHECK(contains(parse_error(image("{}", 0, uint64_t(1) << 40)), "header length"));
  CHECK(contains(parse_error(image("{not json", 0)), "header is not valid JSON"));
  CHECK(contains(parse_error(image("[1,2]", 0)), "not a JSON object"));
  CHECK(contains(parse_error(image(R"({"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})", 8)),
                 "unsupported dtype F64"));
  CHECK(contains(parse_error(image(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8)),
                 "needs 12 bytes but data_offsets span 8 bytes"));
  CHECK(contains(parse_error(image(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 8)), "outside"));
  CHECK(contains(parse_error(image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8)), "reversed"));
  CHECK(contains(parse_error(image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                   R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 16)),
                 "overlap"));
  CHECK(contains(parse_error(image(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}})", 0)), "shape"));
  CHECK(contains(parse_error(image(R"({"a":{"shape":[1],"data_offsets":[0,4]}})", 4)), "dtype"));
  CHECK(contains(parse_error(image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", 4)), "data_offsets"));
  CHECK(contains(parse_error(image(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,16],)"
                                   R"("data_offsets":[0,4]}})", 4)), "too large"));
}
