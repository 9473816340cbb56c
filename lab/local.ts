// What the product and the sandbox agree on about this machine: where lab state is kept (the
// .netlab folder under the project root, or NETLAB_HOME) and where a local Temporal server
// listens. Both import it; neither imports the other for these.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** All state kept on this machine — the sandbox's, logs, reports — so `sandbox reset` is one delete. */
export const stateDir = resolve(process.env.NETLAB_HOME ?? join(projectRoot, '.netlab'));
export const logDir = join(stateDir, 'logs');

/**
 * One folder per lab: the worker writes it, `lab trend` reads them all. Under the project root (not
 * the working directory), so a worker and a client started from different folders agree on it.
 */
export const reportsDir = join(stateDir, 'reports');
export const reportDirOf = (labId: string): string => join(reportsDir, labId);

/** A Temporal server on this machine (the sandbox's dev server, or docker-compose's), on NETLAB_TEMPORAL_PORT if set. */
export const defaultTemporalPort = 7233;
export const localTemporalPort = Number(process.env.NETLAB_TEMPORAL_PORT ?? defaultTemporalPort);
export const localTemporalAddress = `127.0.0.1:${localTemporalPort}`;
