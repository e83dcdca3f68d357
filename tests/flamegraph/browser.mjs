// browser.mjs - drives Debian's chromium (playwright-core, no downloaded browser) over SVGs
// written by build/flamegraph and checks hover text, zoom, reset, search, ignore-case and
// URL state. Usage: node browser.mjs WORKDIR  (run.sh writes WORKDIR/b-*.svg first)
// With --timing SVG it instead prints how long SVG takes to open and to zoom (bench).
import { chromium } from 'playwright-core';
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';

let failures = 0, checks = 0;
function eq(what, got, want) {
  checks++;
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    failures++;
    console.error(`FAIL ${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  }
}

async function launch() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fg-chromium-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  return { ctx, dir };
}

const url = (f, q = '') => 'file://' + path.resolve(f) + q;

// Index of the first frame named name, and helpers that read the page state.
const frameIndex = (page, name) =>
  page.evaluate((n) => { for (let i = 0; i * C.S < D.length; i++) if (N[D[i * C.S]] === n) return i; return -1; }, name);
const rectOf = (page, i) =>
  page.evaluate((i) => {
    const g = document.getElementById('frames').children[i], r = g.firstElementChild;
    const t = g.querySelector('text');
    return { x: r.getAttribute('x'), w: r.getAttribute('width'), fill: r.getAttribute('fill'),
             cls: g.getAttribute('class') || '', label: t ? t.textContent : null };
  }, i);
const text = (page, id) => page.evaluate((id) => document.getElementById(id).textContent, id);
const query = (page) => page.evaluate(() => location.search);

async function hover(page, i) {
  const box = await page.locator('#frames > g').nth(i).locator('rect').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
}
async function click(page, i) {
  const box = await page.locator('#frames > g').nth(i).locator('rect').boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
}

async function basic(ctx, work) {
  // b-basic.svg: main;foo;bar 10 / main;foo 5 / main;baz 3 / main;foo(int) 2 (total 20)
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url(`${work}/b-basic.svg`));
  const bar = await frameIndex(page, 'bar'), foo = await frameIndex(page, 'foo');
  const main = await frameIndex(page, 'main'), baz = await frameIndex(page, 'baz');
  await hover(page, bar);
  eq('hover details', await text(page, 'details'), 'Function: bar (10 samples, 50.00%)');
  eq('hover creates title', await page.evaluate((i) => {
    const t = document.getElementById('frames').children[i].querySelector('title');
    return t && t.textContent; }, bar), 'Function: bar (10 samples, 50.00%)');
  await hover(page, main);
  eq('hover main', await text(page, 'details'), 'Function: main (20 samples, 100.00%)');

  await click(page, foo);
  eq('zoomed frame fills width', await rectOf(page, foo),
     { x: '10.0', w: '1180.0', fill: (await rectOf(page, foo)).fill, cls: '', label: 'foo' });
  eq('child rescaled', (await rectOf(page, bar)).w, '786.7');
  eq('unrelated hidden', (await rectOf(page, baz)).cls, 'hide');
  eq('ancestor faded', (await rectOf(page, main)).cls, 'parent');
  eq('ancestor full width', (await rectOf(page, main)).w, '1180.0');
  eq('reset zoom shown', await page.evaluate(() => document.getElementById('unzoom').getAttribute('class')), '');
  eq('zoom in URL', await query(page), `?f=${foo}`);

  await page.click('#unzoom');
  eq('reset restores width', (await rectOf(page, bar)).w, '590.0');
  eq('reset shows all', (await rectOf(page, baz)).cls, '');
  eq('reset clears URL', await query(page), '');

  page.once('dialog', (d) => d.accept('^foo'));
  await page.keyboard.press('Control+F');
  eq('search percentage', await text(page, 'matched'), 'Matched: 85.0%');
  eq('match highlighted', (await rectOf(page, foo)).fill, '#e600e6');
  eq('search button resets', await text(page, 'search'), 'Reset Search');
  eq('search in URL', await query(page), '?s=%5Efoo');

  page.once('dialog', (d) => d.accept('^(main|foo|bar)$'));
  await page.click('#search'); // resets
  eq('search reset', await text(page, 'matched'), ' ');
  await page.click('#search'); // asks
  eq('nested matches counted once', await text(page, 'matched'), 'Matched: 100.0%');

  page.once('dialog', (d) => d.accept('FOO'));
  await page.click('#search');
  await page.click('#search');
  eq('case-sensitive search', await text(page, 'matched'), 'Matched: 0.0%');
  await page.click('#ignorecase');
  eq('ignore-case search', await text(page, 'matched'), 'Matched: 85.0%');
  eq('ignore-case in URL', await query(page), '?s=FOO&i=1');
  eq('no script errors', errors, []);
  await page.close();

  // A link with zoom and search reopens the same view.
  const p2 = await ctx.newPage();
  await p2.goto(url(`${work}/b-basic.svg`, `?f=${foo}&s=ba&i=1`));
  eq('URL zoom restored', (await rectOf(p2, bar)).w, '786.7');
  eq('URL zoom hides', (await rectOf(p2, baz)).cls, 'hide');
  eq('URL search restored', await text(p2, 'matched'), 'Matched: 65.0%');
  eq('URL ignore-case restored', await p2.evaluate(() => document.getElementById('ignorecase').getAttribute('class')), 'show');
  await p2.close();
}

async function units(ctx, work) {
  const page = await ctx.newPage();
  await page.goto(url(`${work}/b-ns.svg`));
  await hover(page, await frameIndex(page, 'work'));
  eq('ns unit (from metadata)', await text(page, 'details'), 'Function: work (12.3 ms, 98.40%)');
  await page.goto(url(`${work}/b-bytes.svg`));
  await hover(page, await frameIndex(page, 'alloc'));
  eq('bytes unit', await text(page, 'details'), 'Function: alloc (4.10 MiB, 99.98%)');
  await page.goto(url(`${work}/b-diff.svg`));
  await hover(page, await frameIndex(page, 'grow'));
  eq('diff hover', await text(page, 'details'),
     'Function: grow (30 samples, 60.00%; before 10 samples, after 30 samples, change +20 samples (+200.00%))');
  await hover(page, await frameIndex(page, 'main'));
  eq('diff parent shows subtree change', await text(page, 'details'),
     'Function: main (50 samples, 100.00%; before 40 samples, after 50 samples, change +10 samples (+25.00%))');
  await page.goto(url(`${work}/b-hostile.svg`));
  const title = await page.evaluate(() => document.getElementById('title').textContent);
  eq('hostile title is text', title, '</text><script>alert(1)</script>');
  eq('no injected script', await page.evaluate(() => document.getElementsByTagName('script').length), 1);
  await page.close();
}

async function timing(ctx, svg) {
  const page = await ctx.newPage();
  const t0 = Date.now();
  await page.goto(url(svg), { waitUntil: 'load' });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const t1 = Date.now();
  const nav = await page.evaluate(() => {
    const e = performance.getEntriesByType('navigation')[0];
    const p = performance.getEntriesByType('paint').find((x) => x.name === 'first-contentful-paint');
    return { load: Math.round(e.loadEventEnd), paint: p ? Math.round(p.startTime) : -1 };
  });
  const n = await page.evaluate(() => document.getElementById('frames').children.length);
  const i = await page.evaluate(() => { let best = 1; for (let j = 1; j * C.S < D.length; j++) if (D[j * C.S + 1] === 3) { best = j; break; } return best; });
  // Time a click inside the page: event dispatch, zoom, then the next two rendered frames.
  const ms = await page.evaluate((i) => new Promise((resolve) => {
    const r = document.getElementById('frames').children[i].firstElementChild, t = performance.now();
    r.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t)));
  }), i);
  console.log(`browser: ${n} frames; in page: load event ${nav.load} ms, first paint ${nav.paint} ms; ` +
              `from the test driver: open ${t1 - t0} ms; click-to-zoom (to the second frame painted) ${Math.round(ms)} ms`);
  await page.close();
}

const { ctx, dir } = await launch();
try {
  if (process.argv[2] === '--timing') {
    await timing(ctx, process.argv[3]);
  } else {
    await basic(ctx, process.argv[2]);
    await units(ctx, process.argv[2]);
    console.log(`browser tests: ${checks - failures}/${checks} checks passed`);
  }
} catch (e) {
  failures++;
  console.error('FAIL exception:', e);
} finally {
  await ctx.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
process.exit(failures ? 1 : 0);
