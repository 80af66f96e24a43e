// Scenarios for tests/webview/main.rs, run in headless Chromium against the bundled bridge
// (dist/webllm-bridge.js). Each `window.bridgeTest.<name>()` resolves to plain data the Rust test
// asserts on. `?nogpu` hides navigator.gpu before the bridge loads, as in a WebView without WebGPU.
if (new URLSearchParams(location.search).has("nogpu")) {
  Object.defineProperty(Navigator.prototype, "gpu", { get: () => undefined, configurable: true });
}
// What went wrong on the page, for the Rust test's failure messages.
window.bridgeTestLog = [];
for (const level of ["error", "warn"]) {
  const orig = console[level].bind(console);
  console[level] = (...args) => {
    window.bridgeTestLog.push(`${level}: ${args.map(String).join(" ")}`);
    orig(...args);
  };
}
window.addEventListener("error", (e) => window.bridgeTestLog.push(`uncaught: ${e.message}`));
window.addEventListener("unhandledrejection", (e) => window.bridgeTestLog.push(`unhandled rejection: ${e.reason}`));
try {
  await import("./webllm-bridge.js");
} catch (e) {
  window.bridgeTestError = `webllm-bridge.js failed to load: ${e}`;
  throw e;
}
const B = window.datagataWebLLM;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const errOf = (fn) => {
  try {
    return { value: fn() };
  } catch (e) {
    return { error: e instanceof Error ? e.message : `not an Error: ${String(e)}` };
  }
};
const settle = (p) =>
  p.then(
    (value) => ({ value }),
    (e) => ({ error: e instanceof Error ? e.message : `not an Error: ${String(e)}` }),
  );
const timed = async (p) => {
  const t0 = performance.now();
  const r = await settle(p);
  return { ...r, ms: performance.now() - t0 };
};

const MODEL = "Llama-3.2-1B-Instruct-q4f32_1-MLC";
const OTHER = "Llama-3.2-3B-Instruct-q4f32_1-MLC";
// A grammar of the shape the backend builds from the live schema (engine/grammar.rs).
const GRAMMAR = 'root ::= "SELECT " item (", " item){0,2} " FROM taxi"\nitem ::= "count(*)" | "max(fare_amount)"\n';
const MESSAGES = [
  { role: "system", content: "You are terse." },
  { role: "user", content: "Say hello." },
];

/**
 * A test double with the subset of WebLLM's engine interface the bridge uses. Its reload() reports
 * progress the way WebLLM does ("Fetching param cache[i/n]: XMB fetched. ..."); its streams yield
 * `{choices:[{delta:{content}}]}` chunks and end with a `{choices:[], usage}` chunk.
 */
function makeDouble(behavior = {}) {
  const log = { factoryCalls: 0, reloads: [], requests: [], interrupts: 0, unloads: 0 };
  let onProgress = null;
  let interrupted = false;
  const engine = {
    async reload(model) {
      log.reloads.push(model);
      if (behavior.reloadThrows) {
        await sleep(50);
        throw new Error(behavior.reloadThrows);
      }
      if (behavior.reloadHangs) return new Promise(() => {});
      const n = 4;
      for (let i = 1; i <= n; i++) {
        await sleep(200);
        onProgress({
          progress: i / n,
          timeElapsed: Math.ceil(i * 0.2),
          text:
            `Fetching param cache[${i}/${n}]: ${i * 10}MB fetched. ${i * 25}% completed, ` +
            `${Math.ceil(i * 0.2)} secs elapsed. It can take a while when we first visit this page to ` +
            `populate the cache. Later refreshes will become faster.`,
        });
      }
      onProgress({ progress: 1, timeElapsed: 1, text: "Finish loading on WebGPU - swiftshader" });
    },
    chat: {
      completions: {
        create: async (request) => {
          log.requests.push(JSON.parse(JSON.stringify(request)));
          interrupted = false;
          if (behavior.neverYields) {
            return { [Symbol.asyncIterator]: () => ({ next: () => new Promise(() => {}) }) };
          }
          const tokens = behavior.tokens ?? ["Hel", "lo", ",", " world", "!"];
          return (async function* () {
            let n = 0;
            for (let i = 0; behavior.endless || i < tokens.length; i++) {
              await sleep(behavior.delayMs ?? 30);
              if (interrupted && !behavior.ignoreInterrupt) {
                yield { choices: [{ index: 0, delta: {}, finish_reason: "abort" }] };
                break;
              }
              n++;
              yield { choices: [{ index: 0, delta: { content: tokens[i % tokens.length] }, finish_reason: null }] };
            }
            if (!interrupted) yield { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] };
            yield { choices: [], usage: { prompt_tokens: 17, completion_tokens: n, total_tokens: 17 + n } };
          })();
        },
      },
    },
    interruptGenerate() {
      log.interrupts++;
      interrupted = true;
    },
    async unload() {
      log.unloads++;
    },
  };
  const factory = async (model, progress) => {
    log.factoryCalls++;
    log.factoryModel = model;
    onProgress = progress;
    return engine;
  };
  return { factory, log };
}

async function withDouble(behavior, body) {
  const d = makeDouble(behavior);
  B.setEngineFactory(d.factory);
  try {
    return { ...(await body(d)), log: d.log };
  } finally {
    await B.unload().catch(() => {});
    B.setEngineFactory(null);
  }
}

window.bridgeTest = {
  capability: () => B.capability(),

  modelFor: async () => ({
    f32: errOf(() => B.modelFor("Llama-3.2-3B-Instruct-q4f16_1-MLC", false)),
    f16: errOf(() => B.modelFor("Llama-3.2-3B-Instruct-q4f16_1-MLC", true)),
    alreadyF32: errOf(() => B.modelFor("Llama-3.2-3B-Instruct-q4f32_1-MLC", false)),
    unknown: errOf(() => B.modelFor("No-Such-Model-q4f16_1-MLC", true)),
    noF32Build: errOf(() => B.modelFor("gemma3-1b-it-q4f16_1-MLC", false)),
    empty: errOf(() => B.modelFor("", false)),
  }),

  // A download that never finished left a shard in WebLLM's cache: deleting removes it (and
  // nothing of another model) without fetching anything.
  cache: async () => {
    await B.ready();
    const storage = await caches.open("webllm/model");
    const partial = `https://huggingface.co/mlc-ai/${MODEL}/resolve/main/params_shard_0.bin`;
    const other = `https://huggingface.co/mlc-ai/${OTHER}/resolve/main/params_shard_0.bin`;
    await storage.put(partial, new Response("partial"));
    await storage.put(other, new Response("other"));
    const cached = await settle(B.isCached(MODEL));
    const unknown = await settle(B.isCached("No-Such-Model-q4f16_1-MLC"));
    const deleteUncached = await settle(B.deleteModel(MODEL).then(() => "deleted"));
    const partialLeft = Boolean(await storage.match(partial));
    const otherLeft = Boolean(await storage.match(other));
    await storage.delete(other);
    return { cached, unknown, deleteUncached, partialLeft, otherLeft };
  },

  // The real worker engine, no model: the worker must start (under the CSP), answer a call that
  // needs no model with an error, and see WebGPU.
  realWorker: () => B.probeWorker(),

  // The real worker engine asked to load a model it cannot fetch here (the CSP allows only 'self'):
  // the load must fail with an Error, not hang.
  realLoadFails: async () => {
    const reports = [];
    const r = await timed(B.load(MODEL, (p) => reports.push(p), { stallTimeoutMs: 60_000 }));
    const afterwards = await settle(B.generate(MESSAGES, {}, () => {}));
    await B.unload();
    return { ...r, reports, afterwards };
  },

  progress: () =>
    withDouble({}, async (d) => {
      const reports = [];
      const first = await timed(B.load(MODEL, (p) => reports.push({ ...p, at: performance.now() })));
      const againReports = [];
      const again = await settle(B.load(MODEL, (p) => againReports.push(p)));
      const reloadsAfterAgain = d.log.reloads.length;
      const other = await settle(B.load(OTHER, () => {}));
      return { first, reports, again, againReports, reloadsAfterAgain, other };
    }),

  stream: () =>
    withDouble({}, async () => {
      await B.load(MODEL, () => {});
      const tokens = [];
      const result = await settle(B.generate(MESSAGES, { maxTokens: 64, temperature: 0.2, grammar: GRAMMAR }, (t) => tokens.push(t)));
      const second = await settle(B.generate(MESSAGES, { maxTokens: 8 }, () => {}));
      return { tokens, result, second };
    }),

  stop: (ignoreInterrupt) =>
    withDouble({ endless: true, delayMs: 40, ignoreInterrupt: !!ignoreInterrupt }, async () => {
      await B.load(MODEL, () => {});
      const tokens = [];
      let stopReturned = null;
      const pending = timed(
        B.generate(MESSAGES, {}, (t) => {
          tokens.push(t);
          if (tokens.length === 3) stopReturned = B.stop();
        }),
      );
      const result = await pending;
      const tokensAtResolve = tokens.length;
      const stopWhenIdle = B.stop();
      return { result, tokensAtResolve, stopReturned, stopWhenIdle };
    }),

  reloadThrows: () =>
    withDouble({ reloadThrows: "GPUDevice was lost (test double)" }, async () => {
      const r = await settle(B.load(MODEL, () => {}));
      const generateAfter = await settle(B.generate(MESSAGES, {}, () => {}));
      return { r, generateAfter };
    }),

  loadStalls: () =>
    withDouble({ reloadHangs: true }, async () => ({
      r: await timed(B.load(MODEL, () => {}, { stallTimeoutMs: 800 })),
    })),

  neverYields: () =>
    withDouble({ neverYields: true }, async () => {
      await B.load(MODEL, () => {});
      const idle = await timed(B.generate(MESSAGES, { idleTimeoutMs: 700 }, () => {}));
      const total = await timed(B.generate(MESSAGES, { timeoutMs: 900, idleTimeoutMs: 60_000 }, () => {}));
      return { idle, total };
    }),

  noModel: async () => {
    await B.unload();
    return { r: await settle(B.generate(MESSAGES, {}, () => {})) };
  },

  // An imported model folder, served by this test's server under /models/ (tests/fixtures/models).
  importedModel: async () => {
    await B.ready();
    const id = "Tiny-Test-q4f32_1-MLC";
    const modelUrl = `${location.origin}/models/${id}/`;
    B.setLocalModels([{ modelId: id, modelUrl, modelLibUrl: null }]);
    const noLib = errOf(() => B.modelFor(id, false));
    const lib = `${modelUrl}resolve/main/Tiny-Test-webgpu.wasm`;
    B.setLocalModels([
      { modelId: id, modelUrl, modelLibUrl: lib },
      // A prebuilt id imported without a library keeps WebLLM's prebuilt one.
      { modelId: MODEL, modelUrl: `${location.origin}/models/${MODEL}/` },
    ]);
    const withLib = errOf(() => B.modelFor(id, false));
    const prebuiltLib = errOf(() => B.modelFor(MODEL, false));
    const cached = await settle(B.isCached(id));
    const load = await timed(B.load(id, () => {}, { stallTimeoutMs: 30_000 }));
    await B.unload();
    B.setLocalModels([]);
    const gone = errOf(() => B.modelFor(id, false));
    const bad = errOf(() => B.setLocalModels([{ modelId: "" }]));
    return { noLib, withLib, prebuiltLib, cached, load, gone, bad };
  },

  // ?nogpu: what a WebView without WebGPU gets.
  noGpu: async () => ({
    modelForBeforeReady: errOf(() => B.modelFor("Llama-3.2-3B-Instruct-q4f16_1-MLC", true)),
    capability: await B.capability(),
  }),
};
window.bridgeTestReady = true;
