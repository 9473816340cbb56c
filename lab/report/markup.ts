// Escaping by construction: every value put into markup through `h` or `el` is escaped unless it
// is itself Html, so report strings (errors, pod names) can never become markup. (The tag is not
// called `html` so that Prettier leaves the templates' whitespace alone.)

export class Html {
  constructor(readonly text: string) {}
}
export type Slot = Html | string | number | boolean | null | undefined | Slot[];

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => entities[c]!);
const flatten = (v: Slot): string =>
  v instanceof Html
    ? v.text
    : Array.isArray(v)
      ? v.map(flatten).join('')
      : typeof v === 'string' || typeof v === 'number'
        ? escape(String(v))
        : '';

export function h(strings: TemplateStringsArray, ...values: Slot[]): Html {
  return new Html(strings.reduce((out, s, i) => out + flatten(values[i - 1]) + s));
}

/** SVG coordinates with one decimal keep the markup short. */
export const px = (x: number): number => Math.round(x * 10) / 10;

/** An element; numeric attributes are rounded, empty ones left out. */
export function el(tag: string, attrs: Record<string, string | number | undefined>, ...children: Slot[]): Html {
  const list = Object.entries(attrs)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => ` ${k}="${escape(typeof v === 'number' ? String(px(v)) : v!)}"`)
    .join('');
  return new Html(children.length ? `<${tag}${list}>${flatten(children)}</${tag}>` : `<${tag}${list}/>`);
}
