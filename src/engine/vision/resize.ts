/**
 * Bilinear resize as torchvision does it for Llama 4's processor (llama4.md §4.1 step 4):
 * `F.resize(uint8 image, size, BILINEAR, antialias=True)`, i.e. PyTorch's separable
 * antialiased bilinear (`_upsample_bilinear2d_aa`, align_corners=False).
 *
 * Each output pixel i along an axis reads the input around centre = scale·(i + 0.5), scale =
 * in/out, with a triangle filter widened by the scale when shrinking (that is the antialias) and
 * weights normalised over the input pixels that exist (no edge padding). When enlarging this is
 * ordinary half-pixel bilinear. Like PyTorch's uint8 kernel, the width is resampled first, each
 * pass rounds to 8 bits, and an axis whose size does not change is not resampled.
 *
 * PyTorch's uint8 kernel holds weights in fixed point; this computes them in double, so a pixel
 * can differ by one level where the exact value sits on a rounding boundary.
 */
import type { RgbImage } from './decode.js';

interface AxisWeights {
  /** First input index read by each output index. */
  start: Int32Array;
  /** Inputs read by each output index. */
  count: Int32Array;
  /** Normalised weights, `maxCount` per output index. */
  weights: Float64Array;
  maxCount: number;
}

function triangle(x: number): number {
  const a = Math.abs(x);
  return a < 1 ? 1 - a : 0;
}

export function axisWeights(inSize: number, outSize: number): AxisWeights {
  const scale = inSize / outSize;
  const support = scale >= 1 ? scale : 1;
  const invScale = scale >= 1 ? 1 / scale : 1;
  const maxCount = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * maxCount);
  for (let i = 0; i < outSize; i++) {
    const center = scale * (i + 0.5);
    // Math.trunc, as the C++ cast does, then clamp to the image.
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    let total = 0;
    for (let j = 0; j < hi - lo; j++) {
      const w = triangle((j + lo - center + 0.5) * invScale);
      weights[i * maxCount + j] = w;
      total += w;
    }
    if (total > 0)
      for (let k = i * maxCount; k < i * maxCount + hi - lo; k++) weights[k] = weights[k]! / total;
    start[i] = lo;
    count[i] = hi - lo;
  }
  return { start, count, weights, maxCount };
}

function toByte(v: number): number {
  const r = Math.round(v);
  return r < 0 ? 0 : r > 255 ? 255 : r;
}

function resizeWidth(src: RgbImage, width: number): RgbImage {
  const w = axisWeights(src.width, width);
  const out = new Uint8Array(width * src.height * 3);
  for (let y = 0; y < src.height; y++) {
    const row = y * src.width * 3;
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        let acc = 0;
        for (let j = 0; j < w.count[x]!; j++)
          acc += w.weights[x * w.maxCount + j]! * src.data[row + (w.start[x]! + j) * 3 + c]!;
        out[(y * width + x) * 3 + c] = toByte(acc);
      }
    }
  }
  return { width, height: src.height, data: out };
}

function resizeHeight(src: RgbImage, height: number): RgbImage {
  const w = axisWeights(src.height, height);
  const stride = src.width * 3;
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < stride; i++) {
      let acc = 0;
      for (let j = 0; j < w.count[y]!; j++)
        acc += w.weights[y * w.maxCount + j]! * src.data[(w.start[y]! + j) * stride + i]!;
      out[y * stride + i] = toByte(acc);
    }
  }
  return { width: src.width, height, data: out };
}

/** Resizes `image` to width × height (both ≥ 1). */
export function resizeBilinear(image: RgbImage, width: number, height: number): RgbImage {
  let out = image;
  if (width !== out.width) out = resizeWidth(out, width);
  if (height !== out.height) out = resizeHeight(out, height);
  return out;
}
