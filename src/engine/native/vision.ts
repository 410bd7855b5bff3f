/**
 * The native vision tower as a TypeScript object: preprocessed tiles in (src/engine/vision), one
 * text-width feature row per `<|patch|>` token out, in prompt order (llama4.md §4.5-4.6).
 */
import { ScoutError } from '../errors.js';
import type { PreprocessedImage } from '../vision/preprocess.js';
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

  /** Loads the vision tower of the Llama4ForConditionalGeneration checkpoint in `dir`. */
  static async load(
    dir: string,
    options: { weights?: NativeWeights; threads?: number } = {},
  ): Promise<VisionEncoder> {
    try {
      const native = await loadBinding().VisionEncoder.load(dir, options);
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
