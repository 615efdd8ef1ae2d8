// Measures the Lab's editor in headless Chromium against issue 14's budget: no editor action
// blocks the page's main thread for more than 50 ms, at the library's largest sizes.
//
// On dkim-body-changed (the library's largest scenario) with the Lab's editor open, each
// action below is traced (scripts/trace-tasks.mjs: every task, not only those 'longtask'
// reports) from just before it until its result is on screen and 500 ms more have passed
// (the live check is debounced and runs in the simulator's worker):
//   - paste the lesson's own source (19 KB), then the same padded with comment lines to 136 KB
//     (the size of the scenario issue 14 was measured with) and to 256 KB (the largest a
//     scenario may be, MAX_SCENARIO_OCTETS);
//   - type one character at its end;
//   - replace the 256 KB text with the lesson's source again;
//   - Run the edited scenario (until its title is shown).
// A paste is made as the browser makes one: all of the text selected (Ctrl+A), then a `paste`
// event with the text on its clipboard data. (Playwright's `fill` types the text through the
// browser's editing commands, which alone took 0.8 s for 19 KB: the browser's cost, not ours.)
//
// Beside each paste and keystroke: the same action in a plain text area of the editor's size
// with no listeners (what the Lab's editor was until CodeMirror replaced it). A text area lays
// its whole text out when its value changes: at 256 KB that alone took 60 ms on a 2-core
// machine, which is why the editor is one that lays out only the lines in view.
// Figures, not assertions: it exits 0 whatever it measures, 1 only if it could not measure.
//
//   node scripts/measure-lab.mjs        (serves dist/; build it first with scripts/build-web.sh)
import { existsSync, readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';
import { TASK_CATEGORIES, longestTask, markEvent, traceEvents } from './trace-tasks.mjs';
import { setEditorText } from './lab-input.mjs';

const DIST = 'dist';
const LESSON = 'dkim-body-changed';
const TASK_MS = 50;
const ISSUE_BYTES = 136 * 1024;
// scenario::MAX_SCENARIO_OCTETS
const LARGEST_BYTES = 256 * 1024;
const TAIL_MS = 500;

if (!existsSync(`${DIST}/index.html`)) {
  console.error(`measure-lab: ${DIST}/ is not built (scripts/build-web.sh)`);
  process.exit(1);
}
const source = readFileSync(`src/scenario/lessons/${LESSON}.toml`, 'utf8');
const filler = '# A comment line that pads the scenario to the size issue 14 measured with.\n';
/** The lesson padded with comment lines to at most `bytes` octets of UTF-8. */
const padded = (bytes) =>
  source + filler.repeat(Math.floor((bytes - Buffer.byteLength(source)) / Buffer.byteLength(filler)));
// (The largest leaves room for the character typed into it.)
const [issueSized, largest] = [padded(ISSUE_BYTES), padded(LARGEST_BYTES - 16)];
const edited = source.replace(/^title = "[^"]*"/m, 'title = "Edited in the Lab"');

const site = await serve({ root: DIST });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});

try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${site.url}?lesson=${LESSON}`);
  await page.locator('#play:not([disabled])').waitFor();
  await page.click('#lab-toggle');
  await page.click('#lab-tab-editor');
  await page.locator('#editor-source').waitFor();
  await page.locator('#editor-status:not(.lab-error)').waitFor();

  /** The longest main-thread task from just before `act` until `done` and TAIL_MS more. */
  async function traced(act, done) {
    await browser.startTracing(page, { categories: TASK_CATEGORIES });
    await page.evaluate(() => performance.mark('lab-from'));
    await act();
    await done();
    await page.waitForTimeout(TAIL_MS);
    await page.evaluate(() => performance.mark('lab-to'));
    const events = traceEvents(await browser.stopTracing());
    const from = markEvent(events, 'lab-from');
    const to = markEvent(events, 'lab-to');
    if (!from || !to) throw new Error('the trace has no marks');
    return longestTask(events, from, from.ts, to.ts);
  }
  const settled = () => page.locator('#editor-status:not(.lab-error)').waitFor();
  /** Pastes `text` over all of the editor's text, as the browser does. */
  const paste = (text) => setEditorText(page, text);
  /** Sets the plain text area's value, as a paste into it does. */
  const pastePlain = (text) => page.evaluate((text) => {
    const area = document.querySelector('#plain-area');
    area.value = text;
    area.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertFromPaste' }));
  }, text);
  /** A plain text area the size of the editor, beside it, or gone. */
  const plain = (present) => page.evaluate((present) => {
    document.querySelector('#plain-area')?.remove();
    if (!present) return;
    const box = document.querySelector('.editor-wrap').getBoundingClientRect();
    const area = document.createElement('textarea');
    Object.assign(area, { id: 'plain-area', spellcheck: false, wrap: 'off' });
    area.style.cssText = `width:${box.width}px;height:${box.height}px;font:.85rem/1.4 monospace;white-space:pre`;
    document.querySelector('.editor-wrap').after(area);
  }, present);
  /** The plain text area's longest task for the same action (after `prepare`, untimed). */
  async function inPlain({ act, prepare }) {
    await plain(true);
    await prepare?.();
    await page.waitForTimeout(200);
    const ms = await traced(act, async () => {});
    await plain(false);
    return ms;
  }
  const typeAtEnd = (selector) => async () => {
    await page.focus(selector);
    await page.keyboard.press('ControlOrMeta+End');
    await page.keyboard.type('#');
  };
  const kb = (text) => `${(Buffer.byteLength(text) / 1024).toFixed(0)} KB`;
  // [action, act, until done, the same action in the plain text area (or none)]
  const rows = [
    [`paste the lesson (${kb(source)})`, () => paste(source), settled,
      { act: () => pastePlain(source) }],
    [`paste it padded to ${kb(issueSized)}`, () => paste(issueSized), settled,
      { act: () => pastePlain(issueSized) }],
    [`paste it padded to ${kb(largest)} (largest)`, () => paste(largest), settled,
      { act: () => pastePlain(largest) }],
    ['type one character at its end', typeAtEnd('#editor-source'), settled,
      { act: typeAtEnd('#plain-area'), prepare: () => pastePlain(largest) }],
    ['replace it with the lesson again', () => paste(edited), settled, null],
    ['Run the edited scenario', () => page.click('#editor-run'),
      () => page.locator('#lesson-title', { hasText: 'Edited in the Lab' }).waitFor(), null],
  ];
  console.log(`Chromium ${browser.version()} (headless); the Lab's editor on ${LESSON}; budget: no task > ${TASK_MS} ms\n`);
  console.log(`${'action'.padEnd(40)} ${'longest task'.padStart(14)} ${'plain text area'.padStart(16)}`);
  const shown = (ms) => (ms === null ? 'none seen' : `${ms.toFixed(0)} ms`);
  for (const [name, act, done, plainAct] of rows) {
    // The text area's figure is taken first, so the Lab's own text is what the row leaves.
    const alone = plainAct ? await inPlain(plainAct) : undefined;
    const ms = await traced(act, done);
    const verdict = ms === null ? 'none seen' : `${shown(ms)} ${ms <= TASK_MS ? 'ok  ' : 'over'}`;
    console.log(`${name.padEnd(40)} ${verdict.padStart(14)} ${(alone === undefined ? '' : shown(alone)).padStart(16)}`);
  }
} catch (error) {
  console.error(`measure-lab: ${error.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
  site.close?.();
}
process.exit(process.exitCode ?? 0);
