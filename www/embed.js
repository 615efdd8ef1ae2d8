// <smtp-playground>: the SMTP Playground player inside any page, in a sandboxed iframe.
//
//   <script type="module" src="https://YOUR-HOST/embed.js"></script>
//   <smtp-playground lesson="mx-relay" step="0" autoplay panels="transcript,explanation"></smtp-playground>
//
// Attributes: lesson, step, autoplay, panels (lanes,transcript,explanation,inspectors,controls),
// src (the player's URL; default: the directory this file was loaded from), title, height (in
// CSS pixels: the frame keeps it from the start, and the player scrolls inside, so the course
// text never moves while it plays; without it the frame follows the player's height).
// Events (CustomEvents on the element, `event.detail` is the player's message): ready,
// step-changed, lesson-finished, resize.
// Methods: goto(n), play(), pause(), loadScenario(text), loadLesson(id), openRecording(json)
// (a recording from `smtp-playground serve --record`, as text or as the parsed object).
//
// Plain JavaScript, no build step. The iframe only hears from this page's origin (the
// player is told it with ?parent=), and this element only hears from the iframe's own
// window and origin, so other frames on the page cannot drive or impersonate the player.

const PREFIX = 'smtp-playground:';
const EVENTS = new Set(['ready', 'step-changed', 'lesson-finished', 'resize']);
// The player's directory: where this module was loaded from.
const DEFAULT_SRC = new URL('./', import.meta.url).href;
// Tall enough for the player's first paint; the player reports its real height.
const INITIAL_HEIGHT = 480;
const MAX_HEIGHT = 20000;

class SmtpPlayground extends HTMLElement {
  static get observedAttributes() {
    return ['lesson', 'step', 'autoplay', 'panels', 'src', 'title', 'height'];
  }

  constructor() {
    super();
    this.iframe = null;
    this.origin = null;
    // Commands sent before the player said "ready" wait here: until then nothing listens.
    this.queue = [];
    this.isReady = false;
    this.onMessage = this.onMessage.bind(this);
  }

  connectedCallback() {
    if (!this.style.display) this.style.display = 'block';
    window.addEventListener('message', this.onMessage);
    this.render();
  }

  disconnectedCallback() {
    window.removeEventListener('message', this.onMessage);
  }

  attributeChangedCallback(name, before, after) {
    if (!this.iframe || before === after) return;
    // A new title or height needs no reload; any other change reloads the player with the new
    // settings.
    if (name === 'title') this.iframe.title = after || 'SMTP Playground lesson player';
    else if (name === 'height') this.iframe.style.height = `${this.fixedHeight() ?? INITIAL_HEIGHT}px`;
    else this.render();
  }

  /** The height the page asked for (`height="640"` or `"640px"`), or null to follow the player. */
  fixedHeight() {
    const match = /^\s*(\d+(?:\.\d+)?)(?:px)?\s*$/.exec(this.getAttribute('height') || '');
    const height = match ? Number(match[1]) : NaN;
    return height >= 1 ? Math.min(Math.ceil(height), MAX_HEIGHT) : null;
  }

  /** The player's URL for the current attributes. */
  playerUrl() {
    const url = new URL(this.getAttribute('src') || DEFAULT_SRC, location.href);
    const query = url.searchParams;
    query.set('embed', '1');
    for (const name of ['lesson', 'step', 'panels']) {
      const value = this.getAttribute(name);
      if (value !== null && value !== '') query.set(name, value);
    }
    if (this.hasAttribute('autoplay')) query.set('autoplay', '1');
    query.set('parent', location.origin);
    return url;
  }

  render() {
    const url = this.playerUrl();
    this.origin = url.origin;
    this.isReady = false;
    this.queue = [];
    if (!this.iframe) {
      this.iframe = document.createElement('iframe');
      // Scripts for the player itself, same-origin so it keeps its storage, popups for
      // "Open in SMTP Playground ↗". No top navigation, no forms.
      this.iframe.setAttribute('sandbox', 'allow-scripts allow-same-origin allow-popups');
      this.iframe.setAttribute('loading', 'lazy');
      this.iframe.style.cssText =
        `display:block;width:100%;border:0;height:${this.fixedHeight() ?? INITIAL_HEIGHT}px`;
      this.appendChild(this.iframe);
    }
    this.iframe.title = this.getAttribute('title') || 'SMTP Playground lesson player';
    this.iframe.src = url.href;
  }

  onMessage(event) {
    // Only the player in our own iframe, from the origin we loaded it from.
    if (!this.iframe || event.source !== this.iframe.contentWindow || event.origin !== this.origin) return;
    const data = event.data;
    if (!data || typeof data !== 'object' || typeof data.type !== 'string' || !data.type.startsWith(PREFIX)) return;
    const name = data.type.slice(PREFIX.length);
    if (!EVENTS.has(name)) return;
    if (name === 'resize' && this.fixedHeight() === null) {
      const height = Number(data.height);
      if (Number.isFinite(height) && height > 0) {
        this.iframe.style.height = `${Math.min(Math.ceil(height), MAX_HEIGHT)}px`;
      }
    }
    if (name === 'ready') {
      this.isReady = true;
      for (const message of this.queue.splice(0)) this.post(message);
    }
    this.dispatchEvent(new CustomEvent(name, { detail: data, bubbles: true }));
  }

  /** Sends a command to the player, only to the player's origin; waits for "ready". */
  send(command, fields = {}) {
    const message = { type: PREFIX + command, ...fields };
    if (this.isReady) this.post(message);
    else this.queue.push(message);
  }

  post(message) {
    this.iframe?.contentWindow?.postMessage(message, this.origin);
  }

  /** Shows `step` steps of the lesson (0 = before the first). */
  goto(step) { this.send('goto', { step: Number(step) }); }
  play() { this.send('play'); }
  pause() { this.send('pause'); }
  /** Plays a scenario given as TOML text. */
  loadScenario(source) { this.send('load-scenario', { source: String(source) }); }
  /** Opens a lesson of the library by id. */
  loadLesson(lesson) { this.send('load-lesson', { lesson: String(lesson) }); }
  /** Plays a recording of a real session: its JSON text, or the object parsed from it. */
  openRecording(recording) {
    const text = typeof recording === 'string' ? recording : JSON.stringify(recording);
    this.send('open-recording', { recording: text });
  }
}

if (!customElements.get('smtp-playground')) customElements.define('smtp-playground', SmtpPlayground);
