/**
 * Content scan for well-known credential formats. Every pattern is anchored on a fixed, distinctive
 * prefix (or a PEM header) so the scan is one linear pass of a single combined regex, and so
 * ordinary code (hashes, UUIDs, base64 test data) does not trip it. A hit leaves the whole file out
 * and reports the pattern's name, never the matched text.
 */
const PATTERNS: [name: string, source: string][] = [
  [
    'private key',
    String.raw`-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----`,
  ],
  ['AWS access key', String.raw`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`],
  ['GitHub token', String.raw`\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}\b|\bgithub_pat_[A-Za-z0-9_]{60,}\b`],
  ['GitLab token', String.raw`\bglpat-[A-Za-z0-9_-]{20,}\b`],
  ['Slack token', String.raw`\bxox[abprs]-[A-Za-z0-9-]{10,}\b`],
  ['Slack webhook', String.raw`https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]{20,}`],
  ['Google API key', String.raw`\bAIza[0-9A-Za-z_-]{35}\b`],
  ['Stripe secret key', String.raw`\b(?:sk|rk)_live_[0-9A-Za-z]{20,}\b`],
  ['OpenAI API key', String.raw`\bsk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}\b`],
  ['Anthropic API key', String.raw`\bsk-ant-(?:api|admin)\d\d-[A-Za-z0-9_-]{80,}\b`],
  ['Hugging Face token', String.raw`\bhf_[A-Za-z]{34}\b`],
  ['npm token', String.raw`\bnpm_[A-Za-z0-9]{36}\b`],
  ['Twilio key', String.raw`\bSK[0-9a-f]{32}\b`],
  ['SendGrid key', String.raw`\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b`],
  ['Azure storage key', String.raw`AccountKey=[A-Za-z0-9+/]{86}==`],
  ['GCP service account', String.raw`"type"\s*:\s*"service_account"[^}]{0,400}"private_key"`],
];

const COMBINED = new RegExp(PATTERNS.map(([, s]) => `(${s})`).join('|'), 'g');

/** The name of the first credential pattern found in `text`, or undefined. */
export function findSecret(text: string): string | undefined {
  COMBINED.lastIndex = 0;
  const m = COMBINED.exec(text);
  if (!m) return undefined;
  for (let i = 1; i < m.length; i++) if (m[i] !== undefined) return PATTERNS[i - 1]![0];
  return 'credential';
}
