/**
 * A float64 restatement of torchvision's antialiased bilinear resize, written as a direct sum over
 * every input pixel (no support windows, no intermediate 8-bit rounding): the engine's separable
 * uint8 version must agree with it to within one level.
 */
export function triangleWeights(inSize: number, outSize: number, i: number): Float64Array {
  const scale = inSize / outSize;
  const stretch = Math.max(scale, 1);
  const center = scale * (i + 0.5);
  const w = new Float64Array(inSize);
  let total = 0;
  for (let j = 0; j < inSize; j++) {
    w[j] = Math.max(0, 1 - Math.abs((j + 0.5 - center) / stretch));
    total += w[j]!;
  }
  return w.map((x) => x / total);
}

/** RGB levels (unrounded) of `src` (width × height, interleaved) resized to outW × outH. */
export function referenceResize(
  src: Uint8Array,
  width: number,
  height: number,
  outW: number,
  outH: number,
): Float64Array {
  const wx = Array.from({ length: outW }, (_, x) => triangleWeights(width, outW, x));
  const wy = Array.from({ length: outH }, (_, y) => triangleWeights(height, outH, y));
  const out = new Float64Array(outW * outH * 3);
  for (let y = 0; y < outH; y++)
    for (let x = 0; x < outW; x++)
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let sy = 0; sy < height; sy++) {
          const fy = wy[y]![sy]!;
          if (fy === 0) continue;
          for (let sx = 0; sx < width; sx++) s += fy * wx[x]![sx]! * src[(sy * width + sx) * 3 + c]!;
        }
        out[(y * outW + x) * 3 + c] = s;
      }
  return out;
}
