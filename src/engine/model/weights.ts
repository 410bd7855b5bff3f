/**
 * Bytes of weights per format (llama4.md §6.1, targets.md), computed tensor by tensor from the
 * expected tensor list, so group-size rounding and per-group scales are exact rather than averaged.
 *
 * Formats:
 * - `bf16`: the released checkpoint as is.
 * - `int4_mixed`: Meta's on-the-fly layout: routed and shared experts int4, groups of 128 along the
 *   input dimension with fp32 scales; everything else bf16 (≈ 64.7 GB for Scout's text model).
 * - `int4`: Scout's layout: every linear layer of the text model (attention, experts, shared expert,
 *   dense MLP) int4 g128 with bf16 scales; embeddings, lm_head, router, norms and vision bf16
 *   (≈ 58.6 GB). The router stays bf16: it is tiny and picks the expert, so its error is not averaged out.
 * - `int4_int8_head`: `int4` plus an int8 lm_head with one bf16 scale per row, the largest single read
 *   of every decoded token (9.86 → 8.83 GB per token for Scout).
 */
import type { Llama4Config } from './config.js';
import { elementCount, PARAM_GROUPS, type ParamGroup, type TensorSpec } from './tensors.js';

export type WeightFormat = 'bf16' | 'int4_mixed' | 'int4' | 'int4_int8_head';
export const WEIGHT_FORMATS: readonly WeightFormat[] = ['bf16', 'int4_mixed', 'int4', 'int4_int8_head'];

export const INT4_GROUP_SIZE = 128;

type Storage =
  { kind: 'bf16' } | { kind: 'int4'; scaleBytes: number } | { kind: 'int8_rows'; scaleBytes: number };

const BF16: Storage = { kind: 'bf16' };
const SCOUT_INT4: Storage = { kind: 'int4', scaleBytes: 2 };
const META_INT4: Storage = { kind: 'int4', scaleBytes: 4 };
const LINEAR_GROUPS: ReadonlySet<ParamGroup> = new Set([
  'attention',
  'experts',
  'shared_expert',
  'dense_mlp',
]);

function storageOf(t: TensorSpec, format: WeightFormat): Storage {
  if (t.inputDim === undefined) return BF16;
  switch (format) {
    case 'bf16':
      return BF16;
    case 'int4_mixed':
      return t.group === 'experts' || t.group === 'shared_expert' ? META_INT4 : BF16;
    case 'int4':
      return LINEAR_GROUPS.has(t.group) ? SCOUT_INT4 : BF16;
    case 'int4_int8_head':
      if (t.group === 'lm_head') return { kind: 'int8_rows', scaleBytes: 2 };
      return LINEAR_GROUPS.has(t.group) ? SCOUT_INT4 : BF16;
  }
}

/** Bytes one tensor occupies in a format (packed values plus scales). */
export function tensorBytes(t: TensorSpec, format: WeightFormat): number {
  const n = elementCount(t.shape);
  const s = storageOf(t, format);
  if (s.kind === 'bf16') return 2 * n;
  const k = t.shape[t.inputDim!]!;
  const vectors = n / k; // rows along which the input dimension runs
  if (s.kind === 'int8_rows') return n + vectors * s.scaleBytes;
  // Two values per byte; a group never straddles rows, so each row holds ceil(k/128) scales.
  return vectors * (Math.ceil(k / 2) + Math.ceil(k / INT4_GROUP_SIZE) * s.scaleBytes);
}

export interface WeightBytes {
  /** Resident bytes of the whole checkpoint (vision included when the model has it). */
  total: number;
  /** Resident bytes of the text model alone (a text-only deployment). */
  text: number;
  byGroup: Record<ParamGroup, number>;
  /**
   * Bytes read from memory per decoded token at batch 1, short context: every dense weight, the
   * routed experts' top-k share, one embedding row. This over the memory bandwidth is the decode ceiling.
   */
  perToken: number;
}

export function weightBytes(
  config: Llama4Config,
  tensors: readonly TensorSpec[],
  format: WeightFormat,
): WeightBytes {
  const byGroup = Object.fromEntries(PARAM_GROUPS.map((g) => [g, 0])) as Record<ParamGroup, number>;
  let perToken = 0;
  const expertShare = config.text.expertsPerToken / config.text.numExperts;
  for (const t of tensors) {
    const b = tensorBytes(t, format);
    byGroup[t.group] += b;
    if (t.group === 'vision' || t.group === 'projector') continue;
    if (t.group === 'embeddings') perToken += b / config.text.vocabSize;
    else if (t.group === 'experts') perToken += b * expertShare;
    else perToken += b;
  }
  const total = Object.values(byGroup).reduce((a, b) => a + b, 0);
  return { total, text: total - byGroup.vision - byGroup.projector, byGroup, perToken };
}
