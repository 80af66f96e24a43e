// WebLLM's engine, off the page's main thread. Bundled by scripts/build-ui as dist/webllm-worker.js
// (an ES module worker: it imports the WebLLM chunk it shares with the page) and started by
// src-ui/js/webllm.js with `new Worker(new URL("./webllm-worker.js", import.meta.url), { type: "module" })`.
// Everything it needs is bundled: it fetches nothing but model files, through WebLLM's cache.
import { WebWorkerMLCEngineHandler } from "@mlc-ai/web-llm";

const handler = new WebWorkerMLCEngineHandler();
self.onmessage = (event) => handler.onmessage(event);
