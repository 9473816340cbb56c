// The Kubernetes and add-on versions a lab would get, for `--plan` and the AWS prompt: asked of
// EKS where credentials allow (the sandbox always; AWS when the default credential chain works),
// otherwise the plan says they are resolved at validation.
import { resolveKubernetes } from '../activities/eks.js';
import type { ResolvedKubernetes } from '../lab/report.js';
import type { LabSpec, SpecProblem } from '../lab/spec.js';
import { awsTarget, sandboxTarget } from '../worker/config.js';

export async function lookUpKubernetes(
  spec: LabSpec,
): Promise<{ resolved?: ResolvedKubernetes; problem?: SpecProblem }> {
  const target = spec.target === 'sandbox' ? sandboxTarget(spec.region) : awsTarget(spec.region);
  try {
    return await resolveKubernetes(target, spec);
  } catch {
    return {}; // no credentials, or EKS unreachable: the plan says validation resolves them
  }
}
