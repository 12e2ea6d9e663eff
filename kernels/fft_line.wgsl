// A whole 1-D DFT of one line per workgroup, in workgroup memory: load the
// line, run every mixed-radix Stockham stage between barriers, store it back
// in place. One dispatch transforms every line along one axis.
//
// Stage with radix r after sub-transforms of length ns (span = ns·r): output
// o = blk·span + rem reads the r inputs j + q·(n/r), j = blk·ns + rem % ns,
// and sums them with twiddles exp(∓2πi·q·rem/span). A prime radix is a plain
// DFT of that length, so every n ≤ MAX_N is exact; cost per stage is n·r.
// Twiddles come from a float64-computed table tw[m] = exp(-2πi·m/n), since
// WGSL only promises sin/cos to 2^-11 absolute.
struct Params {
  n: u32,            // line length, ≤ MAX_N
  count: u32,        // number of lines
  inner: u32,        // line ℓ starts at (ℓ % inner)·inner_stride + (ℓ / inner)·outer_stride
  inner_stride: u32,
  outer_stride: u32,
  stride: u32,       // element step along a line
  stages: u32,
  inverse: u32,      // 1: conjugate twiddles
  scale: f32,        // applied on store (1/n for the inverse)
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
  radices: array<vec4<u32>, 4>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> data: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read> tw: array<vec2<f32>>;

const WG = 256u;
const PER_THREAD = 8u;
const MAX_N = 2048u; // WG·PER_THREAD; 2048 vec2<f32> is 16 KiB of workgroup memory
var<workgroup> buf: array<vec2<f32>, 2048>;

fn cmul(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  return vec2<f32>(a.x * b.x - a.y * b.y, a.x * b.y + a.y * b.x);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) li: u32,
        @builtin(num_workgroups) nwg: vec3u) {
  let line = wid.x + wid.y * nwg.x;
  if (line >= p.count) {
    return;
  }
  let n = p.n;
  let base = (line % p.inner) * p.inner_stride + (line / p.inner) * p.outer_stride;
  for (var t = li; t < n; t += WG) {
    buf[t] = data[base + t * p.stride];
  }
  workgroupBarrier();
  let conj = select(1.0, -1.0, p.inverse == 1u);
  var out: array<vec2<f32>, PER_THREAD>;
  var ns = 1u;
  for (var s = 0u; s < p.stages; s++) {
    let r = p.radices[s / 4u][s % 4u];
    let span = ns * r;
    let m = n / r;
    let step = n / span;
    var i = 0u;
    for (var o = li; o < n; o += WG) {
      let rem = o % span;
      let j = (o / span) * ns + rem % ns;
      var acc = vec2<f32>(0.0);
      var e = 0u; // q·rem mod span, kept exact in integers
      for (var q = 0u; q < r; q++) {
        let w = tw[e * step];
        acc += cmul(buf[j + q * m], vec2<f32>(w.x, conj * w.y));
        e += rem;
        if (e >= span) {
          e -= span;
        }
      }
      out[i] = acc;
      i++;
    }
    workgroupBarrier();
    i = 0u;
    for (var o = li; o < n; o += WG) {
      buf[o] = out[i];
      i++;
    }
    workgroupBarrier();
    ns = span;
  }
  for (var t = li; t < n; t += WG) {
    data[base + t * p.stride] = p.scale * buf[t];
  }
}
