// Route53's DNS serving, emulated: a DNS server on loopback that answers from the records moto
// holds, each only once it has existed for the propagation delay, and no longer once deleted.
// Load balancer hostnames resolve to loopback, where the load balancer front listens.
import { createSocket, type Socket } from 'node:dgram';
import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ListHostedZonesCommand, ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import dnsPacket, { type Answer } from 'dns-packet';
import { moto } from './aws.js';
import { recordTransition } from './transitions.js';

interface Record {
  name: string;
  type: 'A' | 'CNAME' | 'TXT';
  values: string[];
  /** An alias record answers with its target's addresses. */
  aliasTarget?: string;
}

const normalize = (name: string): string => name.toLowerCase().replace(/\.$/, '');

export class DnsEmulator {
  private records: Record[] = [];
  private loadBalancers = new Set<string>();
  /** When each record (by name, type and value) was first seen in Route53. */
  private readonly firstSeen = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private socket?: Socket;

  constructor(
    private readonly propagationMs: () => number,
    private readonly log: (line: string) => void,
  ) {}

  private key(r: Record): string {
    return `${r.name}|${r.type}|${r.aliasTarget ?? r.values.join(',')}`;
  }

  /** Reads every zone's records from moto; records that vanished are forgotten. */
  async refresh(): Promise<void> {
    const records: Record[] = [];
    const zones = await moto.route53.send(new ListHostedZonesCommand({}));
    for (const zone of zones.HostedZones ?? []) {
      let start: { name?: string; type?: string } = {};
      for (;;) {
        const page = await moto.route53.send(
          new ListResourceRecordSetsCommand({
            HostedZoneId: zone.Id,
            StartRecordName: start.name,
            StartRecordType: start.type as never,
          }),
        );
        for (const rr of page.ResourceRecordSets ?? []) {
          if (rr.Type !== 'A' && rr.Type !== 'CNAME' && rr.Type !== 'TXT') continue;
          records.push({
            name: normalize(rr.Name!),
            type: rr.Type,
            values: (rr.ResourceRecords ?? []).map((v) => v.Value!),
            aliasTarget: rr.AliasTarget?.DNSName ? normalize(rr.AliasTarget.DNSName) : undefined,
          });
        }
        if (!page.IsTruncated) break;
        start = { name: page.NextRecordName, type: page.NextRecordType };
      }
    }
    const lbs = await moto.elbv2.send(new DescribeLoadBalancersCommand({}));
    this.loadBalancers = new Set((lbs.LoadBalancers ?? []).map((lb) => normalize(lb.DNSName!)));
    const now = Date.now();
    const live = new Set(records.map((r) => this.key(r)));
    for (const k of this.firstSeen.keys()) if (!live.has(k)) this.firstSeen.delete(k);
    for (const r of records) {
      if (this.firstSeen.has(this.key(r))) continue;
      this.firstSeen.set(this.key(r), now);
      if (r.type !== 'TXT') recordTransition('dns', `${r.name} ${r.type}`, 'visible', now + this.propagationMs());
    }
    this.records = records;
  }

  /** The answers for a question, following CNAMEs and aliases, honouring the propagation delay. */
  answer(name: string, type: string, depth = 0): Answer[] {
    const q = normalize(name);
    if (depth > 5) return [];
    if (this.loadBalancers.has(q) && (type === 'A' || type === 'ANY')) {
      return [{ type: 'A', name: q, ttl: 60, data: '127.0.0.1' }];
    }
    const now = Date.now();
    const visible = this.records.filter(
      (r) => r.name === q && now - (this.firstSeen.get(this.key(r)) ?? now) >= this.propagationMs(),
    );
    const out: Answer[] = [];
    for (const r of visible) {
      if (r.aliasTarget && (type === 'A' || type === 'ANY')) {
        out.push(...this.answer(r.aliasTarget, 'A', depth + 1).map((a) => ({ ...a, name: q }) as Answer));
      } else if (r.type === 'CNAME') {
        out.push({ type: 'CNAME', name: q, ttl: 60, data: normalize(r.values[0]!) });
        out.push(...this.answer(r.values[0]!, type, depth + 1));
      } else if (r.type === type || type === 'ANY') {
        for (const v of r.values) {
          out.push(
            r.type === 'TXT'
              ? { type: 'TXT', name: q, ttl: 60, data: v.replace(/^"|"$/g, '') }
              : ({ type: r.type, name: q, ttl: 60, data: v } as Answer),
          );
        }
      }
    }
    return out;
  }

  async start(port: number, host: string): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      this.refresh().catch((err: Error) => this.log(`dns refresh: ${err.message}`));
    }, 500);
    const socket = createSocket('udp4');
    socket.on('message', (msg, rinfo) => {
      let query;
      try {
        query = dnsPacket.decode(msg);
      } catch {
        return;
      }
      const question = query.questions?.[0];
      const answers = question ? this.answer(question.name, question.type) : [];
      const response = dnsPacket.encode({
        id: query.id,
        type: 'response',
        flags: dnsPacket.AUTHORITATIVE_ANSWER | (answers.length === 0 ? 3 : 0), // rcode 3: NXDOMAIN
        questions: query.questions,
        answers,
      });
      socket.send(response, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolvePromise) => socket.bind(port, host, resolvePromise));
    this.socket = socket;
  }

  stop(): void {
    clearInterval(this.timer);
    this.socket?.close();
  }
}
