/*
 * Random strings that match a regular expression, for checking that what an OpenAPI pattern admits
 * the API accepts: a small generator for the subset of regex syntax such patterns use (literals,
 * escapes, character classes with ranges, groups, alternation, `? * + {n} {n,m}`, anchors).
 * Lookaheads generate nothing; `sampleMatching` keeps only the strings the whole regex matches.
 */

type Node =
  | { kind: 'chars'; chars: string[] }
  | { kind: 'sequence'; items: Node[] }
  | { kind: 'choice'; options: Node[] }
  | { kind: 'repeat'; node: Node; min: number; max: number }
  | { kind: 'empty' };

const DIGITS = [...'0123456789'];
const WORD = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_'];
const SPACE = [' ', '\t'];
// What `.` and unbounded repeats draw from: printable ASCII, so samples stay readable.
const ANY = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));
const UNBOUNDED = 8;

function range(from: string, to: string): string[] {
  const chars: string[] = [];
  for (let code = from.charCodeAt(0); code <= to.charCodeAt(0); code++) chars.push(String.fromCharCode(code));
  return chars;
}

class Parser {
  private at = 0;
  constructor(private readonly source: string) {}

  parse(): Node {
    const node = this.alternation();
    if (this.at < this.source.length) throw new Error(`unexpected ${this.source[this.at]} at ${this.at}`);
    return node;
  }

  private peek(): string | undefined {
    return this.source[this.at];
  }

  private next(): string {
    const char = this.source[this.at++];
    if (char === undefined) throw new Error('unexpected end of pattern');
    return char;
  }

  private alternation(): Node {
    const options = [this.sequence()];
    while (this.peek() === '|') {
      this.at++;
      options.push(this.sequence());
    }
    return options.length === 1 ? (options[0] as Node) : { kind: 'choice', options };
  }

  private sequence(): Node {
    const items: Node[] = [];
    while (this.at < this.source.length && this.peek() !== '|' && this.peek() !== ')') {
      items.push(this.quantified(this.atom()));
    }
    return { kind: 'sequence', items };
  }

  private quantified(node: Node): Node {
    const char = this.peek();
    if (char === '?') return this.lazy({ kind: 'repeat', node, min: 0, max: 1 });
    if (char === '*') return this.lazy({ kind: 'repeat', node, min: 0, max: UNBOUNDED });
    if (char === '+') return this.lazy({ kind: 'repeat', node, min: 1, max: UNBOUNDED });
    if (char === '{') {
      const match = /^\{(\d+)(,(\d*))?\}/.exec(this.source.slice(this.at));
      if (match === null) return node;
      this.at += match[0].length;
      const min = Number(match[1]);
      const max = match[2] === undefined ? min : match[3] === '' ? min + UNBOUNDED : Number(match[3]);
      return this.quantified({ kind: 'repeat', node, min, max });
    }
    return node;
  }

  private lazy(node: Node): Node {
    this.at++;
    if (this.peek() === '?') this.at++;
    return node;
  }

  private atom(): Node {
    const char = this.next();
    switch (char) {
      case '^':
      case '$':
        return { kind: 'empty' };
      case '.':
        return { kind: 'chars', chars: ANY };
      case '[':
        return this.characterClass();
      case '\\':
        return { kind: 'chars', chars: this.escape() };
      case '(': {
        let lookaround = false;
        if (this.peek() === '?') {
          this.at++;
          const kind = this.next();
          lookaround = kind === '=' || kind === '!';
          if (kind === '<') throw new Error('named groups and lookbehinds are not supported');
        }
        const inner = this.alternation();
        if (this.next() !== ')') throw new Error('unclosed group');
        return lookaround ? { kind: 'empty' } : inner;
      }
      default:
        return { kind: 'chars', chars: [char] };
    }
  }

  private escape(): string[] {
    const char = this.next();
    if (char === 'd') return DIGITS;
    if (char === 'w') return WORD;
    if (char === 's') return SPACE;
    if (char === 'n') return ['\n'];
    if (char === 't') return ['\t'];
    if (/[DWSbB]/.test(char)) throw new Error(`\\${char} is not supported`);
    return [char];
  }

  private characterClass(): Node {
    if (this.peek() === '^') throw new Error('negated classes are not supported');
    const chars: string[] = [];
    while (this.peek() !== ']') {
      const first = this.next() === '\\' ? this.escape() : [this.source[this.at - 1] as string];
      if (this.peek() === '-' && this.source[this.at + 1] !== ']' && first.length === 1) {
        this.at++;
        const last = this.next() === '\\' ? this.next() : (this.source[this.at - 1] as string);
        chars.push(...range(first[0] as string, last));
      } else {
        chars.push(...first);
      }
    }
    this.at++;
    return { kind: 'chars', chars };
  }
}

/** A seeded pseudo-random number generator (mulberry32): the same samples on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function generate(node: Node, random: () => number): string {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)] as T;
  switch (node.kind) {
    case 'empty':
      return '';
    case 'chars':
      return pick(node.chars);
    case 'sequence':
      return node.items.map((item) => generate(item, random)).join('');
    case 'choice':
      return generate(pick(node.options), random);
    case 'repeat': {
      // Favour the bounds: edge lengths find more mismatches than lengths in between.
      const roll = random();
      const count =
        roll < 0.25
          ? node.min
          : roll < 0.5
            ? node.max
            : node.min + Math.floor(random() * (node.max - node.min + 1));
      return Array.from({ length: count }, () => generate(node.node, random)).join('');
    }
  }
}

/**
 * `count` distinct strings that `pattern` matches, drawn with a seeded generator. Throws when the
 * pattern uses syntax the generator does not know, or when too few samples match.
 */
export function sampleMatching(pattern: string, count: number, seed = 1): string[] {
  const regex = new RegExp(pattern, 'u');
  const tree = new Parser(pattern).parse();
  const random = seededRandom(seed);
  const samples = new Set<string>();
  for (let tries = 0; samples.size < count && tries < count * 50; tries++) {
    const sample = generate(tree, random);
    if (regex.test(sample)) samples.add(sample);
  }
  if (samples.size < count) throw new Error(`only ${samples.size} of ${count} samples match ${pattern}`);
  return [...samples];
}

/** Variations of `value` with one character deleted, repeated, replaced or inserted, at random. */
export function mutations(value: string, count: number, random: () => number, alphabet: string): string[] {
  const chars = [...alphabet];
  const pick = () => chars[Math.floor(random() * chars.length)] ?? '';
  return Array.from({ length: count }, () => {
    const at = Math.floor(random() * (value.length + 1));
    switch (Math.floor(random() * 4)) {
      case 0:
        return value.slice(0, at) + value.slice(at + 1);
      case 1:
        return value.slice(0, at) + value.slice(at, at + 1) + value.slice(at);
      case 2:
        return value.slice(0, at) + pick() + value.slice(at + 1);
      default:
        return value.slice(0, at) + pick() + value.slice(at);
    }
  });
}
