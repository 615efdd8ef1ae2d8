// Measures the built site (dist/) in headless Chromium, next to the performance budgets:
//
//   lesson by lesson, each on a fresh browser context (nothing cached; one untimed load first
//   so that the browser's own start-up is not charged to the first lesson):
//   - fetched: every file the page fetched from navigation until "playable" (the play button
//     exists and is enabled), each file once, as its `gzip -9` size (node's zlib at level 9;
//     GNU gzip -9, which scripts/measure-size.sh uses, packs the wasm about 1% smaller);
//   - playable: when that happened, in ms after navigation start (the page's performance clock);
//   - the full player's takeover (issue 13): at this width the inspectors are on screen, so
//     the player module fetches the full player once playable and it takes the page over; when
//     it listens (`<html data-player="full">`), and the longest main-thread task from playable
//     until 500 ms after that (its compile, the handover, its first render, then its own parts,
//     drawn a task later);
//   - the longest main-thread task from navigation until playable, and while the whole lesson
//     plays at 4×. Both come from a Chromium trace (scripts/trace-tasks.mjs): every task, not
//     only those over 50 ms that PerformanceObserver('longtask') reports, and also the tasks
//     before the page's first script ran (the navigation's commit), which 'longtask' misses.
//     The longtask figure stands in, marked †, only if the trace has no main thread to read
//     ("≤50" when it saw none);
//   then the Lab, each on a fresh page once playable and the network idle: the first console
//   reply after typing EHLO, and the first run of an edited scenario (the editor's Run), with the
//   bytes fetched from opening the Lab until each was shown, and the time from opening the Lab
//   (which includes the script's own typing and clicking, so an upper bound) and from the Enter
//   key or the Run click.
//
// Requests are recorded on the browser context, which also reports those of the page's
// dedicated Web Workers (their script, importScripts and fetches, nested workers too; checked
// with playwright-core 1.65 and Chromium 156). The static server's own log is compared with
// them, so a file the browser did not report (a service worker's, say) is counted and named.
// Figures, not assertions: it exits 0 whatever it measures, 1 only if it could not measure.
//
//   node scripts/measure-load.mjs [lesson ...]      (serves dist/; build it first)
//   TRACES=dir node scripts/measure-load.mjs ...     also keeps each trace as dir/<lesson>-load.json
//                                                    and -play.json (DevTools' Performance panel)
//
// scripts/measure-page.mjs is the quicker probe with frame gaps and 'longtask' only.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { fileFor, serve } from './serve.mjs';
import { TASK_CATEGORIES, longestTask, markEvent, navigationStart, traceEvents } from './trace-tasks.mjs';
import { editorText, setEditorText } from './lab-input.mjs';

const DIST = 'dist';
const BUDGET = { bytes: 200 * 1024, playable: 300, task: 50, lab: 1000 };
const EDITED_TITLE = 'Edited in the Lab';

if (!existsSync(`${DIST}/index.html`)) {
  console.error(`measure-load: ${DIST}/ is not built (scripts/build-web.sh)`);
  process.exit(1);
}
const ids = process.argv.length > 2 ? process.argv.slice(2)
  : execFileSync('cargo', ['run', '-q', '--', 'lessons'], { encoding: 'utf8' }).trimEnd().split('\n').map((l) => l.split(/\s+/)[0]);

// Wall-clock milliseconds, the clock of a request's timing().startTime and of performance.timeOrigin.
const wallNow = () => performance.timeOrigin + performance.now();
const served = [];
const site = await serve({ root: DIST, onRequest: (path) => served.push({ path, at: wallNow() }) });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const version = browser.version();

// Installed before the page's own scripts. Marks are kept as performance.now() values and as
// performance.mark()s, which the trace shows on the page's main thread.
const probe = () => {
  const marks = {};
  window.__marks = marks;
  const mark = (name, at = performance.now()) => {
    if (name in marks) return;
    marks[name] = at;
    performance.mark(name, { startTime: at });
  };
  window.__mark = mark;
  // The first moment `selector` is in the page (with exactly `text`, when given).
  window.__watch = (name, selector, text) => {
    const seen = () => {
      const el = document.querySelector(selector);
      return el && (text === undefined || el.textContent === text);
    };
    if (seen()) return mark(name);
    new MutationObserver((_, observer) => {
      if (seen()) {
        mark(name);
        observer.disconnect();
      }
    }).observe(document, { childList: true, subtree: true, attributes: true, characterData: true });
  };
  window.__watch('playable', '#play:not([disabled])');
  window.__watch('full', 'html[data-player="full"]');
  // The learner's actions, at the time of the event.
  document.addEventListener('click', (e) => {
    if (e.target.closest?.('#lab-toggle')) mark('lab-open', e.timeStamp);
    if (e.target.closest?.('#editor-run')) mark('run', e.timeStamp);
  }, true);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && e.target.id === 'console-input') mark('enter', e.timeStamp);
  }, true);
  window.__longtasks = [];
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longtasks.push(e.duration); })
    .observe({ type: 'longtask', buffered: true });
};

/** A fresh context and page with the probe, whose requests are recorded from now on. */
async function openPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const requests = [];
  const pending = new Set();
  context.on('request', (request) => {
    requests.push({ request, seen: wallNow() });
    pending.add(request);
  });
  for (const event of ['requestfinished', 'requestfailed']) context.on(event, (request) => pending.delete(request));
  const page = await context.newPage();
  await page.addInitScript(probe);
  const servedFrom = served.length;
  return {
    context,
    page,
    /** Files fetched between two page-clock times (ms after navigation start), each once. */
    async fetched(fromMs, toMs) {
      for (let i = 0; pending.size && i < 50; i++) await new Promise((ok) => setTimeout(ok, 100));
      const origin = await page.evaluate(() => performance.timeOrigin);
      const inWindow = (at) => at > origin + fromMs && at <= origin + toMs;
      const files = new Map();
      const add = async (path, at, note) => {
        const file = await fileFor(DIST, path);
        const key = file ?? path;
        if (!files.has(key)) files.set(key, { ...await sizes(file), path, at: at - origin, note });
      };
      const reported = new Set();
      for (const { request, seen } of requests) {
        const url = new URL(request.url());
        const start = request.timing().startTime > 0 ? request.timing().startTime : seen;
        if (url.origin === new URL(site.url).origin) {
          reported.add(url.pathname);
          if (inWindow(start)) await add(url.pathname, start);
        } else if (url.protocol.startsWith('http') && inWindow(start) && !files.has(url.href)) {
          files.set(url.href, { raw: 0, gzip: 0, path: url.href, at: start - origin, note: 'another origin, not counted' });
        }
      }
      for (const { path, at } of served.slice(servedFrom)) {
        if (!reported.has(path) && inWindow(at)) await add(path, at, 'served, but not reported by the browser');
      }
      return [...files.values()].sort((a, b) => a.at - b.at);
    },
  };
}

const sizeCache = new Map();
/** Raw and gzip -9 bytes of a file under dist/ (zero for a path that is not there). */
async function sizes(file) {
  if (!file) return { raw: 0, gzip: 0, missing: true };
  if (!sizeCache.has(file)) {
    const body = await readFile(file).catch(() => null);
    sizeCache.set(file, body ? { raw: body.length, gzip: gzipSync(body, { level: 9 }).length, file: relative(DIST, file) }
      : { raw: 0, gzip: 0, missing: true });
  }
  return sizeCache.get(file);
}
const counted = (files) => files.reduce((n, f) => n + f.gzip, 0);

/** Runs `during` under a Chromium trace and returns its events (kept as `TRACES/name.json`
 *  when the environment names a directory: DevTools' Performance panel opens them). */
async function traced(page, name, during) {
  if (process.env.TRACES) await mkdir(process.env.TRACES, { recursive: true });
  await browser.startTracing(page, { categories: TASK_CATEGORIES, path: process.env.TRACES && `${process.env.TRACES}/${name}.json` });
  let buffer;
  try {
    await during();
  } finally {
    buffer = await browser.stopTracing();
  }
  return traceEvents(buffer);
}

/** How long after the full player listens its later tasks still count as its takeover. */
const TAKEOVER_TAIL_MS = 500;

/** One lesson: bytes and time until playable, longest task while loading and while playing at 4×. */
async function measureLesson(id) {
  const { context, page, fetched } = await openPage();
  try {
    const loadTrace = await traced(page, `${id}-load`, async () => {
      await page.goto(`${site.url}?lesson=${id}`);
      await page.waitForFunction(() => 'playable' in window.__marks, null, { polling: 50 });
      await page.waitForFunction(() => 'full' in window.__marks, null, { polling: 50, timeout: 30_000 }).catch(() => {});
      // Its own parts (inspectors, what-if) are drawn a task later: keep tracing past them.
      await page.waitForTimeout(TAKEOVER_TAIL_MS);
    });
    const { playable, full, longtasks } = await page.evaluate(() => ({
      playable: window.__marks.playable, full: window.__marks.full, longtasks: window.__longtasks,
    }));
    const files = await fetched(-Infinity, playable);
    let loadTask = { ms: longtasks.length ? Math.max(...longtasks) : null, longtask: true };
    const ready = markEvent(loadTrace, 'playable');
    const nav = ready && navigationStart(loadTrace, ready);
    if (ready && nav) {
      const ms = longestTask(loadTrace, ready, nav.ts, ready.ts);
      if (ms !== null) loadTask = { ms };
    }
    const tookOver = markEvent(loadTrace, 'full');
    const fullTask = ready && tookOver
      ? { ms: longestTask(loadTrace, ready, ready.ts, tookOver.ts + TAKEOVER_TAIL_MS * 1000) } : null;

    await page.evaluate(() => { window.__longtasks = []; });
    await page.selectOption('#speed', { label: '4×' });
    const playTrace = await traced(page, `${id}-play`, async () => {
      await page.evaluate(() => window.__mark('play'));
      await page.click('#play');
      await page.waitForFunction(() => {
        const [a, b] = document.querySelector('#counter').textContent.split(' / ');
        return a === b;
      }, null, { timeout: 180_000, polling: 100 });
      await page.evaluate(() => window.__mark('played'));
    });
    const playLongtasks = await page.evaluate(() => window.__longtasks);
    let playTask = { ms: playLongtasks.length ? Math.max(...playLongtasks) : null, longtask: true };
    const [from, to] = [markEvent(playTrace, 'play'), markEvent(playTrace, 'played')];
    if (from && to) {
      const ms = longestTask(playTrace, from, from.ts, to.ts);
      if (ms !== null) playTask = { ms };
    }
    return { id, files, later: await fetched(playable, Infinity), bytes: counted(files), playable, loadTask, playTask,
      full, fullTask };
  } finally {
    await context.close();
  }
}

/** The Lab on a fresh page once playable: `act` opens it and does one thing; `shown` is what it waits for. */
async function measureLab(id, label, act, shown, action) {
  const { context, page, fetched } = await openPage();
  try {
    await page.goto(`${site.url}?lesson=${id}`);
    await page.waitForFunction(() => 'playable' in window.__marks, null, { polling: 50 });
    // What the page fetches on its own after playable (the favicon) is not the Lab's.
    await page.waitForLoadState('networkidle');
    await page.evaluate(([name, selector, text]) => window.__watch(name, selector, text), shown);
    await page.click('#lab-toggle');
    await act(page);
    await page.waitForFunction((name) => name in window.__marks, shown[0], { polling: 50, timeout: 60_000 });
    const marks = await page.evaluate(() => window.__marks);
    const files = await fetched(marks['lab-open'], marks[shown[0]]);
    return { label, files, bytes: counted(files), fromOpen: marks[shown[0]] - marks['lab-open'],
      fromAction: marks[shown[0]] - marks[action] };
  } finally {
    await context.close();
  }
}

const console_ = async (page) => {
  await page.click('#lab-tab-console');
  await page.locator('#console-input:not([disabled])').waitFor({ timeout: 10_000 });
  await page.fill('#console-input', 'EHLO learner.example');
  await page.press('#console-input', 'Enter');
};
const editor = async (page) => {
  await page.click('#lab-tab-editor');
  const source = await editorText(page);
  await setEditorText(page, source.replace(/^title = ".*"$/m, `title = "${EDITED_TITLE}"`));
  await page.locator('#editor-status:not(.lab-error)').waitFor();
  await page.click('#editor-run');
};

const rows = [];
const lab = [];
const failures = [];
try {
  // One untimed load first: the browser's own start-up (its network service, the first
  // renderer) would otherwise be charged to the first lesson.
  const warm = await openPage();
  await warm.page.goto(`${site.url}?lesson=${ids[0]}`);
  await warm.page.waitForFunction(() => 'playable' in window.__marks, null, { polling: 50 }).catch(() => {});
  await warm.context.close();
  for (const id of ids) {
    try {
      rows.push(await measureLesson(id));
    } catch (e) {
      failures.push(`${id}: ${e.message.split('\n')[0]}`);
      rows.push({ id });
    }
  }
  for (const [label, act, shown, action] of [
    ['first console reply (EHLO)', console_, ['console-reply', '.console-reply'], 'enter'],
    ['first edited-scenario run (Run)', editor, ['edited-run', '#lesson-title', EDITED_TITLE], 'run'],
  ]) {
    try {
      lab.push(await measureLab(ids[0], label, act, shown, action));
    } catch (e) {
      failures.push(`Lab, ${label}: ${e.message.split('\n')[0]}`);
      lab.push({ label });
    }
  }
} finally {
  await browser.close().catch(() => {});
  site.server.close();
}

// The tables: text columns left, figures right, each figure followed by its ok/over mark.
function table(head, body) {
  const width = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const pad = (r) => r.map((c, i) => (i === 0 ? c.padEnd(width[i]) : c.padStart(width[i]))).join('  ').trimEnd();
  for (const r of [head, ...body]) console.log(pad(r));
}
// Judged as shown: a 50.3 ms task reads "50 ms ok", not "50 ms over".
const verdict = (value, budget, shown = Math.round(value)) =>
  (value === undefined || value === null ? '' : shown <= budget ? ' ok' : ' over');
const kb = (b) => (b === undefined ? 'n/a' : `${(b / 1024).toFixed(1)} KB`);
const ms = (n) => (n === undefined || n === null || !Number.isFinite(n) ? 'n/a' : `${n.toFixed(0)} ms`);
// A task figure: from the trace, or (†) from 'longtask', where none seen means ≤ 50 ms.
const task = (t) => {
  if (!t) return 'n/a';
  const figure = t.ms === null ? '≤50 ms' : `${t.ms.toFixed(0)} ms`;
  return `${figure}${t.longtask ? '†' : ''}${verdict(t.ms ?? 0, BUDGET.task)}`.padEnd(figure.length + 6);
};
const okOver = (text, value, budget, shown) => `${text}${verdict(value, budget, shown)}`.padEnd(text.length + 5);

console.log(`Chromium ${version} (headless), dist/ served on loopback; KB = 1024 bytes of gzip -9.`);
console.log(`Budgets: first load ≤ ${BUDGET.bytes / 1024} KB gzip · playable ≤ ${BUDGET.playable} ms · ` +
  `no main-thread task > ${BUDGET.task} ms · Lab simulator ready ≤ ${BUDGET.lab / 1000} s\n`);
const lessonRow = (name, r) => [name, okOver(kb(r.bytes), r.bytes, BUDGET.bytes, r.bytes), okOver(ms(r.playable), r.playable, BUDGET.playable),
  task(r.loadTask), ms(r.full), task(r.fullTask), task(r.playTask)];
const measured = rows.filter((r) => r.files);
const body = rows.map((r) => lessonRow(r.id, r));
if (measured.length > 1) {
  const worst = (k) => Math.max(...measured.map((r) => r[k]).filter((v) => v !== undefined));
  // A lesson without a figure (the full player never took over) leaves it out.
  const worstTask = (k) => measured.map((r) => r[k]).filter(Boolean)
    .reduce((a, b) => (a === null || (b.ms ?? 0) > (a.ms ?? 0) ? b : a), null);
  body.push(lessonRow('worst', { bytes: worst('bytes'), playable: worst('playable'), loadTask: worstTask('loadTask'),
    full: worst('full'), fullTask: worstTask('fullTask'), playTask: worstTask('playTask') }));
}
table(['lesson', 'fetched until playable', 'playable', 'longest task, loading', 'full player', 'longest task, taking over',
  'longest task, playing 4×'], body);
if (rows.some((r) => r.loadTask?.longtask || r.playTask?.longtask)) {
  console.log(`† from PerformanceObserver('longtask'), which sees only tasks over 50 ms: the trace had no main thread to read`);
}

const first = measured[0];
if (first) {
  console.log(`\nFiles fetched until playable (${first.id}), in the order they were requested:`);
  const files = first.files.map((f) => [`${f.file ?? f.path}${f.missing ? ' (not in dist/)' : ''}${f.note ? ` (${f.note})` : ''}`,
    `${f.raw} B`, `${f.gzip} B`, `${f.at.toFixed(0)} ms`]);
  files.push(['total', `${first.files.reduce((n, f) => n + f.raw, 0)} B`, `${first.bytes} B`, '']);
  for (const f of first.later) {
    files.push([`after playable, not counted: ${f.file ?? f.path}`, `${f.raw} B`, `${f.gzip} B`, `${f.at.toFixed(0)} ms`]);
  }
  table(['file', 'raw', 'gzip -9', 'requested at'], files);
}

console.log(`\nLab (${ids[0]}), each on a fresh page once playable and the network idle; fetched from opening the Lab until shown:`);
table(['', 'fetched, gzip', 'shown, from opening the Lab', 'from the key or click'], lab.map((l) => [l.label,
  l.bytes === undefined ? 'n/a' : `${l.bytes} B`, okOver(ms(l.fromOpen), l.fromOpen, BUDGET.lab), ms(l.fromAction)]));
for (const l of lab) {
  for (const f of l.files ?? []) console.log(`  ${l.label}: ${f.file ?? f.path}, ${f.gzip} B gzip${f.note ? ` (${f.note})` : ''}`);
}

if (failures.length) {
  console.log('\nCould not measure:');
  for (const f of failures) console.log(`  ${f}`);
  process.exit(1);
}
