// What a forward returns: the logits of some rows of one sequence, float32 [rows, n_vocab],
// for the ascending sequence rows `rows`: every row the forward computed, or only those the
// caller asked the LM head for (the rows that predict masked positions). The decode loop
// looks a row up by its place in the canvas.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

namespace infilld::engine {

struct Logits {
  int64_t n_vocab = 0;
  std::vector<int64_t> rows;  // ascending sequence rows
  std::vector<float> values;  // [rows.size(), n_vocab]
  int64_t computed = 0;       // rows the forward computed (its cost), with or without logits

  int64_t n_rows() const { return static_cast<int64_t>(rows.size()); }

  // Holds rows [r0, r1), or the rows `which`; sizes `values` (contents unspecified).
  void hold(int64_t r0, int64_t r1, int64_t vocab) {
    rows.resize(static_cast<size_t>(std::max<int64_t>(r1 - r0, 0)));
    for (size_t i = 0; i < rows.size(); ++i) rows[i] = r0 + static_cast<int64_t>(i);
    resize(vocab);
  }
  void hold(std::span<const int64_t> which, int64_t vocab) {
    rows.assign(which.begin(), which.end());
    resize(vocab);
  }

  // The logits of sequence row `r`; empty when this forward did not give that row.
  std::span<const float> row(int64_t r) const {
    if (rows.empty()) return {};
    int64_t i = r - rows.front();  // contiguous rows: direct
    if (i < 0 || i >= n_rows() || rows[static_cast<size_t>(i)] != r) {
      auto it = std::lower_bound(rows.begin(), rows.end(), r);
      if (it == rows.end() || *it != r) return {};
      i = it - rows.begin();
    }
    return {values.data() + i * n_vocab, static_cast<size_t>(n_vocab)};
  }

 private:
  void resize(int64_t vocab) {
    n_vocab = vocab;
    values.resize(rows.size() * static_cast<size_t>(vocab));
  }
};

}  // namespace infilld::engine
