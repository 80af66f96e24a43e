// The SQL editor: CodeMirror 6 (npm, bundled by esbuild — nothing from a CDN), installed as
// `window.datagataEditor`, which the Yew side calls through js-sys (src-ui/src/bridge.rs).
//
//   create(parent, { doc, label, onChange(text), onRun(doc, selFrom, selTo), onStop(),
//                    complete(textBeforeCursor) -> Promise<{ from, suggestions: [{text, kind}] }> })
//       -> handle: { text(), selection() -> [from, to], setText(text), focus(),
//                    setVocabulary({keywords, types, functions}), destroy() }
//   textOf(host) -> the document of the editor created in `host`, or null
//
// Highlighting is CodeMirror's SQL mode with DuckDB's own keywords, types and functions once
// the backend sends them (setVocabulary); tokens get `tok-*` classes styled by styles.css, so
// both themes colour them. Completions come from DuckDB's `sql_auto_complete` through the
// backend. Ctrl/Cmd+Enter hands the document and the selection to onRun (Rust picks the
// statement); Escape calls onStop (when the completion list is not open).
//
// The app's CSP allows no inline <style> without a nonce: CodeMirror's own styles go into a
// <style> carrying the nonce Tauri gives the page (read from the empty <style id="csp-nonce">
// in index.html, see EditorView.cspNonce).

import { EditorState, Compartment } from "@codemirror/state";
import {
  EditorView,
  keymap,
  lineNumbers,
  highlightActiveLine,
  highlightActiveLineGutter,
  drawSelection,
  placeholder,
} from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { syntaxHighlighting, bracketMatching, indentOnInput } from "@codemirror/language";
import { classHighlighter, tagHighlighter, tags } from "@lezer/highlight";
import {
  autocompletion,
  completionKeymap,
  completionStatus,
  startCompletion,
} from "@codemirror/autocomplete";
import { SQLDialect, PostgreSQL } from "@codemirror/lang-sql";

const KIND_TYPE = {
  keyword: "keyword",
  table: "class",
  column: "property",
  function: "function",
  schema: "namespace",
  other: "variable",
};

function cspNonce() {
  const el = document.getElementById("csp-nonce");
  return (el && el.nonce) || "";
}

// DuckDB's dialect: PostgreSQL's rules (double quotes are identifiers), DuckDB's words.
function duckdbDialect(vocabulary) {
  const spec = {
    ...PostgreSQL.spec,
    doubleQuotedStrings: false,
    identifierQuotes: '"',
  };
  if (vocabulary) {
    spec.keywords = vocabulary.keywords.join(" ");
    spec.types = vocabulary.types.join(" ");
    spec.builtin = vocabulary.functions.join(" ");
  }
  return SQLDialect.define(spec);
}

// Only the language (highlighting, indentation): DuckDB completes, not lang-sql's schema source.
function sqlLanguage(vocabulary) {
  return duckdbDialect(vocabulary).language;
}

function create(parent, options) {
  const language = new Compartment();
  const completions = async (context) => {
    const word = context.matchBefore(/[\w$."]*/);
    if (!context.explicit && (!word || word.from === word.to)) return null;
    const before = context.state.sliceDoc(0, context.pos);
    let answer;
    try {
      answer = await options.complete(before);
    } catch (e) {
      console.warn("completion:", e);
      return null;
    }
    if (context.aborted || !answer) return null;
    return {
      from: Math.min(answer.from, context.pos),
      options: answer.suggestions.map((s, i) => ({
        label: s.text,
        type: KIND_TYPE[s.kind] || "variable",
        detail: s.kind,
        // DuckDB ranks them: keep its order.
        boost: -i,
      })),
      validFor: /^[\w$]*$/,
    };
  };
  const runKey = (view) => {
    const sel = view.state.selection.main;
    options.onRun(view.state.doc.toString(), sel.from, sel.to);
    return true;
  };
  const stopKey = (view) => {
    if (completionStatus(view.state) !== null) return false;
    options.onStop();
    return true;
  };
  let silent = false;
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: options.doc || "",
      extensions: [
        EditorView.cspNonce.of(cspNonce()),
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightActiveLine(),
        drawSelection(),
        history(),
        indentOnInput(),
        bracketMatching(),
        language.of(sqlLanguage(null)),
        syntaxHighlighting(classHighlighter),
        // DuckDB's function names (lang-sql tags them standard(name), which classHighlighter skips).
        syntaxHighlighting(tagHighlighter([{ tag: tags.standard(tags.name), class: "tok-builtin" }])),
        autocompletion({ override: [completions], activateOnTyping: true, icons: true }),
        placeholder("SELECT … FROM taxi"),
        EditorView.lineWrapping,
        EditorView.contentAttributes.of({
          "aria-label": options.label || "SQL",
          "aria-multiline": "true",
          spellcheck: "false",
        }),
        keymap.of([
          { key: "Mod-Enter", run: runKey, preventDefault: true },
          { key: "Escape", run: stopKey },
          { key: "Ctrl-Space", run: startCompletion },
          ...completionKeymap,
          ...defaultKeymap,
          ...historyKeymap,
          indentWithTab,
        ]),
        EditorView.updateListener.of((update) => {
          if (update.docChanged && !silent) options.onChange(update.state.doc.toString());
        }),
      ],
    }),
  });
  const handle = {
    text: () => view.state.doc.toString(),
    selection: () => [view.state.selection.main.from, view.state.selection.main.to],
    setText(text) {
      if (text === view.state.doc.toString()) return;
      silent = true;
      try {
        view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
      } finally {
        silent = false;
      }
    },
    focus: () => view.focus(),
    setVocabulary(vocabulary) {
      view.dispatch({ effects: language.reconfigure(sqlLanguage(vocabulary)) });
    },
    destroy: () => {
      byHost.delete(parent);
      view.destroy();
    },
  };
  byHost.set(parent, handle);
  return handle;
}

// The editor made in a host element, for the end-to-end tests to read its document.
const byHost = new WeakMap();
const textOf = (host) => byHost.get(host)?.text() ?? null;

window.datagataEditor = { create, textOf };
