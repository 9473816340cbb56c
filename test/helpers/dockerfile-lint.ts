// The Dockerfile rules the worker image is held to, checked without Docker (none runs here, and no
// Dockerfile linter is among the project's packages): pinned base images, a non-root user, `npm ci`
// from the lockfile, and an exec-form command so signals reach the worker.

/** An image pinned to one release (repository:major.minor[.patch][-variant]), or to a digest. */
export const pinnedImage = /^[a-z0-9/._-]+(:\d+\.\d+(\.\d+)?(-[a-z0-9.-]+)?|@sha256:[0-9a-f]{64})$/;

export interface Instruction {
  keyword: string;
  args: string;
}

/** Instructions in order: comments dropped, continuation lines joined. */
export function parseDockerfile(text: string): Instruction[] {
  const logicalLines: string[] = [];
  let pending = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line) || (pending === '' && line.trim() === '')) continue;
    const continued = line.endsWith('\\');
    pending += (continued ? line.slice(0, -1) : line).trim() + ' ';
    if (!continued) {
      logicalLines.push(pending.trim());
      pending = '';
    }
  }
  return logicalLines.map((line) => {
    const [keyword = '', ...rest] = line.split(/\s+/);
    return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
  });
}

/** What breaks the rules, one line each; empty when the Dockerfile keeps them. */
export function lintDockerfile(text: string): string[] {
  const instructions = parseDockerfile(text);
  const problems: string[] = [];
  const stages: string[] = [];
  let finalStageUser: string | undefined;
  for (const { keyword, args } of instructions) {
    if (keyword === 'FROM') {
      const [image = '', as, stageName] = args.replace(/--platform=\S+\s+/, '').split(/\s+/);
      if (!stages.includes(image) && !pinnedImage.test(image))
        problems.push(`FROM ${image}: not pinned to a release or digest`);
      if (as?.toUpperCase() === 'AS' && stageName) stages.push(stageName);
      finalStageUser = undefined;
    }
    if (keyword === 'USER') finalStageUser = args;
    if (keyword === 'RUN' && /\bnpm (install|i)\b/.test(args))
      problems.push(`RUN ${args}: npm install instead of npm ci (the lockfile's versions)`);
    const copiedFrom = keyword === 'COPY' ? /--from=(\S+)/.exec(args)?.[1] : undefined;
    if (copiedFrom && !stages.includes(copiedFrom))
      problems.push(`COPY --from=${copiedFrom}: no earlier stage by that name`);
    if ((keyword === 'CMD' || keyword === 'ENTRYPOINT') && !args.startsWith('['))
      problems.push(`${keyword} ${args}: shell form (a shell as PID 1 does not pass signals on)`);
  }
  if (!instructions.some(({ keyword, args }) => keyword === 'RUN' && /\bnpm ci\b/.test(args)))
    problems.push('no RUN npm ci');
  if (finalStageUser === undefined || /^(root|0)(:|$)/.test(finalStageUser))
    problems.push(`the image runs as ${finalStageUser ?? 'root (no USER)'}`);
  return problems;
}
