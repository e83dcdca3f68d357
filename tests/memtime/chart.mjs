// chart.mjs - opens thag-analyze's memory-over-time SVG in Debian's chromium (playwright-core
// from tests/flamegraph/node_modules) and checks that it renders, has one circle per point,
// and marks and labels the peak. Usage: node chart.mjs SVG POINTS PEAK_BYTES
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(new URL('../flamegraph/package.json', import.meta.url));
const { chromium } = require('playwright-core');
const [svg, points, peak] = process.argv.slice(2);
let failures = 0;
function eq(what, got, want) {
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    failures++;
    console.error(`FAIL ${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  }
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memtime-chromium-'));
const ctx = await chromium.launchPersistentContext(dir, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
try {
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('file://' + path.resolve(svg));
  const s = await page.evaluate(() => {
    const box = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
    const pts = [...document.querySelectorAll('circle.pt')];
    const pk = document.querySelectorAll('circle.peak');
    const line = document.querySelector('polyline.series');
    const label = document.getElementById('peak-label');
    const top = Math.min(...pts.map((c) => c.getBoundingClientRect().top));
    return {
      root: document.documentElement.tagName,
      points: pts.length,
      drawn: pts.filter(box).length,
      line: !!line && box(line),
      peaks: pk.length,
      peakBytes: pk.length ? pk[0].getAttribute('data-bytes') : null,
      peakHighest: pk.length ? pk[0].getBoundingClientRect().top <= top : false,
      peakFill: pk.length ? getComputedStyle(pk[0]).fill : null,
      label: label ? label.textContent : null,
      labelShown: !!label && box(label),
    };
  });
  eq('root element', s.root, 'svg');
  eq('one circle per point', s.points, Number(points));
  eq('every point drawn', s.drawn, Number(points));
  eq('series line drawn', s.line, true);
  eq('one peak marker', s.peaks, 1);
  eq('peak marker bytes', s.peakBytes, peak);
  eq('peak marker is the highest point', s.peakHighest, true);
  eq('peak marker red', s.peakFill, 'rgb(204, 0, 0)');
  eq('peak label shown', s.labelShown, true);
  eq('peak label names the peak', /^peak [0-9.]+ (B|KiB|MiB|GiB) at /.test(s.label || ''), true);
  eq('no script error', errors, []);
} finally {
  await ctx.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
if (failures) { console.error(`${failures} browser check(s) failed`); process.exit(1); }
console.log('browser: all checks passed');
