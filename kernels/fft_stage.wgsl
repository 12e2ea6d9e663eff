// One mixed-radix Stockham stage over every line along one axis, in global
// memory: the path for lines longer than fft_line.wgsl's workgroup memory
// holds. One invocation per output; src and dst ping-pong between stages.
// Same stage formula and twiddle table as fft_line.wgsl.
struct Params {
  n: u32,            // line length
  count: u32,        // number of lines
  inner: u32,        // line ℓ starts at (ℓ % inner)·inner_stride + (ℓ / inner)·outer_stride
  inner_stride: u32,
  outer_stride: u32,
  stride: u32,       // element step along a line
  ns: u32,           // length of the sub-transforms already done
  radix: u32,
  inverse: u32,      // 1: conjugate twiddles
  scale: f32,        // applied on store (1/n on the inverse's last stage, else 1)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read> tw: array<vec2<f32>>;

fn cmul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32,
        @builtin(num_workgroups) nwg: vec3u) {
  let idx = (wid.x + wid.y * nwg.x) * 256u + li;
  let n = p.n;
  if (idx >= p.count * n) {
    return;
  }
  let line = idx / n;
  let o = idx % n;
  let base = (line % p.inner) * p.inner_stride + (line / p.inner) * p.outer_stride;
  let r = p.radix;
  let span = p.ns * r;
  let m = n / r;
  let step = n / span;
  let rem = o % span;
  let j = (o / span) * p.ns + rem % p.ns;
  let conj = select(1.0, -1.0, p.inverse == 1u);
  var acc = vec2<f32>(0.0);
  var e = 0u; // q·rem mod span, kept exact in integers
  for (var q = 0u; q < r; q++) {
    let w = tw[e * step];
    acc += cmul(src[base + (j + q * m) * p.stride], vec2<f32>(w.x, conj * w.y));
    e += rem;
    if (e >= span) {
      e -= span;
    }
  }
  dst[base + o * p.stride] = p.scale * acc;
}
