// The sandbox watchers' shared loop (sandbox/cloud/reconcile.ts), without a sandbox: one round at
// a time, an error logged once until it changes or a round succeeds, unwatch after the round
// under way, and a new watch of a cluster only after the old one's release.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClusterWatcher } from '../../sandbox/cloud/reconcile.js';

const intervalMs = 5;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A watcher whose rounds and release are the test's. */
class Watcher<S> extends ClusterWatcher<S> {
  constructor(
    private readonly hooks: {
      log: (line: string) => void;
      round: (cluster: string, state: S) => Promise<void>;
      release?: (cluster: string, state: S) => Promise<void>;
    },
  ) {
    super('things', intervalMs, hooks.log);
  }

  watch(cluster: string, state: S): void {
    this.watchWith(cluster, state);
  }

  watching(cluster: string, state: S): boolean {
    return this.isWatched(cluster, state);
  }

  protected reconcile(cluster: string, state: S): Promise<void> {
    return this.hooks.round(cluster, state);
  }

  protected override async release(cluster: string, state: S): Promise<void> {
    await this.hooks.release?.(cluster, state);
  }
}

/** A promise to settle by hand. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let waited = 0; !ok(); waited += intervalMs) {
    if (waited > 5_000) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

test('a round slower than the interval is never overlapped by the next', { timeout: 10_000 }, async () => {
  let running = 0;
  let most = 0;
  let rounds = 0;
  const watcher = new Watcher<object>({
    log: () => undefined,
    round: async () => {
      most = Math.max(most, ++running);
      await sleep(intervalMs * 4);
      running--;
      rounds++;
    },
  });
  watcher.watch('c1', {});
  await until('three rounds', () => rounds >= 3);
  await watcher.stopAll();
  assert.equal(most, 1);
});

test(
  'an error is logged once while it repeats, again after a round succeeds, and a new one at once',
  { timeout: 10_000 },
  async () => {
    const errors = [
      new Error('connection refused'),
      new Error('connection refused'),
      new Error('connection refused'),
      undefined,
      new Error('connection refused'),
      Object.assign(new Error('no such group'), { name: 'InvalidGroup.NotFound' }),
    ];
    let round = 0;
    const logged: string[] = [];
    const watcher = new Watcher<object>({
      log: (line) => logged.push(line),
      round: async () => {
        const err = errors[round++];
        if (err) throw err;
      },
    });
    watcher.watch('c1', {});
    await until('every scripted round', () => round > errors.length);
    await watcher.unwatch('c1');
    assert.deepEqual(logged, [
      'things of c1: connection refused',
      'things of c1: connection refused',
      'things of c1: InvalidGroup.NotFound: no such group',
    ]);
  },
);

test(
  'unwatch resolves after the round under way and the release, and no round starts after it',
  { timeout: 10_000 },
  async () => {
    const events: string[] = [];
    const inRound = gate();
    const finishRound = gate();
    const watcher = new Watcher<{ name: string }>({
      log: (line) => events.push(line),
      round: async (cluster, state) => {
        events.push(`round ${cluster} ${state.name} (watched: ${watcher.watching(cluster, state)})`);
        inRound.open();
        await finishRound.promise;
        events.push(`round ${cluster} ${state.name} done (watched: ${watcher.watching(cluster, state)})`);
      },
      release: async (cluster, state) => {
        await sleep(intervalMs);
        events.push(`released ${cluster} ${state.name}`);
      },
    });
    watcher.watch('c1', { name: 'first' });
    await inRound.promise;
    const unwatched = watcher.unwatch('c1').then(() => events.push('unwatched'));
    await sleep(intervalMs * 4);
    finishRound.open();
    await unwatched;
    await sleep(intervalMs * 4);
    assert.deepEqual(events, [
      'round c1 first (watched: true)',
      'round c1 first done (watched: false)',
      'released c1 first',
      'unwatched',
    ]);
  },
);

test(
  "watching a cluster again starts its rounds only once the earlier watch's release is done",
  { timeout: 10_000 },
  async () => {
    const events: string[] = [];
    const releaseDone = gate();
    const watcher = new Watcher<{ name: string }>({
      log: (line) => events.push(line),
      round: async (_cluster, state) => void events.push(`round ${state.name}`),
      release: async (_cluster, state) => {
        events.push(`releasing ${state.name}`);
        if (state.name === 'first') await releaseDone.promise;
        events.push(`released ${state.name}`);
      },
    });
    watcher.watch('c1', { name: 'first' });
    await until('a first round', () => events.includes('round first'));
    watcher.watch('c1', { name: 'second' });
    await sleep(intervalMs * 4);
    assert.ok(!events.includes('round second'), events.join('\n'));
    releaseDone.open();
    await until('a round of the second watch', () => events.includes('round second'));
    await watcher.stopAll();
    const fromRelease = events.slice(events.indexOf('releasing first'));
    assert.deepEqual(fromRelease.slice(0, 3), ['releasing first', 'released first', 'round second']);
    assert.equal(fromRelease.at(-1), 'released second');
  },
);
