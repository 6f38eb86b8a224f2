import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CHART_HEIGHT, CHART_SCALE, CHART_WIDTH, chartRange, renderTrendChart } from '#shared/email/chart.ts';
import { crc32, encodePng } from '#shared/email/png.ts';

interface DecodedPng {
  width: number;
  height: number;
  colourType: number;
  chunks: string[];
  /** RGB of every pixel, decoded from the palette or the filtered rows. */
  rgb: Uint8Array;
}

/** A strict decoder for what the encoder writes: checks signature and every CRC, undoes the filters. */
function decodePng(png: Buffer): DecodedPng {
  expect([...png.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  let offset = 8;
  const chunks: string[] = [];
  let ihdr: Buffer | undefined;
  let palette: Buffer | undefined;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    expect(png.readUInt32BE(offset + 8 + length)).toBe(crc32(png.subarray(offset + 4, offset + 8 + length)));
    chunks.push(type);
    if (type === 'IHDR') ihdr = data;
    if (type === 'PLTE') palette = data;
    if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  const width = ihdr!.readUInt32BE(0);
  const height = ihdr!.readUInt32BE(4);
  const colourType = ihdr![9]!;
  const bpp = colourType === 3 ? 1 : 3;
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  expect(raw.length).toBe(height * (stride + 1));
  const rows = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    for (let i = 0; i < stride; i++) {
      const x = raw[y * (stride + 1) + 1 + i]!;
      const a = i >= bpp ? rows[y * stride + i - bpp]! : 0;
      const b = y > 0 ? rows[(y - 1) * stride + i]! : 0;
      const c = i >= bpp && y > 0 ? rows[(y - 1) * stride + i - bpp]! : 0;
      const p = a + b - c;
      const paeth =
        Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c)
          ? a
          : Math.abs(p - b) <= Math.abs(p - c)
            ? b
            : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter]!;
      rows[y * stride + i] = (x + predictor) & 0xff;
    }
  }
  const rgb = colourType === 3 ? new Uint8Array(width * height * 3) : rows;
  if (colourType === 3) {
    for (let i = 0; i < rows.length; i++) rgb.set(palette!.subarray(rows[i]! * 3, rows[i]! * 3 + 3), i * 3);
  }
  return { width, height, colourType, chunks, rgb };
}

const history = Array.from({ length: 30 }, (_, i) => 500 + 60 * Math.sin(i / 3) + (i > 26 ? -90 : 0));

describe('PNG encoder', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('round-trips a palette image and a many-coloured RGB image exactly', () => {
    const few = new Uint8Array(16 * 8 * 3).map((_, i) => (i % 7) * 30);
    const decodedFew = decodePng(encodePng(few, 16, 8));
    expect(decodedFew.colourType).toBe(3);
    expect(decodedFew.rgb).toEqual(few);

    const many = new Uint8Array(64 * 64 * 3).map((_, i) => (i * 37 + (i >> 7)) & 0xff);
    const decodedMany = decodePng(encodePng(many, 64, 64));
    expect(decodedMany.colourType).toBe(2);
    expect(decodedMany.rgb).toEqual(many);
  });

  it('refuses pixel data of the wrong size', () => {
    expect(() => encodePng(new Uint8Array(10), 4, 4)).toThrow(RangeError);
  });
});

describe('trend chart', () => {
  it('is a valid PNG at twice its CSS size, a few KB', () => {
    const chart = renderTrendChart({ values: history, target: { min: 500 }, status: 'missed' });
    const png = decodePng(chart.png);
    expect([chart.width, chart.height]).toEqual([CHART_WIDTH, CHART_HEIGHT]);
    expect([png.width, png.height]).toEqual([CHART_WIDTH * CHART_SCALE, CHART_HEIGHT * CHART_SCALE]);
    expect(png.chunks).toEqual(['IHDR', 'pHYs', 'PLTE', 'IDAT', 'IEND']);
    expect(chart.png.length).toBeLessThan(16 * 1024);
  });

  it('draws the line, the latest point in its status colour, and the target', () => {
    const png = decodePng(renderTrendChart({ values: history, target: { min: 500 }, status: 'missed' }).png);
    const colours = new Set<string>();
    for (let i = 0; i < png.rgb.length; i += 3) colours.add(`${png.rgb[i]},${png.rgb[i + 1]},${png.rgb[i + 2]}`);
    expect(colours.has('79,70,229')).toBe(true); // the line (brand indigo)
    expect(colours.has('220,38,38')).toBe(true); // the latest point: missed
    expect(colours.has('154,163,178')).toBe(true); // the dashed target
    expect(colours.size).toBeGreaterThan(20); // anti-aliased edges
  });

  it('is smooth: the line is anti-aliased, not stair-stepped', () => {
    const png = decodePng(renderTrendChart({ values: [0, 10], width: 100, height: 50, scale: 1 }).png);
    const partial = new Set<number>();
    for (let i = 0; i < png.rgb.length; i += 3) {
      const [r, b] = [png.rgb[i]!, png.rgb[i + 2]!];
      if (r > 79 && r < 240 && b > 229 - 5) partial.add(r);
    }
    expect(partial.size).toBeGreaterThan(5);
  });

  it('leaves gaps for missing values and copes with none, one or equal values', () => {
    for (const values of [[], [null, null], [42], [7, 7, 7], [1, null, 3, null, 5]] as Array<Array<number | null>>) {
      const png = decodePng(renderTrendChart({ values, target: { min: 5, max: 9 } }).png);
      expect(png.width).toBe(CHART_WIDTH * CHART_SCALE);
    }
  });

  it('keeps the target in view even when every value is far from it', () => {
    const [lo, hi] = chartRange([100, 120, 110], { min: 500 });
    expect(lo).toBeLessThan(100);
    expect(hi).toBeGreaterThan(500);
  });
});
