// The universe of candidate source root domains, derived from the seed.
// Stored column-wise in typed arrays so a full scan over 200,000 sources stays
// cheap; page strings and titles are rendered on demand from hashes.
import { combine, hashString, prng, unit } from './hash.ts';

const PREFIXES = [
  'trail',
  'mountain',
  'urban',
  'green',
  'blue',
  'red',
  'swift',
  'bright',
  'wild',
  'north',
  'south',
  'east',
  'west',
  'river',
  'ocean',
  'summit',
  'peak',
  'forest',
  'desert',
  'coastal',
  'city',
  'metro',
  'smart',
  'daily',
  'weekly',
  'modern',
  'classic',
  'vintage',
  'happy',
  'clever',
  'simple',
  'pure',
  'true',
  'bold',
  'quiet',
  'rapid',
  'solar',
  'lunar',
  'iron',
  'golden',
  'silver',
  'maple',
  'cedar',
  'pine',
  'oak',
  'stone',
  'cloud',
  'pixel',
  'data',
  'code',
  'craft',
  'home',
  'garden',
  'kitchen',
  'travel',
  'road',
  'bike',
  'run',
  'fit',
  'health',
  'tech',
  'web',
  'digital',
  'local',
  'global',
  'prime',
  'next',
  'open',
  'free',
  'fresh',
  'little',
  'big',
  'grand',
  'royal',
  'alpine',
  'harbor',
  'valley',
  'meadow',
  'island',
  'canyon',
  'prairie',
  'polar',
  'tropic',
  'nordic',
  'atlas',
];
const SUFFIXES = [
  'gear',
  'hub',
  'lab',
  'labs',
  'works',
  'review',
  'reviews',
  'guide',
  'guides',
  'journal',
  'times',
  'post',
  'daily',
  'news',
  'blog',
  'world',
  'life',
  'living',
  'zone',
  'spot',
  'base',
  'camp',
  'club',
  'corner',
  'den',
  'depot',
  'forge',
  'house',
  'insider',
  'mag',
  'media',
  'notes',
  'point',
  'press',
  'report',
  'scout',
  'shop',
  'source',
  'space',
  'studio',
  'talk',
  'today',
  'tribe',
  'trek',
  'wire',
  'experts',
  'nation',
  'digest',
  'planet',
  'central',
  'collective',
  'company',
  'crew',
  'field',
  'folk',
  'garage',
  'harvest',
  'lane',
  'market',
  'motion',
  'outfitters',
  'pulse',
  'quest',
  'ranch',
  'signal',
  'society',
  'stack',
  'supply',
  'union',
  'ventures',
  'view',
];
const TLDS: readonly (readonly [string, number])[] = [
  ['com', 50],
  ['org', 10],
  ['net', 8],
  ['io', 6],
  ['co.uk', 6],
  ['de', 6],
  ['co', 3],
  ['info', 3],
  ['fr', 3],
  ['com.au', 3],
  ['blog', 2],
];
const TLD_TOTAL = TLDS.reduce((sum, [, weight]) => sum + weight, 0);
const SUBDOMAINS = ['blog', 'news', 'shop', 'forum', 'community', 'help'];
const TOPIC_WORDS = [
  'best',
  'trail',
  'running',
  'shoes',
  'guide',
  'review',
  'tips',
  'beginners',
  'ultimate',
  'gear',
  'list',
  'budget',
  'hiking',
  'boots',
  'winter',
  'summer',
  'camping',
  'tents',
  'backpacks',
  'training',
  'plan',
  'marathon',
  'recipes',
  'healthy',
  'coffee',
  'espresso',
  'machines',
  'laptops',
  'cameras',
  'lenses',
  'travel',
  'europe',
  'cheap',
  'flights',
  'seo',
  'link',
  'building',
  'strategies',
  'content',
  'marketing',
  'tools',
  'software',
  'garden',
  'plants',
  'indoor',
  'bikes',
  'electric',
  'commuter',
  'yoga',
  'mats',
  'home',
  'office',
  'desk',
  'chairs',
  'kids',
  'toys',
  'dogs',
  'cats',
  'food',
  'review',
  'comparison',
  'vs',
  'how',
  'to',
  'choose',
];
const SECTIONS = ['blog', 'posts', 'articles', 'news', 'resources', 'guides', 'reviews', ''];

function pickTld(r: number): string {
  let x = r * TLD_TOTAL;
  for (const [tld, weight] of TLDS) {
    if (x < weight) return tld;
    x -= weight;
  }
  return 'com';
}

function word(list: readonly string[], r: number): string {
  return list[Math.floor(r * list.length)] ?? list[0] ?? 'x';
}

export interface RenderedPage {
  page: string;
  title: string;
  pageAuthority: number;
}

export interface Universe {
  readonly size: number;
  readonly seed: number;
  readonly names: readonly string[];
  readonly nameHash: Uint32Array;
  readonly baseDa: Uint8Array;
  readonly spam: Int8Array;
  readonly pageCount: Uint8Array;
  /** Bit 0: primary host is www.<root>; bits 1-3: index+1 into SUBDOMAINS (0 = none). */
  readonly hostFlags: Uint8Array;
  readonly indexByName: ReadonlyMap<string, number>;
}

/** DA 1..100 from a power law: most sources are small, a few are huge. */
function powerLawDa(r: number): number {
  return Math.min(100, Math.max(1, Math.floor(1 + 99 * r ** 3.2)));
}

/** Spam score skewed low; about 10% are -1 (not scored). */
function skewedSpam(r1: number, r2: number): number {
  if (r1 < 0.1) return -1;
  return Math.min(100, Math.floor(100 * r2 ** 3));
}

export function buildUniverse(seed: number, size: number): Universe {
  const random = prng(seed ^ 0x5bd1e995);
  const names: string[] = new Array(size);
  const nameHash = new Uint32Array(size);
  const baseDa = new Uint8Array(size);
  const spam = new Int8Array(size);
  const pageCount = new Uint8Array(size);
  const hostFlags = new Uint8Array(size);
  const indexByName = new Map<string, number>();
  for (let i = 0; i < size; i++) {
    let name = '';
    for (let attempt = 0; attempt < 8; attempt++) {
      const three = attempt >= 3 || random() < 0.15;
      const body = three
        ? `${word(PREFIXES, random())}${word(PREFIXES, random())}${word(SUFFIXES, random())}`
        : `${word(PREFIXES, random())}${random() < 0.2 ? '-' : ''}${word(SUFFIXES, random())}`;
      name = `${body}.${pickTld(random())}`;
      if (!indexByName.has(name)) break;
    }
    for (let n = 2; indexByName.has(name); n++) {
      const dot = name.indexOf('.');
      name = `${name.slice(0, dot)}${n}${name.slice(dot)}`;
    }
    names[i] = name;
    indexByName.set(name, i);
    nameHash[i] = hashString(name, seed);
    baseDa[i] = powerLawDa(random());
    spam[i] = skewedSpam(random(), random());
    pageCount[i] = 1 + Math.floor(random() ** 1.5 * 5);
    const www = random() < 0.5 ? 1 : 0;
    const sub = random() < 0.25 ? 1 + Math.floor(random() * SUBDOMAINS.length) : 0;
    hostFlags[i] = www | (sub << 1);
  }
  return { size, seed, names, nameHash, baseDa, spam, pageCount, hostFlags, indexByName };
}

export function primaryHost(universe: Universe, index: number): string {
  const name = universe.names[index] ?? '';
  return ((universe.hostFlags[index] ?? 0) & 1) === 1 ? `www.${name}` : name;
}

/** Hash identifying page `pageIndex` of source `index`; used for page-level link selection. */
export function pageHash(universe: Universe, index: number, pageIndex: number): number {
  return combine(universe.nameHash[index] ?? 0, 0x1000 + pageIndex);
}

function pageHost(universe: Universe, index: number, pageIndex: number): string {
  const subIndex = ((universe.hostFlags[index] ?? 0) >> 1) & 7;
  if (subIndex > 0 && pageIndex > 0 && unit(combine(pageHash(universe, index, pageIndex), 7)) < 0.5) {
    return `${SUBDOMAINS[subIndex - 1]}.${universe.names[index]}`;
  }
  return primaryHost(universe, index);
}

function titleCase(words: readonly string[]): string {
  return words.map((w) => (w.length > 0 ? (w[0] ?? '').toUpperCase() + w.slice(1) : w)).join(' ');
}

/** Renders every page of a source: `host/path` without scheme, a title, and a page authority. */
export function renderPages(universe: Universe, index: number): RenderedPage[] {
  const count = universe.pageCount[index] ?? 1;
  const da = universe.baseDa[index] ?? 1;
  const name = universe.names[index] ?? '';
  const brand = titleCase([name.split('.')[0]?.replace('-', ' ') ?? name]);
  const pages: RenderedPage[] = [];
  const seen = new Set<string>();
  for (let j = 0; j < count; j++) {
    const random = prng(pageHash(universe, index, j));
    const words: string[] = [];
    const wordCount = 3 + Math.floor(random() * 3);
    for (let k = 0; k < wordCount; k++) words.push(word(TOPIC_WORDS, random()));
    if (random() < 0.3) words.push(String(2019 + Math.floor(random() * 8)));
    const section = word(SECTIONS, random());
    let path = `${section ? `/${section}` : ''}/${words.join('-')}`;
    let page = `${pageHost(universe, index, j)}${path}`;
    if (seen.has(page)) {
      path = `${path}-${j}`;
      page = `${pageHost(universe, index, j)}${path}`;
    }
    seen.add(page);
    const pageAuthority = Math.min(100, Math.max(1, Math.round(da * (0.5 + random() * 0.5) + random() * 8)));
    pages.push({ page, title: `${titleCase(words)} | ${brand}`, pageAuthority });
  }
  return pages;
}

export function pageHostOf(page: string): string {
  const slash = page.indexOf('/');
  return slash === -1 ? page : page.slice(0, slash);
}

const universeCache = new Map<string, Universe>();

/** Universes are immutable, so simulators and ground truth with the same seed share one. */
export function getUniverse(seed: number, size: number): Universe {
  const key = `${seed}:${size}`;
  let universe = universeCache.get(key);
  if (!universe) {
    universe = buildUniverse(seed, size);
    if (universeCache.size >= 4) {
      const oldest = universeCache.keys().next().value;
      if (oldest !== undefined) universeCache.delete(oldest);
    }
    universeCache.set(key, universe);
  }
  return universe;
}
