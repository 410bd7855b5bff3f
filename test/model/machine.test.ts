// nvidia-smi and /proc/meminfo parsing on recorded output, and the probe's handling of a missing or
// fake nvidia-smi (this machine has no GPU).
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseMemInfo, parseNvidiaSmi, probeGpus, probeRam } from '../../src/engine/model/machine.js';

const MIB = 1024 * 1024;
// `nvidia-smi --query-gpu=index,name,memory.total,memory.used --format=csv,noheader,nounits`
const H100 = '0, NVIDIA H100 80GB HBM3, 81559, 0\n';
const H200_X2 = '0, NVIDIA H200, 143771, 1024\n1, NVIDIA H200, 143771, 70311\n';

describe('parseNvidiaSmi', () => {
  it('reads index, name, total and used memory in MiB', () => {
    expect(parseNvidiaSmi(H100)).toEqual([
      { index: 0, name: 'NVIDIA H100 80GB HBM3', totalBytes: 81559 * MIB, usedBytes: 0 },
    ]);
    expect(parseNvidiaSmi(H200_X2).map((g) => [g.index, g.usedBytes / MIB])).toEqual([
      [0, 1024],
      [1, 70311],
    ]);
  });
  it('reads the bare memory.total,memory.used query too', () => {
    expect(parseNvidiaSmi('81559, 512\n')).toEqual([
      { index: 0, name: 'GPU 0', totalBytes: 81559 * MIB, usedBytes: 512 * MIB },
    ]);
  });
  it('keeps commas inside a name', () => {
    expect(parseNvidiaSmi('3, Odd, Name, 1000, 1\n')[0]).toMatchObject({ index: 3, name: 'Odd, Name' });
  });
  it('rejects lines it does not understand instead of dropping a GPU', () => {
    expect(() => parseNvidiaSmi('0, NVIDIA A100, [N/A], [N/A]')).toThrow(/memory not in MiB/);
    expect(() =>
      parseNvidiaSmi('NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.'),
    ).toThrow(/unexpected nvidia-smi line/);
  });
  it('reads no GPUs from empty output', () => {
    expect(parseNvidiaSmi('\n')).toEqual([]);
  });
});

describe('parseMemInfo', () => {
  it('reads MemTotal and MemAvailable in kB', () => {
    const text = 'MemTotal:       24684084 kB\nMemFree:        24313336 kB\nMemAvailable:   24329140 kB\n';
    expect(parseMemInfo(text)).toEqual({ totalBytes: 24684084 * 1024, availableBytes: 24329140 * 1024 });
  });
  it('gives up on kernels without MemAvailable', () => {
    expect(parseMemInfo('MemTotal:       24684084 kB\nMemFree:        1 kB\n')).toBeUndefined();
  });
  it('probes this machine', async () => {
    const ram = await probeRam();
    expect(ram.totalBytes).toBeGreaterThan(0);
    expect(ram.availableBytes).toBeLessThanOrEqual(ram.totalBytes);
  });
});

describe('probeGpus', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scout-smi-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const script = (name: string, body: string) => {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  };

  it('answers no GPU when nvidia-smi is absent or fails', async () => {
    expect(await probeGpus(join(dir, 'no-such-nvidia-smi'))).toEqual([]);
    expect(await probeGpus(script('failing', 'echo "No devices were found" >&2; exit 6'))).toEqual([]);
  });
  it('passes the memory query and parses the answer', async () => {
    const smi = script(
      'nvidia-smi',
      `[ "$1" = "--query-gpu=index,name,memory.total,memory.used" ] && [ "$2" = "--format=csv,noheader,nounits" ] || exit 2\nprintf '${H100}'`,
    );
    expect(await probeGpus(smi)).toEqual(parseNvidiaSmi(H100));
  });
  it('does not hang on an nvidia-smi that hangs', async () => {
    expect(await probeGpus(script('hang', 'exec sleep 30'), 300)).toEqual([]);
  });
});
