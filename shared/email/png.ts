// A minimal PNG encoder on node:zlib (no native dependencies): palette images when the picture has at most 256
// colours (charts nearly always do, and they compress to a few KB), RGB with per-row adaptive filters otherwise.
import { constants, deflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 as PNG chunks need it (ISO 3309 / ITU-T V.42). */
export function crc32(data: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

function header(width: number, height: number, colourType: 2 | 3): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = colourType;
  // compression, filter and interlace methods: all 0
  return chunk('IHDR', ihdr);
}

/** Physical pixel density, so viewers that honour it show a @2x image at its CSS size. */
function density(scale: number): Buffer {
  const phys = Buffer.alloc(9);
  const perMetre = Math.round((96 * scale) / 0.0254);
  phys.writeUInt32BE(perMetre, 0);
  phys.writeUInt32BE(perMetre, 4);
  phys[8] = 1; // unit: metre
  return chunk('pHYs', phys);
}

const END = chunk('IEND', new Uint8Array(0));

/**
 * Encodes packed 8-bit RGB pixels (width * height * 3 bytes) as a PNG.
 * `scale` records the intended device-pixel ratio in a pHYs chunk.
 */
export function encodePng(rgb: Uint8Array, width: number, height: number, scale = 1): Buffer {
  if (rgb.length !== width * height * 3) throw new RangeError(`expected ${width * height * 3} bytes of RGB`);
  const indexed = toPalette(rgb, width, height);
  const parts = [SIGNATURE, header(width, height, indexed ? 3 : 2)];
  if (scale !== 1) parts.push(density(scale));
  if (indexed) {
    parts.push(chunk('PLTE', indexed.palette));
    // Run-length matching: charts are long runs of one colour; 5x faster than level 6 for ~30% more bytes.
    parts.push(chunk('IDAT', deflateSync(indexed.rows, { level: 9, strategy: constants.Z_RLE })));
  } else {
    parts.push(chunk('IDAT', deflateSync(filterRgb(rgb, width, height), { level: 6 })));
  }
  parts.push(END);
  return Buffer.concat(parts);
}

/** Palette rows (filter byte 0 + one index per pixel), or undefined when there are more than 256 colours. */
function toPalette(
  rgb: Uint8Array,
  width: number,
  height: number,
): { palette: Uint8Array; rows: Uint8Array } | undefined {
  const index = new Map<number, number>();
  const palette = new Uint8Array(256 * 3);
  const rows = new Uint8Array(height * (width + 1));
  let colours = 0;
  let p = 0;
  let o = 0;
  let last = -1;
  let lastIndex = 0;
  for (let y = 0; y < height; y++) {
    rows[o++] = 0; // filter: none (recommended for palette images)
    const end = p + width * 3;
    while (p < end) {
      const key = (rgb[p]! << 16) | (rgb[p + 1]! << 8) | rgb[p + 2]!;
      p += 3;
      if (key !== last) {
        let i = index.get(key);
        if (i === undefined) {
          if (colours === 256) return undefined;
          i = colours++;
          index.set(key, i);
          palette[i * 3] = key >> 16;
          palette[i * 3 + 1] = (key >> 8) & 0xff;
          palette[i * 3 + 2] = key & 0xff;
        }
        last = key;
        lastIndex = i;
      }
      rows[o++] = lastIndex;
    }
  }
  return { palette: palette.subarray(0, colours * 3), rows };
}

/** Each row gets the filter (none, sub, up, average, paeth) with the smallest sum of absolute residuals. */
function filterRgb(rgb: Uint8Array, width: number, height: number): Uint8Array {
  const stride = width * 3;
  const out = new Uint8Array(height * (stride + 1));
  const trial = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    const prev = y > 0 ? row - stride : -1;
    let best = Number.POSITIVE_INFINITY;
    let bestType = 0;
    const dest = out.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let type = 0; type < 5; type++) {
      let sum = 0;
      for (let i = 0; i < stride; i++) {
        const a = i >= 3 ? rgb[row + i - 3]! : 0;
        const b = prev >= 0 ? rgb[prev + i]! : 0;
        const c = i >= 3 && prev >= 0 ? rgb[prev + i - 3]! : 0;
        const x = rgb[row + i]!;
        let v: number;
        if (type === 0) v = x;
        else if (type === 1) v = x - a;
        else if (type === 2) v = x - b;
        else if (type === 3) v = x - ((a + b) >> 1);
        else v = x - paeth(a, b, c);
        v &= 0xff;
        trial[i] = v;
        sum += v < 128 ? v : 256 - v;
      }
      if (sum < best) {
        best = sum;
        bestType = type;
        dest.set(trial);
      }
    }
    out[y * (stride + 1)] = bestType;
  }
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}
