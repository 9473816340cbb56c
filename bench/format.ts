// How the bench prints its figures: quantile rows, memory in MiB, ratios against their targets.
import { quantiles } from '../lab/report.js';

export const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** `name  p50 … max …` for a set of values. */
export function row(name: string, values: number[], unit = 'ms'): string {
  const q = quantiles(values);
  return `${name.padEnd(16)} p50 ${String(q.p50).padStart(7)} ${unit}  max ${String(q.max).padStart(7)} ${unit}`;
}

/** A figure beside its target, and whether it met it. */
export const againstTarget = (
  figure: number,
  target: number,
  shown = figure.toFixed(2),
  targetShown = String(target),
): string => `${shown} (target ≤ ${targetShown}: ${figure <= target ? 'met' : 'missed'})`;
