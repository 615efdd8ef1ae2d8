// IMAP in the player (issue 17): the reader's IMAP steps drawn, explained and annotated, the
// \Seen flag shown in the Mailboxes inspector once the client stores it, and a mailbox that a
// POP3 client emptied said to be emptied, in Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, openPlayer, position, nativeTimeline, takeOver } from './support.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

/** The Mailboxes inspector's text at the page's step. */
async function mailboxes(page) {
  await takeOver(page);
  await page.getByRole('tab', { name: 'Mailboxes' }).click();
  return page.locator('.insp-panel[role="tabpanel"]').innerText();
}

test('an IMAP fetch is annotated down to the message, and \\Seen appears when it is stored', async () => {
  const timeline = nativeTimeline('imap-retrieval');
  const fetch = timeline.steps.findIndex((s) => s.kind === 'imap-response' && /BODY\[\] \{/.test(s.wire ?? ''));
  const store = timeline.steps.findIndex((s) => s.kind === 'imap-response' && /OK STORE completed/.test(s.wire ?? ''));
  assert.ok(fetch > 0 && store > fetch, 'the lesson fetches, then stores \\Seen');
  const page = await openPlayer(env, `lesson=imap-retrieval&step=${fetch + 1}`);
  await position(page, fetch + 1);
  // Drawn as a server line inside TLS, explained with its RFC 9051 section.
  const row = page.locator('.transcript li').nth(fetch);
  assert.match(await row.innerText(), /~S: \* 1 FETCH \(UID 1 FLAGS \(\)/);
  assert.match(await page.locator('#explanation').innerText(), /RFC 9051 §7\.5\.2/);
  await row.locator('button.parts').click();
  await row.locator('.annotated').waitFor();
  const labels = await row.locator('.ab-label').allTextContents();
  for (const label of ['fetch item', 'literal header', 'header field name']) {
    assert.ok(labels.includes(label), `${label} in ${labels}`);
  }
  // No flag before the STORE is answered; \Seen after it, kept on the server.
  assert.doesNotMatch(await mailboxes(page), /flags:/);
  const after = await openPlayer(env, `lesson=imap-retrieval&step=${store + 1}`);
  await position(after, store + 1);
  assert.match(await mailboxes(after), /flags: \\Seen/);
  assert.deepEqual(page.errors, []);
  assert.deepEqual(after.errors, []);
});

test('after POP3 deleted the message, the phone finds an empty INBOX and the inspector says why', async () => {
  const timeline = nativeTimeline('pop3-vs-imap');
  const page = await openPlayer(env, `lesson=pop3-vs-imap&step=${timeline.steps.length}`);
  await position(page, timeline.steps.length);
  const selects = page.locator('.transcript li', { hasText: '* 0 EXISTS' });
  assert.equal(await selects.count(), 1);
  assert.match(await mailboxes(page), /Every mailbox is empty: a reader's client deleted/);
  assert.deepEqual(page.errors, []);
});
