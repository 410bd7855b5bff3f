/**
 * Secrets never reach the model (bad-inputs.md RP1): a repository with credentials in the places
 * they usually live — dotenv files, SSH and TLS keys, cloud CLI credential files, package-manager
 * and registry auth, Kubernetes and Docker config, tokens pasted into source — is packed, and the
 * pack must leave every one of those files out, say which and why, and never echo a secret value
 * in its text or in its report.
 *
 * The values are fake but have the real formats (split in the source so that scanners of this
 * repository do not flag the test itself).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pack } from '../../src/engine/pack/pack.js';
import type { PackResult } from '../../src/engine/pack/types.js';

const S = {
  env: 'DB_PASSWORD=' + 'pg-Zx81-hunter',
  envProd: 'STRIPE_KEY=' + 'sk_live_' + '4eC39HqLyjWDarjtT1zdp7dc',
  pem:
    '-----BEGIN ' +
    'RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n-----END RSA PRIVATE KEY-----\n',
  ssh:
    '-----BEGIN ' +
    'OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n',
  aws: 'aws_secret_access_key = ' + 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  gcloud: 'refresh_token": "' + '1//0gLk3FakeRefreshTokenForTests-abcdefghijklmnop',
  gcpServiceAccount: 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7' + 'FAKEFAKE',
  npmrc: '//registry.npmjs.org/:_authToken=' + 'npm_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8',
  netrc: 'machine github.com login me password ' + 'netrc-Qw8-secret',
  gitCredentials: 'https://me:' + 'gitcred-Zq7-secret' + '@github.com',
  dockerAuth: 'bWU6ZG9ja2VyLWh1Yi1wYXNzd29yZA' + '==',
  kubeToken: 'eyJhbGciOiJSUzI1NiIsImtpZCI6IkZha2VLdWJlIn0' + '.fakekubetoken',
  githubInSource: 'ghp_' + 'R2d2C3poLuke5kywalkerHanSolo12345678',
  slackInSource: 'xoxb-' + '1234567890-0987654321-AbCdEfGhIjKlMnOp',
  awsKeyInSource: 'AKIA' + 'ZXCVBNMASDFGHJKL',
};

const FILES: Record<string, string> = {
  '.env': `${S.env}\n`,
  '.env.production': `${S.envProd}\n`,
  '.env.example': 'DB_PASSWORD=\n',
  'certs/server.pem': S.pem,
  'deploy/id_rsa': S.pem,
  '.ssh/id_ed25519': S.ssh,
  '.aws/credentials': `[default]\naws_access_key_id = ${S.awsKeyInSource}\n${S.aws}\n`,
  '.config/gcloud/application_default_credentials.json': `{"client_id": "x.apps.googleusercontent.com", "client_secret": "d-FL95Q19q7MQmFpd7hHD0Ty", "${S.gcloud}", "type": "authorized_user"}\n`,
  'service-account.json': `{"type": "service_account", "project_id": "p", "private_key_id": "1", "private_key": "-----BEGIN PRIVATE KEY-----\\n${S.gcpServiceAccount}\\n-----END PRIVATE KEY-----\\n"}\n`,
  'infra/gcp-key.json': `{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\n${S.gcpServiceAccount}\\n"}\n`,
  '.npmrc': `${S.npmrc}\n`,
  '.netrc': `${S.netrc}\n`,
  '.git-credentials': `${S.gitCredentials}\n`,
  '.docker/config.json': `{"auths": {"https://index.docker.io/v1/": {"auth": "${S.dockerAuth}"}}}\n`,
  '.kube/config': `apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    token: ${S.kubeToken}\n`,
  'src/github.ts': `export const token = '${S.githubInSource}';\n`,
  'src/notify.py': `SLACK = "${S.slackInSource}"\n`,
  'src/upload.go': `package main\n\nconst key = "${S.awsKeyInSource}"\n`,
  // Ordinary code next to the secrets, which must still be packed.
  'src/app.ts': 'export function main(): number {\n  return 42;\n}\n',
};

const SECRET_FILES = Object.keys(FILES).filter((p) => p !== 'src/app.ts' && p !== '.env.example');

let root: string;
let packed: PackResult;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'scout-secrets-'));
  for (const [path, text] of Object.entries(FILES)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  packed = await pack({ root, budget: 200_000 }, { tokenizer: { kind: 'o200k_base' }, cacheFile: false });
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('a pack of a repository full of credentials', () => {
  it('packs the ordinary code and the variable-only .env template', () => {
    expect(packed.text).toContain('<file path="src/app.ts"');
    expect(packed.text).toContain('<file path=".env.example"');
  });

  it.each(SECRET_FILES)('leaves %s out and reports it as a secret', (path) => {
    const entry = packed.excluded.find((e) => e.path === path);
    expect(entry, `${path} is not reported as left out`).toBeDefined();
    expect(entry!.reason).toMatch(/^secret-(path|content)$/);
    expect(packed.text).not.toContain(`path="${path}"`);
  });

  it('never shows a secret value, in the pack or in what it reports', () => {
    const report = JSON.stringify(packed.excluded) + JSON.stringify(packed.stats);
    for (const [name, value] of Object.entries(S)) {
      expect(packed.text.includes(value), `${name} is in the pack text`).toBe(false);
      expect(report.includes(value), `${name} is in the pack report`).toBe(false);
    }
    expect((packed.stats.excluded['secret-path'] ?? 0) + (packed.stats.excluded['secret-content'] ?? 0)).toBe(
      SECRET_FILES.length,
    );
  });
});
