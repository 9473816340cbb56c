// Where the sandbox keeps its state and tools, which ports it listens on, and which versions
// it pins. Everything the sandbox runs is derived from this one module.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { defaultTemporalPort, localTemporalAddress, localTemporalPort, stateDir } from '../lab/local.js';

// The state folder is shared with the product (reports): its home is lab/local.ts.
export { logDir, projectRoot, stateDir } from '../lab/local.js';
export const runDir = join(stateDir, 'run');
export const kwokWorkdir = join(stateDir, 'kwok');

/** Built tools are cached outside the clone, keyed by version, so a fresh clone reuses them. */
export const cacheDir = resolve(process.env.NETLAB_CACHE ?? join(homedir(), '.cache', 'eks-netlab'));
export const binDir = join(cacheDir, 'bin');

export const versions = {
  temporalCli: 'v1.9.1',
  kubernetes: 'v1.36.3',
  etcd: 'v3.6.16',
  kwok: 'v0.8.0',
  moto: '5.2.5',
  helm: 'v3.21.4',
  externalDns: 'v0.21.0',
} as const;

/**
 * The dev server's SQLite file, one per Temporal CLI version: a newer server does not migrate an
 * older one's schema (1.9.1 cannot create schedules in a 1.5.1 file: no current_chasm_executions
 * table), so labs recorded under an older CLI stay in that version's file.
 */
export const temporalDbFile = join(stateDir, `temporal-${versions.temporalCli}.db`);

const host = '127.0.0.1';
/** The ports the sandbox listens on unless NETLAB_*_PORT says otherwise (docker-compose uses these). */
export const defaultPorts = {
  temporal: defaultTemporalPort,
  temporalUi: 8233,
  moto: 5010,
  gateway: 4566,
  dns: 8053,
  lbFront: 4580,
} as const;

export const ports = {
  temporal: localTemporalPort,
  temporalUi: Number(process.env.NETLAB_TEMPORAL_UI_PORT ?? defaultPorts.temporalUi),
  moto: Number(process.env.NETLAB_MOTO_PORT ?? defaultPorts.moto),
  gateway: Number(process.env.NETLAB_GATEWAY_PORT ?? defaultPorts.gateway),
  dns: Number(process.env.NETLAB_DNS_PORT ?? defaultPorts.dns),
  /** Where every emulated load balancer answers HTTP (AWS: port 80 of the load balancer). */
  lbFront: Number(process.env.NETLAB_LB_PORT ?? defaultPorts.lbFront),
} as const;

export const endpoints = {
  host,
  temporal: localTemporalAddress,
  temporalUi: `http://${host}:${ports.temporalUi}`,
  moto: `http://${host}:${ports.moto}`,
  gateway: `http://${host}:${ports.gateway}`,
  dns: `${host}:${ports.dns}`,
  lbFront: `http://${host}:${ports.lbFront}`,
} as const;

/** moto accepts any credentials; these are its conventional placeholders, not secrets. */
export const sandboxCredentials = { accessKeyId: 'testing', secretAccessKey: 'testing' } as const;
export const sandboxRegion = 'ap-northeast-2';
