import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { renderHtml } from '../../lab/report/html.js';
import type { LabReport } from '../../lab/report.js';

const fixture = (): LabReport =>
  JSON.parse(readFileSync(new URL('../fixtures/report.json', import.meta.url), 'utf8')) as LabReport;

const charts = ['timeline', 'density', 'nlb-spread', 'iperf3', 'dns', 'eni-map'];

/** The markup of one chart's <svg>. */
function chart(page: string, name: string): string {
  const start = page.indexOf(`<svg data-chart="${name}"`);
  assert.notEqual(start, -1, `chart ${name} is missing`);
  return page.slice(start, page.indexOf('</svg>', start) + '</svg>'.length);
}
const count = (s: string, needle: string): number => s.split(needle).length - 1;

test('every chart is there, titled, with one bar or marker per item', () => {
  const r = fixture();
  const page = renderHtml(r);
  for (const name of charts) assert.match(chart(page, name), /^<svg [^>]*><title>[^<]+<\/title>/, name);
  assert.equal(count(chart(page, 'timeline'), 'class="bar"'), r.phases.length);
  assert.equal(count(chart(page, 'iperf3'), 'class="bar"'), r.iperf3!.tests.length);
  assert.equal(count(chart(page, 'nlb-spread'), 'class="bar"'), Object.keys(r.nlb!.perPod).length);
  assert.equal(count(chart(page, 'density'), 'class="bar"'), r.nodes!.length);
  assert.equal(count(chart(page, 'density'), 'class="allocatable"'), r.nodes!.length);
  assert.equal(count(chart(page, 'dns'), 'class="marker"'), 3);
  assert.equal(count(chart(page, 'eni-map'), 'class="node"'), r.nodes!.length);
  assert.equal(count(chart(page, 'eni-map'), 'class="eni"'), r.networking!.enis.length);
  assert.equal(count(chart(page, 'eni-map'), 'class="pod"'), r.networking!.pods.length);
});

test('the figures are printed, not only drawn', () => {
  const page = renderHtml(fixture());
  for (const figure of [
    'lab-tmwysccad',
    'ap-northeast-2',
    'expected free capacity',
    '<b>43</b>',
    '7 × Too many pods',
    '15 running / 17 allocatable',
    '53 (53%)',
    'scale 1 → 3',
    'tetris.netlab.example.com',
    'Leak check: nothing tagged with the lab id is left.',
    'vpc-cni',
    'v1.20.4-eksbuild.1',
  ])
    assert.ok(page.includes(figure), figure);
  const iperf3 = chart(page, 'iperf3');
  const throughput = ['4.87 Gbit/s', '1.34 Gbit/s', '9.61 Gbit/s', '4.96 Gbit/s'];
  for (const gbps of throughput) assert.ok(iperf3.includes(gbps), gbps);
  for (const cell of ['1311', '0.021', '38.52']) assert.ok(page.includes(`<td class="num">${cell}</td>`), cell);
  const dns = chart(page, 'dns');
  const markers = ['record in Route53 38.2 s', 'resolves 61.6 s', 'removed after 44.8 s'];
  for (const s of markers) assert.ok(dns.includes(s), s);
  const timeline = chart(page, 'timeline');
  assert.ok(timeline.includes('>24.8 s<'), 'deploy duration');
  // coredns holds a secondary IP of eth1, aws-node the node's own IP in the host-network group.
  const eniMap = chart(page, 'eni-map');
  assert.match(eniMap, /eth1 · eni-2a7d91c3e5f8b4062.*?coredns-655667c76c-xl62w.*?192\.168\.3\.55/);
  assert.match(eniMap, /class="host".*?aws-node-456kx.*?192\.168\.3\.4/);
  assert.doesNotMatch(page, /undefined|NaN/);
});

test('the page loads nothing: no scripts, stylesheets, fonts or remote URLs', () => {
  const page = renderHtml(fixture());
  assert.doesNotMatch(page, /https?:\/\//);
  assert.doesNotMatch(page, /<script|<link|<img|<iframe|\ssrc=|url\(|@import|@font-face/i);
  assert.match(page, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'/);
});

test('report strings stay text', () => {
  const r = fixture();
  const evil = `<script>alert("x")</script> & 'quoted'`;
  r.phases[1] = { ...r.phases[1]!, status: 'failed', error: evil };
  r.error = evil;
  r.nlb!.perPod = { '<img src=x onerror=alert(1)>': 100 };
  const page = renderHtml(r);
  assert.ok(page.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quoted&#39;'));
  assert.ok(chart(page, 'nlb-spread').includes('&lt;img src=x onerror=alert(1)&gt;'));
  assert.doesNotMatch(page, /<script|<img/);
});

test('sections without data are left out', () => {
  const r: LabReport = {
    labId: 'lab-early',
    target: 'aws',
    region: 'ap-northeast-2',
    startedAt: '2026-11-27T09:00:00.000Z',
    outcome: 'running',
    phases: [
      {
        phase: 'validate',
        status: 'passed',
        startedAt: '2026-11-27T09:00:00.000Z',
        endedAt: '2026-11-27T09:00:02.000Z',
        durationMs: 2000,
      },
      { phase: 'deploy', status: 'running', startedAt: '2026-11-27T09:00:02.000Z' },
      { phase: 'nodes', status: 'pending' },
    ],
  };
  const page = renderHtml(r);
  assert.deepEqual(
    [...page.matchAll(/data-chart="([^"]+)"/g)].map((m) => m[1]),
    ['timeline'],
  );
  assert.equal(count(chart(page, 'timeline'), 'class="bar"'), 2);
  for (const id of ['cluster', 'networking', 'density', 'nlb', 'ingress', 'dns', 'iperf3', 'cleanup'])
    assert.ok(!page.includes(`<section id="${id}"`), id);
  assert.doesNotMatch(page, /undefined|NaN|Infinity/);
});

test('leftovers are listed', () => {
  const r = fixture();
  r.outcome = 'teardown-incomplete';
  r.leftovers = [
    { kind: 'load balancer', id: 'k8s-netlab-svc-nlb-09435c1f' },
    { kind: 'security group', id: 'sg-0a1b2c3d4e5f60718' },
  ];
  const page = renderHtml(r);
  assert.ok(page.includes('2 resources tagged with the lab id are left'));
  assert.ok(page.includes('<td>sg-0a1b2c3d4e5f60718</td>'));
  assert.ok(page.includes('>teardown-incomplete</span>'));
});

test('phases that ran at once draw overlapping bars, one row each, in the write-up order', () => {
  const r = fixture();
  const at = (s: number): string => new Date(Date.parse(r.startedAt) + s * 1000).toISOString();
  // The phase graph's shape: the controller beside deploy and the node wait, two tests together.
  const spans: Partial<Record<string, [number, number]>> = {
    deploy: [3, 20],
    nodes: [20, 24],
    lbController: [12, 30],
    nlb: [40, 50],
    ingress: [40, 46],
  };
  r.phases = r.phases.map((p) => {
    const span = spans[p.phase];
    return span ? { ...p, startedAt: at(span[0]), endedAt: at(span[1]), durationMs: (span[1] - span[0]) * 1000 } : p;
  });
  const bars = new Map(
    [...chart(renderHtml(r), 'timeline').matchAll(/<rect [^>]*data-phase="(\w+)"[^>]*>/g)].map(([tag, phase]) => {
      const attr = (name: string): number => Number(new RegExp(` ${name}="([\\d.]+)"`).exec(tag)![1]);
      return [phase!, { x0: attr('x'), x1: attr('x') + attr('width'), y: attr('y') }];
    }),
  );
  assert.deepEqual(
    [...bars.keys()],
    r.phases.map((p) => p.phase),
  );
  const overlap = (a: string, b: string): boolean =>
    bars.get(a)!.x0 < bars.get(b)!.x1 && bars.get(b)!.x0 < bars.get(a)!.x1;
  assert.ok(overlap('deploy', 'lbController'), 'the controller overlaps deploy');
  assert.ok(overlap('nodes', 'lbController'), 'the controller overlaps the node wait');
  assert.ok(overlap('nlb', 'ingress'), 'the tests overlap each other');
  assert.ok(!overlap('deploy', 'nodes'), 'the node wait follows deploy');
  const rows = [...bars.values()].map((b) => b.y);
  assert.deepEqual(
    rows,
    [...rows].sort((a, b) => a - b),
    'one row per phase, top to bottom',
  );
  assert.equal(new Set(rows).size, rows.length);
});
