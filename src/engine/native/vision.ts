/**
 * The native vision tower as a TypeScript object: preprocessed tiles in (src/engine/vision), one
 * text-width feature row per `<|patch|>` token out, in prompt order (llama4.md §4.5-4.6).
 */
import { ScoutError } from '../errors.js';
import { loadImageFile } from '../vision/load.js';
import { preprocessImage, type PreprocessedImage } from '../vision/preprocess.js';
import {
  fromNativeError,
  loadBinding,
  type NativeVisionConfig,
  type NativeVisionEncoder,
  type NativeWeights,
} from './binding.js';

export type VisionConfig = NativeVisionConfig;

/** Feature rows of one or more images, concatenated in order: rows × width floats. */
export interface ImageFeatures {
  rows: number;
  width: number;
  data: Float32Array;
}

export class VisionEncoder {
  private constructor(
    private native: NativeVisionEncoder | undefined,
    readonly config: VisionConfig,
  ) {}

  /**
   * Loads the vision tower of the Llama4ForConditionalGeneration checkpoint in `dir`. The tower is
   * never quantized (Meta's int4 recipes leave it alone), so the int4 formats load it in bf16.
   */
  static async load(
    dir: string,
    options: { weights?: NativeWeights; threads?: number } = {},
  ): Promise<VisionEncoder> {
    const weights = (options.weights ?? 'f32') === 'f32' ? 'f32' : 'bf16';
    try {
      const native = await loadBinding().VisionEncoder.load(dir, { weights, threads: options.threads ?? 0 });
      return new VisionEncoder(native, native.config());
    } catch (e) {
      throw fromNativeError(e);
    }
  }

  /** The features of `images`, in order: the `<|patch|>` rows of a prompt that holds them in that order. */
  async encode(images: readonly PreprocessedImage[]): Promise<ImageFeatures> {
    const native = this.native;
    if (!native) throw new ScoutError('invalid_argument', 'the vision encoder was disposed');
    const { imageSize, tokensPerTile, textHiddenSize } = this.config;
    const parts: Float32Array[] = [];
    for (const [i, image] of images.entries()) {
      if (image.tileSize !== imageSize)
        throw new ScoutError(
          'invalid_argument',
          `image ${i + 1} was cut into ${image.tileSize} px tiles, but this model's tiles are ${imageSize} px`,
        );
      try {
        parts.push(await native.encode(image.pixels, image.tiles));
      } catch (e) {
        throw fromNativeError(e);
      }
    }
    const rows = images.reduce((n, im) => n + im.tiles * tokensPerTile, 0);
    const data = new Float32Array(rows * textHiddenSize);
    let at = 0;
    for (const p of parts) {
      data.set(p, at);
      at += p.length;
    }
    return { rows, width: textHiddenSize, data };
  }

  dispose(): void {
    this.native?.dispose();
    this.native = undefined;
  }
}

/**
 * Features of image files for a prompt that holds them in this order: each file is decoded,
 * preprocessed for the model's tile size and encoded. The encoder is loaded for this call only.
 */
export async function encodeImageFiles(
  dir: string,
  paths: readonly string[],
  options: { weights?: NativeWeights; threads?: number } = {},
): Promise<{ features: ImageFeatures; grids: { rows: number; cols: number }[] }> {
  const encoder = await VisionEncoder.load(dir, options);
  try {
    const images: PreprocessedImage[] = [];
    for (const path of paths) {
      images.push(preprocessImage(await loadImageFile(path), { tileSize: encoder.config.imageSize }));
    }
    return {
      features: await encoder.encode(images),
      grids: images.map(({ rows, cols }) => ({ rows, cols })),
    };
  } finally {
    encoder.dispose();
  }
}
