// The workflow code a worker runs: the bundle `npm run build` made (the production start: no
// webpack at every start), or the sources, bundled at start. A bundle built from other sources
// than the ones here (an edit, a pull, another SDK version) would run old code, so it is then
// set aside for the sources, and the worker says so.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { bundleWorkflowCode, type WorkerOptions } from '@temporalio/worker';
import { projectRoot } from '../lab/local.js';

export const workflowsPath = join(projectRoot, 'workflows', 'index.ts');
/** Where `npm run build` puts the bundle (gitignored). */
export const defaultBundleDir = join(projectRoot, 'build');
/**
 * What the bundle is made of: the workflows, the lab domain they import (all of it: a change to a
 * module the workflows do not import only costs a bundling at start), and the locked SDK version.
 */
const sources = ['workflows', 'lab', 'package-lock.json'];

interface BundleManifest {
  sourcesHash: string;
  builtAt: string;
}

const bundleFiles = (dir: string) => ({
  code: join(dir, 'workflow-bundle.js'),
  manifest: join(dir, 'workflow-bundle.json'),
});

function filesUnder(path: string): string[] {
  const entries = readdirSync(path, { withFileTypes: true });
  return entries.flatMap((e) => (e.isDirectory() ? filesUnder(join(path, e.name)) : [join(path, e.name)]));
}

/** A hash of every source file's path and content, so a bundle knows which sources it was built from. */
export function workflowSourcesHash(): string {
  const hash = createHash('sha256');
  const files = sources.flatMap((s) =>
    s.endsWith('.json') ? [join(projectRoot, s)] : filesUnder(join(projectRoot, s)),
  );
  for (const file of files.sort())
    hash.update(relative(projectRoot, file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex');
}

/** Bundles the workflow code into `dir`; the manifest is written last, so a worker never pairs it with other code. */
export async function buildWorkflowBundle(dir = defaultBundleDir): Promise<string> {
  // Hashed before bundling: a source edited during the build makes the bundle stale, not wrongly current.
  const manifest: BundleManifest = { sourcesHash: workflowSourcesHash(), builtAt: new Date().toISOString() };
  const { code } = await bundleWorkflowCode({ workflowsPath });
  const files = bundleFiles(dir);
  mkdirSync(dir, { recursive: true });
  // Written aside and renamed: a worker starting meanwhile reads the old bundle or the new one, whole.
  writeFileSync(`${files.code}.tmp`, code);
  renameSync(`${files.code}.tmp`, files.code);
  writeFileSync(`${files.manifest}.tmp`, JSON.stringify(manifest, null, 2) + '\n');
  renameSync(`${files.manifest}.tmp`, files.manifest);
  return files.code;
}

export interface WorkflowCode {
  options: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'>;
  /** Which code the worker runs, and why, for its start-up line. */
  description: string;
}

export function workflowCode(dir = defaultBundleDir): WorkflowCode {
  const files = bundleFiles(dir);
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(readFileSync(files.manifest, 'utf8')) as BundleManifest;
  } catch {
    return {
      options: { workflowsPath },
      description: `workflow sources, bundled now (no bundle in ${dir}: \`npm run build\` makes one)`,
    };
  }
  if (manifest.sourcesHash !== workflowSourcesHash())
    return {
      options: { workflowsPath },
      description: `workflow sources, bundled now: the bundle in ${dir} (built ${manifest.builtAt}) is from other sources; \`npm run build\` refreshes it`,
    };
  return {
    options: { workflowBundle: { codePath: files.code } },
    description: `workflow bundle ${files.code} (built ${manifest.builtAt})`,
  };
}
