/**
 * The memory plan: what fits on this machine, from config.json alone (no weights loaded).
 *
 * For each device (the GPU with the most free memory when there is one, and RAM), each weight format
 * and each KV type, it gives the resident weights, the KV bytes per token, and the largest context
 * that fits; then it recommends the best-quality combination that holds the requested context.
 * `scout model plan`, `scout ask`'s preflight, the sidecar and the extension all call `planMemory`
 * and `checkFits`, so a user never sees two different answers to "will it fit?".
 *
 * KV layout (llama4.md §7): the chunk-aware cache keeps the full history only for the NoPE (global)
 * layers; the chunked RoPE layers never look further back than the current 8192-aligned chunk, so a
 * ring of one chunk per layer is enough, whatever the context. The naive layout is reported too, as
 * the figure other engines use.
 */
import { ScoutError } from '../errors.js';
import type { Llama4Config } from './config.js';
import type { GpuMemory, MachineMemory } from './machine.js';
import { paramCounts, expectedTensors, type ParamGroup } from './tensors.js';
import { weightBytes, WEIGHT_FORMATS, type WeightBytes, type WeightFormat } from './weights.js';

export type KvType = 'bf16' | 'fp8';
export const KV_TYPES: readonly KvType[] = ['bf16', 'fp8'];
const KV_ELEMENT_BYTES: Record<KvType, number> = { bf16: 2, fp8: 1 };

const GIB = 1024 ** 3;
/** Activations, workspace and allocator slack next to weights and KV (llama4.md §7's assumption). */
export const DEFAULT_RESERVE_BYTES = 4 * GIB;
/** A repository-sized prompt: what the plan aims for when no context is asked for. */
export const DEFAULT_TARGET_CONTEXT = 131_072;

export interface KvSizes {
  /** Bytes per token that grow with the context: the global layers (chunk-aware layout). */
  perToken: number;
  /** Fixed bytes of the chunk ring (chunked layers × chunk size), per sequence. */
  ringBytes: number;
  /** Bytes per token when every layer keeps the whole history (the naive layout). */
  perTokenNaive: number;
}

export function kvSizes(config: Llama4Config, kv: KvType): KvSizes {
  const t = config.text;
  const perLayer = 2 * t.numKvHeads * t.headDim * KV_ELEMENT_BYTES[kv]; // K and V
  const global = t.ropeLayers.filter((rope) => !rope).length;
  const chunked = t.numLayers - global;
  return {
    perToken: global * perLayer,
    ringBytes: chunked * t.attentionChunkSize * perLayer,
    perTokenNaive: t.numLayers * perLayer,
  };
}

/** KV bytes for one sequence of `context` tokens in the chunk-aware layout. */
export function kvBytes(config: Llama4Config, kv: KvType, context: number): number {
  const s = kvSizes(config, kv);
  const ringTokens = Math.min(context, config.text.attentionChunkSize);
  return s.perToken * context + (s.ringBytes / config.text.attentionChunkSize) * ringTokens;
}

/** The largest context whose chunk-aware KV fits in `budget` bytes, capped at the model's maximum. */
export function maxContext(config: Llama4Config, kv: KvType, budget: number): number {
  const cap = config.text.maxPositionEmbeddings;
  if (budget <= 0) return 0;
  const s = kvSizes(config, kv);
  const chunk = config.text.attentionChunkSize;
  if (kvBytes(config, kv, chunk) > budget) {
    // Shorter than one chunk: every layer grows per token.
    return Math.min(cap, Math.floor(budget / (s.perToken + s.ringBytes / chunk)));
  }
  if (s.perToken === 0) return cap;
  return Math.min(cap, Math.floor((budget - s.ringBytes) / s.perToken));
}

export interface PlanDevice {
  kind: 'gpu' | 'ram';
  name: string;
  totalBytes: number;
  /** What the plan may use: free memory minus the reserve. */
  usableBytes: number;
}

export interface PlanRow {
  device: 'gpu' | 'ram';
  weights: WeightFormat;
  kv: KvType;
  weightBytes: number;
  kvBytesPerToken: number;
  kvRingBytes: number;
  /** Largest context that fits next to the weights; 0 when the weights alone do not fit. */
  maxContext: number;
  /** True when maxContext reaches the requested context. */
  fits: boolean;
}

export interface Recommendation {
  device: 'gpu' | 'ram';
  weights: WeightFormat;
  kv: KvType;
  /** The context to run with: the request, or the largest that fits when the request does not. */
  context: number;
  reason: string;
}

export interface MemoryPlan {
  architecture: string;
  params: Record<ParamGroup, number> & { total: number; text: number; activePerToken: number };
  formats: Record<WeightFormat, WeightBytes>;
  kv: Record<KvType, KvSizes>;
  devices: PlanDevice[];
  requestedContext: number;
  reserveBytes: number;
  includeVision: boolean;
  rows: PlanRow[];
  recommended: Recommendation | undefined;
}

export interface PlanOptions {
  context?: number;
  reserveBytes?: number;
  /** False for a text-only deployment: the vision tower is not loaded. Default true when the model has one. */
  includeVision?: boolean;
}

/** The GPU Scout would run on: the one with the most free memory. */
function bestGpu(gpus: readonly GpuMemory[]): GpuMemory | undefined {
  return [...gpus].sort((a, b) => b.totalBytes - b.usedBytes - (a.totalBytes - a.usedBytes))[0];
}

export function planMemory(
  config: Llama4Config,
  machine: MachineMemory,
  options: PlanOptions = {},
): MemoryPlan {
  const requestedContext =
    options.context ?? Math.min(DEFAULT_TARGET_CONTEXT, config.text.maxPositionEmbeddings);
  if (!Number.isSafeInteger(requestedContext) || requestedContext < 1)
    throw new ScoutError('invalid_argument', `context must be a positive integer, got ${requestedContext}`);
  if (requestedContext > config.text.maxPositionEmbeddings)
    throw new ScoutError(
      'invalid_argument',
      `context ${requestedContext} exceeds the model's max_position_embeddings (${config.text.maxPositionEmbeddings})`,
    );
  const reserveBytes = options.reserveBytes ?? DEFAULT_RESERVE_BYTES;
  const includeVision = (options.includeVision ?? true) && config.vision !== undefined;

  const tensors = expectedTensors(config);
  const counts = paramCounts(tensors);
  const formats = Object.fromEntries(
    WEIGHT_FORMATS.map((f) => [f, weightBytes(config, tensors, f)]),
  ) as Record<WeightFormat, WeightBytes>;
  const kv = Object.fromEntries(KV_TYPES.map((k) => [k, kvSizes(config, k)])) as Record<KvType, KvSizes>;

  const devices: PlanDevice[] = [];
  const gpu = bestGpu(machine.gpus);
  if (gpu) {
    const free = gpu.totalBytes - gpu.usedBytes;
    devices.push({
      kind: 'gpu',
      name: `GPU ${gpu.index} ${gpu.name}`,
      totalBytes: gpu.totalBytes,
      usableBytes: Math.max(0, free - reserveBytes),
    });
  }
  devices.push({
    kind: 'ram',
    name: 'RAM',
    totalBytes: machine.ramTotalBytes,
    usableBytes: Math.max(0, machine.ramAvailableBytes - reserveBytes),
  });

  const rows: PlanRow[] = [];
  for (const device of devices)
    for (const weights of WEIGHT_FORMATS)
      for (const k of KV_TYPES) {
        const w = includeVision ? formats[weights].total : formats[weights].text;
        const left = device.usableBytes - w;
        const ctx = left > 0 ? maxContext(config, k, left) : 0;
        rows.push({
          device: device.kind,
          weights,
          kv: k,
          weightBytes: w,
          kvBytesPerToken: kv[k].perToken,
          kvRingBytes: kv[k].ringBytes,
          maxContext: ctx,
          fits: ctx >= requestedContext,
        });
      }

  const textParams = Object.entries(counts)
    .filter(([g]) => g !== 'vision' && g !== 'projector')
    .reduce((a, [, n]) => a + n, 0);
  const t = config.text;
  const activePerToken =
    textParams -
    counts.embeddings +
    t.hiddenSize -
    counts.experts +
    (counts.experts * t.expertsPerToken) / t.numExperts;
  return {
    architecture: config.architecture,
    params: {
      ...counts,
      total: Object.values(counts).reduce((a, b) => a + b, 0),
      text: textParams,
      activePerToken,
    },
    formats,
    kv,
    devices,
    requestedContext,
    reserveBytes,
    includeVision,
    rows,
    recommended: recommend(rows, requestedContext),
  };
}

/**
 * Rows are generated in quality order (weight format first: quantizing weights costs more accuracy
 * than an fp8 KV cache; then KV type), GPU before RAM. The first row that holds the requested
 * context wins; failing that, the row with the largest context, so the user still gets a working setup.
 */
function recommend(rows: readonly PlanRow[], requested: number): Recommendation | undefined {
  const fitting = rows.find((r) => r.fits);
  if (fitting)
    return {
      device: fitting.device,
      weights: fitting.weights,
      kv: fitting.kv,
      context: requested,
      reason: `highest-quality setting that holds ${requested} tokens`,
    };
  const best = [...rows].sort((a, b) => b.maxContext - a.maxContext)[0];
  if (!best || best.maxContext === 0) return undefined;
  return {
    device: best.device,
    weights: best.weights,
    kv: best.kv,
    context: best.maxContext,
    reason: `nothing holds ${requested} tokens; this is the largest context that fits`,
  };
}

/**
 * The preflight: throws ScoutError('out_of_memory') with the numbers when a chosen setting does not fit,
 * so `scout ask` and the sidecar refuse before loading anything instead of failing half-way.
 */
export function checkFits(
  plan: MemoryPlan,
  choice: { device: 'gpu' | 'ram'; weights: WeightFormat; kv: KvType; context: number },
): PlanRow {
  const row = plan.rows.find(
    (r) => r.device === choice.device && r.weights === choice.weights && r.kv === choice.kv,
  );
  if (!row)
    throw new ScoutError('out_of_memory', `no ${choice.device === 'gpu' ? 'GPU' : 'RAM'} found to run on`);
  if (row.maxContext < choice.context) {
    const gib = (b: number) => `${(b / GIB).toFixed(2)} GiB`;
    const device = plan.devices.find((d) => d.kind === choice.device)!;
    const what =
      row.maxContext === 0
        ? `the ${choice.weights} weights (${gib(row.weightBytes)}) do not fit in ${gib(device.usableBytes)} usable ${device.name}`
        : `${choice.context} tokens of ${choice.kv} KV do not fit next to ${choice.weights} weights; the largest context is ${row.maxContext}`;
    const hint = plan.recommended
      ? `; what fits: ${plan.recommended.weights} weights with a ${plan.recommended.kv} KV cache on the ${plan.recommended.device}, up to ${plan.recommended.context} tokens (scout model plan shows every option)`
      : '';
    throw new ScoutError('out_of_memory', `${what}${hint}`);
  }
  return row;
}
