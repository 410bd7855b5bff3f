/**
 * The Llama 4 special tokens (llama4.md §5): 2,048 slots after the 200,000 BPE ranks, ids
 * 200000–202047, in the order Meta's tokenizer defines them.
 */

/** The first special id: Meta numbers specials from the count of BPE ranks, which is 200,000. */
export const LLAMA4_SPECIAL_BASE = 200000;
export const LLAMA4_SPECIAL_COUNT = 2048;
export const LLAMA4_VOCAB_SIZE = LLAMA4_SPECIAL_BASE + LLAMA4_SPECIAL_COUNT;

/** Ids the chat formatter and the engine use by name. */
export const LLAMA4_TOKENS = {
  beginOfText: '<|begin_of_text|>',
  endOfText: '<|end_of_text|>',
  headerStart: '<|header_start|>',
  headerEnd: '<|header_end|>',
  eom: '<|eom|>',
  eot: '<|eot|>',
  pythonStart: '<|python_start|>',
  pythonEnd: '<|python_end|>',
  imageStart: '<|image_start|>',
  imageEnd: '<|image_end|>',
  tileXSeparator: '<|tile_x_separator|>',
  tileYSeparator: '<|tile_y_separator|>',
  image: '<|image|>',
  patch: '<|patch|>',
} as const;

function range(prefix: string, from: number, to: number): string[] {
  const out: string[] = [];
  for (let i = from; i <= to; i++) out.push(`<|${prefix}${i}|>`);
  return out;
}

/** The special token texts in id order (index i has id LLAMA4_SPECIAL_BASE + i). */
export function llama4SpecialTokenTexts(): string[] {
  const tokens = [
    '<|begin_of_text|>',
    '<|end_of_text|>',
    '<|fim_prefix|>',
    '<|fim_middle|>',
    '<|fim_suffix|>',
    '<|header_start|>',
    '<|header_end|>',
    '<|eom|>',
    '<|eot|>',
    '<|step|>',
    ...range('text_post_train_reserved_special_token_', 0, 5),
    '<|python_start|>',
    '<|python_end|>',
    '<|finetune_right_pad|>',
    ...range('text_post_train_reserved_special_token_', 8, 68),
    '<|image_start|>',
    '<|image_end|>',
    ...range('vision_reserved_special_token_', 0, 1),
    '<|tile_x_separator|>',
    '<|tile_y_separator|>',
    ...range('vision_reserved_special_token_', 2, 5),
    '<|image|>',
    ...range('vision_reserved_special_token_', 6, 6),
    '<|patch|>',
    ...range('vision_reserved_special_token_', 7, 1047),
    ...range('reasoning_reserved_special_token_', 0, 7),
    '<|reasoning_thinking_start|>',
    '<|reasoning_thinking_end|>',
    ...range('reserved_special_token_', 0, 903),
  ];
  if (tokens.length !== LLAMA4_SPECIAL_COUNT)
    throw new Error(`Llama 4 special token table has ${tokens.length}`);
  return tokens;
}

/** Special token text → id. */
export function llama4SpecialTokens(): Map<string, number> {
  return new Map(llama4SpecialTokenTexts().map((text, i) => [text, LLAMA4_SPECIAL_BASE + i]));
}
