// speedscope.mjs - loads files into the real speedscope (npm package, its release build) in
// Debian's chromium (playwright-core, no downloaded browser), the way its own CLI does
// (index.html#localProfilePath=a script that calls speedscope.loadFileFromBase64), then presses
// its Export button and reads back what speedscope imported: per profile, its name, unit and
// totals. Any import error (an alert, a console error, a page error, "Tried to leave frame")
// fails the file.
// Usage: node speedscope.mjs WORKDIR FILE...   prints one JSON line per FILE:
//   {"file":..., "ok":true, "profiles":[{"name","unit","type","total","busy"}]}
//   total: endValue - startValue; busy: time with at least one frame open (evented), or the
//   sum of the weights (sampled).
import { chromium } from 'playwright-core';
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const index = path.join(here, 'node_modules/speedscope/dist/release/index.html');

function summarize(doc) {
  return doc.profiles.map((p) => {
    let busy = 0;
    if (p.type === 'evented') {
      let depth = 0, since = 0;
      for (const e of p.events) {
        if (e.type === 'O') { if (depth++ === 0) since = e.at; }
        else if (--depth === 0) busy += e.at - since;
      }
    } else {
      busy = p.weights.reduce((a, b) => a + b, 0);
    }
    return { name: p.name, unit: p.unit, type: p.type, total: p.endValue - p.startValue, busy };
  });
}

async function load(ctx, work, file, k) {
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('dialog', async (d) => { errors.push('dialog: ' + d.message()); await d.dismiss(); });
  const js = path.resolve(work, `${k}-${path.basename(file)}.load.js`);
  const b64 = fs.readFileSync(file).toString('base64');
  fs.writeFileSync(js, `speedscope.loadFileFromBase64(${JSON.stringify(path.basename(file))}, ${JSON.stringify(b64)});\n`);
  await page.goto('file://' + index + '#localProfilePath=' + encodeURIComponent(js));
  const result = { file, ok: false };
  try {
    const exportTab = page.getByText('Export', { exact: false }).first();
    await exportTab.waitFor({ timeout: 30000 });
    await page.waitForTimeout(200);
    const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 30000 }), exportTab.click()]);
    const out = path.resolve(work, `${k}-${path.basename(file)}.speedscope-export.json`);
    await dl.saveAs(out);
    const doc = JSON.parse(fs.readFileSync(out, 'utf8'));
    result.profiles = summarize(doc);
    result.ok = errors.length === 0;
  } catch (e) {
    errors.push(String(e));
  }
  if (errors.length) result.errors = errors;
  await page.close();
  return result;
}

const [work, ...files] = process.argv.slice(2);
if (!work || files.length === 0) {
  console.error('usage: node speedscope.mjs WORKDIR FILE...');
  process.exit(2);
}
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'export-chromium-'));
const ctx = await chromium.launchPersistentContext(dir, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  acceptDownloads: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--allow-file-access-from-files'],
});
let failed = 0;
for (const [k, f] of files.entries()) {
  const r = await load(ctx, work, f, k);
  if (!r.ok) failed++;
  console.log(JSON.stringify(r));
}
await ctx.close();
fs.rmSync(dir, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
