// The first install of each sandbox tool on this machine, as the installer recorded it in the
// tool cache (sandbox/tools.ts): the last fresh install of each tool's current version.
import { formatSeconds } from '../lab/duration.js';
import { installTimeOf, tools, type InstallTime } from '../sandbox/tools.js';

export function firstInstalls(print: (line: string) => void): Record<string, InstallTime | undefined> {
  const times = Object.fromEntries(tools.map((t) => [`${t.name} ${t.version}`, installTimeOf(t)]));
  print('\nfirst install per tool (the last fresh install on this machine)');
  for (const [tool, time] of Object.entries(times))
    print(
      `  ${tool}: ${time ? `${formatSeconds(time.totalMs, 0)} (download ${formatSeconds(time.downloadMs, 0)}, build ${formatSeconds(time.buildMs, 0)}) on ${time.installedAt.slice(0, 10)}` : 'not measured on this machine'}`,
    );
  const measured = Object.values(times).filter((t) => t !== undefined);
  print(
    measured.length === tools.length
      ? `  total: ${formatSeconds(
          measured.reduce((sum, t) => sum + t.totalMs, 0),
          0,
        )} (one build after another, each tool's download beside the build before)`
      : `  total: not measured on this machine (${tools.length - measured.length} of ${tools.length} tools installed before times were recorded)`,
  );
  return times;
}
