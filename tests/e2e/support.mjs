// Shared set-up for the browser tests: the built site on a loopback port, a headless
// Debian Chromium driven by playwright-core, and the native CLI's view of each lesson.
import { mkdir } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { serve } from '../../scripts/serve.mjs';

export const ARTIFACTS = 'test-artifacts/screenshots';

/** Starts the static server over dist/ and a browser; returns them, the URLs requested from
 *  the server (`requests`) and a `close()`. */
export async function start() {
  const site = await serve({ root: 'dist' });
  // Every request line the server received (path and query, as a host's log keeps them).
  const requests = [];
  site.server.on('request', (req) => requests.push(req.url));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  await mkdir(ARTIFACTS, { recursive: true });
  return {
    url: site.url,
    browser,
    requests,
    async close() {
      await browser.close();
      site.server.close();
    },
  };
}

/** Opens a page that fails the test on any uncaught page error or console error. */
export async function open(browser, url, options = {}) {
  const page = await browser.newPage(options);
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(url);
  page.errors = errors;
  return page;
}

/** Opens the player at `?query` and waits until its controls are there. */
export async function openPlayer(env, query, options = {}) {
  const page = await open(env.browser, `${env.url}?${query}`, options);
  await page.locator('#play').waitFor();
  await settled(page);
  return page;
}

/** Has the full player take the page over now (issue 13), as scrolling to the inspectors
 *  does, then goes back to the top: for tests that scroll and measure a page, which must not
 *  be replaced under them half way. */
export async function takeOver(page) {
  if (await page.evaluate(() => document.documentElement.dataset.player !== 'full')) {
    await page.locator('.awaiting.inspectors').scrollIntoViewIfNeeded();
    await page.waitForFunction(() => document.documentElement.dataset.player === 'full');
  }
  await page.evaluate(() => window.scrollTo(0, 0));
}

/** Waits until the page will not change hands (issue 13): the full player has taken over
 *  (`<html data-player="full">`), or nothing on the page waits for it. While it loads and
 *  takes over (`data-player="loading"`) the page is neither. A placeholder of the full
 *  player's parts (`.awaiting`) asks for it when it is needed, or, for the inspectors and the
 *  recap, once it is within 200 px of the viewport; one further away asks nothing. */
export async function settled(page) {
  await page.waitForFunction(() => {
    const player = document.documentElement.dataset.player;
    if (player === 'full') return true;
    if (player === 'loading') return false;
    return [...document.querySelectorAll('.awaiting')].every((place) => {
      const seenOnly = place.classList.contains('inspectors') || place.classList.contains('ending');
      return seenOnly && place.getBoundingClientRect().top > innerHeight + 200;
    });
  });
}

/** An init script: notes when the player module hands the page over to the full player
 *  (`window.__held`, a count, after calling `window.__onHold` if the test set one) and keeps the full player's release of the input held meanwhile
 *  (keys, an embedding page's commands) until the test sets `window.__release`. */
export const DEFER_RELEASE = () => {
  let hold;
  let release;
  Object.defineProperty(window, 'smtpPlaygroundHoldInput', {
    configurable: true,
    set: (f) => { hold = f; },
    get: () => () => { window.__onHold?.(); window.__held = (window.__held || 0) + 1; hold(); },
  });
  Object.defineProperty(window, 'smtpPlaygroundReleaseInput', {
    configurable: true,
    set: (f) => { release = f; },
    get: () => () => { const go = () => (window.__release ? release() : setTimeout(go, 20)); go(); },
  });
};

/** The `N / M` counter as numbers, once it shows `want` steps (when given). */
export async function position(page, want) {
  if (want !== undefined) {
    await page.waitForFunction((w) => document.querySelector('#counter')?.textContent.startsWith(`${w} /`), want);
  }
  const [shown, total] = (await page.locator('#counter').textContent()).split(' / ').map(Number);
  return { shown, total };
}

/** Presses End and waits until the counter shows the last step (a key pressed while the
 *  full player takes over is held and replayed a task later, so the counter may lag). */
export async function toEnd(page) {
  await page.keyboard.press('End');
  await page.waitForFunction(() => {
    const [shown, total] = (document.querySelector('#counter')?.textContent ?? '').split(' / ').map(Number);
    return total > 0 && shown === total;
  });
  return position(page);
}

/** The transcript lines shown, in order. */
export function transcriptShown(page) {
  return page.locator('.transcript .text').allTextContents();
}

// Pasting, and the Lab editor's text: shared with the measuring scripts.
export { paste, editorText, setEditorText } from '../../scripts/lab-input.mjs';

// The native CLI, built once: the same core, run outside the browser.
let cli;
export function binary() {
  if (!cli) {
    execFileSync('cargo', ['build', '-q', '--bin', 'smtp-playground'], { stdio: 'inherit' });
    cli = join(process.env.CARGO_TARGET_DIR ?? 'target', 'debug', 'smtp-playground');
  }
  return cli;
}

/** The lessons' ids, as `smtp-playground lessons` lists them. */
export function lessonIds() {
  return execFileSync(binary(), ['lessons'], { encoding: 'utf8' }).trimEnd().split('\n').map((l) => l.split(/\s+/)[0]);
}

/** `Timeline::transcript()` of a lesson, from the native CLI. */
export function nativeTranscript(id) {
  return JSON.parse(execFileSync(binary(), ['run', id, '--transcript', '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 }));
}

/** A lesson's timeline as JSON, from the native CLI. */
export function nativeTimeline(id) {
  return JSON.parse(execFileSync(binary(), ['run', id, '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 }));
}
