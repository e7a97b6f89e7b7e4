// Every CUDA op against its CPU twin, table-driven (DESIGN.md section 8.10). On the emulator
// the small shapes run; on the GPU the real model shapes run too (Dream-Coder-7B's widths,
// a 152k vocabulary, 2,048 keys).
#include <algorithm>
#include <numeric>

#include "cuda_test_util.h"
#include "kernels/cuda/long_attention.h"
#include "engine/denoise/schedule.h"
#include "engine/denoise/scoring.h"
#include "kernels/cpu/attention.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/norm.h"
#include "kernels/cpu/reveal.h"
#include "kernels/cpu/rope.h"
#include "kernels/cuda/attention.h"
#include "kernels/cuda/bias.h"
#include "kernels/cuda/embedding.h"
#include "kernels/cuda/rmsnorm.h"
#include "kernels/cuda/rope.h"
#include "kernels/cuda/scoring.h"
#include "kernels/cuda/select.h"
#include "kernels/cuda/swiglu.h"

using namespace infilld;
using namespace infilld::test;

namespace {

constexpr DType kDtypes[] = {DType::F32, DType::BF16, DType::F16};

}  // namespace

TEST_CASE("cuda ops: embedding gathers rows in every stored dtype") {
  struct Case { int64_t V, H, n; bool gpu_only; };
  for (const Case& c : {Case{50, 96, 7, false}, Case{32000, 3584, 64, true}}) {
    if (c.gpu_only && !big_shapes()) continue;
    for (DType t : kDtypes) {
      CAPTURE(c.H);
      CAPTURE(dtype_name(t));
      Device d;
      const Stored table = store_as(t, normal_vector(static_cast<size_t>(c.V * c.H), 1));
      std::vector<int32_t> ids(static_cast<size_t>(c.n));
      for (int64_t i = 0; i < c.n; ++i) ids[i] = static_cast<int32_t>((i * 7919) % c.V);
      std::vector<float> want(static_cast<size_t>(c.n * c.H));
      kernels::embedding(kernels::Weight{t, table.bytes.data(), c.V, c.H}, ids.data(), c.n, want.data());
      auto dt = d.upload(table.bytes);
      auto di = d.upload(ids);
      auto out = d.zeros(want.size() * 4);
      kc::embedding(t, dt.data(), di.as<int32_t>(), c.n, c.H, out.as<float>(), d.s());
      CHECK(d.download<float>(out, want.size()) == want);  // a copy: exact
    }
  }
}

TEST_CASE("cuda ops: rmsnorm, with gathered rows and the cast to the matmul dtype") {
  struct Case { int64_t rows, dim; bool gather, gpu_only; };
  for (const Case& c : {Case{5, 96, false, false}, Case{4, 896, true, false}, Case{33, 3584, true, true}}) {
    if (c.gpu_only && !big_shapes()) continue;
    for (DType t : kDtypes) {
      CAPTURE(c.dim);
      CAPTURE(dtype_name(t));
      Device d;
      const std::vector<float> x = normal_vector(static_cast<size_t>(2 * c.rows * c.dim), 2);
      std::vector<float> w = normal_vector(static_cast<size_t>(c.dim), 3, 0.1f);
      for (float& v : w) v += 1.0f;
      std::vector<int32_t> rows(static_cast<size_t>(c.rows));
      for (int64_t r = 0; r < c.rows; ++r) rows[r] = static_cast<int32_t>(c.gather ? 2 * c.rows - 1 - 2 * r : r);
      std::vector<float> want(static_cast<size_t>(c.rows * c.dim)), one(static_cast<size_t>(c.dim));
      for (int64_t r = 0; r < c.rows; ++r) {
        kernels::rmsnorm(x.data() + rows[r] * c.dim, 1, c.dim, w.data(), 1e-6f, one.data());
        std::copy(one.begin(), one.end(), want.begin() + r * c.dim);
      }
      auto dx = d.upload(x);
      auto dw = d.upload(w);
      auto dr = d.upload(rows);
      auto out = d.zeros(want.size() * 4);
      kc::rmsnorm(dx.as<float>(), c.gather ? dr.as<int32_t>() : nullptr, c.rows, c.dim, dw.as<float>(), 1e-6f, t,
                  out.data(), d.s());
      const auto got = as_f32(t, d.download<unsigned char>(out, want.size() * dtype_size(t)), want.size());
      CHECK(max_rel_error(got, want) < tolerance(t));
    }
  }
}

TEST_CASE("cuda ops: bias, rope and swiglu match their CPU twins") {
  struct Case { int64_t rows, heads, head_dim; bool gpu_only; };
  for (const Case& c : {Case{6, 2, 8, false}, Case{5, 3, 64, false}, Case{300, 28, 128, true}}) {
    if (c.gpu_only && !big_shapes()) continue;
    CAPTURE(c.head_dim);
    Device d;
    const int64_t width = c.heads * c.head_dim;
    std::vector<float> x = normal_vector(static_cast<size_t>(c.rows * width), 4);
    const std::vector<float> bias = normal_vector(static_cast<size_t>(width), 5);
    std::vector<int32_t> positions(static_cast<size_t>(c.rows));
    for (int64_t r = 0; r < c.rows; ++r) positions[r] = static_cast<int32_t>(3 + r * 977 % 4000);

    auto dx = d.upload(x);
    auto db = d.upload(bias);
    auto dp = d.upload(positions);
    auto table = d.zeros(static_cast<size_t>(c.rows * c.head_dim) * 4);
    kc::add_bias(dx.as<float>(), c.rows, width, db.as<float>(), d.s());
    kc::rope_table(dp.as<int32_t>(), c.rows, c.head_dim, 1e6, table.as<float>(), d.s());
    kc::rope(dx.as<float>(), c.rows, c.heads, c.head_dim, table.as<float>(), d.s());
    kernels::add_bias(x.data(), c.rows, width, bias.data());
    kernels::rope(x.data(), c.rows, c.heads, kernels::rope_table(positions.data(), c.rows, c.head_dim, 1e6));
    CHECK(max_rel_error(d.download<float>(dx, x.size()), x) < 1e-4);

    const std::vector<float> gate = normal_vector(x.size(), 6), up = normal_vector(x.size(), 7);
    std::vector<float> want(x.size());
    kernels::swiglu(gate.data(), up.data(), want.data(), static_cast<int64_t>(x.size()));
    auto dg = d.upload(gate);
    auto du = d.upload(up);
    for (DType t : kDtypes) {
      CAPTURE(dtype_name(t));
      auto out = d.zeros(x.size() * 4);
      kc::swiglu(dg.as<float>(), du.as<float>(), static_cast<int64_t>(x.size()), t, out.data(), d.s());
      const auto got = as_f32(t, d.download<unsigned char>(out, x.size() * dtype_size(t)), x.size());
      CHECK(max_rel_error(got, want) < tolerance(t) + 1e-4);
    }
  }
}

namespace {

struct AttentionCase {
  int64_t T, S, offset, A, K, D;
  MaskKind kind;
  int64_t context, block;
  bool gpu_only;
};

const AttentionCase kAttentionCases[] = {
    {9, 9, 0, 4, 2, 8, MaskKind::Full, 0, 1, false},
    {9, 9, 0, 4, 2, 8, MaskKind::Causal, 0, 1, false},
    {7, 40, 33, 2, 1, 16, MaskKind::Full, 0, 1, false},           // a cached block's rows
    {20, 20, 0, 2, 2, 64, MaskKind::BlockCausal, 11, 4, false},   // context 11, blocks of 4
    {5, 19, 14, 2, 1, 128, MaskKind::BlockCausal, 11, 4, false},  // the last rows over a context cache
    {3, 35, 32, 1, 1, 256, MaskKind::Full, 0, 1, false},
    {2048, 2048, 0, 28, 4, 128, MaskKind::Full, 0, 1, true},
    {32, 2080, 1000, 28, 4, 128, MaskKind::Full, 0, 1, true},
    {300, 300, 0, 28, 4, 128, MaskKind::BlockCausal, 268, 32, true},
    {5, 300, 295, 2, 1, 16, MaskKind::Full, 0, 1, false},            // splits: few rows, many keys
    {6, 290, 280, 2, 2, 32, MaskKind::BlockCausal, 280, 4, false},
};

// Runs `route` (the fused kernel or the long attention) on every case and dtype against the
// CPU's attention(); `tolerance` is added to the dtype's own.
template <class Route>
void check_attention_route(Route route, double tolerance) {
  for (const AttentionCase& c : kAttentionCases) {
    if (c.gpu_only && !big_shapes()) continue;
    CAPTURE(c.T);
    CAPTURE(c.S);
    CAPTURE(c.D);
    CAPTURE(static_cast<int>(c.kind));
    Device d;
    const std::vector<float> q = normal_vector(static_cast<size_t>(c.T * c.A * c.D), 8);
    const std::vector<float> k = normal_vector(static_cast<size_t>(c.S * c.K * c.D), 9);
    const std::vector<float> v = normal_vector(static_cast<size_t>(c.S * c.K * c.D), 10);
    const kernels::AttentionShape shape{c.T, c.S, c.offset, c.A, c.K, c.D};
    AttentionMask mask;
    mask.kind = c.kind;
    mask.context_length = c.context;
    mask.block_length = c.block;
    std::vector<float> want(q.size());
    kernels::attention(q.data(), k.data(), v.data(), shape, mask, want.data());
    auto dq = d.upload(q);
    auto dk = d.upload(k);
    auto dv = d.upload(v);
    for (DType t : kDtypes) {
      CAPTURE(dtype_name(t));
      auto out = d.zeros(q.size() * 4);
      kc::AttentionArgs a;
      a.q = dq.as<float>();
      a.k = dk.as<float>();
      a.v = dv.as<float>();
      a.out = out.data();
      a.out_dtype = t;
      a.shape = shape;
      a.mask = mask;
      route(a, d);
      const auto got = as_f32(t, d.download<unsigned char>(out, q.size() * dtype_size(t)), q.size());
      CHECK(max_rel_error(got, want, 0.05) < test::tolerance(t) + tolerance);
    }
  }
}

}  // namespace

TEST_CASE("cuda ops: fused attention under every mask, grouped-query, over a cache") {
  check_attention_route([](const kc::AttentionArgs& a, Device& d) { kc::attention(a, d.s()); }, 1e-4);
}

TEST_CASE("cuda ops: fused attention with the keys split over blocks (flash-decoding)") {
  int64_t split_shapes = 0;
  check_attention_route(
      [&](kc::AttentionArgs a, Device& d) {
        a.multiprocessors = 132;
        const int64_t n = kc::attention_split_scratch(a.shape, a.multiprocessors);
        split_shapes += n > 0 ? 1 : 0;
        auto scratch = d.zeros(static_cast<size_t>(std::max<int64_t>(n, 1)) * 4);
        a.split_scratch = scratch.as<float>();
        kc::attention(a, d.s());
        REQUIRE(d.stream.synchronize());
      },
      1e-4);
  CHECK(split_shapes >= 2 * 3);  // the two small split cases, in each dtype, did split
}

TEST_CASE("cuda ops: the long attention through cuBLAS (TF32) matches the CPU") {
  check_attention_route(
      [](const kc::AttentionArgs& a, Device& d) {
        auto blas = kc::Blas::create(d.s());
        REQUIRE(blas);
        const int64_t n = kc::long_attention_scratch(a.shape, a.out_dtype);
        auto scratch = d.zeros(static_cast<size_t>(n) * 4);
        REQUIRE(kc::long_attention(a, *blas, scratch.as<float>(), d.s()));
        REQUIRE(d.stream.synchronize());
      },
      2e-2);  // TF32 inputs keep 10 mantissa bits (the emulator rounds them too: up to 9e-3 here)
}

TEST_CASE("cuda ops: scoring rows gives the CPU scorer's token and score at temperature 0") {
  struct Case { int64_t rows, V, n_choosable; int32_t ex0, ex1; bool gpu_only; };
  for (const Case& c : {Case{6, 300, 0, 299, -1, false}, Case{4, 1000, 990, 5, 17, false},
                        Case{32, 152064, 151665, 151666, -1, true}}) {
    if (c.gpu_only && !big_shapes()) continue;
    Device d;
    std::vector<float> logits = normal_vector(static_cast<size_t>(c.rows * c.V), 11, 3.0f);
    logits[7] = logits[9] = 40.0f;                              // a tie in row 0: the lower id wins
    logits[c.V + c.ex0] = 100.0f;                               // an excluded id is never chosen
    if (c.n_choosable > 0) logits[2 * c.V + c.V - 1] = 100.0f;  // nor one past the choosable ids
    auto dl = d.upload(logits);
    auto tokens = d.zeros(static_cast<size_t>(c.rows) * 4);
    auto scores = d.zeros(static_cast<size_t>(c.rows) * 4);
    for (auto [policy, device_policy] : {std::pair{engine::Policy::Confidence, kc::ScorePolicy::Confidence},
                                         std::pair{engine::Policy::Margin, kc::ScorePolicy::Margin},
                                         std::pair{engine::Policy::Entropy, kc::ScorePolicy::Entropy}}) {
      CAPTURE(engine::policy_name(policy));
      kc::ScoreArgs a;
      a.logits = dl.as<float>();
      a.n_rows = c.rows;
      a.row_stride = c.V;
      a.n_choosable = c.n_choosable;
      a.excluded0 = c.ex0;
      a.excluded1 = c.ex1;
      a.policy = device_policy;
      a.tokens = tokens.as<int32_t>();
      a.scores = scores.as<float>();
      kc::score_rows(a, d.s());
      const auto got_tokens = d.download<int32_t>(tokens, static_cast<size_t>(c.rows));
      const auto got_scores = d.download<float>(scores, static_cast<size_t>(c.rows));
      engine::DecodeOptions o;
      o.policy = policy;
      engine::Scorer scorer(o, c.ex0);
      scorer.exclude_also(c.ex1);
      const int64_t n = c.n_choosable > 0 ? c.n_choosable : c.V;
      for (int64_t r = 0; r < c.rows; ++r) {
        const engine::Scored want = scorer.score({logits.data() + r * c.V, static_cast<size_t>(n)});
        CHECK(got_tokens[r] == want.token);
        CHECK(std::fabs(got_scores[r] - want.score) < 1e-4 * (1.0 + std::fabs(want.score)));
      }
    }
  }
}

TEST_CASE("cuda ops: the reveal choice sorts like the CPU and applies count, threshold and factor") {
  for (int64_t n : {1, 5, 32, 100, 1024}) {
    if (n > 100 && !big_shapes()) continue;
    CAPTURE(n);
    Device d;
    std::vector<float> scores(static_cast<size_t>(n));
    std::mt19937 rng(static_cast<uint32_t>(n));
    std::uniform_int_distribution<int> level(0, 20);
    for (float& s : scores) s = static_cast<float>(level(rng)) / 20.0f;  // many ties
    std::vector<int32_t> tokens(static_cast<size_t>(n));
    std::iota(tokens.begin(), tokens.end(), 1000);
    // The CPU twin (kernels/cpu/reveal.h): its order and its counts.
    const std::vector<double> scores_d(scores.begin(), scores.end());
    const std::vector<int64_t> order = infilld::kernels::reveal_order(scores_d);
    std::vector<double> sorted;
    for (int64_t i : order) sorted.push_back(scores_d[static_cast<size_t>(i)]);
    auto cpu = [&](infilld::kernels::RevealRule rule, int64_t count, double tau) {
      return infilld::kernels::reveal_count({rule, count, tau}, sorted);
    };
    using CpuRule = infilld::kernels::RevealRule;

    auto ds = d.upload(scores);
    auto dt = d.upload(tokens);
    auto out = d.zeros(static_cast<size_t>(1 + 2 * n) * 4);
    struct Rule { kc::RevealRule rule; int64_t count; double tau; int64_t want; };
    const Rule rules[] = {{kc::RevealRule::Count, 3, 0.0, cpu(CpuRule::Count, 3, 0.0)},
                          {kc::RevealRule::Count, 0, 0.0, cpu(CpuRule::Count, 0, 0.0)},
                          {kc::RevealRule::Threshold, 0, 0.7, cpu(CpuRule::Threshold, 0, 0.7)},
                          {kc::RevealRule::Threshold, 0, 2.0, cpu(CpuRule::Threshold, 0, 2.0)},
                          {kc::RevealRule::Factor, 0, 1.0, cpu(CpuRule::Factor, 0, 1.0)},
                          {kc::RevealRule::Factor, 0, 0.1, cpu(CpuRule::Factor, 0, 0.1)}};
    // The twin's own arithmetic, pinned: count capped at n, threshold and factor at least one.
    CHECK(cpu(CpuRule::Count, 3, 0.0) == std::min<int64_t>(3, n));
    CHECK(cpu(CpuRule::Count, 0, 0.0) == 0);
    CHECK(cpu(CpuRule::Threshold, 0, 2.0) == 1);
    for (const Rule& r : rules) {
      CAPTURE(static_cast<int>(r.rule));
      CAPTURE(r.tau);
      kc::select_reveal(ds.as<float>(), dt.as<int32_t>(), n, r.rule, r.count, r.tau, out.as<int32_t>(), d.s());
      const auto got = d.download<int32_t>(out, static_cast<size_t>(1 + 2 * n));
      CHECK(got[0] == r.want);
      for (int64_t i = 0; i < n; ++i) {
        CHECK(got[1 + 2 * i] == order[i]);
        CHECK(got[2 + 2 * i] == tokens[order[i]]);
      }
    }
  }
}

TEST_CASE("cuda ops: cuBLAS products in every stored dtype, with the residual fused") {
  struct Case { int64_t T, N, K; bool gpu_only; };
  for (const Case& c : {Case{3, 40, 24, false}, Case{32, 3584, 3584, true}, Case{64, 3584, 3584, true}}) {
    if (c.gpu_only && !big_shapes()) continue;
    for (DType t : kDtypes) {
      CAPTURE(c.N);
      CAPTURE(dtype_name(t));
      Device d;
      auto made = kc::Blas::create(d.s());
      REQUIRE(made);
      const Stored x = store_as(t, normal_vector(static_cast<size_t>(c.T * c.K), 12));
      const Stored w = store_as(t, normal_vector(static_cast<size_t>(c.N * c.K), 13, 0.05f));
      const std::vector<float> y0 = normal_vector(static_cast<size_t>(c.T * c.N), 14);
      std::vector<float> want(y0.size());
      for (int64_t i = 0; i < c.T; ++i)
        for (int64_t j = 0; j < c.N; ++j) {
          double acc = y0[i * c.N + j];
          for (int64_t k = 0; k < c.K; ++k) acc += double(x.f32[i * c.K + k]) * double(w.f32[j * c.K + k]);
          want[i * c.N + j] = static_cast<float>(acc);
        }
      auto dx = d.upload(x.bytes);
      auto dw = d.upload(w.bytes);
      auto dy = d.upload(y0);
      REQUIRE(made->gemm_xwt(t, c.T, c.N, c.K, dx.data(), dw.data(), dy.as<float>(), 1.0f));
      CHECK(max_rel_error(d.download<float>(dy, want.size()), want, 0.1) < 1e-3);
    }
  }
}

TEST_CASE("cuda ops: cuBLAS products read every finite F16 value and every normal BF16 value exactly") {
  // K = 1 and w = 1: y = x, exact in float32. Every finite half (subnormals too); every BF16
  // value with a nonzero exponent below infinity, and zero (its subnormals may be flushed).
  for (DType t : {DType::F16, DType::BF16}) {
    CAPTURE(dtype_name(t));
    std::vector<uint16_t> x;
    for (uint32_t bits = 0; bits < 0x10000; ++bits) {
      const uint32_t exponent = t == DType::F16 ? (bits >> 10) & 0x1f : (bits >> 7) & 0xff;
      const uint32_t top = t == DType::F16 ? 0x1f : 0xff;
      if (exponent == top) continue;  // infinity, NaN
      if (t == DType::BF16 && exponent == 0 && (bits & 0x7f) != 0) continue;
      x.push_back(static_cast<uint16_t>(bits));
    }
    const uint16_t one = t == DType::F16 ? 0x3c00 : 0x3f80;
    Device d;
    auto made = kc::Blas::create(d.s());
    REQUIRE(made);
    auto dx = d.upload(x);
    auto dw = d.upload(std::vector<uint16_t>{one});
    auto dy = d.zeros(x.size() * 4);
    const auto T = static_cast<int64_t>(x.size());
    REQUIRE(made->gemm_xwt(t, T, 1, 1, dx.data(), dw.data(), dy.as<float>(), 0.0f));
    const std::vector<float> got = d.download<float>(dy, x.size());
    std::vector<float> want(x.size());
    kernels::to_f32(t, x.data(), T, want.data());
    int64_t wrong = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      if (got[i] == want[i]) continue;  // -0 may come back as +0 (a sum that starts at +0)
      if (++wrong <= 3) MESSAGE("bits " << x[i] << ": got " << got[i] << ", want " << want[i]);
    }
    CHECK(wrong == 0);
  }
}
