/**
 * The tensors a Llama 4 checkpoint must hold, derived from its config alone (llama4.md §3): names,
 * shapes and the parameter group each belongs to. This one list feeds both the memory plan
 * (parameter counts and bytes per weight format) and the verifier (config consistent with the
 * tensors), so the two can never disagree about what a model contains.
 */
import type { Llama4Config } from './config.js';

export type ParamGroup =
  | 'attention'
  | 'norms'
  | 'router'
  | 'experts'
  | 'shared_expert'
  | 'dense_mlp'
  | 'embeddings'
  | 'lm_head'
  | 'vision'
  | 'projector';

export const PARAM_GROUPS: readonly ParamGroup[] = [
  'attention',
  'norms',
  'router',
  'experts',
  'shared_expert',
  'dense_mlp',
  'embeddings',
  'lm_head',
  'vision',
  'projector',
];

export interface TensorSpec {
  name: string;
  shape: number[];
  group: ParamGroup;
  /**
   * Index of the input (reduction) dimension, along which int4 groups of 128 run; undefined for
   * tensors that are never quantized (norms, biases, embeddings' rows are looked up, not multiplied).
   * nn.Linear weights are [out, in] (dim 1); the fused experts are input-major [E, in, out] (dim 1 too).
   */
  inputDim: number | undefined;
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Every tensor of the checkpoint, text first, in the order of llama4.md §3. */
export function expectedTensors(config: Llama4Config): TensorSpec[] {
  const t = config.text;
  // A conditional-generation checkpoint nests the text model under `language_model.`.
  const p = config.vision ? 'language_model.' : '';
  const D = t.hiddenSize;
  const out: TensorSpec[] = [];
  const add = (name: string, shape: number[], group: ParamGroup, inputDim?: number) =>
    out.push({ name, shape, group, inputDim });

  add(`${p}model.embed_tokens.weight`, [t.vocabSize, D], 'embeddings');
  const moe = new Set(t.moeLayers);
  for (let i = 0; i < t.numLayers; i++) {
    const l = `${p}model.layers.${i}.`;
    add(`${l}input_layernorm.weight`, [D], 'norms');
    add(`${l}self_attn.q_proj.weight`, [t.numHeads * t.headDim, D], 'attention', 1);
    add(`${l}self_attn.k_proj.weight`, [t.numKvHeads * t.headDim, D], 'attention', 1);
    add(`${l}self_attn.v_proj.weight`, [t.numKvHeads * t.headDim, D], 'attention', 1);
    add(`${l}self_attn.o_proj.weight`, [D, t.numHeads * t.headDim], 'attention', 1);
    add(`${l}post_attention_layernorm.weight`, [D], 'norms');
    const f = `${l}feed_forward.`;
    if (moe.has(i)) {
      const F = t.intermediateSize;
      add(`${f}router.weight`, [t.numExperts, D], 'router', 1);
      add(`${f}experts.gate_up_proj`, [t.numExperts, D, 2 * F], 'experts', 1);
      add(`${f}experts.down_proj`, [t.numExperts, F, D], 'experts', 1);
      add(`${f}shared_expert.gate_proj.weight`, [F, D], 'shared_expert', 1);
      add(`${f}shared_expert.up_proj.weight`, [F, D], 'shared_expert', 1);
      add(`${f}shared_expert.down_proj.weight`, [D, F], 'shared_expert', 1);
    } else {
      const F = t.intermediateSizeMlp;
      add(`${f}gate_proj.weight`, [F, D], 'dense_mlp', 1);
      add(`${f}up_proj.weight`, [F, D], 'dense_mlp', 1);
      add(`${f}down_proj.weight`, [D, F], 'dense_mlp', 1);
    }
  }
  add(`${p}model.norm.weight`, [D], 'norms');
  if (!t.tieWordEmbeddings) add(`${p}lm_head.weight`, [t.vocabSize, D], 'lm_head', 1);
  if (config.vision) out.push(...visionTensors(config));
  return out;
}

function visionTensors(config: Llama4Config): TensorSpec[] {
  const v = config.vision!;
  const H = v.hiddenSize;
  const grid = v.imageSize / v.patchSize;
  const out: TensorSpec[] = [];
  const add = (name: string, shape: number[], group: ParamGroup, inputDim?: number) =>
    out.push({ name, shape, group, inputDim });
  const m = 'vision_model.';
  add(`${m}patch_embedding.linear.weight`, [H, 3 * v.patchSize * v.patchSize], 'vision', 1);
  add(`${m}class_embedding`, [H], 'vision');
  add(`${m}positional_embedding_vlm`, [grid * grid + 1, H], 'vision');
  for (const ln of ['layernorm_pre', 'layernorm_post']) {
    add(`${m}${ln}.weight`, [H], 'vision');
    add(`${m}${ln}.bias`, [H], 'vision');
  }
  for (let i = 0; i < v.numLayers; i++) {
    const l = `${m}model.layers.${i}.`;
    for (const ln of ['input_layernorm', 'post_attention_layernorm']) {
      add(`${l}${ln}.weight`, [H], 'vision');
      add(`${l}${ln}.bias`, [H], 'vision');
    }
    for (const proj of ['q_proj', 'k_proj', 'v_proj', 'o_proj']) {
      add(`${l}self_attn.${proj}.weight`, [H, H], 'vision', 1);
      add(`${l}self_attn.${proj}.bias`, [H], 'vision');
    }
    add(`${l}mlp.fc1.weight`, [v.intermediateSize, H], 'vision', 1);
    add(`${l}mlp.fc1.bias`, [v.intermediateSize], 'vision');
    add(`${l}mlp.fc2.weight`, [H, v.intermediateSize], 'vision', 1);
    add(`${l}mlp.fc2.bias`, [H], 'vision');
  }
  // Pixel shuffle folds ratio⁻² neighbouring patches into one token before the adapter.
  const shuffled = Math.round(H / (v.pixelShuffleRatio * v.pixelShuffleRatio));
  add(`${m}vision_adapter.mlp.fc1.weight`, [v.projectorInputDim, shuffled], 'vision', 1);
  add(`${m}vision_adapter.mlp.fc2.weight`, [v.projectorOutputDim, v.projectorInputDim], 'vision', 1);
  add('multi_modal_projector.linear_1.weight', [config.text.hiddenSize, v.visionOutputDim], 'projector', 1);
  return out;
}

/** Parameter count per group (every group present, zero when absent). */
export function paramCounts(tensors: readonly TensorSpec[]): Record<ParamGroup, number> {
  const counts = Object.fromEntries(PARAM_GROUPS.map((g) => [g, 0])) as Record<ParamGroup, number>;
  for (const t of tensors) counts[t.group] += elementCount(t.shape);
  return counts;
}
