// The Go tools' wrapper module pins each tool's version, and config.ts names each cached binary
// by a version: if a bump changed one and not the other, the cache would keep the old build under
// the new name and never rebuild it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { projectRoot, versions } from '../../sandbox/config.js';

const goMod = readFileSync(join(projectRoot, 'sandbox', 'build', 'tools', 'go.mod'), 'utf8');

/** The version go.mod requires of a module, from a `require` line or a line of a require block. */
function required(module: string): string | undefined {
  const escaped = module.replace(/[.]/g, '\\.');
  return new RegExp(`^(?:require)?\\s*${escaped} (v\\S+)`, 'm').exec(goMod)?.[1];
}

/** The version go.mod's `replace` pins a Kubernetes staging module to. */
function replaced(module: string): string | undefined {
  const escaped = module.replace(/[.]/g, '\\.');
  return new RegExp(`^\\s*${escaped} => ${escaped} (v\\S+)`, 'm').exec(goMod)?.[1];
}

test('sandbox/build/tools/go.mod requires each Go tool at the version config.ts names its binary by', () => {
  assert.deepEqual(
    {
      kwok: required('sigs.k8s.io/kwok'),
      etcd: required('go.etcd.io/etcd/server/v3'),
      kubernetes: required('k8s.io/kubernetes'),
      helm: required('helm.sh/helm/v3'),
      externalDns: required('sigs.k8s.io/external-dns'),
    },
    {
      kwok: versions.kwok,
      etcd: versions.etcd,
      kubernetes: versions.kubernetes,
      helm: versions.helm,
      externalDns: versions.externalDns,
    },
  );
});

test("go.mod pins Kubernetes' staging modules to the control plane's release", () => {
  const staging = versions.kubernetes.replace(/^v1\./, 'v0.');
  for (const module of ['k8s.io/api', 'k8s.io/apimachinery', 'k8s.io/client-go', 'k8s.io/apiserver'])
    assert.equal(replaced(module), staging, module);
});
