// The secrets scan: every workflow history the suite made (fetched from the server), every log
// under .netlab/logs and every report, searched for credentials. The sandbox's placeholder
// credentials (`testing`) are not secrets. Findings are redacted: the scan never prints one.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { logDir, reportsDir } from '../../lab/local.js';

const patterns: [name: string, re: RegExp][] = [
  ['AWS access key id', /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g],
  ['AWS secret access key', /(?:aws_secret_access_key|secretAccessKey|SecretAccessKey)["'\s:=]+([A-Za-z0-9/+=]{16,})/g],
  [
    'AWS session token',
    /(?:aws_session_token|sessionToken|SessionToken|X-Amz-Security-Token)["'\s:=]+([A-Za-z0-9/+=%]{16,})/g,
  ],
  ['EKS bearer token', /k8s-aws-v1\.[A-Za-z0-9_-]{16,}/g],
  ['bearer token', /Bearer\s+[A-Za-z0-9._~+/-]{16,}/gi],
  [
    'kubeconfig credential',
    /(?:client-key-data|client-certificate-data|\btoken)["']?\s*:\s*["']?[A-Za-z0-9+/=._-]{16,}/g,
  ],
  ['private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/g],
];

export interface SecretFinding {
  source: string;
  kind: string;
  /** The first characters only. */
  redacted: string;
}

export function scanText(source: string, text: string): SecretFinding[] {
  const found: SecretFinding[] = [];
  for (const [kind, re] of patterns)
    for (const m of text.matchAll(re)) {
      if (/testing/.test(m[0])) continue;
      found.push({ source, kind, redacted: `${m[0].slice(0, 12)}…` });
    }
  return found;
}

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
  );
}

/** History events as text, with payloads (JSON bytes) decoded so their contents are searched. */
const historyText = (history: unknown): string =>
  JSON.stringify(history, (_k, v: unknown) =>
    v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : typeof v === 'bigint' ? String(v) : v,
  );

export async function scanSecrets(
  client: Client,
  workflowIds: string[],
  extraFiles: string[] = [],
): Promise<{ sources: string[]; findings: SecretFinding[] }> {
  const sources: string[] = [];
  const findings: SecretFinding[] = [];
  for (const id of new Set(workflowIds)) {
    const history = await client.workflow
      .getHandle(id)
      .fetchHistory()
      .catch(() => undefined);
    if (!history) continue;
    sources.push(`history ${id}`);
    findings.push(...scanText(`history ${id}`, historyText(history)));
  }
  for (const file of [...files(logDir), ...files(reportsDir), ...extraFiles]) {
    if (!existsSync(file) || statSync(file).size > 200 * 2 ** 20) continue;
    sources.push(file);
    findings.push(...scanText(file, readFileSync(file, 'utf8')));
  }
  return { sources, findings };
}
