// Loading (issue 14) in Chromium: the page is never blank while the player module loads,
// says what it needs without JavaScript, and the server sends the precompressed copies
// (brotli, gzip) that the build writes next to each asset.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { readFile, readdir } from 'node:fs/promises';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { start } from './support.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

/** GET `path` with an Accept-Encoding; resolves to { encoding, body } (body as sent). */
function get(path, acceptEncoding) {
  return new Promise((resolve, reject) => {
    const headers = acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding };
    request(new URL(path, env.url), { headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ encoding: res.headers['content-encoding'], vary: res.headers.vary, body: Buffer.concat(chunks) }));
    }).on('error', reject).end();
  });
}

test('until the player starts, the page says it is loading; then the player replaces it', async () => {
  const context = await env.browser.newContext();
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  await context.route(/smtp-playground-.*_bg\.wasm$/, async (route) => { await held; await route.continue(); });
  const page = await context.newPage();
  await page.goto(`${env.url}?lesson=mx-relay`, { waitUntil: 'domcontentloaded' });
  const boot = page.locator('#boot');
  await boot.waitFor();
  assert.match(await boot.textContent(), /Loading the player/);
  assert.equal(await boot.getAttribute('role'), 'status');
  release();
  await page.locator('#play').waitFor();
  assert.equal(await page.locator('#boot').count(), 0);
  await context.close();
});

test('without JavaScript the page says what it needs', async () => {
  const context = await env.browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(env.url);
  const text = await page.locator('body').innerText();
  assert.match(text, /turn JavaScript on/);
  assert.match(text, /smtp-playground run LESSON/);
  await context.close();
});

test('the server sends brotli or gzip copies to browsers that accept them, the file to others', async () => {
  const wasm = (await readdir('dist')).find((f) => /^smtp-playground-.*_bg\.wasm$/.test(f));
  const original = await readFile(`dist/${wasm}`);
  const br = await get(wasm, 'gzip, deflate, br');
  assert.equal(br.encoding, 'br');
  assert.equal(br.vary, 'accept-encoding');
  assert.ok(br.body.length < original.length / 2, `${br.body.length} of ${original.length}`);
  assert.ok(brotliDecompressSync(br.body).equals(original));
  const gz = await get(wasm, 'gzip');
  assert.equal(gz.encoding, 'gzip');
  assert.ok(gunzipSync(gz.body).equals(original));
  const refused = await get(wasm, 'br;q=0, gzip;q=0');
  assert.equal(refused.encoding, undefined);
  assert.ok(refused.body.equals(original));
  const plain = await get(wasm, undefined);
  assert.equal(plain.encoding, undefined);
  // Lesson data is compressed too; the small favicon is not.
  assert.equal((await get('lessons/mx-relay.json', 'br')).encoding, 'br');
  const favicon = (await readdir('dist')).find((f) => f.startsWith('favicon') && f.endsWith('.svg'));
  assert.equal((await get(favicon, 'br')).encoding, undefined);
  // Chromium takes a compressed copy and plays.
  const page = await env.browser.newPage();
  const encodings = [];
  page.on('response', async (r) => {
    if (/_bg\.wasm$/.test(r.url())) encodings.push((await r.allHeaders())['content-encoding']);
  });
  await page.goto(`${env.url}?lesson=mx-relay`);
  await page.locator('#play').waitFor();
  assert.equal(encodings.length, 1);
  assert.match(encodings[0] ?? '', /^(br|gzip)$/);
  await page.close();
});
