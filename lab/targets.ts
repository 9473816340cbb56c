// The clouds a lab can run on. Each has its own task queue, so a lab only ever reaches workers
// configured for its target: a sandbox lab never lands on a worker holding AWS credentials.
export const labTargets = ['sandbox', 'aws'] as const;
export type LabTarget = (typeof labTargets)[number];

export const taskQueueFor = (target: LabTarget): string => `eks-netlab-${target}`;
