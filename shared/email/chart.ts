// Trend charts as small PNGs for email (no SVG in mail clients): a tiny anti-aliased rasteriser drawing a line with
// a soft area under it, the target as a dashed line with the missing side tinted, and the latest point as a dot.
// Labels stay in the HTML next to the image, so the picture holds no text and needs no font.
import type { KpiStatus } from '#shared/reporting/model.ts';
import { encodePng } from './png.ts';
import { COLOUR, STATUS_DOT } from './theme.ts';

/** CSS size of a trend chart; the PNG has `scale` times as many pixels for sharp phone and retina screens. */
// 588 fits the 640 px column's card (640 - 2 x 24 padding - 2 x 1 border = 590), also in Outlook, which ignores max-width.
export const CHART_WIDTH = 588;
export const CHART_HEIGHT = 120;
export const CHART_SCALE = 2;

export interface TrendChartInput {
  /** Oldest first; null leaves a gap in the line. */
  values: Array<number | null>;
  target?: { min?: number; max?: number };
  /** Colours the latest point. */
  status?: KpiStatus;
  width?: number;
  height?: number;
  scale?: number;
}

export interface TrendChart {
  png: Buffer;
  /** CSS pixels to show the image at. */
  width: number;
  height: number;
}

type Rgb = readonly [number, number, number];

function rgb(hex: string): Rgb {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** An RGB pixel buffer with alpha-blended drawing; coordinates are device pixels, pixel centres at +0.5. */
class Raster {
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;

  constructor(width: number, height: number, background: Rgb) {
    this.width = width;
    this.height = height;
    this.pixels = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * 3; i += 3) this.pixels.set(background, i);
    for (let filled = width * 3; filled < this.pixels.length; filled *= 2) this.pixels.copyWithin(filled, 0, filled);
  }

  blend(x: number, y: number, c: Rgb, alpha: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    // Coverage in 1/16 steps keeps the picture under 256 colours, so it encodes as a small palette PNG.
    const level = Math.round(alpha * 16);
    if (level <= 0) return;
    const lut = this.lut(c, level);
    const i = (y * this.width + x) * 3;
    const p = this.pixels;
    p[i] = lut[p[i]!]!;
    p[i + 1] = lut[256 + p[i + 1]!]!;
    p[i + 2] = lut[512 + p[i + 2]!]!;
  }

  private readonly luts = new Map<number, Uint8Array>();

  /** old channel value -> blended value, for one colour at one coverage level (three 256-entry tables). */
  lut(c: Rgb, level: number): Uint8Array {
    const key = ((c[0] << 16) | (c[1] << 8) | c[2]) * 32 + Math.min(16, level);
    let lut = this.luts.get(key);
    if (!lut) {
      const a = Math.min(16, level) / 16;
      lut = new Uint8Array(768);
      for (let ch = 0; ch < 3; ch++) {
        for (let v = 0; v < 256; v++) lut[ch * 256 + v] = (v + (c[ch]! - v) * a + 0.5) | 0;
      }
      this.luts.set(key, lut);
    }
    return lut;
  }

  /** Blends pixels x0..x1 (exclusive) of row y through a table from `lut`. */
  span(y: number, x0: number, x1: number, lut: Uint8Array): void {
    const p = this.pixels;
    const end = (y * this.width + x1) * 3;
    for (let i = (y * this.width + x0) * 3; i < end; i += 3) {
      p[i] = lut[p[i]!]!;
      p[i + 1] = lut[256 + p[i + 1]!]!;
      p[i + 2] = lut[512 + p[i + 2]!]!;
    }
  }

  /** A rectangle with fractional vertical edges (rows partly covered are blended by coverage). */
  fillRect(x0: number, y0: number, x1: number, y1: number, c: Rgb, alpha = 1): void {
    const xa = Math.max(0, Math.round(x0));
    const xb = Math.min(this.width, Math.round(x1));
    if (xb <= xa) return;
    for (let y = Math.max(0, Math.floor(y0)); y < Math.min(this.height, Math.ceil(y1)); y++) {
      const level = Math.round(alpha * (Math.min(y + 1, y1) - Math.max(y, y0)) * 16);
      if (level > 0) this.span(y, xa, xb, this.lut(c, level));
    }
  }

  /** A horizontal dashed line centred on y. */
  dashedLine(x0: number, x1: number, y: number, thickness: number, dash: number, gap: number, c: Rgb): void {
    for (let x = x0; x < x1; x += dash + gap)
      this.fillRect(x, y - thickness / 2, Math.min(x + dash, x1), y + thickness / 2, c);
  }

  /** Round-capped, round-joined polyline: per-pixel distance to the nearest segment gives exact coverage. */
  polyline(points: Array<[number, number]>, lineWidth: number, c: Rgb): void {
    const half = lineWidth / 2;
    const pad = Math.ceil(half + 1);
    let minX = Number.POSITIVE_INFINITY;
    let maxX = Number.NEGATIVE_INFINITY;
    let minY = Number.POSITIVE_INFINITY;
    let maxY = Number.NEGATIVE_INFINITY;
    for (const [x, y] of points) {
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
    }
    const bx = Math.max(0, Math.floor(minX) - pad);
    const by = Math.max(0, Math.floor(minY) - pad);
    const bw = Math.min(this.width, Math.ceil(maxX) + pad) - bx;
    const bh = Math.min(this.height, Math.ceil(maxY) + pad) - by;
    if (bw <= 0 || bh <= 0) return;
    // Coverage is the maximum over segments, so joins are not blended twice.
    const cover = new Float32Array(bw * bh);
    const segments = points.length === 1 ? [[points[0]!, points[0]!]] : points.slice(1).map((p, i) => [points[i]!, p]);
    for (const [[ax, ay], [qx, qy]] of segments as Array<[[number, number], [number, number]]>) {
      const dx = qx - ax;
      const dy = qy - ay;
      const len2 = dx * dx + dy * dy;
      const x0 = Math.max(bx, Math.floor(Math.min(ax, qx) - pad));
      const x1 = Math.min(bx + bw, Math.ceil(Math.max(ax, qx) + pad));
      const y0 = Math.max(by, Math.floor(Math.min(ay, qy) - pad));
      const y1 = Math.min(by + bh, Math.ceil(Math.max(ay, qy) + pad));
      // Per row, only the band around the segment's line can be covered (caps lie inside it too).
      const reach = (half + 0.5) * Math.sqrt(len2);
      for (let y = y0; y < y1; y++) {
        const py = y + 0.5;
        let xa = x0;
        let xb = x1;
        if (dy !== 0) {
          const centre = ax + (dx * (py - ay)) / dy;
          const spread = Math.abs(reach / dy);
          xa = Math.max(x0, Math.floor(centre - spread));
          xb = Math.min(x1, Math.ceil(centre + spread) + 1);
        }
        for (let x = xa; x < xb; x++) {
          const px = x + 0.5;
          const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2));
          const ex = px - (ax + t * dx);
          const ey = py - (ay + t * dy);
          const cov = half + 0.5 - Math.sqrt(ex * ex + ey * ey);
          if (cov <= 0) continue;
          const k = (y - by) * bw + (x - bx);
          if (cov > cover[k]!) cover[k] = cov;
        }
      }
    }
    for (let y = 0; y < bh; y++) {
      for (let x = 0; x < bw; x++) {
        const cov = cover[y * bw + x]!;
        if (cov > 0) this.blend(bx + x, by + y, c, Math.min(1, cov));
      }
    }
  }

  /** The area between a polyline and `bottom`, in one flat tint. */
  areaUnder(points: Array<[number, number]>, bottom: number, c: Rgb, alpha: number): void {
    if (points.length < 2) return;
    const first = points[0]![0];
    const last = points[points.length - 1]![0];
    const full = this.lut(c, Math.round(alpha * 16));
    const p = this.pixels;
    const stride = this.width * 3;
    const yEnd = Math.min(this.height, Math.ceil(bottom));
    let seg = 0;
    for (let x = Math.max(0, Math.floor(first)); x < Math.min(this.width, Math.ceil(last)); x++) {
      const px = Math.min(Math.max(x + 0.5, first), last);
      while (seg < points.length - 2 && points[seg + 1]![0] < px) seg++;
      const [ax, ay] = points[seg]!;
      const [qx, qy] = points[seg + 1]!;
      const lineY = Math.max(0, qx === ax ? ay : ay + ((px - ax) / (qx - ax)) * (qy - ay));
      const edgeCover = Math.min(1, Math.min(x + 1, last) - Math.max(x, first));
      const yTop = Math.floor(lineY);
      this.blend(x, yTop, c, (yTop + 1 - lineY) * edgeCover * alpha);
      const lut = edgeCover >= 1 ? full : this.lut(c, Math.round(alpha * edgeCover * 16));
      for (let i = (yTop + 1) * stride + x * 3; i < yEnd * stride; i += stride) {
        p[i] = lut[p[i]!]!;
        p[i + 1] = lut[256 + p[i + 1]!]!;
        p[i + 2] = lut[512 + p[i + 2]!]!;
      }
    }
  }

  disc(cx: number, cy: number, r: number, c: Rgb): void {
    for (let y = Math.floor(cy - r - 1); y <= Math.ceil(cy + r + 1); y++) {
      for (let x = Math.floor(cx - r - 1); x <= Math.ceil(cx + r + 1); x++) {
        const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
        this.blend(x, y, c, Math.min(1, r + 0.5 - d));
      }
    }
  }
}

/** The value range a chart shows: the data and the target, with some air above and below. */
export function chartRange(values: Array<number | null>, target?: { min?: number; max?: number }): [number, number] {
  const seen = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (target?.min !== undefined) seen.push(target.min);
  if (target?.max !== undefined) seen.push(target.max);
  if (seen.length === 0) return [0, 1];
  let lo = Math.min(...seen);
  let hi = Math.max(...seen);
  if (hi === lo) {
    const pad = Math.abs(hi) * 0.1 || 1;
    lo -= pad;
    hi += pad;
  }
  const air = (hi - lo) * 0.12;
  return [lo - air, hi + air];
}

/** Renders one KPI's trend as a PNG. */
export function renderTrendChart(input: TrendChartInput): TrendChart {
  const width = input.width ?? CHART_WIDTH;
  const height = input.height ?? CHART_HEIGHT;
  const s = input.scale ?? CHART_SCALE;
  const W = Math.round(width * s);
  const H = Math.round(height * s);
  const raster = new Raster(W, H, rgb(COLOUR.card));

  const padX = 8 * s;
  const top = 10 * s;
  const bottom = H - 10 * s;
  const [lo, hi] = chartRange(input.values, input.target);
  const yOf = (v: number) => bottom - ((v - lo) / (hi - lo)) * (bottom - top);
  const n = input.values.length;
  const xOf = (i: number) => (n <= 1 ? W / 2 : padX + (i * (W - 2 * padX)) / (n - 1));

  // Quiet horizontal grid.
  for (let i = 0; i <= 3; i++) {
    const y = Math.round(top + (i * (bottom - top)) / 3);
    raster.fillRect(0, y, W, y + s / 2 + 0.5, rgb(COLOUR.rule));
  }

  // The side of the target that misses, lightly tinted; the target itself dashed.
  const missTint = rgb('#fde8e8');
  const targetInk = rgb('#9aa3b2');
  const { min, max } = input.target ?? {};
  if (min !== undefined) raster.fillRect(padX, yOf(min), W - padX, H, missTint, 0.55);
  if (max !== undefined) raster.fillRect(padX, 0, W - padX, yOf(max), missTint, 0.55);
  if (min !== undefined) raster.dashedLine(padX, W - padX, Math.round(yOf(min)), 1.5 * s, 5 * s, 3 * s, targetInk);
  if (max !== undefined) raster.dashedLine(padX, W - padX, Math.round(yOf(max)), 1.5 * s, 5 * s, 3 * s, targetInk);

  // Runs of consecutive values; a missing value breaks the line.
  const runs: Array<Array<[number, number]>> = [];
  let run: Array<[number, number]> = [];
  input.values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) {
      if (run.length) runs.push(run);
      run = [];
    } else run.push([xOf(i), yOf(v)]);
  });
  if (run.length) runs.push(run);

  const line = rgb(COLOUR.brand);
  for (const r of runs) raster.areaUnder(r, H, line, 0.0625);
  for (const r of runs) raster.polyline(r, 2.25 * s, line);

  const lastIndex = input.values.length - 1;
  const lastValue = input.values[lastIndex];
  if (lastValue !== null && lastValue !== undefined && Number.isFinite(lastValue)) {
    const [cx, cy] = [xOf(lastIndex), yOf(lastValue)];
    raster.disc(cx, cy, 5.5 * s, rgb(COLOUR.card));
    raster.disc(cx, cy, 3.75 * s, rgb(STATUS_DOT[input.status ?? 'no_target']));
  }

  return { png: encodePng(raster.pixels, W, H, s), width, height };
}
