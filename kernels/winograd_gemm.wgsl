// The batched GEMM between the Winograd transforms: for each of the 36
// transform points ξ,
//   m[ξ][row][t] = Σ_k a[ξ][k][row] · v[ξ][k][t],
// t over the tiles (padded to the block width) and, for the forward pass,
// k over input and rows over output channels; for the input gradient
// (TRANSPOSED) the other way round, with the same weights: the transforms
// flip the image instead of the 3×3 window.
//
// The weights u come in one of two layouts (src/ops/winograd.ts). Blocks:
// one copy for both passes, as 4×4 blocks of (input, output) channel pairs,
// u[ξ][ci / 4][co / 4] holding four vec4s, vec4 r being input channel
// 4·(ci / 4) + r's four output channels; the forward pass reads one vec4 per
// block and k step (k = ci, rows = co), TRANSPOSED (k = co, rows = ci) needs
// the blocks' columns, so it reads whole blocks once per four k steps and
// takes a column per step. SLABS: a copy per pass, each [36][rows / 32][k][32]
// so that an invocation's weights are one sequential stream of vec4s along
// k; a software adapter (llvmpipe) runs about 20% faster from them, which
// is worth the second copy in its ample system memory.
//
// No shared memory: each invocation owns a block of rows × tiles and reads
// its operands straight from storage, a vec4 at a time. Entry points differ
// only in that block: a software adapter (llvmpipe) runs each invocation as
// one SIMD lane and pays most for loads, so large blocks (16 × 32: 128 vec4
// multiply-adds per 12 vec4 loads) suit it; a GPU wants few registers per
// invocation and takes the 8 × 8 block. The shapes cover wide (many tiles),
// deep (few tiles), narrow (4 tiles) and thin (4 rows) GEMMs.
//
// Sums run in chunks of KC k steps added to the block's running totals: the
// transformed operands are larger than the pixels, and summing short chunks
// keeps f32 rounding near the direct convolution's. (Chunk sums are reset by
// assignment: not every WGSL compiler re-zeroes a `var` declared in a loop.)

// k steps per chunk sum; a multiple of 4.
const KC = 16u;

override TRANSPOSED: bool = false;
override SLABS: bool = false;

// Invocations per workgroup: a software adapter runs a workgroup on one
// thread, so small GEMMs take small workgroups to spread over every core.
override WG: u32 = 64u;

struct Params {
  // k groups of 4 to sum over.
  kGroups: u32,
  // Input- and output-channel groups of 4 in u (both padded to 32 channels).
  ciGroups: u32,
  coGroups: u32,
  // Row length of v and of the output, in vec4s of tiles.
  n4: u32,
  // Rows of the output per point ξ, in vec4s (the rows padded to 32, / 4).
  mRows4: u32,
  // Blocks along the rows and along t per point ξ.
  mBlocks: u32,
  nBlocks: u32,
  // Always 4: a bound the compiler cannot see, so that it keeps TRANSPOSED's
  // k-step loop a loop (four copies of its large body outgrow a CPU's
  // decoded-instruction cache and run slower on a software adapter).
  stepsPerGroup: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> u: array<vec4f>;
// [36][k][n4] vec4s, k padded to a multiple of 4 with zero rows.
@group(0) @binding(2) var<storage, read> v: array<vec4f>;
// [36][rows padded to 32][n4] vec4s.
@group(0) @binding(3) var<storage, read_write> m: array<vec4f>;

// The invocation's block: point ξ, first row group and first tile vec4, and
// whether it lies in the GEMM at all.
struct Block {
  xi: u32,
  g: u32,
  n4: u32,
  live: bool,
}

fn block(wid: vec3u, nwg: vec3u, li: u32, rows: u32, tiles: u32) -> Block {
  let lane = (wid.x + wid.y * nwg.x) * WG + li;
  let perXi = p.mBlocks * p.nBlocks;
  let r = lane % perXi;
  return Block(lane / perXi, (r / p.nBlocks) * rows / 4u, (r % p.nBlocks) * tiles / 4u, lane < 36u * perXi);
}

// The 4×4 weight block of row group b.g + i and k group kg.
struct W4 {
  r0: vec4f,
  r1: vec4f,
  r2: vec4f,
  r3: vec4f,
}

// TRANSPOSED: the 4×4 block of row group b.g + i (input channels) and k
// group kg (output channels).
fn weights(b: Block, i: u32, kg: u32) -> W4 {
  let at = ((b.xi * p.ciGroups + b.g + i) * p.coGroups + kg) * 4u;
  return W4(u[at], u[at + 1u], u[at + 2u], u[at + 3u]);
}

// Column j of a block: the block's four input channels' weights for output
// channel 4·kg + j.
fn column(w: W4, j: u32) -> vec4f {
  return vec4f(w.r0[j], w.r1[j], w.r2[j], w.r3[j]);
}

// Forward (not TRANSPOSED): where k step k's weights for the block's first
// four rows start; the next four are rowStep() vec4s on.
fn uRow(b: Block, k: u32) -> u32 {
  if (SLABS) {
    return ((b.xi * (p.mRows4 / 8u) + b.g / 8u) * p.kGroups * 4u + k) * 8u + b.g % 8u;
  }
  return ((b.xi * p.ciGroups + k / 4u) * p.coGroups + b.g) * 4u + k % 4u;
}

fn rowStep() -> u32 {
  return select(4u, 1u, SLABS);
}

fn vAt(b: Block, k: u32) -> u32 {
  return (b.xi * p.kGroups * 4u + k) * p.n4 + b.n4;
}

fn mAt(b: Block, row: u32) -> u32 {
  return (b.xi * p.mRows4 * 4u + b.g * 4u + row) * p.n4 + b.n4;
}

// Eight vec4s along t: one block row of 32 tiles.
struct Q8 {
  q0: vec4f,
  q1: vec4f,
  q2: vec4f,
  q3: vec4f,
  q4: vec4f,
  q5: vec4f,
  q6: vec4f,
  q7: vec4f,
}

fn fma8(a: f32, b: Q8, c: Q8) -> Q8 {
  let s = vec4f(a);
  return Q8(
    fma(s, b.q0, c.q0),
    fma(s, b.q1, c.q1),
    fma(s, b.q2, c.q2),
    fma(s, b.q3, c.q3),
    fma(s, b.q4, c.q4),
    fma(s, b.q5, c.q5),
    fma(s, b.q6, c.q6),
    fma(s, b.q7, c.q7),
  );
}

fn add8(a: Q8, b: Q8) -> Q8 {
  return Q8(a.q0 + b.q0, a.q1 + b.q1, a.q2 + b.q2, a.q3 + b.q3, a.q4 + b.q4, a.q5 + b.q5, a.q6 + b.q6, a.q7 + b.q7);
}

fn load8(at: u32) -> Q8 {
  return Q8(v[at], v[at + 1u], v[at + 2u], v[at + 3u], v[at + 4u], v[at + 5u], v[at + 6u], v[at + 7u]);
}

fn store8(at: u32, c: Q8) {
  m[at] = c.q0;
  m[at + 1u] = c.q1;
  m[at + 2u] = c.q2;
  m[at + 3u] = c.q3;
  m[at + 4u] = c.q4;
  m[at + 5u] = c.q5;
  m[at + 6u] = c.q6;
  m[at + 7u] = c.q7;
}

// Four vec4s along t: one block row of 16 tiles.
struct Q4 {
  q0: vec4f,
  q1: vec4f,
  q2: vec4f,
  q3: vec4f,
}

fn fma4(a: f32, b: Q4, c: Q4) -> Q4 {
  let s = vec4f(a);
  return Q4(fma(s, b.q0, c.q0), fma(s, b.q1, c.q1), fma(s, b.q2, c.q2), fma(s, b.q3, c.q3));
}

fn add4(a: Q4, b: Q4) -> Q4 {
  return Q4(a.q0 + b.q0, a.q1 + b.q1, a.q2 + b.q2, a.q3 + b.q3);
}

fn load4(at: u32) -> Q4 {
  return Q4(v[at], v[at + 1u], v[at + 2u], v[at + 3u]);
}

fn store4(at: u32, c: Q4) {
  m[at] = c.q0;
  m[at + 1u] = c.q1;
  m[at + 2u] = c.q2;
  m[at + 3u] = c.q3;
}

// Two vec4s along t: one block row of 8 tiles.
struct Q2 {
  q0: vec4f,
  q1: vec4f,
}

fn fma2(a: f32, b: Q2, c: Q2) -> Q2 {
  let s = vec4f(a);
  return Q2(fma(s, b.q0, c.q0), fma(s, b.q1, c.q1));
}

fn add2(a: Q2, b: Q2) -> Q2 {
  return Q2(a.q0 + b.q0, a.q1 + b.q1);
}

fn load2(at: u32) -> Q2 {
  return Q2(v[at], v[at + 1u]);
}

fn store2(at: u32, c: Q2) {
  m[at] = c.q0;
  m[at + 1u] = c.q1;
}

// One vec4 along t: one block row of 4 tiles.
fn fma1(a: f32, b: vec4f, c: vec4f) -> vec4f {
  return fma(vec4f(a), b, c);
}

fn add1(a: vec4f, b: vec4f) -> vec4f {
  return a + b;
}

fn load1(at: u32) -> vec4f {
  return v[at];
}

fn store1(at: u32, c: vec4f) {
  m[at] = c;
}

// 16 rows × 32 tiles: large images.
@compute @workgroup_size(WG)
fn gemm16x32(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  let b = block(wid, nwg, li, 16u, 32u);
  if (!b.live) {
    return;
  }
  var c0: Q8;
  var c1: Q8;
  var c2: Q8;
  var c3: Q8;
  var c4: Q8;
  var c5: Q8;
  var c6: Q8;
  var c7: Q8;
  var c8: Q8;
  var c9: Q8;
  var c10: Q8;
  var c11: Q8;
  var c12: Q8;
  var c13: Q8;
  var c14: Q8;
  var c15: Q8;
  var t0: Q8;
  var t1: Q8;
  var t2: Q8;
  var t3: Q8;
  var t4: Q8;
  var t5: Q8;
  var t6: Q8;
  var t7: Q8;
  var t8: Q8;
  var t9: Q8;
  var t10: Q8;
  var t11: Q8;
  var t12: Q8;
  var t13: Q8;
  var t14: Q8;
  var t15: Q8;
  if (TRANSPOSED) {
    for (var k0 = 0u; k0 < p.kGroups * 4u; k0 += KC) {
      t0 = Q8();
      t1 = Q8();
      t2 = Q8();
      t3 = Q8();
      t4 = Q8();
      t5 = Q8();
      t6 = Q8();
      t7 = Q8();
      t8 = Q8();
      t9 = Q8();
      t10 = Q8();
      t11 = Q8();
      t12 = Q8();
      t13 = Q8();
      t14 = Q8();
      t15 = Q8();
      for (var kg = k0 / 4u; kg < min((k0 + KC) / 4u, p.kGroups); kg++) {
        let w0 = weights(b, 0u, kg);
        let w1 = weights(b, 1u, kg);
        let w2 = weights(b, 2u, kg);
        let w3 = weights(b, 3u, kg);
        var at = vAt(b, kg * 4u);
        for (var j = 0u; j < p.stepsPerGroup; j++) {
          let x = load8(at);
          let a0 = column(w0, j);
          let a1 = column(w1, j);
          let a2 = column(w2, j);
          let a3 = column(w3, j);
          t0 = fma8(a0.x, x, t0);
          t1 = fma8(a0.y, x, t1);
          t2 = fma8(a0.z, x, t2);
          t3 = fma8(a0.w, x, t3);
          t4 = fma8(a1.x, x, t4);
          t5 = fma8(a1.y, x, t5);
          t6 = fma8(a1.z, x, t6);
          t7 = fma8(a1.w, x, t7);
          t8 = fma8(a2.x, x, t8);
          t9 = fma8(a2.y, x, t9);
          t10 = fma8(a2.z, x, t10);
          t11 = fma8(a2.w, x, t11);
          t12 = fma8(a3.x, x, t12);
          t13 = fma8(a3.y, x, t13);
          t14 = fma8(a3.z, x, t14);
          t15 = fma8(a3.w, x, t15);
          at += p.n4;
        }
      }
      c0 = add8(c0, t0);
      c1 = add8(c1, t1);
      c2 = add8(c2, t2);
      c3 = add8(c3, t3);
      c4 = add8(c4, t4);
      c5 = add8(c5, t5);
      c6 = add8(c6, t6);
      c7 = add8(c7, t7);
      c8 = add8(c8, t8);
      c9 = add8(c9, t9);
      c10 = add8(c10, t10);
      c11 = add8(c11, t11);
      c12 = add8(c12, t12);
      c13 = add8(c13, t13);
      c14 = add8(c14, t14);
      c15 = add8(c15, t15);
    }
  } else {
    for (var k0 = 0u; k0 < p.kGroups * 4u; k0 += KC) {
      t0 = Q8();
      t1 = Q8();
      t2 = Q8();
      t3 = Q8();
      t4 = Q8();
      t5 = Q8();
      t6 = Q8();
      t7 = Q8();
      t8 = Q8();
      t9 = Q8();
      t10 = Q8();
      t11 = Q8();
      t12 = Q8();
      t13 = Q8();
      t14 = Q8();
      t15 = Q8();
      var at = vAt(b, k0);
      for (var k = k0; k < min(k0 + KC, p.kGroups * 4u); k++) {
        let row = uRow(b, k);
        let a0 = u[row];
        let a1 = u[row + 1u * rowStep()];
        let a2 = u[row + 2u * rowStep()];
        let a3 = u[row + 3u * rowStep()];
        let x = load8(at);
        t0 = fma8(a0.x, x, t0);
        t1 = fma8(a0.y, x, t1);
        t2 = fma8(a0.z, x, t2);
        t3 = fma8(a0.w, x, t3);
        t4 = fma8(a1.x, x, t4);
        t5 = fma8(a1.y, x, t5);
        t6 = fma8(a1.z, x, t6);
        t7 = fma8(a1.w, x, t7);
        t8 = fma8(a2.x, x, t8);
        t9 = fma8(a2.y, x, t9);
        t10 = fma8(a2.z, x, t10);
        t11 = fma8(a2.w, x, t11);
        t12 = fma8(a3.x, x, t12);
        t13 = fma8(a3.y, x, t13);
        t14 = fma8(a3.z, x, t14);
        t15 = fma8(a3.w, x, t15);
        at += p.n4;
      }
      c0 = add8(c0, t0);
      c1 = add8(c1, t1);
      c2 = add8(c2, t2);
      c3 = add8(c3, t3);
      c4 = add8(c4, t4);
      c5 = add8(c5, t5);
      c6 = add8(c6, t6);
      c7 = add8(c7, t7);
      c8 = add8(c8, t8);
      c9 = add8(c9, t9);
      c10 = add8(c10, t10);
      c11 = add8(c11, t11);
      c12 = add8(c12, t12);
      c13 = add8(c13, t13);
      c14 = add8(c14, t14);
      c15 = add8(c15, t15);
    }
  }
  let at = mAt(b, 0u);
  store8(at, c0);
  store8(at + 1u * p.n4, c1);
  store8(at + 2u * p.n4, c2);
  store8(at + 3u * p.n4, c3);
  store8(at + 4u * p.n4, c4);
  store8(at + 5u * p.n4, c5);
  store8(at + 6u * p.n4, c6);
  store8(at + 7u * p.n4, c7);
  store8(at + 8u * p.n4, c8);
  store8(at + 9u * p.n4, c9);
  store8(at + 10u * p.n4, c10);
  store8(at + 11u * p.n4, c11);
  store8(at + 12u * p.n4, c12);
  store8(at + 13u * p.n4, c13);
  store8(at + 14u * p.n4, c14);
  store8(at + 15u * p.n4, c15);
}

// 32 rows × 16 tiles: deep layers, where few tiles give each block its width.
@compute @workgroup_size(WG)
fn gemm32x16(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  let b = block(wid, nwg, li, 32u, 16u);
  if (!b.live) {
    return;
  }
  var c0: Q4;
  var c1: Q4;
  var c2: Q4;
  var c3: Q4;
  var c4: Q4;
  var c5: Q4;
  var c6: Q4;
  var c7: Q4;
  var c8: Q4;
  var c9: Q4;
  var c10: Q4;
  var c11: Q4;
  var c12: Q4;
  var c13: Q4;
  var c14: Q4;
  var c15: Q4;
  var c16: Q4;
  var c17: Q4;
  var c18: Q4;
  var c19: Q4;
  var c20: Q4;
  var c21: Q4;
  var c22: Q4;
  var c23: Q4;
  var c24: Q4;
  var c25: Q4;
  var c26: Q4;
  var c27: Q4;
  var c28: Q4;
  var c29: Q4;
  var c30: Q4;
  var c31: Q4;
  var t0: Q4;
  var t1: Q4;
  var t2: Q4;
  var t3: Q4;
  var t4: Q4;
  var t5: Q4;
  var t6: Q4;
  var t7: Q4;
  var t8: Q4;
  var t9: Q4;
  var t10: Q4;
  var t11: Q4;
  var t12: Q4;
  var t13: Q4;
  var t14: Q4;
  var t15: Q4;
  var t16: Q4;
  var t17: Q4;
  var t18: Q4;
  var t19: Q4;
  var t20: Q4;
  var t21: Q4;
  var t22: Q4;
  var t23: Q4;
  var t24: Q4;
  var t25: Q4;
  var t26: Q4;
  var t27: Q4;
  var t28: Q4;
  var t29: Q4;
  var t30: Q4;
  var t31: Q4;
  if (TRANSPOSED) {
    for (var k0 = 0u; k0 < p.kGroups * 4u; k0 += KC) {
      t0 = Q4();
      t1 = Q4();
      t2 = Q4();
      t3 = Q4();
      t4 = Q4();
      t5 = Q4();
      t6 = Q4();
      t7 = Q4();
      t8 = Q4();
      t9 = Q4();
      t10 = Q4();
      t11 = Q4();
      t12 = Q4();
      t13 = Q4();
      t14 = Q4();
      t15 = Q4();
      t16 = Q4();
      t17 = Q4();
      t18 = Q4();
      t19 = Q4();
      t20 = Q4();
      t21 = Q4();
      t22 = Q4();
      t23 = Q4();
      t24 = Q4();
      t25 = Q4();
      t26 = Q4();
      t27 = Q4();
      t28 = Q4();
      t29 = Q4();
      t30 = Q4();
      t31 = Q4();
      for (var kg = k0 / 4u; kg < min((k0 + KC) / 4u, p.kGroups); kg++) {
        let w0 = weights(b, 0u, kg);
        let w1 = weights(b, 1u, kg);
        let w2 = weights(b, 2u, kg);
        let w3 = weights(b, 3u, kg);
        let w4 = weights(b, 4u, kg);
        let w5 = weights(b, 5u, kg);
        let w6 = weights(b, 6u, kg);
        let w7 = weights(b, 7u, kg);
        var at = vAt(b, kg * 4u);
        for (var j = 0u; j < p.stepsPerGroup; j++) {
          let x = load4(at);
          let a0 = column(w0, j);
          let a1 = column(w1, j);
          let a2 = column(w2, j);
          let a3 = column(w3, j);
          let a4 = column(w4, j);
          let a5 = column(w5, j);
          let a6 = column(w6, j);
          let a7 = column(w7, j);
          t0 = fma4(a0.x, x, t0);
          t1 = fma4(a0.y, x, t1);
          t2 = fma4(a0.z, x, t2);
          t3 = fma4(a0.w, x, t3);
          t4 = fma4(a1.x, x, t4);
          t5 = fma4(a1.y, x, t5);
          t6 = fma4(a1.z, x, t6);
          t7 = fma4(a1.w, x, t7);
          t8 = fma4(a2.x, x, t8);
          t9 = fma4(a2.y, x, t9);
          t10 = fma4(a2.z, x, t10);
          t11 = fma4(a2.w, x, t11);
          t12 = fma4(a3.x, x, t12);
          t13 = fma4(a3.y, x, t13);
          t14 = fma4(a3.z, x, t14);
          t15 = fma4(a3.w, x, t15);
          t16 = fma4(a4.x, x, t16);
          t17 = fma4(a4.y, x, t17);
          t18 = fma4(a4.z, x, t18);
          t19 = fma4(a4.w, x, t19);
          t20 = fma4(a5.x, x, t20);
          t21 = fma4(a5.y, x, t21);
          t22 = fma4(a5.z, x, t22);
          t23 = fma4(a5.w, x, t23);
          t24 = fma4(a6.x, x, t24);
          t25 = fma4(a6.y, x, t25);
          t26 = fma4(a6.z, x, t26);
          t27 = fma4(a6.w, x, t27);
          t28 = fma4(a7.x, x, t28);
          t29 = fma4(a7.y, x, t29);
          t30 = fma4(a7.z, x, t30);
          t31 = fma4(a7.w, x, t31);
          at += p.n4;
        }
      }
      c0 = add4(c0, t0);
      c1 = add4(c1, t1);
      c2 = add4(c2, t2);
      c3 = add4(c3, t3);
      c4 = add4(c4, t4);
      c5 = add4(c5, t5);
      c6 = add4(c6, t6);
      c7 = add4(c7, t7);
      c8 = add4(c8, t8);
      c9 = add4(c9, t9);
      c10 = add4(c10, t10);
      c11 = add4(c11, t11);
      c12 = add4(c12, t12);
      c13 = add4(c13, t13);
      c14 = add4(c14, t14);
      c15 = add4(c15, t15);
      c16 = add4(c16, t16);
      c17 = add4(c17, t17);
      c18 = add4(c18, t18);
      c19 = add4(c19, t19);
      c20 = add4(c20, t20);
      c21 = add4(c21, t21);
      c22 = add4(c22, t22);
      c23 = add4(c23, t23);
      c24 = add4(c24, t24);
      c25 = add4(c25, t25);
      c26 = add4(c26, t26);
      c27 = add4(c27, t27);
      c28 = add4(c28, t28);
      c29 = add4(c29, t29);
      c30 = add4(c30, t30);
      c31 = add4(c31, t31);
    }
  } else {
    for (var k0 = 0u; k0 < p.kGroups * 4u; k0 += KC) {
      t0 = Q4();
      t1 = Q4();
      t2 = Q4();
      t3 = Q4();
      t4 = Q4();
      t5 = Q4();
      t6 = Q4();
      t7 = Q4();
      t8 = Q4();
      t9 = Q4();
      t10 = Q4();
      t11 = Q4();
      t12 = Q4();
      t13 = Q4();
      t14 = Q4();
      t15 = Q4();
      t16 = Q4();
      t17 = Q4();
      t18 = Q4();
      t19 = Q4();
      t20 = Q4();
      t21 = Q4();
      t22 = Q4();
      t23 = Q4();
      t24 = Q4();
      t25 = Q4();
      t26 = Q4();
      t27 = Q4();
      t28 = Q4();
      t29 = Q4();
      t30 = Q4();
      t31 = Q4();
      var at = vAt(b, k0);
      for (var k = k0; k < min(k0 + KC, p.kGroups * 4u); k++) {
        let row = uRow(b, k);
        let a0 = u[row];
        let a1 = u[row + 1u * rowStep()];
        let a2 = u[row + 2u * rowStep()];
        let a3 = u[row + 3u * rowStep()];
        let a4 = u[row + 4u * rowStep()];
        let a5 = u[row + 5u * rowStep()];
        let a6 = u[row + 6u * rowStep()];
        let a7 = u[row + 7u * rowStep()];
        let x = load4(at);
        t0 = fma4(a0.x, x, t0);
        t1 = fma4(a0.y, x, t1);
        t2 = fma4(a0.z, x, t2);
        t3 = fma4(a0.w, x, t3);
        t4 = fma4(a1.x, x, t4);
        t5 = fma4(a1.y, x, t5);
        t6 = fma4(a1.z, x, t6);
        t7 = fma4(a1.w, x, t7);
        t8 = fma4(a2.x, x, t8);
        t9 = fma4(a2.y, x, t9);
        t10 = fma4(a2.z, x, t10);
        t11 = fma4(a2.w, x, t11);
        t12 = fma4(a3.x, x, t12);
        t13 = fma4(a3.y, x, t13);
        t14 = fma4(a3.z, x, t14);
        t15 = fma4(a3.w, x, t15);
        t16 = fma4(a4.x, x, t16);
        t17 = fma4(a4.y, x, t17);
        t18 = fma4(a4.z, x, t18);
        t19 = fma4(a4.w, x, t19);
        t20 = fma4(a5.x, x, t20);
        t21 = fma4(a5.y, x, t21);
        t22 = fma4(a5.z, x, t22);
        t23 = fma4(a5.w, x, t23);
        t24 = fma4(a6.x, x, t24);
        t25 = fma4(a6.y, x, t25);
        t26 = fma4(a6.z, x, t26);
        t27 = fma4(a6.w, x, t27);
        t28 = fma4(a7.x, x, t28);
        t29 = fma4(a7.y, x, t29);
        t30 = fma4(a7.z, x, t30);
        t31 = fma4(a7.w, x, t31);
        at += p.n4;
      }
      c0 = add4(c0, t0);
      c1 = add4(c1, t1);
      c2 = add4(c2, t2);
      c3 = add4(c3, t3);
      c4 = add4(c4, t4);
      c5 = add4(c5, t5);
      c6 = add4(c6, t6);
      c7 = add4(c7, t7);
      c8 = add4(c8, t8);
      c9 = add4(c9, t9);
      c10 = add4(c10, t10);
      c11 = add4(c11, t11);
      c12 = add4(c12, t12);
      c13 = add4(c13, t13);
      c14 = add4(c14, t14);
      c15 = add4(c15, t15);
      c16 = add4(c16, t16);
      c17 = add4(c17, t17);
      c18 = add4(c18, t18);
      c19 = add4(c19, t19);
      c20 = add4(c20, t20);
      c21 = add4(c21, t21);
      c22 = add4(c22, t22);
      c23 = add4(c23, t23);
      c24 = add4(c24, t24);
      c25 = add4(c25, t25);
      c26 = add4(c26, t26);
      c27 = add4(c27, t27);
      c28 = add4(c28, t28);
      c29 = add4(c29, t29);
      c30 = add4(c30, t30);
      c31 = add4(c31, t31);
    }
  }
  let at = mAt(b, 0u);
  store4(at, c0);
  store4(at + 1u * p.n4, c1);
  store4(at + 2u * p.n4, c2);
  store4(at + 3u * p.n4, c3);
  store4(at + 4u * p.n4, c4);
  store4(at + 5u * p.n4, c5);
  store4(at + 6u * p.n4, c6);
  store4(at + 7u * p.n4, c7);
  store4(at + 8u * p.n4, c8);
  store4(at + 9u * p.n4, c9);
  store4(at + 10u * p.n4, c10);
  store4(at + 11u * p.n4, c11);
  store4(at + 12u * p.n4, c12);
  store4(at + 13u * p.n4, c13);
  store4(at + 14u * p.n4, c14);
  store4(at + 15u * p.n4, c15);
  store4(at + 16u * p.n4, c16);
  store4(at + 17u * p.n4, c17);
  store4(at + 18u * p.n4, c18);
  store4(at + 19u * p.n4, c19);
  store4(at + 20u * p.n4, c20);
  store4(at + 21u * p.n4, c21);
  store4(at + 22u * p.n4, c22);
  store4(at + 23u * p.n4, c23);
  store4(at + 24u * p.n4, c24);
  store4(at + 25u * p.n4, c25);
  store4(at + 26u * p.n4, c26);
  store4(at + 27u * p.n4, c27);
  store4(at + 28u * p.n4, c28);
  store4(at + 29u * p.n4, c29);
  store4(at + 30u * p.n4, c30);
  store4(at + 31u * p.n4, c31);
}

// 32 rows × 4 tiles: deep layers on small images.
@compute @workgroup_size(WG)
fn gemm32x4(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  let b = block(wid, nwg, li, 32u, 4u);
  if (!b.live) {
    return;
  }
  var c0: vec4f;
  var c1: vec4f;
  var c2: vec4f;
  var c3: vec4f;
  var c4: vec4f;
  var c5: vec4f;
  var c6: vec4f;
  var c7: vec4f;
  var c8: vec4f;
  var c9: vec4f;
  var c10: vec4f;
  var c11: vec4f;
  var c12: vec4f;
  var c13: vec4f;
  var c14: vec4f;
  var c15: vec4f;
  var c16: vec4f;
  var c17: vec4f;
  var c18: vec4f;
  var c19: vec4f;
  var c20: vec4f;
  var c21: vec4f;
  var c22: vec4f;
  var c23: vec4f;
  var c24: vec4f;
  var c25: vec4f;
  var c26: vec4f;
  var c27: vec4f;
  var c28: vec4f;
  var c29: vec4f;
  var c30: vec4f;
  var c31: vec4f;
  var t0: vec4f;
  var t1: vec4f;
  var t2: vec4f;
  var t3: vec4f;
  var t4: vec4f;
  var t5: vec4f;
  var t6: vec4f;
  var t7: vec4f;
  var t8: vec4f;
  var t9: vec4f;
  var t10: vec4f;
  var t11: vec4f;
  var t12: vec4f;
  var t13: vec4f;
  var t14: vec4f;
  var t15: vec4f;
  var t16: vec4f;
  var t17: vec4f;
  var t18: vec4f;
  var t19: vec4f;
  var t20: vec4f;
  var t21: vec4f;
  var t22: vec4f;
  var t23: vec4f;
  var t24: vec4f;
  var t25: vec4f;
  var t26: vec4f;
  var t27: vec4f;
  var t28: vec4f;
  var t29: vec4f;
  var t30: vec4f;
  var t31: vec4f;
  if (TRANSPOSED) {
    for (var k0 = 0u; k0 < p.kGroups * 4u; k0 += KC) {
      t0 = vec4f(0.0);
      t1 = vec4f(0.0);
      t2 = vec4f(0.0);
      t3 = vec4f(0.0);
      t4 = vec4f(0.0);
      t5 = vec4f(0.0);
      t6 = vec4f(0.0);
      t7 = vec4f(0.0);
      t8 = vec4f(0.0);
      t9 = vec4f(0.0);
      t10 = vec4f(0.0);
      t11 = vec4f(0.0);
      t12 = vec4f(0.0);
      t13 = vec4f(0.0);
      t14 = vec4f(0.0);
      t15 = vec4f(0.0);
      t16 = vec4f(0.0);
      t17 = vec4f(0.0);
      t18 = vec4f(0.0);
      t19 = vec4f(0.0);
      t20 = vec4f(0.0);
      t21 = vec4f(0.0);
      t22 = vec4f(0.0);
      t23 = vec4f(0.0);
      t24 = vec4f(0.0);
      t25 = vec4f(0.0);
      t26 = vec4f(0.0);
      t27 = vec4f(0.0);
      t28 = vec4f(0.0);
      t29 = vec4f(0.0);
      t30 = vec4f(0.0);
      t31 = vec4f(0.0);
      for (var kg = k0 / 4u; kg < min((k0 + KC) / 4u, p.kGroups); kg++) {
        let w0 = weights(b, 0u, kg);
        let w1 = weights(b, 1u, kg);
        let w2 = weights(b, 2u, kg);
        let w3 = weights(b, 3u, kg);
        let w4 = weights(b, 4u, kg);
        let w5 = weights(b, 5u, kg);
        let w6 = weights(b, 6u, kg);
        let w7 = weights(b, 7u, kg);
        var at = vAt(b, kg * 4u);
        for (var j = 0u; j < p.stepsPerGroup; j++) {
          let x = load1(at);
          let a0 = column(w0, j);
          let a1 = column(w1, j);
          let a2 = column(w2, j);
          let a3 = column(w3, j);
          let a4 = column(w4, j);
          let a5 = column(w5, j);
          let a6 = column(w6, j);
          let a7 = column(w7, j);
          t0 = fma1(a0.x, x, t0);
          t1 = fma1(a0.y, x, t1);
          t2 = fma1(a0.z, x, t2);
          t3 = fma1(a0.w, x, t3);
          t4 = fma1(a1.x, x, t4);
          t5 = fma1(a1.y, x, t5);
          t6 = fma1(a1.z, x, t6);
          t7 = fma1(a1.w, x, t7);
          t8 = fma1(a2.x, x, t8);
          t9 = fma1(a2.y, x, t9);
          t10 = fma1(a2.z, x, t10);
          t11 = fma1(a2.w, x, t11);
          t12 = fma1(a3.x, x, t12);
          t13 = fma1(a3.y, x, t13);
          t14 = fma1(a3.z, x, t14);
          t15 = fma1(a3.w, x, t15);
          t16 = fma1(a4.x, x, t16);
          t17 = fma1(a4.y, x, t17);
          t18 = fma1(a4.z, x, t18);
          t19 = fma1(a4.w, x, t19);
          t20 = fma1(a5.x, x, t20);
          t21 = fma1(a5.y, x, t21);
          t22 = fma1(a5.z, x, t22);
          t23 = fma1(a5.w, x, t23);
          t24 = fma1(a6.x, x, t24);
          t25 = fma1(a6.y, x, t25);
          t26 = fma1(a6.z, x, t26);
          t27 = fma1(a6.w, x, t27);
          t28 = fma1(a7.x, x, t28);
          t29 = fma1(a7.y, x, t29);
          t30 = fma1(a7.z, x, t30);
          t31 = fma1(a7.w, x, t31);
          at += p.n4;
        }
      }
      c0 = add1(c0, t0);
      c1 = add1(c1, t1);
      c2 = add1(c2, t2);
      c3 = add1(c3, t3);
      c4 = add1(c4, t4);
      c5 = add1(c5, t5);
      c6 = add1(c6, t6);
      c7 = add1(c7, t7);
      c8 = add1(c8, t8);
      c9 = add1(c9, t9);
      c10 = add1(c10, t10);
      c11 = add1(c11, t11);
      c12 = add1(c12, t12);
      c13 = add1(c13, t13);
      c14 = add1(c14, t14);
      c15 = add1(c15, t15);
      c16 = add1(c16, t16);
      c17 = add1(c17, t17);
      c18 = add1(c18, t18);
      c19 = add1(c19, t19);
      c20 = add1(c20, t20);
      c21 = add1(c21, t21);
      c22 = add1(c22, t22);
      c23 = add1(c23, t23);
      c24 = add1(c24, t24);
      c25 = add1(c25, t25);
      c26 = add1(c26, t26);
      c27 = add1(c27, t27);
      c28 = add1(c28, t28);
      c29 = add1(c29, t29);
      c30 = add1(c30, t30);
      c31 = add1(c31, t31);
    }
  } else {
    for (var k0 = 0u; k0 < p.kGroups * 4u; k0 += KC) {
      t0 = vec4f(0.0);
      t1 = vec4f(0.0);
      t2 = vec4f(0.0);
      t3 = vec4f(0.0);
      t4 = vec4f(0.0);
      t5 = vec4f(0.0);
      t6 = vec4f(0.0);
      t7 = vec4f(0.0);
      t8 = vec4f(0.0);
      t9 = vec4f(0.0);
      t10 = vec4f(0.0);
      t11 = vec4f(0.0);
      t12 = vec4f(0.0);
      t13 = vec4f(0.0);
      t14 = vec4f(0.0);
      t15 = vec4f(0.0);
      t16 = vec4f(0.0);
      t17 = vec4f(0.0);
      t18 = vec4f(0.0);
      t19 = vec4f(0.0);
      t20 = vec4f(0.0);
      t21 = vec4f(0.0);
      t22 = vec4f(0.0);
      t23 = vec4f(0.0);
      t24 = vec4f(0.0);
      t25 = vec4f(0.0);
      t26 = vec4f(0.0);
      t27 = vec4f(0.0);
      t28 = vec4f(0.0);
      t29 = vec4f(0.0);
      t30 = vec4f(0.0);
      t31 = vec4f(0.0);
      var at = vAt(b, k0);
      for (var k = k0; k < min(k0 + KC, p.kGroups * 4u); k++) {
        let row = uRow(b, k);
        let a0 = u[row];
        let a1 = u[row + 1u * rowStep()];
        let a2 = u[row + 2u * rowStep()];
        let a3 = u[row + 3u * rowStep()];
        let a4 = u[row + 4u * rowStep()];
        let a5 = u[row + 5u * rowStep()];
        let a6 = u[row + 6u * rowStep()];
        let a7 = u[row + 7u * rowStep()];
        let x = load1(at);
        t0 = fma1(a0.x, x, t0);
        t1 = fma1(a0.y, x, t1);
        t2 = fma1(a0.z, x, t2);
        t3 = fma1(a0.w, x, t3);
        t4 = fma1(a1.x, x, t4);
        t5 = fma1(a1.y, x, t5);
        t6 = fma1(a1.z, x, t6);
        t7 = fma1(a1.w, x, t7);
        t8 = fma1(a2.x, x, t8);
        t9 = fma1(a2.y, x, t9);
        t10 = fma1(a2.z, x, t10);
        t11 = fma1(a2.w, x, t11);
        t12 = fma1(a3.x, x, t12);
        t13 = fma1(a3.y, x, t13);
        t14 = fma1(a3.z, x, t14);
        t15 = fma1(a3.w, x, t15);
        t16 = fma1(a4.x, x, t16);
        t17 = fma1(a4.y, x, t17);
        t18 = fma1(a4.z, x, t18);
        t19 = fma1(a4.w, x, t19);
        t20 = fma1(a5.x, x, t20);
        t21 = fma1(a5.y, x, t21);
        t22 = fma1(a5.z, x, t22);
        t23 = fma1(a5.w, x, t23);
        t24 = fma1(a6.x, x, t24);
        t25 = fma1(a6.y, x, t25);
        t26 = fma1(a6.z, x, t26);
        t27 = fma1(a6.w, x, t27);
        t28 = fma1(a7.x, x, t28);
        t29 = fma1(a7.y, x, t29);
        t30 = fma1(a7.z, x, t30);
        t31 = fma1(a7.w, x, t31);
        at += p.n4;
      }
      c0 = add1(c0, t0);
      c1 = add1(c1, t1);
      c2 = add1(c2, t2);
      c3 = add1(c3, t3);
      c4 = add1(c4, t4);
      c5 = add1(c5, t5);
      c6 = add1(c6, t6);
      c7 = add1(c7, t7);
      c8 = add1(c8, t8);
      c9 = add1(c9, t9);
      c10 = add1(c10, t10);
      c11 = add1(c11, t11);
      c12 = add1(c12, t12);
      c13 = add1(c13, t13);
      c14 = add1(c14, t14);
      c15 = add1(c15, t15);
      c16 = add1(c16, t16);
      c17 = add1(c17, t17);
      c18 = add1(c18, t18);
      c19 = add1(c19, t19);
      c20 = add1(c20, t20);
      c21 = add1(c21, t21);
      c22 = add1(c22, t22);
      c23 = add1(c23, t23);
      c24 = add1(c24, t24);
      c25 = add1(c25, t25);
      c26 = add1(c26, t26);
      c27 = add1(c27, t27);
      c28 = add1(c28, t28);
      c29 = add1(c29, t29);
      c30 = add1(c30, t30);
      c31 = add1(c31, t31);
    }
  }
  let at = mAt(b, 0u);
  store1(at, c0);
  store1(at + 1u * p.n4, c1);
  store1(at + 2u * p.n4, c2);
  store1(at + 3u * p.n4, c3);
  store1(at + 4u * p.n4, c4);
  store1(at + 5u * p.n4, c5);
  store1(at + 6u * p.n4, c6);
  store1(at + 7u * p.n4, c7);
  store1(at + 8u * p.n4, c8);
  store1(at + 9u * p.n4, c9);
  store1(at + 10u * p.n4, c10);
  store1(at + 11u * p.n4, c11);
  store1(at + 12u * p.n4, c12);
  store1(at + 13u * p.n4, c13);
  store1(at + 14u * p.n4, c14);
  store1(at + 15u * p.n4, c15);
  store1(at + 16u * p.n4, c16);
  store1(at + 17u * p.n4, c17);
  store1(at + 18u * p.n4, c18);
  store1(at + 19u * p.n4, c19);
  store1(at + 20u * p.n4, c20);
  store1(at + 21u * p.n4, c21);
  store1(at + 22u * p.n4, c22);
  store1(at + 23u * p.n4, c23);
  store1(at + 24u * p.n4, c24);
  store1(at + 25u * p.n4, c25);
  store1(at + 26u * p.n4, c26);
  store1(at + 27u * p.n4, c27);
  store1(at + 28u * p.n4, c28);
  store1(at + 29u * p.n4, c29);
  store1(at + 30u * p.n4, c30);
  store1(at + 31u * p.n4, c31);
}

// 4 rows × 32 tiles: the input gradient of a layer with 3 input channels.
@compute @workgroup_size(WG)
fn gemm4x32(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  let b = block(wid, nwg, li, 4u, 32u);
  if (!b.live) {
    return;
  }
  var c0: Q8;
  var c1: Q8;
  var c2: Q8;
  var c3: Q8;
  var t0: Q8;
  var t1: Q8;
  var t2: Q8;
  var t3: Q8;
  if (TRANSPOSED) {
    for (var k0 = 0u; k0 < p.kGroups * 4u; k0 += KC) {
      t0 = Q8();
      t1 = Q8();
      t2 = Q8();
      t3 = Q8();
      for (var kg = k0 / 4u; kg < min((k0 + KC) / 4u, p.kGroups); kg++) {
        let w0 = weights(b, 0u, kg);
        var at = vAt(b, kg * 4u);
        for (var j = 0u; j < p.stepsPerGroup; j++) {
          let x = load8(at);
          let a0 = column(w0, j);
          t0 = fma8(a0.x, x, t0);
          t1 = fma8(a0.y, x, t1);
          t2 = fma8(a0.z, x, t2);
          t3 = fma8(a0.w, x, t3);
          at += p.n4;
        }
      }
      c0 = add8(c0, t0);
      c1 = add8(c1, t1);
      c2 = add8(c2, t2);
      c3 = add8(c3, t3);
    }
  } else {
    for (var k0 = 0u; k0 < p.kGroups * 4u; k0 += KC) {
      t0 = Q8();
      t1 = Q8();
      t2 = Q8();
      t3 = Q8();
      var at = vAt(b, k0);
      for (var k = k0; k < min(k0 + KC, p.kGroups * 4u); k++) {
        let row = uRow(b, k);
        let a0 = u[row];
        let x = load8(at);
        t0 = fma8(a0.x, x, t0);
        t1 = fma8(a0.y, x, t1);
        t2 = fma8(a0.z, x, t2);
        t3 = fma8(a0.w, x, t3);
        at += p.n4;
      }
      c0 = add8(c0, t0);
      c1 = add8(c1, t1);
      c2 = add8(c2, t2);
      c3 = add8(c3, t3);
    }
  }
  let at = mAt(b, 0u);
  store8(at, c0);
  store8(at + 1u * p.n4, c1);
  store8(at + 2u * p.n4, c2);
  store8(at + 3u * p.n4, c3);
}

// 8 rows × 8 tiles: few registers per invocation, for GPUs.
@compute @workgroup_size(WG)
fn gemm8x8(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) li: u32,
) {
  let b = block(wid, nwg, li, 8u, 8u);
  if (!b.live) {
    return;
  }
  var c0: Q2;
  var c1: Q2;
  var c2: Q2;
  var c3: Q2;
  var c4: Q2;
  var c5: Q2;
  var c6: Q2;
  var c7: Q2;
  var t0: Q2;
  var t1: Q2;
  var t2: Q2;
  var t3: Q2;
  var t4: Q2;
  var t5: Q2;
  var t6: Q2;
  var t7: Q2;
  if (TRANSPOSED) {
    for (var k0 = 0u; k0 < p.kGroups * 4u; k0 += KC) {
      t0 = Q2();
      t1 = Q2();
      t2 = Q2();
      t3 = Q2();
      t4 = Q2();
      t5 = Q2();
      t6 = Q2();
      t7 = Q2();
      for (var kg = k0 / 4u; kg < min((k0 + KC) / 4u, p.kGroups); kg++) {
        let w0 = weights(b, 0u, kg);
        let w1 = weights(b, 1u, kg);
        var at = vAt(b, kg * 4u);
        for (var j = 0u; j < p.stepsPerGroup; j++) {
          let x = load2(at);
          let a0 = column(w0, j);
          let a1 = column(w1, j);
          t0 = fma2(a0.x, x, t0);
          t1 = fma2(a0.y, x, t1);
          t2 = fma2(a0.z, x, t2);
          t3 = fma2(a0.w, x, t3);
          t4 = fma2(a1.x, x, t4);
          t5 = fma2(a1.y, x, t5);
          t6 = fma2(a1.z, x, t6);
          t7 = fma2(a1.w, x, t7);
          at += p.n4;
        }
      }
      c0 = add2(c0, t0);
      c1 = add2(c1, t1);
      c2 = add2(c2, t2);
      c3 = add2(c3, t3);
      c4 = add2(c4, t4);
      c5 = add2(c5, t5);
      c6 = add2(c6, t6);
      c7 = add2(c7, t7);
    }
  } else {
    for (var k0 = 0u; k0 < p.kGroups * 4u; k0 += KC) {
      t0 = Q2();
      t1 = Q2();
      t2 = Q2();
      t3 = Q2();
      t4 = Q2();
      t5 = Q2();
      t6 = Q2();
      t7 = Q2();
      var at = vAt(b, k0);
      for (var k = k0; k < min(k0 + KC, p.kGroups * 4u); k++) {
        let row = uRow(b, k);
        let a0 = u[row];
        let a1 = u[row + 1u * rowStep()];
        let x = load2(at);
        t0 = fma2(a0.x, x, t0);
        t1 = fma2(a0.y, x, t1);
        t2 = fma2(a0.z, x, t2);
        t3 = fma2(a0.w, x, t3);
        t4 = fma2(a1.x, x, t4);
        t5 = fma2(a1.y, x, t5);
        t6 = fma2(a1.z, x, t6);
        t7 = fma2(a1.w, x, t7);
        at += p.n4;
      }
      c0 = add2(c0, t0);
      c1 = add2(c1, t1);
      c2 = add2(c2, t2);
      c3 = add2(c3, t3);
      c4 = add2(c4, t4);
      c5 = add2(c5, t5);
      c6 = add2(c6, t6);
      c7 = add2(c7, t7);
    }
  }
  let at = mAt(b, 0u);
  store2(at, c0);
  store2(at + 1u * p.n4, c1);
  store2(at + 2u * p.n4, c2);
  store2(at + 3u * p.n4, c3);
  store2(at + 4u * p.n4, c4);
  store2(at + 5u * p.n4, c5);
  store2(at + 6u * p.n4, c6);
  store2(at + 7u * p.n4, c7);
}
