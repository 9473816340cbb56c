// Capacity maths of the Amazon VPC CNI: each pod takes a secondary IPv4 address of one of the
// node's ENIs (the first address of each ENI is the ENI's own), plus two host-network pods
// (aws-node and kube-proxy) that need none.

/** Max pods per node = MaxENI × (IPv4 per ENI − 1) + 2 (eni-max-pods.txt's formula). */
export function maxPodsPerNode(maxEnis: number, ipv4PerEni: number): number {
  return maxEnis * (ipv4PerEni - 1) + 2;
}
