// Measures the player in headless Chromium, lesson by lesson: the time from navigation
// to "playable" (the controls rendered and enabled) and, while the whole lesson plays
// at 4×, the longest task the main thread ran (PerformanceObserver 'longtask', which
// reports tasks over 50 ms) and the longest gap between animation frames.
// Figures, not assertions; the budgets are playable ≤ 300 ms and no task > 50 ms.
//
//   node scripts/measure-page.mjs [lesson ...]      (serves dist/; build it first)
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';

const PLAYABLE_MS = 300;
const TASK_MS = 50;

const site = await serve({ root: 'dist' });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
const ids = process.argv.length > 2 ? process.argv.slice(2)
  : execFileSync('cargo', ['run', '-q', '--', 'lessons'], { encoding: 'utf8' }).trimEnd().split('\n').map((l) => l.split(/\s+/)[0]);

// Installed before the page's own scripts: records long tasks and frame gaps.
const probe = () => {
  window.__tasks = [];
  // "Playable": the first moment the play button exists and is enabled.
  new MutationObserver((_, observer) => {
    if (document.querySelector('#play:not([disabled])')) {
      window.__playable = performance.now();
      observer.disconnect();
    }
  }).observe(document, { childList: true, subtree: true, attributes: true });
  window.__frames = { last: 0, worst: 0, on: false };
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__tasks.push(e.duration); })
    .observe({ type: 'longtask', buffered: true });
  const frame = (t) => {
    const f = window.__frames;
    if (f.on && f.last) f.worst = Math.max(f.worst, t - f.last);
    f.last = t;
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
};

const rows = [];
try {
  for (const id of ids) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.addInitScript(probe);
    await page.goto(`${site.url}?lesson=${id}`);
    await page.waitForSelector('#play:not([disabled])');
    // performance.now() counts from the navigation's start.
    const playable = await page.evaluate(() => window.__playable);
    const loadTask = Math.max(0, ...await page.evaluate(() => window.__tasks));
    await page.evaluate(() => { window.__tasks = []; window.__frames.on = true; });
    await page.selectOption('#speed', { label: '4×' });
    await page.click('#play');
    await page.waitForFunction(() => {
      const [a, b] = document.querySelector('#counter').textContent.split(' / ');
      return a === b;
    }, null, { timeout: 120_000, polling: 100 });
    const { tasks, frame } = await page.evaluate(() => ({ tasks: window.__tasks, frame: window.__frames.worst }));
    rows.push({ id, playable, loadTask, playTask: Math.max(0, ...tasks), frame });
    await page.close();
  }
} finally {
  await browser.close();
  site.server.close();
}

const ms = (n) => `${n.toFixed(0).padStart(6)} ms`;
console.log(`${'lesson'.padEnd(22)} ${'playable'.padStart(9)} ${'load task'.padStart(9)} ${'play task'.padStart(9)} ${'frame gap'.padStart(9)}`);
for (const r of rows) {
  console.log(`${r.id.padEnd(22)} ${ms(r.playable)} ${ms(r.loadTask)} ${ms(r.playTask)} ${ms(r.frame)}`);
}
const worst = (k) => Math.max(...rows.map((r) => r[k]));
console.log(`\nworst: playable ${worst('playable').toFixed(0)} ms (budget ${PLAYABLE_MS}), longest task while playing ` +
  `${worst('playTask').toFixed(0)} ms (budget ${TASK_MS}; 0 = none over 50 ms), longest task while loading ` +
  `${worst('loadTask').toFixed(0)} ms, longest frame gap ${worst('frame').toFixed(0)} ms`);
