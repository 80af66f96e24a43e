// Entry point bundled by esbuild: loads the Yew app's wasm through wasm-bindgen's `web` glue
// (aliased as "datagata-ui-wasm" by scripts/build-ui). The .wasm file sits beside this bundle.
import init from "datagata-ui-wasm";
// Installs window.datagataWebLLM (small; WebLLM itself is loaded lazily, see webllm.js).
import "./webllm.js";
// Installs window.datagataEditor (CodeMirror 6, see editor.js).
import "./editor.js";
// Installs window.datagataChart (Chart.js, see chart.js).
import "./chart.js";

// What the CSP refused, kept for the end-to-end tests (and anyone debugging) to read: the app
// must work under its policy, not around it.
window.datagataCspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.datagataCspViolations.push(`${e.violatedDirective}: ${e.blockedURI || "inline"}`);
});

init({ module_or_path: new URL("datagata_ui_bg.wasm", import.meta.url) }).catch((err) => {
  const el = document.getElementById("boot-error");
  if (el) {
    el.textContent = `DataGata's interface failed to start: ${err}`;
    el.hidden = false;
  }
  console.error(err);
});
