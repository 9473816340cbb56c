// Just enough XML handling for the gateway to edit AWS responses in place (moto answers in the
// exact shapes the SDK parses, so slicing a list and adding a token keeps them valid).

export interface XmlSection {
  /** Offset of the opening tag. */
  start: number;
  /** Offset just past the closing tag. */
  end: number;
  /** Offsets of the element's content. */
  innerStart: number;
  innerEnd: number;
}

/** The first `<tag>` element, matched to its own closing tag (same-named elements may nest). */
export function findElement(xml: string, tag: string, from = 0): XmlSection | undefined {
  const re = new RegExp(`<(/?)${tag}(?:\\s[^>]*)?(/?)>`, 'g');
  re.lastIndex = from;
  let depth = 0;
  let start = -1;
  let innerStart = -1;
  for (let m = re.exec(xml); m; m = re.exec(xml)) {
    const [whole, closing, selfClosing] = m;
    if (selfClosing) {
      if (depth === 0) return { start: m.index, end: m.index + whole.length, innerStart: m.index, innerEnd: m.index };
      continue;
    }
    if (!closing) {
      if (depth++ === 0) [start, innerStart] = [m.index, m.index + whole.length];
      continue;
    }
    if (--depth === 0) return { start, end: m.index + whole.length, innerStart, innerEnd: m.index };
  }
  return undefined;
}

/** The direct children named `tag` of an element's content, each as its whole XML text. */
export function childElements(inner: string, tag: string): string[] {
  const out: string[] = [];
  for (let at = 0, next = findElement(inner, tag, at); next; next = findElement(inner, tag, at)) {
    out.push(inner.slice(next.start, next.end));
    at = next.end;
  }
  return out;
}

/** The text of every `<tag>` element inside `xml` (at any depth). */
export function elementTexts(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((m) => m[1]!);
}

export const escapeXml = (s: string): string =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
