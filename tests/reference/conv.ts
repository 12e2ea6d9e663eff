// Plain TypeScript references for the VGG layer kernels, written for clarity
// rather than speed and summed in float64. Tensors are planar [C, H, W].

/** Edge handling of the 3×3 convolution. */
export type RefPadding = "zero" | "circular";

/** Source index along an axis of length `n` for position `i` (may be −1 or n), or −1 if padded with 0. */
function source(i: number, n: number, padding: RefPadding): number {
  if (padding === "circular") return (i + n) % n;
  return i >= 0 && i < n ? i : -1;
}

/** out[co,y,x] = act(bias[co] + Σ weight[co,ci,ky,kx] · x[ci, y+ky−1, x+kx−1]); weight in torch layout. */
export function conv3x3Ref(
  x: Float32Array,
  weight: Float32Array,
  bias: Float32Array | null,
  cin: number,
  cout: number,
  height: number,
  width: number,
  opts: { relu: boolean; padding: RefPadding },
): Float32Array {
  const out = new Float32Array(cout * height * width);
  for (let co = 0; co < cout; co++) {
    for (let y = 0; y < height; y++) {
      for (let xx = 0; xx < width; xx++) {
        let s = bias ? bias[co] : 0;
        for (let ci = 0; ci < cin; ci++) {
          for (let ky = 0; ky < 3; ky++) {
            const sy = source(y + ky - 1, height, opts.padding);
            if (sy < 0) continue;
            for (let kx = 0; kx < 3; kx++) {
              const sx = source(xx + kx - 1, width, opts.padding);
              if (sx < 0) continue;
              s += weight[((co * cin + ci) * 3 + ky) * 3 + kx] *
                x[(ci * height + sy) * width + sx];
            }
          }
        }
        out[(co * height + y) * width + xx] = opts.relu ? Math.max(s, 0) : s;
      }
    }
  }
  return out;
}

/**
 * The input gradient of the bias-free convolution, by scattering each output
 * gradient back along the forward's own index map (independent of the
 * flipped-weight formulation the GPU uses).
 */
export function conv3x3BackwardRef(
  gradOut: Float32Array,
  weight: Float32Array,
  cin: number,
  cout: number,
  height: number,
  width: number,
  padding: RefPadding,
): Float32Array {
  const acc = new Float64Array(cin * height * width);
  for (let co = 0; co < cout; co++) {
    for (let y = 0; y < height; y++) {
      for (let xx = 0; xx < width; xx++) {
        const g = gradOut[(co * height + y) * width + xx];
        for (let ci = 0; ci < cin; ci++) {
          for (let ky = 0; ky < 3; ky++) {
            const sy = source(y + ky - 1, height, padding);
            if (sy < 0) continue;
            for (let kx = 0; kx < 3; kx++) {
              const sx = source(xx + kx - 1, width, padding);
              if (sx < 0) continue;
              acc[(ci * height + sy) * width + sx] += weight[((co * cin + ci) * 3 + ky) * 3 + kx] *
                g;
            }
          }
        }
      }
    }
  }
  return Float32Array.from(acc);
}

/** max(x, 0) element-wise. */
export function reluRef(x: Float32Array): Float32Array {
  return x.map((v) => Math.max(v, 0));
}

/** grad where activation > 0, else 0. */
export function reluBackwardRef(grad: Float32Array, activation: Float32Array): Float32Array {
  return grad.map((g, i) => activation[i] > 0 ? g : 0);
}

/** torch AvgPool2d(2, 2): [C, H, W] → [C, ⌊H/2⌋, ⌊W/2⌋], odd last row/column dropped. */
export function avgPool2x2Ref(
  x: Float32Array,
  channels: number,
  height: number,
  width: number,
): Float32Array {
  const oh = Math.floor(height / 2);
  const ow = Math.floor(width / 2);
  const out = new Float32Array(channels * oh * ow);
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < oh; y++) {
      for (let xx = 0; xx < ow; xx++) {
        const at = (dy: number, dx: number) => x[(c * height + 2 * y + dy) * width + 2 * xx + dx];
        out[(c * oh + y) * ow + xx] = (at(0, 0) + at(0, 1) + at(1, 0) + at(1, 1)) / 4;
      }
    }
  }
  return out;
}

/** The average pool's input gradient: gradOut/4 over each window, 0 on dropped rows/columns. */
export function avgPool2x2BackwardRef(
  gradOut: Float32Array,
  channels: number,
  height: number,
  width: number,
): Float32Array {
  const oh = Math.floor(height / 2);
  const ow = Math.floor(width / 2);
  const out = new Float32Array(channels * height * width);
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < 2 * oh; y++) {
      for (let xx = 0; xx < 2 * ow; xx++) {
        out[(c * height + y) * width + xx] = gradOut[(c * oh + (y >> 1)) * ow + (xx >> 1)] / 4;
      }
    }
  }
  return out;
}

/** out[c, i] = scale[c] · x[c, i] + shift[c]. */
export function channelAffineRef(
  x: Float32Array,
  pixels: number,
  scale: number[],
  shift: number[],
): Float32Array {
  return x.map((v, i) => {
    const c = Math.floor(i / pixels);
    return scale[c] * v + shift[c];
  });
}
