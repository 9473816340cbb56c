import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  DeleteHostedZoneCommand,
} from '@aws-sdk/client-route-53';
import { resolveA } from '../../activities/dns.js';
import { aws, eventually, gatewayAdmin, target, unique } from '../helpers/sandbox.js';

test('a Route53 record resolves through the loopback DNS server only after the propagation delay, and stops when deleted', async () => {
  const { dnsPropagationMs } = await gatewayAdmin<{ dnsPropagationMs: number }>('GET', 'profile');
  const domain = `${unique('dns')}.example.com`;
  const { HostedZone } = await aws.route53.send(new CreateHostedZoneCommand({ Name: domain, CallerReference: domain }));
  const name = `tetris.${domain}`;
  const change = (Action: 'UPSERT' | 'DELETE') =>
    aws.route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: HostedZone!.Id,
        ChangeBatch: {
          Changes: [
            {
              Action,
              ResourceRecordSet: { Name: name, Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.10' }] },
            },
          ],
        },
      }),
    );
  await change('UPSERT');
  const written = Date.now();
  assert.deepEqual(await resolveA(target, name), [], 'not answered before the delay');
  const addresses = await eventually('record resolves', async () => {
    const a = await resolveA(target, name);
    return a.length ? a : undefined;
  });
  const took = Date.now() - written;
  assert.deepEqual(addresses, ['192.0.2.10']);
  assert.ok(took >= dnsPropagationMs, `resolved after ${took} ms, before the ${dnsPropagationMs} ms delay`);

  await change('DELETE');
  await eventually(
    'record no longer resolves',
    async () => ((await resolveA(target, name)).length === 0 ? true : undefined),
    10_000,
  );
  await aws.route53.send(new DeleteHostedZoneCommand({ Id: HostedZone!.Id }));
});
