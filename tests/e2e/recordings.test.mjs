// Recordings in Chromium (issue 17): real sessions that `smtp-playground serve --record`
// wrote (swaks, and hostile raw sockets) opened in the player with the file picker, by drag
// and drop and from an embedding page; each shows the lines serve printed in the terminal,
// with lanes, annotated bytes, inspectors and a replay in the Lab, and none breaks the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { start, openPlayer, position, toEnd, transcriptShown, binary, takeOver } from './support.mjs';

let env;
let dir;
let log = '';
/** The recordings serve wrote, in session order: `{ file, json, played }`. */
let recordings = [];
/** An IMAP session's recording (imaplib reading Bob's mail through `serve --imap`). */
let imapRecording;

/** A started serve's output so far, and its SMTP and (with --imap) IMAP addresses once
 *  it printed them. */
function startServe(child, imap = false) {
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (!imap) log += chunk;
      const smtp = /^listening on (\S+)/m.exec(out);
      const reader = /^imap listening on (\S+)/m.exec(out);
      if (smtp && (!imap || reader)) resolve([smtp[1], reader?.[1]]);
    });
    child.on('exit', (code) => reject(new Error(`serve exited (${code}):\n${out}`)));
  });
}

/** Python's imaplib (tests/interop/imaplib_client.py), from the project's venv. */
const imaplib = (...args) => execFileSync('.venv/bin/python', ['tests/interop/imaplib_client.py', ...args], { encoding: 'utf8' });

/** A raw client: each write after the previous one was answered (or 300 ms passed). */
function raw(address, writes) {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve) => {
    const socket = connect(port, host);
    let pending = [...writes];
    let timer;
    const next = () => {
      clearTimeout(timer);
      const write = pending.shift();
      if (write === undefined) {
        socket.end();
        return;
      }
      socket.write(write);
      timer = setTimeout(next, 300);
    };
    socket.once('data', () => {
      socket.on('data', () => { clearTimeout(timer); timer = setTimeout(next, 50); });
      next();
    });
    socket.on('error', () => {});
    socket.on('close', () => { clearTimeout(timer); resolve(); });
  });
}

before(async () => {
  env = await start();
  dir = await mkdtemp(join(tmpdir(), 'smtp-playground-e2e-recordings-'));
  const serve = spawn(binary(), ['serve', '--listen', '127.0.0.1:0', '--no-color', '--scenario', 'tests/interop/serve.toml',
    '--maildir', join(dir, 'mail'), '--record', join(dir, 'recordings'), '--log', 'transcript'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [address] = await startServe(serve);
  // 1. swaks, pipelining, with a dot-stuffed line.
  execFileSync('swaks', ['--server', address, '--helo', 'client.example.com', '--from', 'alice@example.com',
    '--to', 'bob@example.net', '--pipeline', '--body', 'Hello from swaks.\n.dotted', '--timeout', '20'], { stdio: 'ignore' });
  // 2.–4. Hostile sessions: smuggling, an overlong line with NUL and invalid UTF-8, a line cut off.
  await raw(address, ['EHLO evil.example\r\n', 'MAIL FROM:<a@evil.example>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n',
    'Subject: one\r\n\r\nbody\n.\nMAIL FROM:<ceo@bank.example>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n\r\n.\r\n', 'QUIT\r\n']);
  await raw(address, [`MAIL FROM:<${'A'.repeat(70000)}>\r\n`, Buffer.from('HELO \x00\xff\xfe<script>alert(1)</script>\r\n', 'latin1'), 'QUIT\r\n']);
  await raw(address, ['EHLO c\r\n', 'MAIL FROM:<unfinished']);
  const exited = new Promise((resolve) => serve.on('exit', resolve));
  serve.kill('SIGTERM');
  await exited;
  const names = (await readdir(join(dir, 'recordings'))).filter((n) => n.endsWith('.json'));
  names.sort((a, b) => Number(/-(\d+)\.json$/.exec(a)[1]) - Number(/-(\d+)\.json$/.exec(b)[1]));
  for (const name of names) {
    const file = join(dir, 'recordings', name);
    const json = await readFile(file, 'utf8');
    recordings.push({ file, json, played: JSON.parse(json) });
  }
  assert.equal(recordings.length, 4, log);
  // IMAP: smtplib delivers to Bob, imaplib reads it over STARTTLS with LOGIN.
  const reader = spawn(binary(), ['serve', '--listen', '127.0.0.1:0', '--imap', '127.0.0.1:0', '--no-color', '--lesson',
    'pop3-retrieval', '--maildir', join(dir, 'imap-mail'), '--record', join(dir, 'imap-recordings'), '--quiet'],
  { stdio: ['ignore', 'pipe', 'inherit'] });
  const [smtp, imap] = await startServe(reader, true);
  const eml = join(dir, 'hello.eml');
  await writeFile(eml, 'Subject: recorded\r\n\r\nRead me over IMAP.\r\n');
  imaplib('send', smtp, eml);
  imaplib('read', imap, join(dir, 'imap-mail', 'server-cert.pem'), 'bob', 'hunter2');
  const stopped = new Promise((resolve) => reader.on('exit', resolve));
  reader.kill('SIGTERM');
  await stopped;
  const imapName = (await readdir(join(dir, 'imap-recordings'))).find((n) => n.startsWith('imap-session-'));
  const imapFile = join(dir, 'imap-recordings', imapName);
  const imapJson = await readFile(imapFile, 'utf8');
  imapRecording = { file: imapFile, json: imapJson, played: JSON.parse(imapJson) };
});

after(async () => {
  await env?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The wire part of transcript lines (`C: EHLO x`, `~S: 250 …`), time and route left out. */
const wire = (lines) => lines.map((l) => /\s(~?[CS]: .*)$/.exec(l)?.[1]).filter(Boolean);

/** Session `n`'s block of serve's terminal output. */
function terminal(n) {
  const start = log.indexOf(`-- session ${n} from `);
  const end = log.indexOf('-- session ', start + 1);
  return log.slice(start, end < 0 ? undefined : end).split('\n');
}

/** The player's transcript of a recording, as the native CLI prints it. */
const native = (file) => JSON.parse(execFileSync(binary(), ['run', file, '--transcript', '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 }));

/** Drops `text` as a file named `name` on the page, as a learner dragging it from a folder does. */
async function drop(page, name, text) {
  const transfer = await page.evaluateHandle(([name, text]) => {
    const data = new DataTransfer();
    data.items.add(new File([text], name, { type: 'application/json' }));
    return data;
  }, [name, text]);
  await page.dispatchEvent('main', 'dragover', { dataTransfer: transfer });
  assert.equal(await page.evaluate(() => 'dropping' in document.documentElement.dataset), true, 'the page shows where to drop');
  await page.dispatchEvent('main', 'drop', { dataTransfer: transfer });
  assert.equal(await page.evaluate(() => 'dropping' in document.documentElement.dataset), false);
}

test('a swaks session recorded by serve plays from the file picker with the lines serve printed', async () => {
  const { file, played } = recordings[0];
  const page = await openPlayer(env, 'lesson=telnet-session');
  await page.click('#lessons-toggle');
  await page.locator('#recording-file').setInputFiles(file);
  await page.locator('#lesson-title', { hasText: 'Recorded: 127.0.0.1:' }).waitFor();
  assert.match(await page.locator('#recording-note').innerText(), /Recorded by serve on .* · Replay it in the Lab/);
  const { total } = await toEnd(page);
  assert.equal(total, played.timeline.steps.length);
  const shown = await transcriptShown(page);
  assert.deepEqual(shown, native(file), 'the native CLI prints the same transcript');
  const printed = wire(terminal(1));
  assert.ok(printed.length > 15, printed.join('\n'));
  assert.deepEqual(wire(shown), printed, 'the same lines as the terminal transcript');
  // Two lanes, the client's address and the server's name.
  assert.deepEqual(played.timeline.lanes.map((l) => l.role), ['client (real)', 'server (real)']);
  // A reply explained like a lesson's, and its bytes annotated.
  const row = page.locator('.transcript li', { hasText: 'S: 250 2.1.5' });
  await row.locator('.text').first().click();
  await page.locator('#explanation', { hasText: 'RFC 5321' }).waitFor();
  await row.locator('button.parts').click();
  await row.locator('.annotated').waitFor();
  assert.ok((await row.locator('.ab-label').allTextContents()).includes('reply code'));
  // The Mailboxes inspector has what serve stored, trace fields included.
  await toEnd(page);
  await takeOver(page);
  await page.getByRole('tab', { name: 'Mailboxes' }).click();
  await page.locator('.insp-panel button.insp-open').first().click();
  const mailbox = await page.locator('.insp-panel[role="tabpanel"]').innerText();
  assert.match(mailbox, /bob@example\.net/);
  assert.match(mailbox, /from client\.example\.com \(\[127\.0\.0\.1\]\) by mx\.example\.net/);
  assert.match(mailbox, /Hello from swaks\./);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a recording dropped on the page replays in the Lab as a scenario typed at the simulated server', async () => {
  const { json } = recordings[0];
  const page = await openPlayer(env, 'lesson=mx-relay');
  await drop(page, 'session.json', json);
  await page.locator('#lesson-title', { hasText: 'Recorded: 127.0.0.1:' }).waitFor();
  await page.click('#replay-recording');
  await page.locator('#lab-panel-editor').waitFor();
  await page.click('#editor-run');
  await page.locator('#lesson-title', { hasText: 'Replay of' }).waitFor();
  const { total } = await toEnd(page);
  const shown = await transcriptShown(page);
  assert.ok(total > 10);
  assert.ok(shown.some((l) => /client\.recorded\.example → mx\.example\.net\s+C: MAIL FROM:<alice@example\.com>/.test(l)), shown.join('\n'));
  assert.ok(shown.some((l) => /S: 250 2\.0\.0 Ok: queued as/.test(l)), shown.join('\n'));
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('recordings of hostile sessions open without errors, and a file that is no recording says why', async () => {
  const page = await openPlayer(env, 'lesson=telnet-session');
  for (const { file, json, played } of recordings.slice(1)) {
    await drop(page, 'hostile.json', json);
    await page.locator('#lesson-title', { hasText: played.title }).waitFor();
    const { total } = await toEnd(page);
    assert.equal(total, played.timeline.steps.length, file);
    assert.deepEqual(await transcriptShown(page), native(file), file);
  }
  // The overlong line is drawn as text (no markup from it), the smuggled MAIL is message data.
  assert.equal(await page.locator('.transcript script').count(), 0);
  await drop(page, 'photo.png', '\x89PNG\r\n\x1a\n');
  await page.locator('.notice', { hasText: /The recording could not be opened: line 1, column 1/ }).waitFor();
  await drop(page, 'edited.json', JSON.stringify({ ...recordings[1].played, timeline: { ...recordings[1].played.timeline, lanes: [] } }));
  await page.locator('.notice', { hasText: /could not be opened: it has no lanes/ }).waitFor();
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('an IMAP session recorded by serve --imap plays with its password masked and its FETCH annotated', async () => {
  const { file, json, played } = imapRecording;
  assert.ok(!json.includes('hunter2'), 'no password in the file');
  const page = await openPlayer(env, 'lesson=imap-retrieval');
  await drop(page, 'imap.json', json);
  await page.locator('#lesson-title', { hasText: 'Recorded (IMAP): 127.0.0.1:' }).waitFor();
  assert.equal(await page.locator('#replay-recording').count(), 0, 'no replay for IMAP');
  assert.equal(await page.locator('.whatif').count(), 0, 'nothing for "What if…" to re-run');
  assert.match(await page.locator('#recording-note').innerText(), /1 password masked/);
  const { total } = await toEnd(page);
  assert.equal(total, played.timeline.steps.length);
  const shown = await transcriptShown(page);
  assert.deepEqual(shown, native(file));
  assert.ok(shown.some((l) => /~C: \S+ LOGIN bob "\*{8}"$/.test(l)), shown.join('\n'));
  const row = page.locator('.transcript li', { hasText: 'Read me over IMAP.' });
  await row.locator('.text').first().click();
  await page.locator('#explanation', { hasText: 'RFC 9051' }).waitFor();
  await row.locator('button.parts').first().click();
  await row.locator('.annotated').waitFor();
  assert.ok((await row.locator('.ab-label').allTextContents()).includes('literal header'));
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('on a phone a recording dropped on the player module opens once the full player takes over', async () => {
  const { json, played } = recordings[0];
  const page = await openPlayer(env, 'lesson=telnet-session', { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  assert.notEqual(await page.evaluate(() => document.documentElement.dataset.player), 'full', 'only the player module so far');
  await drop(page, 'session.json', json);
  await page.locator('#lesson-title', { hasText: played.title }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.player), 'full');
  const { total } = await toEnd(page);
  assert.equal(total, played.timeline.steps.length);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('when the full player cannot load, a dropped recording says so and the lesson plays on', async () => {
  const context = await env.browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  await context.route(/player-full/, (route) => route.abort());
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${env.url}?lesson=telnet-session`);
  await page.locator('#play').waitFor();
  await drop(page, 'session.json', recordings[0].json);
  await page.locator('.notice', { hasText: 'The recording could not be opened: the part of the player that reads recordings did not load' }).waitFor();
  await page.click('#forward');
  await position(page, 1);
  assert.match(await page.locator('#lesson-title').innerText(), /Talking SMTP by hand/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('an embedding page opens a recording with openRecording()', async () => {
  const player = new URL(env.url).origin;
  const server = createServer((req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(`<!DOCTYPE html>
    <meta charset="utf-8"><script type="module" src="${player}/embed.js"></script>
    <smtp-playground id="p" lesson="telnet-session"></smtp-playground>`));
  const url = await new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(`http://127.0.0.1:${server.address().port}/`)));
  const page = await env.browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.addInitScript(() => {
    window.ready = [];
    document.addEventListener('ready', (e) => window.ready.push(e.detail), true);
  });
  await page.goto(url);
  await page.waitForFunction(() => window.ready.length > 0);
  const { played, json } = recordings[0];
  await page.evaluate((text) => document.getElementById('p').openRecording(JSON.parse(text)), json);
  await page.waitForFunction((title) => window.ready.some((r) => r.title === title), played.title);
  const frame = page.frames().find((f) => f.url().includes('embed=1'));
  await frame.locator('#lesson-title', { hasText: played.title }).waitFor();
  assert.deepEqual(errors, []);
  await page.close();
  server.close();
});
