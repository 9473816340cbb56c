// Durations as people read them, in one way everywhere (reports, progress, trend, bench). Pure:
// workflow code imports lab/.

/** Milliseconds as seconds: `24.8 s` (`digits` decimals, one unless more is asked for). */
export const formatSeconds = (ms: number, digits = 1): string => `${(ms / 1000).toFixed(digits)} s`;
