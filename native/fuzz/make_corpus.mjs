#!/usr/bin/env node
// Writes the seed corpora of the fuzz targets: one small file per case of
// shared/docs/bad-inputs.md that the target's parser meets (ST1-ST15, CF1-CF4), plus a few
// well-formed inputs so the fuzzer starts from both sides of every check. The output is
// committed (native/fuzz/corpus/<target>/<case>); rerun after adding a case:
//
//   node native/fuzz/make_corpus.mjs
//
// Files stay small (a few KB at most): cases that are about size (N = 100 MB + 1, 1e6 tensors,
// 1 MB names) are written as their small prefix or with a declared size, which is what the
// parser checks first.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), 'corpus');

function le64(n) {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}
const f32 = (...values) => Buffer.from(new Float32Array(values).buffer);
const st = (header, data = Buffer.alloc(0), declared) => {
  const h = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  return Buffer.concat([le64(declared ?? h.length), h, data]);
};
const entry = (dtype, shape, begin, end) => ({ dtype, shape, data_offsets: [begin, end] });
const good = st({ __metadata__: { format: 'pt' }, a: entry('F32', [2], 0, 8), b: entry('BF16', [2], 8, 12) },
  Buffer.concat([f32(1, -2), Buffer.from([0x80, 0x3f, 0x00, 0x40])]));

// ---- safetensors: whole files (safetensors_file_fuzz) ----------------------------------------
const stFiles = {
  'good-two-tensors': good,
  'good-zero-size-alias': st({ a: entry('F32', [1], 0, 4), z: entry('F32', [0, 3], 0, 0) }, f32(7)),
  'st1-empty': Buffer.alloc(0),
  'st1-seven-bytes': Buffer.from('\x01\x02\x03\x04\x05\x06\x07', 'latin1'),
  'st1-n-zero': le64(0),
  'st2-n-beyond-file': st('{}', Buffer.alloc(0), 4096),
  'st2-n-max-u64': Buffer.concat([Buffer.alloc(8, 0xff), Buffer.from('{}')]),
  'st2-n-100mb-plus-1': st('{}', Buffer.alloc(0), 100 * 1024 * 1024 + 1),
  'st2-header-not-utf8': st(Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]).toString('latin1')),
  'st2-header-not-json': st('not json at all'),
  'st2-header-array': st('[]'),
  'st2-header-string': st('"x"'),
  'st3-git-lfs-pointer': Buffer.from(
    'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n'),
  'st3-html-error-page': Buffer.from('<!DOCTYPE html><html><head><title>404 Not Found</title></head><body>Not Found</body></html>\n'),
  'st4-truncated-mid-header': good.subarray(0, 20),
  'st4-truncated-header-end': good.subarray(0, 8 + good.readUInt32LE(0)),
  'st4-truncated-mid-tensor': good.subarray(0, good.length - 6),
  'st4-last-byte-missing': good.subarray(0, good.length - 1),
  'st5-trailing-garbage': Buffer.concat([good, Buffer.from('PK\x03\x04polyglot', 'latin1')]),
  'st6-overlap': st({ a: entry('F32', [2], 0, 8), b: entry('F32', [2], 4, 12) }, f32(1, 2, 3)),
  'st6-hole': st({ a: entry('F32', [1], 0, 4), b: entry('F32', [1], 8, 12) }, f32(1, 2, 3)),
  'st6-end-before-begin': st({ a: entry('F32', [1], 4, 0) }, f32(1)),
  'st6-negative': st('{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}', f32(1)),
  'st6-beyond-eof': st({ a: entry('F32', [4], 0, 16) }, f32(1)),
  'st6-beyond-2p53': st('{"a":{"dtype":"F32","shape":[1],"data_offsets":[9007199254740993,9007199254740997]}}', f32(1)),
  'st6-float-offsets': st('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,1.5]}}', f32(1)),
  'st6-string-offsets': st('{"a":{"dtype":"F32","shape":[1],"data_offsets":["0","4"]}}', f32(1)),
  'st7-negative-dim': st('{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', f32(1)),
  'st7-float-dim': st('{"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}', f32(1)),
  'st7-empty-shape-nonzero-span': st({ a: entry('F32', [], 0, 8) }, f32(1, 2)),
  'st7-product-overflow': st('{"a":{"dtype":"F32","shape":[4194305,4194305,211106198978564],"data_offsets":[0,16]}}', f32(1, 2, 3, 4)),
  'st7-product-above-span': st({ a: entry('F32', [3], 0, 8) }, f32(1, 2)),
  'st7-product-below-span': st({ a: entry('F32', [1], 0, 8) }, f32(1, 2)),
  'st8-unknown-dtype': st({ a: entry('Q4_K', [1], 0, 4) }, f32(1)),
  'st8-lowercase-dtype': st({ a: entry('f32', [1], 0, 4) }, f32(1)),
  'st8-subbyte-misaligned': st({ a: entry('F4', [3], 0, 2) }, Buffer.alloc(2)),
  'st9-duplicate-same-range': st('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', f32(1)),
  'st9-duplicate-other-range': st('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', f32(1, 2)),
  'st11-metadata-non-string': st({ __metadata__: { n: 1, o: {} }, a: entry('F32', [1], 0, 4) }, f32(1)),
  'st11-metadata-as-tensor': st({ __metadata__: entry('F32', [1], 0, 4) }, f32(1)),
  'st11-metadata-long-value': st({ __metadata__: { k: 'v'.repeat(2000) }, a: entry('F32', [1], 0, 4) }, f32(1)),
  'st12-many-tiny-tensors': st(Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`t${i}`, entry('F32', [0], 0, 0)]))),
  'st12-long-name': st({ ['n'.repeat(1100)]: entry('F32', [1], 0, 4) }, f32(1)),
  'st12-name-nul': st('{"a\\u0000b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', f32(1)),
  'st12-name-dotdot': st({ '../../etc/passwd': entry('F32', [1], 0, 4) }, f32(1)),
  'st12-name-bad-escape': st('{"\\ud800":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', f32(1)),
  'st13-nan-inf-denormal-zero': st({ a: entry('F32', [4], 0, 16) }, f32(NaN, Infinity, 1e-45, 0)),
};

// The header target takes [u16 data size][header]: the same headers with a consistent length.
const headerCase = (buf) => {
  if (buf.length < 8) return undefined;
  const n = Number(buf.readBigUInt64LE(0));
  if (n > buf.length - 8) return undefined;
  const size = Buffer.alloc(2);
  size.writeUInt16LE(Math.min(buf.length - 8 - n, 0xffff));
  return Buffer.concat([size, buf.subarray(8, 8 + n)]);
};

// ---- config.json (config_fuzz) ---------------------------------------------------------------
const text = {
  hidden_size: 8, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1, head_dim: 4,
  vocab_size: 32, intermediate_size: 16, intermediate_size_mlp: 32, num_local_experts: 4,
  num_experts_per_tok: 1, interleave_moe_layer_step: 1, no_rope_layers: [1, 0], attention_chunk_size: 16,
  rope_theta: 500000.0,
  rope_scaling: { rope_type: 'llama3', factor: 16.0, low_freq_factor: 1.0, high_freq_factor: 1.0, original_max_position_embeddings: 8192 },
  max_position_embeddings: 1048576, use_qk_norm: true, attn_temperature_tuning: 4, floor_scale: 8192,
  attn_scale: 0.1, rms_norm_eps: 1e-5, bos_token_id: 1, eos_token_id: [2, 3], pad_token_id: 0,
  hidden_act: 'silu', model_type: 'llama4_text', tie_word_embeddings: false,
};
const vision = {
  image_size: 28, patch_size: 14, num_channels: 3, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2,
  intermediate_size: 32, projector_input_dim: 16, projector_output_dim: 16, vision_output_dim: 16,
  norm_eps: 1e-5, rope_theta: 10000, pixel_shuffle_ratio: 0.5, vision_feature_layer: -1,
  multi_modal_projector_bias: false,
};
const causal = (over = {}) => JSON.stringify({ architectures: ['Llama4ForCausalLM'], torch_dtype: 'bfloat16', ...text, ...over });
const conditional = (over = {}, top = {}) => JSON.stringify({
  architectures: ['Llama4ForConditionalGeneration'], model_type: 'llama4', image_token_index: 30,
  torch_dtype: 'bfloat16', text_config: { ...text, ...over }, vision_config: vision, ...top });
const configs = {
  'good-causal': causal(),
  'good-conditional': conditional(),
  'cf1-max-positions-5e7': causal({ max_position_embeddings: 5e7 }),
  'cf1-max-positions-float-literal': causal().replace('"max_position_embeddings":1048576', '"max_position_embeddings":5e7'),
  'cf2-kv-heads-zero': causal({ num_key_value_heads: 0 }),
  'cf2-kv-heads-not-dividing': causal({ num_attention_heads: 3, num_key_value_heads: 2 }),
  'cf2-head-dim-mismatch': causal({ head_dim: 3 }),
  'cf3-rope-unknown-type': causal({ rope_scaling: { rope_type: 'yarn', factor: 4 } }),
  'cf3-rope-factor-zero': causal({ rope_scaling: { ...text.rope_scaling, factor: 0 } }),
  'cf3-rms-eps-zero': causal({ rms_norm_eps: 0 }),
  'cf3-rms-eps-nan': causal().replace('"rms_norm_eps":0.00001', '"rms_norm_eps":NaN'),
  'cf4-dtype-absent': causal({ torch_dtype: undefined }),
  'cf4-dtype-unknown': causal({ torch_dtype: 'float8' }),
  'cf4-architecture-unknown': causal({ architectures: ['LlamaForCausalLM'] }),
  'cf4-architecture-spoofed': conditional({}, { model_type: 'llama4_text' }),
  'cf-eos-beyond-vocab': causal({ eos_token_id: [32] }),
  'cf-vision-odd-grid': conditional({}, { vision_config: { ...vision, image_size: 42 } }),
  'cf-vision-patch-zero': conditional({}, { vision_config: { ...vision, patch_size: 0 } }),
  'tk1-html-page': '<!DOCTYPE html><html><body>404</body></html>',
  'tk1-truncated': causal().slice(0, 200),
  'tk1-deep-nesting': '['.repeat(2000) + ']'.repeat(2000),
};

// ---- JSON itself (json_fuzz) -----------------------------------------------------------------
const jsonCases = {
  'object': '{"a":[1,-2.5e3,true,false,null,"x\\u00e9\\ud83d\\ude00"],"b":{}}',
  'duplicate-key': '{"a":1,"a":2}',
  'bom': '\ufeff{}',
  'trailing-comma': '[1,2,]',
  'comment': '{/*c*/}',
  'nan': '[NaN,Infinity]',
  'lone-surrogate': '["\\ud800"]',
  'overlong-utf8': Buffer.from([0x5b, 0x22, 0xc0, 0xaf, 0x22, 0x5d]),
  'big-integer': '[9007199254740993,1e400,-0,123456789012345678901234567890]',
  'deep': '{"a":'.repeat(40) + '1' + '}'.repeat(40),
  'trailing-text': '{} x',
};

// ---- model.safetensors.index.json (shard_index_fuzz) ------------------------------------------
const map = { 'model.embed_tokens.weight': 'model-00001-of-00002.safetensors',
  'model.layers.0.input_layernorm.weight': 'model-00001-of-00002.safetensors',
  'model.norm.weight': 'model-00002-of-00002.safetensors' };
const index = (weight_map, extra = {}) => JSON.stringify({ metadata: { total_size: 16 }, weight_map, ...extra });
const indexes = {
  'good-two-shards': index(map),
  'good-with-subfolder': index({ ...map, 'model.layers.1.extra': 'sub/extra.safetensors' }),
  'st15-missing-shard': index({ ...map, 'model.norm.weight': 'model-00003-of-00003.safetensors' }),
  'st15-dotdot': index({ ...map, 'model.norm.weight': '../model/model-00002-of-00002.safetensors' }),
  'st15-absolute': index({ ...map, 'model.norm.weight': '/etc/passwd' }),
  'st15-symlink-escape': index({ ...map, 'model.layers.0.outside': 'escape.safetensors' }),
  'st15-tensor-in-two-shards': index({ ...map, 'model.norm.weight': 'model-00001-of-00002.safetensors' }),
  'st15-tensor-in-no-shard': index({ 'model.embed_tokens.weight': 'model-00001-of-00002.safetensors', 'model.norm.weight': 'model-00002-of-00002.safetensors' }),
  'st15-listed-but-absent': index({ ...map, 'model.layers.1.ghost': 'model-00002-of-00002.safetensors' }),
  'st15-backslash': index({ ...map, 'model.norm.weight': 'sub\\..\\model-00002-of-00002.safetensors' }),
  'st15-no-weight-map': JSON.stringify({ metadata: {} }),
  'st15-shard-not-string': index({ ...map, 'model.norm.weight': 2 }),
};

function writeCorpus(target, cases) {
  const dir = join(root, target);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(cases)) {
    if (bytes !== undefined) writeFileSync(join(dir, name), bytes);
  }
}

writeCorpus('safetensors_file_fuzz', stFiles);
writeCorpus('safetensors_header_fuzz',
  Object.fromEntries(Object.entries(stFiles).map(([k, v]) => [k, headerCase(v)])));
writeCorpus('config_fuzz', configs);
writeCorpus('json_fuzz', { ...jsonCases, ...configs });
writeCorpus('shard_index_fuzz', indexes);
