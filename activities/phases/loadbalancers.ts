// LAB.md phases 6 and 7: a Service behind an NLB and the 2048 game behind an ALB Ingress, both
// with ip targets made by the AWS Load Balancer Controller. Each scale step checks that the
// targets are exactly the ready pods' IPs; requests through the NLB show how they spread.
import type { LoadBalancer } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  ApiException,
  CoreV1Api,
  KubernetesObjectApi,
  NetworkingV1Api,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { IngressResult, LoadBalancerCheck, NlbResult } from '../../lab/report.js';
import { dnsPolling, resolveA } from '../dns.js';
import { loadBalancerByHostname, targetIps } from '../elbv2.js';
import { classifying, classify } from '../errors.js';
import { applyObjects, deleteObjects } from '../kube-apply.js';
import {
  deploymentObject,
  isRunningReady,
  labLabels,
  labNamespace,
  namespaceObject,
  podsOf,
  scaleDeployment,
} from '../kube.js';
import { kubeChanges } from '../kube-watch.js';
import { awsPolling, waitFor } from '../poll.js';
import { firstSuccess, spreadOverPods } from '../probes.js';
import type { Target } from '../target.js';

const echo = { app: 'deploy-echo', image: 'registry.k8s.io/echoserver:1.10', port: 8080, service: 'svc-nlb-ip-type' };
const game = {
  app: 'deploy-2048',
  image: 'public.ecr.aws/l6m2t8p7/docker-2048:latest',
  port: 80,
  service: 'service-2048',
  ingress: 'ingress-2048',
};

/** The Service of LAB.md §7-1: an internet-facing NLB with ip targets, tagged with the lab id. */
export function nlbService(
  labId: string,
  name: string,
  app: string,
  targetPort: number,
  extraAnnotations: Record<string, string> = {},
): KubernetesObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace: labNamespace,
      labels: labLabels(labId, app),
      annotations: {
        'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
        'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internet-facing',
        'service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled': 'true',
        'service.beta.kubernetes.io/aws-load-balancer-additional-resource-tags': `netlab.io/lab-id=${labId}`,
        ...extraAnnotations,
      },
    },
    spec: {
      type: 'LoadBalancer',
      loadBalancerClass: 'service.k8s.aws/nlb',
      selector: { app },
      ports: [{ port: 80, targetPort, protocol: 'TCP' }],
    },
  } as KubernetesObject;
}

function ingressObjects(labId: string, replicas: number): KubernetesObject[] {
  return [
    namespaceObject(labId),
    deploymentObject(labId, game.app, game.image, replicas, game.port),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: game.service, namespace: labNamespace, labels: labLabels(labId, game.app) },
      spec: { type: 'ClusterIP', selector: { app: game.app }, ports: [{ port: 80, targetPort: game.port }] },
    } as KubernetesObject,
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {
        name: game.ingress,
        namespace: labNamespace,
        labels: labLabels(labId, game.app),
        annotations: {
          'alb.ingress.kubernetes.io/scheme': 'internet-facing',
          'alb.ingress.kubernetes.io/target-type': 'ip',
          'alb.ingress.kubernetes.io/tags': `netlab.io/lab-id=${labId}`,
        },
      },
      spec: {
        ingressClassName: 'alb',
        rules: [
          {
            http: {
              paths: [
                { path: '/', pathType: 'Prefix', backend: { service: { name: game.service, port: { number: 80 } } } },
              ],
            },
          },
        ],
      },
    } as KubernetesObject,
  ];
}

function nlbObjects(labId: string, replicas: number): KubernetesObject[] {
  return [
    namespaceObject(labId),
    deploymentObject(labId, echo.app, echo.image, replicas, echo.port),
    nlbService(labId, echo.service, echo.app, echo.port),
  ];
}

// Where the lab's load-balanced objects live, for watches.
const servicesPath = `/api/v1/namespaces/${labNamespace}/services`;
const ingressesPath = `/apis/networking.k8s.io/v1/namespaces/${labNamespace}/ingresses`;

/**
 * The load balancer the controller made for an object: the object shows its address first, then
 * ELBv2 is asked for the load balancer at that address.
 */
async function loadBalancerOf(
  target: Target,
  kc: KubeConfig,
  what: string,
  kind: 'NLB' | 'ALB',
  readHostname: () => Promise<string | undefined>,
): Promise<{ hostname: string; lb: LoadBalancer }> {
  const hostname = await waitFor(`${what} to get a load balancer address`, readHostname, {
    timeoutMs: 15 * 60_000,
    intervalMs: 2000,
    // The controller writes the address into the Service's (NLB) or Ingress's (ALB) status.
    changes: kubeChanges(kc, kind === 'NLB' ? servicesPath : ingressesPath),
  });
  const lb = await waitFor(`the ${kind} in ELBv2`, () => loadBalancerByHostname(target, hostname), {
    timeoutMs: 5 * 60_000,
    intervalMs: awsPolling,
  });
  return { hostname, lb };
}

/** Scales and waits until the load balancer's targets are exactly the ready pods' IPs. */
async function scaleAndCheck(
  target: Target,
  kc: KubeConfig,
  app: string,
  lbArn: string,
  replicas: number,
  step: string,
): Promise<LoadBalancerCheck> {
  await scaleDeployment(kc, app, replicas);
  let last: LoadBalancerCheck = { step, replicas, podIps: [], targetIps: [], targetsMatch: false };
  return waitFor(
    `targets to follow ${app} at ${replicas} replicas`,
    async () => {
      const pods = (await podsOf(kc, app))
        .filter(isRunningReady)
        .map((p) => p.status!.podIP!)
        .sort();
      const targets = await targetIps(target, lbArn);
      last = {
        step,
        replicas,
        podIps: pods,
        targetIps: targets,
        targetsMatch: pods.length === replicas && pods.join() === targets.join(),
      };
      return last.targetsMatch ? last : undefined;
    },
    {
      // The targets follow the pods once the controller has seen them: a pod change checks at once,
      // the targets (DescribeTargetHealth) are polled as AWS allows.
      timeoutMs: 10 * 60_000,
      intervalMs: awsPolling,
      describe: () => `pods ${last.podIps.length}/${replicas}, targets ${last.targetIps.length}`,
      changes: kubeChanges(kc, `/api/v1/namespaces/${labNamespace}/pods`, `app=${app}`),
    },
  );
}

async function waitForResolvable(target: Target, hostname: string): Promise<void> {
  await waitFor(
    `${hostname} to resolve`,
    async () => ((await resolveA(target, hostname)).length > 0 ? true : undefined),
    {
      timeoutMs: 15 * 60_000,
      intervalMs: dnsPolling,
    },
  );
}

export async function nlbTest(target: Target, kc: KubeConfig, labId: string, requests = 100): Promise<NlbResult> {
  const core = kc.makeApiClient(CoreV1Api);
  await applyObjects(kc, nlbObjects(labId, 2));
  const { hostname, lb } = await loadBalancerOf(target, kc, `service ${echo.service}`, 'NLB', async () => {
    const svc = await classifying('read service', () =>
      core.readNamespacedService({ name: echo.service, namespace: labNamespace }),
    );
    return svc.status?.loadBalancer?.ingress?.[0]?.hostname;
  });
  const checks = [await scaleAndCheck(target, kc, echo.app, lb.LoadBalancerArn!, 2, 'initial 2 replicas')];
  await waitForResolvable(target, hostname);
  await firstSuccess(target, hostname);
  const perPod = await spreadOverPods(target, hostname, requests);
  checks.push(await scaleAndCheck(target, kc, echo.app, lb.LoadBalancerArn!, 1, 'scale 2 → 1'));
  checks.push(await scaleAndCheck(target, kc, echo.app, lb.LoadBalancerArn!, 3, 'scale 1 → 3'));
  await deleteNlbTest(target, kc, labId);
  return { hostname, loadBalancerArn: lb.LoadBalancerArn!, scheme: lb.Scheme ?? '', requests, perPod, checks };
}

export async function ingressTest(target: Target, kc: KubeConfig, labId: string): Promise<IngressResult> {
  const net = kc.makeApiClient(NetworkingV1Api);
  await applyObjects(kc, ingressObjects(labId, 3));
  const { hostname: address, lb } = await loadBalancerOf(target, kc, `ingress ${game.ingress}`, 'ALB', async () => {
    const ing = await classifying('read ingress', () =>
      net.readNamespacedIngress({ name: game.ingress, namespace: labNamespace }),
    );
    return ing.status?.loadBalancer?.ingress?.[0]?.hostname;
  });
  const checks = [await scaleAndCheck(target, kc, game.app, lb.LoadBalancerArn!, 3, 'initial 3 replicas')];
  await waitForResolvable(target, address);
  const answer = await firstSuccess(target, address);
  checks.push(await scaleAndCheck(target, kc, game.app, lb.LoadBalancerArn!, 1, 'scale 3 → 1'));
  await deleteIngressTest(target, kc, labId);
  return { address, httpStatus: answer.status, checks };
}

/**
 * Deletes the objects and waits until the load-balanced one (the Service or Ingress) is gone from
 * the API server. Its finalizer goes only after the controller has deleted the load balancer,
 * target groups and security groups, so whether it ever had a hostname does not matter: a
 * controller uninstalled before then would leave them all behind.
 */
async function deleteAndWaitUntilGone(
  kc: KubeConfig,
  objects: KubernetesObject[],
  balanced: KubernetesObject,
): Promise<void> {
  await deleteObjects(
    kc,
    objects.filter((o) => o.kind !== 'Namespace'),
  );
  const client = KubernetesObjectApi.makeApiClient(kc);
  const what = `${balanced.kind} ${balanced.metadata?.namespace}/${balanced.metadata?.name}`;
  await waitFor(
    `${what} deleted by the load balancer controller`,
    async () => {
      try {
        await client.read(balanced as KubernetesObject & { metadata: { name: string } });
        return undefined;
      } catch (err) {
        if (err instanceof ApiException && err.code === 404) return true;
        classify(err, `read ${what}`);
      }
    },
    {
      timeoutMs: 20 * 60_000,
      intervalMs: 2000,
      changes: kubeChanges(kc, balanced.kind === 'Ingress' ? ingressesPath : servicesPath),
    },
  );
}

const loadBalanced = (objects: KubernetesObject[]): KubernetesObject =>
  objects.find(
    (o) =>
      o.kind === 'Ingress' ||
      (o.kind === 'Service' && (o as { spec?: { type?: string } }).spec?.type === 'LoadBalancer'),
  )!;

export async function deleteNlbTest(_target: Target, kc: KubeConfig, labId: string): Promise<void> {
  const objects = nlbObjects(labId, 0);
  await deleteAndWaitUntilGone(kc, objects, loadBalanced(objects));
}

export async function deleteIngressTest(_target: Target, kc: KubeConfig, labId: string): Promise<void> {
  const objects = ingressObjects(labId, 0);
  await deleteAndWaitUntilGone(kc, objects, loadBalanced(objects));
}
