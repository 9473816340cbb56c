// What the lab reads from `iperf3 -J`, on reports iperf3 3.12 printed over loopback
// (test/fixtures/iperf3/): the receiver's rate, the sender's retransmits, both directions of a
// bidirectional test, UDP's jitter and loss as the receiver saw them, and iperf3's own error.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseReport, summarize } from '../../activities/iperf3.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/iperf3/${name}.json`, import.meta.url), 'utf8');
const read = (name: string, protocol: 'tcp' | 'udp', out = fixture(name)) =>
  summarize(name, protocol, parseReport(name, out));

test("a TCP test reports the receiver's rate in Gbit/s and the sender's retransmits", () => {
  // sum_received 3192762487 bit/s (the sender claims 3223585974), sum_sent retransmits 15.
  assert.deepEqual(read('tcp', 'tcp'), { name: 'tcp', protocol: 'tcp', gbps: 3.193, retransmits: 15 });
  // Two streams: the sums over both, as iperf3 adds them.
  assert.deepEqual(read('parallel', 'tcp'), { name: 'parallel', protocol: 'tcp', gbps: 2.876, retransmits: 48 });
});

test('a bidirectional test counts both directions', () => {
  // 1371668293 + 2135309318 bit/s received, 17 + 15 retransmits.
  assert.deepEqual(read('bidirectional', 'tcp'), {
    name: 'bidirectional',
    protocol: 'tcp',
    gbps: 3.507,
    retransmits: 32,
  });
});

test("a UDP test reports what arrived, with the receiver's jitter and loss", () => {
  // Sent at 999169031 bit/s, 608599775 bit/s arrived; 39.087…% lost, jitter 0.00983… ms.
  assert.deepEqual(read('udp', 'udp'), {
    name: 'udp',
    protocol: 'udp',
    gbps: 0.609,
    jitterMs: 0.01,
    lostPercent: 39.09,
  });
  // iperf3 before 3.11 prints only `sum`, which carries the receiver's jitter and loss.
  const old = JSON.parse(fixture('udp')) as { end: Record<string, unknown> };
  delete old.end.sum_sent;
  delete old.end.sum_received;
  assert.deepEqual(read('udp', 'udp', JSON.stringify(old)), {
    name: 'udp',
    protocol: 'udp',
    gbps: 0.999,
    jitterMs: 0.01,
    lostPercent: 39.09,
  });
});

test("iperf3's own error, a report without sums and output that is not JSON fail the test, saying why", () => {
  assert.throws(
    () => read('refused', 'tcp'),
    /iperf3 refused test failed: unable to connect to server: Connection refused/,
  );
  const noSums = JSON.parse(fixture('tcp')) as { end: Record<string, unknown> };
  delete noSums.end.sum_received;
  assert.throws(() => read('tcp', 'tcp', JSON.stringify(noSums)), /iperf3 tcp test reported no TCP summary/);
  assert.throws(() => read('udp', 'udp', JSON.stringify({ end: { streams: [] } })), /no UDP summary/);
  assert.throws(
    () => read('tcp', 'tcp', 'iperf3: error - unable to send control message: Bad file descriptor\n'),
    /iperf3 tcp test printed no JSON report: iperf3: error - unable to send control message/,
  );
});
