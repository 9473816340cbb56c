// The emulated load balancer controller's names, tags and flags follow v2.17.1, the version the lab
// pins; the stand-in chart carries that version.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { lbcChartVersion } from '../../activities/phases/lbcontroller.js';
import {
  controllerVersion,
  names,
  parseControllerArgs,
  resourceTags,
  type LbObject,
} from '../../sandbox/cloud/lbc-model.js';

const chart = readFileSync(
  new URL('../../sandbox/charts/aws-load-balancer-controller/Chart.yaml', import.meta.url),
  'utf8',
);
const service: LbObject = {
  kind: 'nlb',
  namespace: 'netlab',
  name: 'svc-nlb-ip-type',
  uid: '0b7c5c1e-1111-2222-3333-444455556666',
  scheme: 'internet-facing',
  listenerPort: 80,
  backendService: 'svc-nlb-ip-type',
  targetPort: 8080,
  annotationTags: { 'netlab.io/lab-id': 'lab-1' },
};

test('the stand-in chart is the pinned upstream chart version, and the lab installs that version', () => {
  assert.equal(/^version: (.+)$/m.exec(chart)?.[1], lbcChartVersion);
  assert.equal(/^appVersion: (.+)$/m.exec(chart)?.[1], controllerVersion.app);
  assert.equal(lbcChartVersion, controllerVersion.chart);
});

test('the controller reads its cluster, VPC and default tags from its flags, as the chart renders them', () => {
  assert.deepEqual(
    parseControllerArgs([
      '--cluster-name=netlab-a',
      '--ingress-class=alb',
      '--aws-vpc-id=vpc-1',
      '--default-tags=a=1,netlab.io/lab-id=lab-1',
    ]),
    { clusterName: 'netlab-a', vpcId: 'vpc-1', defaultTags: { a: '1', 'netlab.io/lab-id': 'lab-1' } },
  );
  assert.equal(parseControllerArgs(['--ingress-class=alb']), undefined);
});

test('names as the controller makes them: k8s-<ns 8>-<name 8>-<hash 10>, the backend group k8s-traffic-<cluster>-<hash 10>', () => {
  assert.match(names.loadBalancer('netlab-a', service), /^k8s-netlab-svcnlbip-[0-9a-f]{10}$/);
  assert.ok(names.loadBalancer('netlab-a', service).length <= 32);
  assert.match(names.targetGroup('netlab-a', service), /^k8s-netlab-svcnlbip-[0-9a-f]{10}$/);
  assert.notEqual(names.targetGroup('netlab-a', service), names.loadBalancer('netlab-a', service));
  assert.match(names.backendSecurityGroup('netlab-a'), /^k8s-traffic-netlaba-[0-9a-f]{10}$/);
});

test('every resource carries the default tags, the annotation tags, the cluster, the stack and its resource id', () => {
  const config = { clusterName: 'netlab-a', defaultTags: { team: 'net' } };
  assert.deepEqual(resourceTags(config, service, 'LoadBalancer'), {
    team: 'net',
    'netlab.io/lab-id': 'lab-1',
    'elbv2.k8s.aws/cluster': 'netlab-a',
    'service.k8s.aws/stack': 'netlab/svc-nlb-ip-type',
    'service.k8s.aws/resource': 'LoadBalancer',
  });
  assert.equal(
    resourceTags(config, { ...service, kind: 'alb' }, 'LoadBalancer')['ingress.k8s.aws/stack'],
    'netlab/svc-nlb-ip-type',
  );
});
