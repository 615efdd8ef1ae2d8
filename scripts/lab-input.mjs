// How the browser tests and the measuring scripts give the page text: a paste as the browser
// fires one, and the Lab's editor read and replaced as a learner would.

/** Fires a paste on `selector` as the browser does, with `text` on its clipboard data. */
export function paste(page, selector, text) {
  return page.locator(selector).evaluate((field, text) => {
    const data = new DataTransfer();
    data.setData('text/plain', text);
    field.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, text);
}

/** The Lab editor's whole text. The editor (CodeMirror) draws only the lines in view, so the
 *  text is read from its handle (www/lab-editor.js), not from the page. */
export async function editorText(page) {
  await page.locator('#editor-source').waitFor();
  return page.locator('.editor-wrap').evaluate((wrap) => wrap.labEditor.text());
}

/** Replaces the Lab editor's text as a learner would: select all, then paste. */
export async function setEditorText(page, text) {
  await page.locator('#editor-source').waitFor();
  await page.focus('#editor-source');
  await page.keyboard.press('ControlOrMeta+A');
  await paste(page, '#editor-source', text);
}
