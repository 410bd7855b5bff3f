/** Images in: decoding (./decode.ts) and Llama 4's preprocessing into tiles (./preprocess.ts). */
export {
  decodeImage,
  DEFAULT_MAX_IMAGE_PIXELS,
  MAX_IMAGE_BYTES,
  type DecodeOptions,
  type RgbImage,
} from './decode.js';
export {
  candidateCanvases,
  chooseCanvas,
  preprocessImage,
  resizeTarget,
  roundToBf16,
  type Canvas,
  type PreprocessedImage,
  type PreprocessOptions,
} from './preprocess.js';
export { resizeBilinear } from './resize.js';
export { loadImageFile, readImageFile } from './load.js';
