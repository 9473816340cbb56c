// The sandbox cloud process: the AWS gateway, the load balancer front and the DNS server, with
// the emulation of AWS's own machinery behind them. `npm run sandbox -- up` starts it.
import { dirname } from 'node:path';
import { GetPolicyCommand } from '@aws-sdk/client-iam';
import { endpoints, ports } from '../config.js';
import { toolPaths } from '../tools.js';
import { moto } from './aws.js';
import { CloudFormationEmulator } from './cloudformation.js';
import { DnsEmulator } from './dns.js';
import { Ec2Emulator } from './ec2.js';
import { EksEmulator } from './eks.js';
import { FaultInjector } from './faults.js';
import { IamEnforcement } from './iam-enforcement.js';
import { startGateway, type Cloud } from './gateway.js';
import { Iperf3Emulator } from './iperf3.js';
import { VpcCniIpam } from './ipam.js';
import { KubeReadiness } from './kube-readiness.js';
import { deleteKwokCluster, kwokClusters } from './kwok.js';
import { latencyProfiles } from './latency.js';
import { LoadBalancerEmulator } from './loadbalancers.js';
import { Pager } from './paging.js';
import { RegionGate } from './regions.js';
import { PodRunner } from './podrunner.js';
import { Throttler } from './throttling.js';
import { Route53Emulator } from './route53.js';
import { botocoreDataDir, loadServiceModels, RequestValidator } from './validation.js';

const log = (line: string): void => console.log(`${new Date().toISOString()} ${line}`);
const profileName = (process.env.NETLAB_PROFILE ?? 'fast') as keyof typeof latencyProfiles;
const profile = { current: latencyProfiles[profileName] ?? latencyProfiles.fast };

// Control planes left by an earlier run belong to clusters this process no longer knows.
for (const name of kwokClusters()) {
  log(`removing control plane ${name} left by an earlier run`);
  await deleteKwokCluster(name, log).catch((err: Error) => log(err.message));
}

// moto loads AWS's managed policies on its first IAM call, which takes seconds: now, while the
// cloud starts, rather than in a lab's first stack.
void moto.iam
  .send(new GetPolicyCommand({ PolicyArn: 'arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy' }))
  .catch((err: Error) => log(`AWS managed policies not loaded in moto: ${err.message}`));
const iam = new IamEnforcement((issuer) => eks.kubeConfigByIssuer(issuer), log);
const instanceRoleCredentials = iam.instanceRoleCredentials.bind(iam);
const loadBalancers = new LoadBalancerEmulator(() => profile.current, instanceRoleCredentials, log);
const pods = new PodRunner(instanceRoleCredentials, log);
const iperf3 = new Iperf3Emulator(log);
const ipam = new VpcCniIpam(instanceRoleCredentials, log);
const readiness = new KubeReadiness(log);
const eks = new EksEmulator(
  () => profile.current,
  {
    running: (name, kc, vpc) => {
      loadBalancers.watch(name, kc, vpc);
      ipam.watch(name, kc);
      pods.watch(name, kc);
      iperf3.watch(name, kc);
      readiness.watch(name, kc);
    },
    stopping: (name) => {
      void loadBalancers.unwatch(name);
      void ipam.unwatch(name);
      void pods.unwatch(name);
      void iperf3.unwatch(name);
      readiness.unwatch(name);
    },
  },
  log,
);
// AWS's service models ship with botocore, which moto's virtualenv holds.
const botocoreData = botocoreDataDir(dirname(dirname(toolPaths.motoServer)));
if (!botocoreData) throw new Error(`no botocore models in ${toolPaths.motoServer}'s virtualenv`);
const validator = new RequestValidator(loadServiceModels(botocoreData));
const dns = new DnsEmulator(() => profile.current.dnsPropagationMs, log);
const cloud: Cloud = {
  cloudformation: new CloudFormationEmulator(() => profile.current),
  eks,
  ec2: new Ec2Emulator(),
  loadBalancers,
  dns,
  route53: new Route53Emulator(undefined, log),
  regions: new RegionGate(),
  validator,
  faults: new FaultInjector(),
  iam,
  paging: new Pager(),
  throttling: new Throttler(),
  profile,
  log,
};

await dns.start(ports.dns, endpoints.host);
const front = loadBalancers.serveFront(ports.lbFront, endpoints.host);
const gateway = startGateway(cloud, ports.gateway, endpoints.host);
log(
  `gateway ${endpoints.gateway}, load balancers ${endpoints.lbFront}, dns ${endpoints.dns}, profile ${profile.current.name}`,
);

async function shutdown(): Promise<void> {
  log('stopping: removing every control plane');
  gateway.close();
  front.close();
  dns.stop();
  await loadBalancers.stopAll();
  await ipam.stopAll();
  await pods.stopAll();
  await iperf3.stopAll();
  readiness.stopAll();
  await eks.deleteAll();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
