/**
 * A chat turn with images on the native engine: decode and preprocess each image, format the chat
 * with its tile layout (llama4.md §4.6), encode the images, prefill the prompt with the features
 * at the `<|patch|>` positions, then sample the answer.
 */
import type {
  Backend,
  ChatMessage as BackendMessage,
  ContentPart as BackendContentPart,
} from '../backend.js';
import { ScoutError } from '../errors.js';
import type { CliIO } from '../cli/command.js';
import type { NativeWeights } from '../native/binding.js';
import { TextModel, type GenerateOptions } from '../native/engine.js';
import { VisionEncoder } from '../native/vision.js';
import { formatLlama4Chat, PATCHES_PER_TILE, type ChatMessage, type ContentPart } from '../prompt/index.js';
import type { BpeTokenizer } from '../tokenizer/bpe.js';
import { loadTokenizer } from '../tokenizer/load.js';
import { decodeImage } from './decode.js';
import { readImageFile } from './load.js';
import { preprocessImage, type PreprocessedImage } from './preprocess.js';
import { sniffImageType } from './screenshot-to-code.js';

export interface ImageChatResult {
  text: string;
  tokens: number[];
  stopReason: string;
  promptTokens: number;
}

export type ImageChatOptions = Omit<GenerateOptions, 'onToken'> & {
  maxTokens: number;
  /** Receives the answer's text as it is produced (whole characters only). */
  onText?: (text: string) => void;
};

/** The chat's images, preprocessed in prompt order, and the messages the formatter reads. */
async function prepare(
  messages: readonly BackendMessage[],
  tileSize: number,
): Promise<{ images: PreprocessedImage[]; chat: ChatMessage[] }> {
  const images: PreprocessedImage[] = [];
  const chat: ChatMessage[] = [];
  for (const m of messages) {
    if (typeof m.content === 'string') {
      chat.push({ role: m.role, content: m.content });
      continue;
    }
    const parts: ContentPart[] = [];
    for (const part of m.content) {
      if (part.type === 'text') {
        parts.push(part);
        continue;
      }
      const image = preprocessImage(await decodeImage(part.data, { label: `image ${images.length + 1}` }), {
        tileSize,
      });
      images.push(image);
      parts.push({ type: 'image', rows: image.rows, cols: image.cols });
    }
    chat.push({ role: m.role, content: parts });
  }
  return { images, chat };
}

/**
 * Formats `messages` for Llama 4 and samples the assistant's answer. `vision` may be undefined
 * only when no message holds an image.
 */
export async function chatWithImages(
  model: TextModel,
  vision: VisionEncoder | undefined,
  tokenizer: BpeTokenizer,
  messages: readonly BackendMessage[],
  options: ImageChatOptions,
): Promise<ImageChatResult> {
  const hasImages = messages.some(
    (m) => typeof m.content !== 'string' && m.content.some((p) => p.type === 'image'),
  );
  if (hasImages && !vision) throw new ScoutError('invalid_argument', 'images need the vision encoder');
  if (vision && vision.config.tokensPerTile !== PATCHES_PER_TILE)
    throw new ScoutError(
      'model_mismatch',
      `the vision tower gives ${vision.config.tokensPerTile} features per tile, but Llama 4 prompts hold ${PATCHES_PER_TILE}`,
    );
  if (vision && vision.config.textHiddenSize !== model.config.hiddenSize)
    throw new ScoutError('model_mismatch', 'the vision projector does not match the text model width');
  const { images, chat } = await prepare(messages, vision?.config.imageSize ?? 0);
  const ids = formatLlama4Chat(tokenizer, chat).ids;
  const features =
    vision && images.length > 0 ? await vision.encode(images) : { rows: 0, data: new Float32Array(0) };
  const patchId = model.config.imageTokenIndex;
  const patches = ids.filter((t) => t === patchId).length;
  if (patches !== features.rows)
    throw new ScoutError(
      'internal',
      `the prompt holds ${patches} <|patch|> tokens for ${features.rows} feature rows`,
    );

  const { onText, maxTokens, signal, ...sampling } = options;
  const seq = model.newSequence(ids.length + maxTokens);
  try {
    // The prompt ends with the assistant header, never with an image token: all but its last
    // token go in with the features, the last one starts sampling.
    if (ids.length > 1) {
      const head = ids.slice(0, -1);
      if (features.rows > 0) await seq.evalWithImages(head, features.data, 'none', signal);
      else await seq.eval(head, 'none', signal);
    }
    const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
    // End-of-turn and other special tokens (reserved slots included) are control, not answer text.
    const hidden = new Set([...model.config.eosTokenIds, ...tokenizer.specialTokens.values()]);
    let text = '';
    const result = await seq.generate(ids.slice(-1), {
      ...sampling,
      maxTokens,
      ...(signal ? { signal } : {}),
      onToken: (id) => {
        if (hidden.has(id)) return;
        const piece = decoder.decode(tokenizer.bytesOf(id), { stream: true });
        text += piece;
        if (piece) onText?.(piece);
      },
    });
    const tail = decoder.decode();
    text += tail;
    if (tail) onText?.(tail);
    return { text, tokens: result.tokens, stopReason: result.stopReason, promptTokens: ids.length };
  } finally {
    seq.dispose();
  }
}

/**
 * The `chat` of a Backend over the native engine with its vision tower, for callers that only
 * need that one operation (screenshot-to-code from the CLI).
 */
export function nativeImageChat(
  model: TextModel,
  vision: VisionEncoder,
  tokenizer: BpeTokenizer,
): Pick<Backend, 'chat'> {
  return {
    async chat(request, onDelta, signal) {
      const params = request.params ?? {};
      if (params.stop?.length)
        throw new ScoutError('invalid_argument', 'stop sequences are not supported with images');
      const started = performance.now();
      let firstAt = 0;
      const r = await chatWithImages(model, vision, tokenizer, request.messages, {
        maxTokens: params.maxTokens ?? 1024,
        temperature: params.temperature ?? 0,
        topK: params.topK ?? 0,
        topP: params.topP ?? 1,
        minP: params.minP ?? 0,
        repetitionPenalty: params.repetitionPenalty ?? 1,
        seed: params.seed ?? 0,
        ...(signal ? { signal } : {}),
        onText: (text) => {
          if (firstAt === 0) firstAt = performance.now();
          onDelta(text);
        },
      });
      const ended = performance.now();
      const decodeSeconds = (ended - firstAt) / 1000;
      return {
        text: r.text,
        finishReason:
          r.stopReason === 'cancelled'
            ? 'cancelled'
            : r.stopReason === 'eos' || r.stopReason === 'stop_sequence'
              ? 'stop'
              : 'length',
        stats: {
          promptTokens: r.promptTokens,
          reusedTokens: 0,
          completionTokens: r.tokens.length,
          prefillMs: firstAt ? firstAt - started : ended - started,
          ttftMs: firstAt ? firstAt - started : ended - started,
          decodeTokS: r.tokens.length > 1 && decodeSeconds > 0 ? (r.tokens.length - 1) / decodeSeconds : null,
        },
      };
    },
  };
}

/** A single user turn of `text` after the image files `paths` (read and size-checked here). */
export async function userTurnWithImageFiles(
  text: string,
  paths: readonly string[],
): Promise<BackendMessage[]> {
  const content: BackendContentPart[] = [];
  for (const path of paths) {
    const data = await readImageFile(path);
    const mimeType = sniffImageType(data);
    if (!mimeType) throw new ScoutError('image', `${path} is not a PNG, JPEG, WebP or GIF image`);
    content.push({ type: 'image', data, mimeType });
  }
  content.push({ type: 'text', text });
  return [{ role: 'user', content }];
}

/**
 * `scout generate --prompt TEXT [--image FILE ...]`: loads the model (and its vision tower when
 * there are images), answers one user turn and streams the text to io.stdout. Returns the exit code.
 */
export async function generateFromPrompt(
  engine: { model: string; weights: NativeWeights; threads: number; signal: AbortSignal },
  prompt: string,
  imagePaths: readonly string[],
  params: Omit<ImageChatOptions, 'onText' | 'signal'>,
  io: Pick<CliIO, 'stdout'>,
): Promise<number> {
  const messages = await userTurnWithImageFiles(prompt, imagePaths);
  const tokenizer = await loadTokenizer(engine.model);
  const model = await TextModel.load(engine.model, engine);
  let vision: VisionEncoder | undefined;
  try {
    if (imagePaths.length > 0) vision = await VisionEncoder.load(engine.model, engine);
    const result = await chatWithImages(model, vision, tokenizer, messages, {
      ...params,
      signal: engine.signal,
      onText: (text) => io.stdout.write(text),
    });
    io.stdout.write('\n');
    return result.stopReason === 'cancelled' ? 130 : 0;
  } finally {
    vision?.dispose();
    model.dispose();
  }
}
