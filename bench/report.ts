// Report rendering benchmark: the example config's daily report (7 KPIs, 30 days of history, incidents, checks).
// Prints render time per report (median of many renders, after the data is loaded), HTML bytes and whole MIME
// bytes against their targets. `--json` prints one JSON object as the last line.

import { sampleReportModel } from '#cli/demo/report-sample.ts';
import { buildMime } from '#shared/email/mime.ts';
import { renderReport } from '#shared/email/render.ts';

const json = process.argv.includes('--json');
const runs = Number(/^--runs=(\d+)$/.exec(process.argv.find((a) => a.startsWith('--runs=')) ?? '')?.[1] ?? 60);

const TARGETS = { renderMs: 100, htmlBytes: 60 * 1024, mimeBytes: 500 * 1024 };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

const model = sampleReportModel();
for (let i = 0; i < 5; i++) renderReport(model); // warm-up: JIT and number/date formatters

const renderTimes: number[] = [];
let rendered = renderReport(model);
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  rendered = renderReport(model);
  renderTimes.push(performance.now() - t0);
}
renderTimes.sort((a, b) => a - b);

const mimeInput = {
  ...rendered,
  from: 'Nightshift <nightshift@example.com>',
  to: model.recipient,
  deliveryKey: `${model.report.id}/${model.report.period}/${model.recipient.email}`,
};
const mimeTimes: number[] = [];
let mime = await buildMime(mimeInput);
for (let i = 0; i < Math.max(10, Math.floor(runs / 3)); i++) {
  const t0 = performance.now();
  mime = await buildMime(mimeInput);
  mimeTimes.push(performance.now() - t0);
}
mimeTimes.sort((a, b) => a - b);

const notReady = renderReport(sampleReportModel({ dataReady: false }));
const pngBytes = rendered.images.map((i) => i.png.length);
const result = {
  report: `${model.report.id} ${model.report.period}`,
  kpis: model.kpis.length,
  historyPoints: model.kpis[0]?.history.length ?? 0,
  runs,
  renderMsMedian: +percentile(renderTimes, 0.5).toFixed(2),
  renderMsP95: +percentile(renderTimes, 0.95).toFixed(2),
  mimeBuildMsMedian: +percentile(mimeTimes, 0.5).toFixed(2),
  htmlBytes: Buffer.byteLength(rendered.html),
  textBytes: Buffer.byteLength(rendered.text),
  images: rendered.images.length,
  pngBytesTotal: pngBytes.reduce((a, b) => a + b, 0),
  pngBytesMax: Math.max(0, ...pngBytes),
  mimeBytes: mime.length,
  notReadyHtmlBytes: Buffer.byteLength(notReady.html),
  subject: rendered.subject,
  targets: TARGETS,
  withinTargets:
    percentile(renderTimes, 0.5) < TARGETS.renderMs &&
    Buffer.byteLength(rendered.html) < TARGETS.htmlBytes &&
    mime.length < TARGETS.mimeBytes,
};

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const mark = (ok: boolean) => (ok ? 'ok' : 'OVER TARGET');
console.log(`report render (${result.report}, ${result.kpis} KPIs x ${result.historyPoints} days, ${runs} runs)`);
console.log(`  subject        ${result.subject}`);
console.log(
  `  render         median ${result.renderMsMedian} ms, p95 ${result.renderMsP95} ms  (target < ${TARGETS.renderMs} ms: ${mark(result.renderMsMedian < TARGETS.renderMs)})`,
);
console.log(
  `  html           ${kb(result.htmlBytes)}  (target < 60 KB: ${mark(result.htmlBytes < TARGETS.htmlBytes)})`,
);
console.log(`  text           ${kb(result.textBytes)}`);
console.log(
  `  charts         ${result.images} PNGs, ${kb(result.pngBytesTotal)} in all, largest ${kb(result.pngBytesMax)}`,
);
console.log(
  `  mime           ${kb(result.mimeBytes)}, built in ${result.mimeBuildMsMedian} ms  (target < 500 KB: ${mark(result.mimeBytes < TARGETS.mimeBytes)})`,
);
console.log(`  not ready      html ${kb(result.notReadyHtmlBytes)}`);
if (json) console.log(JSON.stringify(result));
