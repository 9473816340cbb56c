// ELBv2's states as time passes, which moto skips: a load balancer is `provisioning` until the
// latency profile's provisioning time has passed (moto makes it `active` on the first describe); a
// registered target is `initial` until its first health checks pass; a deregistered target stays
// `draining` for its target group's deregistration delay (moto forgets it at once). The gateway
// passes every ELBv2 call through here. Registrations are noted as the call passes, before moto
// lists the target, so no describe can see a new target without its registration time.
import { DescribeTargetGroupAttributesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { moto } from './aws.js';
import type { GatewayResponse } from './http.js';
import type { LatencyProfile } from './latency.js';
import type { AwsCall } from './protocol.js';
import { recordTransition } from './transitions.js';

type Forward = (call: AwsCall) => Promise<GatewayResponse>;

/** The call's `Targets.member.N.Id` / `.Port`, in order. */
function requestTargets(params: URLSearchParams): { id: string; port: number }[] {
  const out: { id: string; port: number }[] = [];
  for (let n = 1; params.has(`Targets.member.${n}.Id`); n++)
    out.push({ id: params.get(`Targets.member.${n}.Id`)!, port: Number(params.get(`Targets.member.${n}.Port`) ?? 0) });
  return out;
}

/** How long a deregistered target of the group drains (its `deregistration_delay.timeout_seconds`). */
async function deregistrationDelaySeconds(targetGroupArn: string): Promise<number> {
  const { Attributes = [] } = await moto.elbv2.send(
    new DescribeTargetGroupAttributesCommand({ TargetGroupArn: targetGroupArn }),
  );
  return Number(Attributes.find((a) => a.Key === 'deregistration_delay.timeout_seconds')?.Value ?? 300);
}

interface Draining {
  id: string;
  port: number;
  until: number;
}

const initialState =
  '<State>initial</State><Reason>Elb.RegistrationInProgress</Reason><Description>Target registration is in progress</Description>';
const drainingState =
  '<State>draining</State><Reason>Target.DeregistrationInProgress</Reason><Description>Target deregistration is in progress</Description>';

export class ElbStates {
  /** `<target group ARN> <target id>` → when it was registered. */
  private readonly registeredAt = new Map<string, number>();
  /** Target group ARN → its targets still draining. */
  private readonly draining = new Map<string, Draining[]>();

  constructor(private readonly profile: () => LatencyProfile) {}

  /** A target registered again keeps its registration time: ELBv2 ignores a repeated registration. */
  private registered(targetGroupArn: string, ids: string[]): void {
    const now = Date.now();
    for (const id of ids) {
      const key = `${targetGroupArn} ${id}`;
      if (!this.registeredAt.has(key)) this.registeredAt.set(key, now);
    }
    const left = (this.draining.get(targetGroupArn) ?? []).filter((d) => !ids.includes(d.id));
    this.draining.set(targetGroupArn, left);
  }

  private deregistered(targetGroupArn: string, targets: { id: string; port: number }[], delaySeconds: number): void {
    const until = Date.now() + delaySeconds * 1000;
    for (const t of targets) this.registeredAt.delete(`${targetGroupArn} ${t.id}`);
    this.draining.set(targetGroupArn, [
      ...this.drainingIn(targetGroupArn).filter((d) => !targets.some((t) => t.id === d.id)),
      ...targets.map((t) => ({ ...t, until })),
    ]);
  }

  private targetGroupDeleted(targetGroupArn: string): void {
    this.draining.delete(targetGroupArn);
    for (const key of this.registeredAt.keys()) if (key.startsWith(`${targetGroupArn} `)) this.registeredAt.delete(key);
  }

  private drainingIn(targetGroupArn: string): Draining[] {
    const now = Date.now();
    return (this.draining.get(targetGroupArn) ?? []).filter((d) => d.until > now);
  }

  /** The group's registration times and draining targets, to put back when a call is refused. */
  private snapshot(targetGroupArn: string): { registeredAt: [string, number][]; draining?: Draining[] } {
    const prefix = `${targetGroupArn} `;
    return {
      registeredAt: [...this.registeredAt].filter(([key]) => key.startsWith(prefix)),
      draining: this.draining.get(targetGroupArn),
    };
  }

  private restore(targetGroupArn: string, before: ReturnType<ElbStates['snapshot']>): void {
    this.targetGroupDeleted(targetGroupArn);
    for (const [key, at] of before.registeredAt) this.registeredAt.set(key, at);
    if (before.draining) this.draining.set(targetGroupArn, before.draining);
  }

  async handle(call: AwsCall, forward: Forward): Promise<GatewayResponse> {
    const params = new URLSearchParams(call.body.toString() || call.query.toString());
    const arn = params.get('TargetGroupArn') ?? '';
    if (call.operation === 'RegisterTargets' || call.operation === 'DeregisterTargets') {
      const targets = requestTargets(params);
      const before = this.snapshot(arn);
      if (call.operation === 'RegisterTargets')
        this.registered(
          arn,
          targets.map((t) => t.id),
        );
      else this.deregistered(arn, targets, await deregistrationDelaySeconds(arn));
      const res = await forward(call);
      if (res.status !== 200)
        this.restore(arn, before); // refused: nothing changed
      else if (call.operation === 'RegisterTargets') this.recordHealthy(arn, before);
      return res;
    }
    const res = await forward(call);
    if (res.status !== 200) return res;
    if (call.operation === 'CreateLoadBalancer')
      recordTransition(
        'loadbalancer',
        params.get('Name') ?? '',
        'active',
        Date.now() + this.profile().loadBalancerProvisionMs,
      );
    if (call.operation === 'DeleteTargetGroup') this.targetGroupDeleted(arn);
    if (call.operation === 'DescribeLoadBalancers') return { ...res, body: this.provisioning(res.body.toString()) };
    if (call.operation === 'DescribeTargetHealth') {
      const askedFor = [...params.keys()].some((k) => k.startsWith('Targets.'));
      return { ...res, body: this.targetHealth(arn, res.body.toString(), askedFor) };
    }
    return res;
  }

  /** The targets this registration added (not those registered before) turn healthy after their initial checks. */
  private recordHealthy(targetGroupArn: string, before: ReturnType<ElbStates['snapshot']>): void {
    const known = new Set(before.registeredAt.map(([key]) => key));
    for (const [key, at] of this.registeredAt)
      if (key.startsWith(`${targetGroupArn} `) && !known.has(key))
        recordTransition('target', key, 'healthy', at + this.profile().targetInitialMs);
  }

  /** Each load balancer's section runs from its ARN to the next one's; its CreatedTime says its age. */
  private provisioning(xml: string): string {
    const parts = xml.split('<LoadBalancerArn>');
    return parts
      .map((part, i) => {
        if (i === 0) return part;
        const created = /<CreatedTime>([^<]+)<\/CreatedTime>/.exec(part)?.[1];
        const young = created && Date.now() - Date.parse(created) < this.profile().loadBalancerProvisionMs;
        return young ? part.replace('<Code>active</Code>', '<Code>provisioning</Code>') : part;
      })
      .join('<LoadBalancerArn>');
  }

  private targetHealth(arn: string, xml: string, askedFor: boolean): string {
    const draining = this.drainingIn(arn);
    const now = Date.now();
    let out = xml.replace(/<member>((?:(?!<\/member>)[\s\S])*)<\/member>/g, (member: string, inner: string) => {
      const id = /<Id>([^<]+)<\/Id>/.exec(inner)?.[1] ?? '';
      const state = /<State>[^<]*<\/State>(<Reason>[^<]*<\/Reason>)?(<Description>[^<]*<\/Description>)?/;
      if (draining.some((d) => d.id === id)) return member.replace(state, drainingState);
      const at = this.registeredAt.get(`${arn} ${id}`);
      if (at !== undefined && now - at < this.profile().targetInitialMs) return member.replace(state, initialState);
      return member;
    });
    // Asked for every target: the draining ones are listed too, as ELBv2 lists them until the delay
    // ends (moto forgets them once it has answered the deregistration).
    const listed = new Set([...xml.matchAll(/<Id>([^<]+)<\/Id>/g)].map((m) => m[1]));
    const forgotten = draining.filter((d) => !listed.has(d.id));
    if (!askedFor && forgotten.length) {
      const members = forgotten
        .map(
          (d) =>
            `<member><Target><Id>${d.id}</Id><Port>${d.port}</Port></Target><HealthCheckPort>traffic-port</HealthCheckPort><TargetHealth>${drainingState}</TargetHealth></member>`,
        )
        .join('');
      out = out.includes('<TargetHealthDescriptions/>')
        ? out.replace('<TargetHealthDescriptions/>', `<TargetHealthDescriptions>${members}</TargetHealthDescriptions>`)
        : out.replace('</TargetHealthDescriptions>', `${members}</TargetHealthDescriptions>`);
    }
    return out;
  }
}
