//! The SQL editor's door: `window.datagataEditor` (src-ui/js/editor.js, CodeMirror 6). A
//! [`CodeEditor`] owns one editor view and the Rust closures it calls back; dropping it destroys
//! the view.

use datagata_ipc::data::{Completion, SqlVocabulary};
use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Element;

use super::{describe, get, to_js};

/// What the editor calls back. Each is read when called, so a component can swap them on every
/// render ([`CodeEditor::create`] takes them behind an `Rc<RefCell<…>>`).
pub struct EditorHooks {
    /// The document changed by typing (not by [`CodeEditor::set_text`]).
    pub on_change: Box<dyn Fn(String)>,
    /// Ctrl/Cmd+Enter: the whole document and the selection, as UTF-16 offsets.
    pub on_run: Box<dyn Fn(String, u32, u32)>,
    /// Escape while the completion list is closed.
    pub on_stop: Box<dyn Fn()>,
    /// Completions for the text before the cursor.
    pub complete: Box<dyn Fn(String) -> Promise>,
}

type Shared = std::rc::Rc<std::cell::RefCell<EditorHooks>>;

pub struct CodeEditor {
    handle: JsValue,
    _on_change: Closure<dyn FnMut(String)>,
    _on_run: Closure<dyn FnMut(String, u32, u32)>,
    _on_stop: Closure<dyn FnMut()>,
    _complete: Closure<dyn FnMut(String) -> Promise>,
}

fn call(target: &JsValue, method: &str, args: &[&JsValue]) -> Result<JsValue, String> {
    let function = get(target, method);
    let Some(function) = function.dyn_ref::<Function>() else {
        return Err(format!("the SQL editor has no {method}()"));
    };
    let list = js_sys::Array::new();
    for arg in args {
        list.push(arg);
    }
    function.apply(target, &list).map_err(|e| describe(&e))
}

impl CodeEditor {
    /// Creates an editor in `parent` holding `doc`; `label` is its accessible name.
    pub fn create(parent: &Element, doc: &str, label: &str, hooks: Shared) -> Result<Self, String> {
        let window = web_sys::window().ok_or("no window")?;
        let bridge = get(&window, "datagataEditor");
        if bridge.is_undefined() {
            return Err("the SQL editor's script did not load".into());
        }
        let h = hooks.clone();
        let on_change =
            Closure::<dyn FnMut(String)>::new(move |t: String| (h.borrow().on_change)(t));
        let h = hooks.clone();
        let on_run =
            Closure::<dyn FnMut(String, u32, u32)>::new(move |t: String, a: u32, b: u32| {
                (h.borrow().on_run)(t, a, b)
            });
        let h = hooks.clone();
        let on_stop = Closure::<dyn FnMut()>::new(move || (h.borrow().on_stop)());
        let h = hooks;
        let complete =
            Closure::<dyn FnMut(String) -> Promise>::new(move |t: String| (h.borrow().complete)(t));
        let options = Object::new();
        let set = |k: &str, v: &JsValue| Reflect::set(&options, &JsValue::from_str(k), v);
        set("doc", &JsValue::from_str(doc)).map_err(|e| describe(&e))?;
        set("label", &JsValue::from_str(label)).map_err(|e| describe(&e))?;
        set("onChange", on_change.as_ref()).map_err(|e| describe(&e))?;
        set("onRun", on_run.as_ref()).map_err(|e| describe(&e))?;
        set("onStop", on_stop.as_ref()).map_err(|e| describe(&e))?;
        set("complete", complete.as_ref()).map_err(|e| describe(&e))?;
        let handle = call(&bridge, "create", &[parent.as_ref(), &options])?;
        Ok(Self {
            handle,
            _on_change: on_change,
            _on_run: on_run,
            _on_stop: on_stop,
            _complete: complete,
        })
    }

    pub fn text(&self) -> String {
        call(&self.handle, "text", &[])
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    }

    /// Replaces the document (no `on_change` follows).
    pub fn set_text(&self, text: &str) {
        if let Err(e) = call(&self.handle, "setText", &[&JsValue::from_str(text)]) {
            web_sys::console::warn_1(&format!("editor setText: {e}").into());
        }
    }

    /// The main selection as UTF-16 offsets (equal when it is only a cursor).
    pub fn selection(&self) -> (u32, u32) {
        let value = call(&self.handle, "selection", &[]).unwrap_or(JsValue::NULL);
        let at = |i: u32| {
            Reflect::get_u32(&value, i)
                .ok()
                .and_then(|v| v.as_f64())
                .map_or(0, |v| v as u32)
        };
        (at(0), at(1))
    }

    pub fn focus(&self) {
        let _ = call(&self.handle, "focus", &[]);
    }

    /// Highlights DuckDB's own keywords, types and functions.
    pub fn set_vocabulary(&self, vocabulary: &SqlVocabulary) {
        let done = to_js(vocabulary).and_then(|v| call(&self.handle, "setVocabulary", &[&v]));
        if let Err(e) = done {
            web_sys::console::warn_1(&format!("editor vocabulary: {e}").into());
        }
    }
}

impl Drop for CodeEditor {
    fn drop(&mut self) {
        let _ = call(&self.handle, "destroy", &[]);
    }
}

/// A completion answer as the editor's script takes it.
pub fn completion_to_js(completion: &Completion) -> Result<JsValue, String> {
    to_js(completion)
}
