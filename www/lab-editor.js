// The Lab's scenario editor: CodeMirror 6, bundled by scripts/build-web.sh (esbuild) into
// dist/lab-editor.js and imported by the full player when the editor first opens
// (src/ui/components/lab/editor.rs).
//
// Why not a <textarea>: a text area lays out all of its text on every change. At the largest
// scenario the Lab accepts (256 KB) Chromium spent 60 ms laying one out, a bare text area with
// no page code included; CodeMirror lays out only the lines in view, so a paste of that size
// stays inside the 50 ms a task may take (issue 14; scripts/measure-lab.mjs prints it).
//
// The page talks to it through the handle `createEditor` returns; the handle is also kept on
// the host element as `labEditor`, which the browser tests read the text through.
import { EditorState, StateEffect, StateField } from '@codemirror/state';
import { Decoration, EditorView, keymap, lineNumbers } from '@codemirror/view';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';

// The error the live check or Run found: { line, column } (1-based; the column counts
// characters), or null when there is none.
const setError = StateEffect.define();

const errorField = StateField.define({
  create: () => ({ at: null, marks: Decoration.none }),
  update(value, tr) {
    let next = { at: value.at, marks: value.marks.map(tr.changes) };
    for (const effect of tr.effects) {
      if (effect.is(setError)) next = { at: effect.value, marks: errorMarks(tr.state, effect.value) };
    }
    return next;
  },
  provide: (field) => EditorView.decorations.from(field, (value) => value.marks),
});

// The error's line tinted, and its part (from the column to the line's end) underlined.
function errorMarks(state, at) {
  if (!at || at.line < 1 || at.line > state.doc.lines) return Decoration.none;
  const line = state.doc.line(at.line);
  // A column counts characters (Unicode scalar values); the document counts UTF-16 units.
  const offset = [...line.text].slice(0, Math.max(0, at.column - 1)).join('').length;
  const from = line.from + Math.min(offset, line.length);
  const marks = [Decoration.line({ class: 'editor-error-line' }).range(line.from)];
  // An error at the line's end (an unclosed string, say) underlines its last character.
  const start = from < line.to ? from : Math.max(line.from, line.to - 1);
  if (start < line.to) marks.push(Decoration.mark({ class: 'editor-error-mark' }).range(start, line.to));
  return Decoration.set(marks);
}

// The text box's name, its description (the status line) and whether it holds an error, for
// assistive technology; `id` is what the label and the tests point at.
function contentAttributes(options) {
  return EditorView.contentAttributes.compute([errorField], (state) => ({
    id: options.id,
    // A Tab stop in its own right (axe: the scrolling box around it must hold one).
    tabindex: '0',
    'aria-labelledby': options.labelledBy,
    'aria-describedby': options.describedBy,
    'aria-invalid': String(state.field(errorField).at !== null),
    spellcheck: 'false',
    autocorrect: 'off',
    autocapitalize: 'off',
  }));
}

function stateFor(text, options, onChange) {
  return EditorState.create({
    doc: text,
    extensions: [
      lineNumbers(),
      history(),
      // Tab is left to move focus, so the editor is never a keyboard trap.
      keymap.of([...defaultKeymap, ...historyKeymap]),
      errorField,
      contentAttributes(options),
      EditorView.updateListener.of((update) => {
        if (update.docChanged) onChange();
      }),
    ],
  });
}

/**
 * Makes an editor inside `parent`.
 * options: { text, id, labelledBy, describedBy, onChange } — onChange is called (without the
 * text, which can be large) after each change the learner makes; read it with `text()`.
 */
export function createEditor(parent, options) {
  const onChange = () => options.onChange();
  const view = new EditorView({ parent, state: stateFor(options.text, options, onChange) });
  const handle = {
    text: () => view.state.doc.toString(),
    // A new scenario (a lesson, Run, Reset): a fresh document with its own undo history.
    load(text) {
      if (text !== view.state.doc.toString()) view.setState(stateFor(text, options, onChange));
      else view.dispatch({ effects: setError.of(null) });
    },
    // `reveal`: scroll the error's line into view (after Run, not while the learner types).
    mark(line, column, reveal) {
      const effects = [setError.of({ line, column })];
      if (reveal && line >= 1 && line <= view.state.doc.lines) {
        effects.push(EditorView.scrollIntoView(view.state.doc.line(line).from, { y: 'center' }));
      }
      view.dispatch({ effects });
    },
    clear: () => view.dispatch({ effects: setError.of(null) }),
    focus: () => view.focus(),
    destroy() {
      view.destroy();
      delete parent.labEditor;
    },
  };
  parent.labEditor = handle;
  return handle;
}
