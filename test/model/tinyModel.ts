// A tiny but structurally complete Llama 4 checkpoint (text + vision), generated from its config
// through the same expected-tensor list the verifier checks, with random bf16 bytes: enough for
// the downloader, verifier and discovery to handle real safetensors shards and a real index.
import { randomBytes } from 'node:crypto';
import { parseLlama4Config } from '../../src/engine/model/config.js';
import { elementCount, expectedTensors, type TensorSpec } from '../../src/engine/model/tensors.js';

export const TINY_CONFIG = {
  architectures: ['Llama4ForConditionalGeneration'],
  model_type: 'llama4',
  torch_dtype: 'bfloat16',
  text_config: {
    hidden_size: 64,
    num_hidden_layers: 4,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    head_dim: 16,
    vocab_size: 1024,
    num_local_experts: 4,
    num_experts_per_tok: 1,
    intermediate_size: 128,
    intermediate_size_mlp: 256,
    interleave_moe_layer_step: 1,
    no_rope_layers: [1, 1, 1, 0],
    attention_chunk_size: 32,
    max_position_embeddings: 4096,
    torch_dtype: 'bfloat16',
  },
  vision_config: {
    hidden_size: 32,
    num_hidden_layers: 1,
    intermediate_size: 64,
    image_size: 28,
    patch_size: 14,
    pixel_shuffle_ratio: 0.5,
    projector_input_dim: 64,
    projector_output_dim: 64,
    vision_output_dim: 64,
  },
};

export interface TensorData {
  name: string;
  dtype: string;
  shape: number[];
  bytes: Buffer;
}

/** Serializes tensors as a safetensors file (8-byte LE header length, JSON header, data). */
export function writeSafetensors(tensors: TensorData[], metadata?: Record<string, string>): Buffer {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, ...tensors.map((t) => t.bytes)]);
}

function bf16(spec: TensorSpec): TensorData {
  return {
    name: spec.name,
    dtype: 'BF16',
    shape: spec.shape,
    bytes: randomBytes(2 * elementCount(spec.shape)),
  };
}

/** The files of the tiny model: config, two shards, the index, and a tokenizer_config. */
export function tinyModelFiles(config: object = TINY_CONFIG): Map<string, Buffer> {
  const configText = JSON.stringify(config, null, 2);
  const specs = expectedTensors(parseLlama4Config(configText));
  const half = Math.ceil(specs.length / 2);
  const shards = [specs.slice(0, half), specs.slice(half)];
  const files = new Map<string, Buffer>();
  files.set('config.json', Buffer.from(configText));
  const weightMap: Record<string, string> = {};
  let total = 0;
  shards.forEach((shard, i) => {
    const name = `model-0000${i + 1}-of-00002.safetensors`;
    const data = shard.map(bf16);
    files.set(name, writeSafetensors(data, { format: 'pt' }));
    for (const t of data) {
      weightMap[t.name] = name;
      total += t.bytes.length;
    }
  });
  files.set(
    'model.safetensors.index.json',
    Buffer.from(JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2)),
  );
  files.set('tokenizer_config.json', Buffer.from('{"model_max_length": 4096}\n'));
  return files;
}
