// Measures the simulator in headless Chromium (issue 16: a 1,000-message queue simulated in
// under 150 ms in the browser): tests/worlds/thousand-greylisted.toml with its `count` set to
// 10, 100 and 1,000, run by the page's own simulator worker (dist/simulator-worker.js, the
// release build) as the Lab's Run asks it.
//
// Each figure is the median of five runs, from the request posted to the answer received in
// the page: the worker parses and runs the scenario, writes the run as JSON (the timeline
// the player plays; its steps packed, src/timeline/packed.rs) and posts it (the steps in
// parts, then the rest). The answer's size, parts included, is printed beside it.
// Figures, not assertions: it exits 0 whatever it measures, 1 only if it could not measure.
//
//   node scripts/measure-sim.mjs        (serves dist/; build it first with scripts/build-web.sh)
//   DIST=dir node scripts/measure-sim.mjs   serves another build (to compare two side by side)
//   ROWS=file node scripts/measure-sim.mjs   also writes `count|ms|bytes` lines (scripts/bench.sh)
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';

const DIST = process.env.DIST ?? 'dist';
const RUNS = 5;
if (!existsSync(`${DIST}/simulator-worker.js`)) {
  console.error(`measure-sim: ${DIST}/ is not built (scripts/build-web.sh)`);
  process.exit(1);
}
const world = readFileSync('tests/worlds/thousand-greylisted.toml', 'utf8');
const site = await serve({ root: DIST });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
try {
  const page = await browser.newPage();
  await page.goto(`${site.url}embed-example.html`);
  // The worker as the page starts it, ready when it says so.
  await page.evaluate(() => new Promise((resolve, reject) => {
    window.simulator = new Worker('./simulator-worker.js');
    window.simulator.onmessage = (event) => (event.data === '"ready"' ? resolve() : reject(new Error(event.data)));
  }));
  console.log(`Chromium ${browser.version()} (headless); the simulator worker, release build; median of ${RUNS}\n`);
  console.log(`${'messages'.padStart(8)} ${'request → answer'.padStart(17)} ${'answer (JSON)'.padStart(15)}`);
  for (const count of [10, 100, 1000]) {
    const source = world.replace('count = 1000', `count = ${count}`);
    const request = JSON.stringify({ id: count, request: { Run: { lesson: null, source, console: null } } });
    const times = [];
    let bytes = 0;
    for (let i = 0; i < RUNS; i++) {
      const [ms, length, ok] = await page.evaluate((request) => new Promise((resolve) => {
        const from = performance.now();
        let length = 0;
        // A long run's steps come first, in parts; the answer comes last.
        window.simulator.onmessage = (event) => {
          length += event.data.length;
          if (event.data.startsWith('{"answer"')) {
            resolve([performance.now() - from, length, event.data.includes('"Played"')]);
          }
        };
        window.simulator.postMessage(request);
      }), request);
      if (!ok) throw new Error(`the run of ${count} messages did not play`);
      times.push(ms);
      bytes = length;
    }
    const median = times.sort((a, b) => a - b)[Math.floor(RUNS / 2)];
    console.log(`${String(count).padStart(8)} ${`${median.toFixed(0)} ms`.padStart(17)} ${`${(bytes / 1e6).toFixed(2)} MB`.padStart(15)}`);
    if (process.env.ROWS) appendFileSync(process.env.ROWS, `${count}|${median.toFixed(1)}|${bytes}\n`);
  }
} catch (error) {
  console.error(`measure-sim: ${error.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
  site.close?.();
}
process.exit(process.exitCode ?? 0);
