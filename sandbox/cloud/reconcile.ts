// The loop every per-cluster watcher of the sandbox runs (load balancers, VPC CNI addresses, pod
// programs, iperf3 servers): a round on a timer, never two at once for one cluster, an error
// logged once until it changes or a round succeeds, and on unwatch no new round, the one under
// way finished, then what the rounds started released.

interface Loop<S> {
  state: S;
  timer: NodeJS.Timeout;
  inflight?: Promise<void>;
  lastError?: string;
}

/** The error as a line: its name too where it is a typed one (an AWS or Kubernetes error). */
const describe = (err: Error): string =>
  err.name && err.name !== 'Error' ? `${err.name}: ${err.message}` : err.message;

export abstract class ClusterWatcher<S> {
  private readonly loops = new Map<string, Loop<S>>();

  /** `what` names the rounds' work in error lines: `<what> of <cluster>: <error>`. */
  constructor(
    private readonly what: string,
    private readonly intervalMs: number,
    protected readonly log: (line: string) => void,
  ) {}

  /** One reconcile round for the cluster, with the state its watch holds. */
  protected abstract reconcile(cluster: string, state: S): Promise<void>;

  /** After the cluster's last round: stops what its rounds started. */
  protected release?(cluster: string, state: S): Promise<void> | void;

  /** Reconciles the cluster with `state` from now on; the first round waits for an earlier watch's release. */
  protected watchWith(cluster: string, state: S): void {
    const previous = this.unwatch(cluster);
    const loop: Loop<S> = { state, timer: setInterval(() => this.tick(cluster, loop), this.intervalMs) };
    loop.inflight = previous.finally(() => (loop.inflight = undefined));
    this.loops.set(cluster, loop);
  }

  /** Ends the cluster's rounds; resolves once the round under way has finished and the release is done. */
  async unwatch(cluster: string): Promise<void> {
    const loop = this.loops.get(cluster);
    if (!loop) return;
    this.loops.delete(cluster);
    clearInterval(loop.timer);
    await loop.inflight;
    await this.release?.(cluster, loop.state);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.loops.keys()].map((cluster) => this.unwatch(cluster)));
  }

  /** Whether `state` is still the cluster's watch: a round that outlives it must start nothing new. */
  protected isWatched(cluster: string, state: S): boolean {
    return this.loops.get(cluster)?.state === state;
  }

  private tick(cluster: string, loop: Loop<S>): void {
    if (loop.inflight) return;
    loop.inflight = this.reconcile(cluster, loop.state)
      .then(() => {
        loop.lastError = undefined;
      })
      .catch((err: Error) => {
        const line = describe(err);
        if (line !== loop.lastError) this.log(`${this.what} of ${cluster}: ${line}`);
        loop.lastError = line;
      })
      .finally(() => (loop.inflight = undefined));
  }
}
