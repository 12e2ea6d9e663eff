// One weight per pixel applied to a planar [C, H, W] tensor, the same for
// every channel: the masks of masked and guided statistics, inpainting's
// kept pixels. One element per invocation. Entry points:
//   weight: a[c, i] = b[c, i] · v(i), v = w or √w (ROOT), w read from a
//           window at (y, x) of a larger map mapWidth wide: a tile's part of
//           a layer's mask
//   scale:  a[c, i] *= w[i]
//   keep:   a[c, i] = b[c, i] where w[i] < 0.5 (a kept pixel), else as it is
// `keep` copies kept values, so they stay bit for bit what `b` holds.
override ROOT: u32 = 0u;

struct Params { channels: u32, height: u32, width: u32, mapWidth: u32, y: u32, x: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> a: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;

fn element(wid: vec3u, nwg: vec3u, li: u32) -> u32 {
  return (wid.x + wid.y * nwg.x) * 256u + li;
}

@compute @workgroup_size(256)
fn weight(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
          @builtin(local_invocation_index) li: u32) {
  let i = element(wid, nwg, li);
  let plane = p.height * p.width;
  if (i >= p.channels * plane) {
    return;
  }
  let r = i % plane;
  var v = w[(p.y + r / p.width) * p.mapWidth + p.x + r % p.width];
  if (ROOT != 0u) {
    v = sqrt(v);
  }
  a[i] = b[i] * v;
}

@compute @workgroup_size(256)
fn scale(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
         @builtin(local_invocation_index) li: u32) {
  let i = element(wid, nwg, li);
  let plane = p.height * p.width;
  if (i >= p.channels * plane) {
    return;
  }
  a[i] *= w[i % plane];
}

@compute @workgroup_size(256)
fn keep(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let i = element(wid, nwg, li);
  let plane = p.height * p.width;
  if (i >= p.channels * plane) {
    return;
  }
  if (w[i % plane] < 0.5) {
    a[i] = b[i];
  }
}
