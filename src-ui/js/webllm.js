// The WebLLM bridge: installs `window.datagataWebLLM`, the only door the Rust/Yew side uses to run
// a language model on the GPU through WebGPU (it calls these through js-sys Reflect/Function).
//
// WebLLM (@mlc-ai/web-llm, pinned in package.json) is bundled by esbuild at build time: nothing is
// loaded from a CDN. It is large (~7 MB of JS), so it never sits on the app's first-paint path:
//   - the page imports it lazily (`import()`, its own chunk in dist) the first time capability(),
//     ready(), load(), isCached() or deleteModel() needs it;
//   - the engine itself runs in a module Web Worker, dist/webllm-worker.js, which imports the same
//     chunk (allowed by the CSP's `'self'`; WebLLM compiles wasm: `'wasm-unsafe-eval'`).
//
// Every function returns a Promise (except modelFor and stop, which are synchronous), takes plain
// objects and callbacks, and fails with an `Error` whose message says what went wrong and what to
// do. Anything that can stall (adapter request, worker start, cache, load, generation) has a
// timeout, so no call hangs forever.
//
//   capability()                      -> { ok, reason, shaderF16, adapter: {vendor, architecture}|null,
//                                          maxStorageBufferBindingSize }
//   ready()                           -> undefined once WebLLM's library is loaded (capability() waits
//                                          for it too, so modelFor() works after either)
//   modelFor(configModel, shaderF16)  -> model id to load (sync)
//   isCached(model)                   -> bool
//   load(model, onProgress, { stallTimeoutMs }?)
//                                     -> undefined; onProgress({ progress, text, loadedBytes,
//                                          totalBytes, bytesPerSecond })
//   generate(messages, { maxTokens, temperature, grammar, timeoutMs, idleTimeoutMs }, onToken)
//                                     -> { text, inputTokens, outputTokens, timeToFirstTokenMs,
//                                          durationMs, tokensPerSecond, stopped }
//   stop()                            -> bool (sync): whether a generation was running
//   deleteModel(model), unload()      -> undefined
//   setLocalModels([{ modelId, modelUrl, modelLibUrl|null }])
//                                     -> undefined (sync): model folders the app serves from disk
//                                          (its dgmodel protocol); they take the place of WebLLM's
//                                          prebuilt record with the same id
//   probeWorker()                     -> { alive, noModelError, gpuVendor, gpuError } (diagnostics:
//                                          starts a throwaway real worker, loads no model)
//   setEngineFactory(factory|null)    -> TEST SEAM, see below

const WEBLLM_VERSION = "0.2.86";
const MiB = 1024 * 1024;

const ADAPTER_TIMEOUT_MS = 5_000;
const LIB_TIMEOUT_MS = 60_000;
const WORKER_START_TIMEOUT_MS = 60_000;
const WORKER_CALL_TIMEOUT_MS = 15_000;
const CACHE_TIMEOUT_MS = 30_000;
const UNLOAD_TIMEOUT_MS = 15_000;
const DEFAULT_LOAD_STALL_MS = 5 * 60_000; // no progress report for this long: the load failed
const DEFAULT_GENERATE_TIMEOUT_MS = 10 * 60_000; // a whole reply
const DEFAULT_IDLE_TIMEOUT_MS = 3 * 60_000; // between two chunks (the first includes the prefill)
const STOP_GRACE_MS = 3_000; // after stop(), how long the engine gets to end its stream by itself

// ---- small helpers ------------------------------------------------------------------------

function messageOf(e) {
  if (e instanceof Error) return e.message || String(e);
  if (typeof e === "string") return e;
  if (e && typeof e.message === "string") return e.message;
  try {
    return JSON.stringify(e);
  } catch {
    return String(e);
  }
}

function toError(e, context) {
  const err = new Error(context ? `${context}: ${messageOf(e)}` : messageOf(e));
  err.cause = e;
  return err;
}

/** `promise`, or an Error with `message` if it has not settled within `ms`. */
function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([Promise.resolve(promise), timeout]).finally(() => clearTimeout(timer));
}

function deferred() {
  let resolve, reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {}); // only ever raced, never awaited alone
  return { promise, resolve, reject };
}

function callSafely(fn, ...args) {
  if (typeof fn !== "function") return;
  try {
    fn(...args);
  } catch (e) {
    console.error("datagataWebLLM: a callback threw", e);
  }
}

function webViewName() {
  const ua = globalThis.navigator?.userAgent ?? "";
  if (/\bEdg\//.test(ua)) return "WebView2 (Microsoft Edge)";
  if (/(Chrome|Chromium)\//.test(ua)) return "Chromium"; // also HeadlessChrome/
  if (/AppleWebKit/.test(ua) && /Macintosh|Mac OS X/.test(ua)) return "WKWebView (Safari's engine)";
  if (/AppleWebKit/.test(ua)) return "WebKitGTK";
  return ua ? "this WebView" : "this environment";
}

// ---- WebLLM's library, loaded on first use ------------------------------------------------

let lib = null;
let libPromise = null;

function loadLib() {
  if (!libPromise) {
    libPromise = withTimeout(
      import("@mlc-ai/web-llm"),
      LIB_TIMEOUT_MS,
      `WebLLM's library did not load within ${LIB_TIMEOUT_MS / 1000} s`,
    ).then(
      (m) => {
        lib = m;
        return m;
      },
      (e) => {
        libPromise = null; // let a later call try again
        throw toError(e, "WebLLM's library (bundled in the app) failed to load; reinstalling the app may help");
      },
    );
  }
  return libPromise;
}

// Model folders imported from disk (setLocalModels): [{ modelId, modelUrl, modelLibUrl }].
let localRecords = [];

/**
 * WebLLM's app config: its prebuilt models, with each imported folder in place of the prebuilt
 * record of the same id (keeping that record's settings, and its library when the folder has none).
 */
function appConfig() {
  const base = lib.prebuiltAppConfig;
  if (localRecords.length === 0) return base;
  const prebuilt = new Map(base.model_list.map((m) => [m.model_id, m]));
  const imported = localRecords.map((r) => {
    const pre = prebuilt.get(r.modelId) ?? {};
    return { ...pre, model: r.modelUrl, model_id: r.modelId, model_lib: r.modelLibUrl ?? pre.model_lib ?? null };
  });
  const ids = new Set(localRecords.map((r) => r.modelId));
  return { ...base, model_list: [...imported, ...base.model_list.filter((m) => !ids.has(m.model_id))] };
}

function modelIds() {
  return new Set(appConfig().model_list.map((m) => m.model_id));
}

function checkKnownModel(model) {
  if (typeof model !== "string" || model.trim() === "") {
    throw new Error(`A model id is needed (got ${JSON.stringify(model)}).`);
  }
  if (!lib) return;
  const record = appConfig().model_list.find((m) => m.model_id === model);
  if (!record) {
    throw new Error(
      `"${model}" is not one of WebLLM ${WEBLLM_VERSION}'s prebuilt models nor an imported model folder; ` +
        `set the AI Config's model to one of them, e.g. "Llama-3.2-3B-Instruct-q4f16_1-MLC".`,
    );
  }
  if (!record.model_lib) {
    throw new Error(
      `The model folder imported as "${model}" has no model library (.wasm) and WebLLM has no prebuilt ` +
        `one for that id: put the model's WebGPU library (e.g. from github.com/mlc-ai/binary-mlc-llm-libs) ` +
        `in the folder and import it again.`,
    );
  }
}

function setLocalModels(records) {
  if (!Array.isArray(records)) throw new Error("setLocalModels takes an array of { modelId, modelUrl, modelLibUrl }");
  const next = records.map((r) => {
    if (!r || typeof r.modelId !== "string" || r.modelId === "" || typeof r.modelUrl !== "string" || r.modelUrl === "") {
      throw new Error(`setLocalModels: bad record ${JSON.stringify(r)} (modelId and modelUrl are needed)`);
    }
    const lib = typeof r.modelLibUrl === "string" && r.modelLibUrl !== "" ? r.modelLibUrl : null;
    return { modelId: r.modelId, modelUrl: r.modelUrl, modelLibUrl: lib };
  });
  localRecords = next;
}

// ---- the real engine: WebLLM in a Web Worker ----------------------------------------------

function startWorker() {
  try {
    // esbuild leaves this expression as it is: the worker is its own entry point in dist, next to
    // the chunk holding this code (scripts/build-ui puts every output in dist's top folder).
    return new Worker(new URL("./webllm-worker.js", import.meta.url), {
      type: "module",
      name: "datagata-webllm",
    });
  } catch (e) {
    throw toError(e, "Could not start WebLLM's worker (webllm-worker.js)");
  }
}

/**
 * Creates a WebWorkerMLCEngine on a new worker and checks that the worker answers (with a call that
 * needs no model: it must come back as an error, not hang). Resolves to the engine, with two extra
 * fields the bridge uses: `datagataDead` (a promise that rejects when the worker fails) and
 * `datagataDispose()` (terminates the worker).
 */
async function realEngineFactory(_model, onProgress) {
  const { WebWorkerMLCEngine } = await loadLib();
  const worker = startWorker();
  const dead = deferred();
  let answered = false;
  worker.addEventListener("error", (ev) => {
    ev.preventDefault?.();
    const what = ev.message
      ? ev.message
      : "webllm-worker.js did not load (missing from the app's files, or blocked by its Content-Security-Policy)";
    dead.reject(new Error(answered ? `WebLLM's worker failed: ${what}` : `WebLLM's worker did not start: ${what}`));
  });
  worker.addEventListener("messageerror", () => {
    dead.reject(new Error("WebLLM's worker sent a message that could not be read"));
  });
  const engine = new WebWorkerMLCEngine(worker, { initProgressCallback: onProgress, appConfig: appConfig() });
  let noModelError = null;
  try {
    await withTimeout(
      Promise.race([
        engine.getMessage().then(
          () => {},
          (e) => {
            noModelError = messageOf(e);
          },
        ),
        dead.promise,
      ]),
      WORKER_START_TIMEOUT_MS,
      `WebLLM's worker did not answer within ${WORKER_START_TIMEOUT_MS / 1000} s of starting`,
    );
  } catch (e) {
    worker.terminate();
    throw e;
  }
  answered = true;
  engine.datagataDead = dead.promise;
  engine.datagataNoModelError = noModelError;
  engine.datagataDispose = () => {
    dead.reject(new Error("WebLLM's worker was stopped"));
    worker.terminate();
  };
  return engine;
}

// ---- state --------------------------------------------------------------------------------

const state = {
  factory: null, // null: realEngineFactory
  rec: null, // Promise of { engine, dead, kill(err) }, created on the first load
  model: null, // the model the engine holds, once loaded
  loadChain: Promise.resolve(),
  progressSink: null, // the running load's relay
  lastProgressAt: 0,
  generating: null, // { stopRequested, stopAt, onStop, onDead }
};

function dispatchProgress(report) {
  state.lastProgressAt = Date.now();
  callSafely(state.progressSink, report);
}

function engineRecord(model) {
  if (!state.rec) {
    const factory = state.factory ?? realEngineFactory;
    const rec = (async () => {
      const engine = await factory(model, dispatchProgress);
      if (!engine || typeof engine.reload !== "function") {
        throw new Error("the engine factory returned no engine (it needs reload, chat.completions.create, interruptGenerate, unload)");
      }
      const kill = deferred();
      const dead = engine.datagataDead ? Promise.race([kill.promise, engine.datagataDead]) : kill.promise;
      dead.catch(() => {});
      return { engine, dead, kill: (err) => kill.reject(err) };
    })();
    state.rec = rec;
    rec.catch(() => {
      if (state.rec === rec) state.rec = null;
    });
  }
  return state.rec;
}

/** Drops the engine (terminating a real worker); operations racing its `dead` fail with `why`. */
function discardEngine(why) {
  const rec = state.rec;
  state.rec = null;
  state.model = null;
  if (!rec) return Promise.resolve(null);
  return rec.then(
    (r) => {
      r.kill(new Error(why));
      callSafely(r.engine.datagataDispose?.bind(r.engine));
      return r;
    },
    () => null,
  );
}

// ---- API ----------------------------------------------------------------------------------

async function capability() {
  const result = { ok: false, reason: null, shaderF16: false, adapter: null, maxStorageBufferBindingSize: null };
  const where = webViewName();
  const gpu = globalThis.navigator?.gpu;
  if (!gpu) {
    result.reason =
      `WebGPU is not available in this WebView (${where}): navigator.gpu is missing, so models cannot ` +
      `run on this computer's GPU here. A WebView with WebGPU enabled is needed (e.g. a newer ${where}).`;
    return result;
  }
  let adapter;
  try {
    adapter = await withTimeout(
      gpu.requestAdapter({ powerPreference: "high-performance" }),
      ADAPTER_TIMEOUT_MS,
      `requestAdapter() did not answer within ${ADAPTER_TIMEOUT_MS / 1000} s`,
    );
  } catch (e) {
    result.reason = `WebGPU could not open a GPU adapter in ${where}: ${messageOf(e)}. Check the GPU driver.`;
    return result;
  }
  if (!adapter) {
    result.reason =
      `WebGPU found no usable GPU adapter in ${where} (requestAdapter() returned null): the GPU or its ` +
      `driver is not supported or is blocklisted by the WebView.`;
    return result;
  }
  let info = adapter.info ?? null;
  if (!info && typeof adapter.requestAdapterInfo === "function") {
    info = await withTimeout(adapter.requestAdapterInfo(), ADAPTER_TIMEOUT_MS, "adapter info").catch(() => null);
  }
  result.adapter = { vendor: String(info?.vendor ?? ""), architecture: String(info?.architecture ?? "") };
  result.shaderF16 = Boolean(adapter.features?.has?.("shader-f16"));
  const maxBinding = Number(adapter.limits?.maxStorageBufferBindingSize);
  result.maxStorageBufferBindingSize = Number.isFinite(maxBinding) && maxBinding > 0 ? maxBinding : null;
  try {
    await loadLib();
  } catch (e) {
    result.reason = messageOf(e);
    return result;
  }
  result.ok = true;
  return result;
}

async function ready() {
  await loadLib();
}

function modelFor(configModel, shaderF16) {
  if (!lib) {
    throw new Error("WebLLM is not loaded yet: await datagataWebLLM.capability() (or ready()) before modelFor().");
  }
  if (typeof configModel !== "string" || configModel.trim() === "") {
    throw new Error("The AI Config names no model: set its model to one of WebLLM's prebuilt models.");
  }
  checkKnownModel(configModel);
  if (shaderF16 || !/q\df16/.test(configModel)) return configModel;
  const f32 = configModel.replace(/q(\d)f16/, "q$1f32");
  if (modelIds().has(f32)) {
    checkKnownModel(f32);
    return f32;
  }
  throw new Error(
    `This GPU lacks WebGPU's shader-f16 feature, which ${configModel} needs, and WebLLM has no f32 build ` +
      `(${f32}) of it: choose a q4f32 model in the AI Config.`,
  );
}

async function isCached(model) {
  const l = await loadLib();
  checkKnownModel(model);
  try {
    return Boolean(
      await withTimeout(l.hasModelInCache(model, appConfig()), CACHE_TIMEOUT_MS, `the model cache did not answer within ${CACHE_TIMEOUT_MS / 1000} s`),
    );
  } catch (e) {
    throw toError(e, `Could not check whether ${model} is downloaded`);
  }
}

/** Turns WebLLM's progress reports into `{ progress, text, loadedBytes, totalBytes, bytesPerSecond }`. */
function progressRelay(onProgress) {
  let samples = []; // [ms, bytes] over the last few seconds, for the speed
  return (report) => {
    const text = String(report?.text ?? "");
    let progress = Number(report?.progress);
    progress = Number.isFinite(progress) ? Math.min(1, Math.max(0, progress)) : 0;
    let loadedBytes = null;
    let totalBytes = null;
    let bytesPerSecond = null;
    // WebLLM's texts: "Fetching param cache[3/50]: 120MB fetched. 5% completed, 12 secs elapsed. ..."
    // and "Loading model from cache[3/50]: 120MB loaded. ..."; the fraction is `progress`.
    const m = /(\d+(?:\.\d+)?)\s*MB (?:fetched|loaded)/i.exec(text);
    if (m) {
      loadedBytes = Math.round(parseFloat(m[1]) * MiB);
      if (progress > 0) totalBytes = Math.max(loadedBytes, Math.round(loadedBytes / progress));
      const now = performance.now();
      if (samples.length && loadedBytes < samples[samples.length - 1][1]) samples = []; // a new phase
      samples.push([now, loadedBytes]);
      while (samples.length > 2 && now - samples[0][0] > 5_000) samples.shift();
      const [t0, b0] = samples[0];
      if (now - t0 >= 250) {
        bytesPerSecond = ((loadedBytes - b0) * 1000) / (now - t0);
      } else if (Number(report?.timeElapsed) > 0) {
        bytesPerSecond = loadedBytes / Number(report.timeElapsed);
      }
    } else {
      samples = [];
    }
    callSafely(onProgress, { progress, text, loadedBytes, totalBytes, bytesPerSecond });
  };
}

/** Resolves/rejects like `promise`, or rejects when no progress was reported for `stallMs`. */
function withStallTimeout(promise, stallMs, message) {
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (Date.now() - state.lastProgressAt > stallMs) {
        clearInterval(timer);
        reject(new Error(message));
      }
    }, Math.max(50, Math.min(1_000, stallMs / 4)));
    promise.then(
      (v) => {
        clearInterval(timer);
        resolve(v);
      },
      (e) => {
        clearInterval(timer);
        reject(e);
      },
    );
  });
}

async function doLoad(model, onProgress, options) {
  const stallMs = Number(options?.stallTimeoutMs) > 0 ? Number(options.stallTimeoutMs) : DEFAULT_LOAD_STALL_MS;
  const relay = progressRelay(onProgress);
  state.progressSink = relay;
  state.lastProgressAt = Date.now();
  try {
    if (!state.factory) {
      await loadLib();
      checkKnownModel(model);
    }
    const rec = await engineRecord(model);
    if (state.model === model) {
      relay({ progress: 1, text: `${model} is already loaded.` });
      return;
    }
    state.model = null;
    state.lastProgressAt = Date.now();
    // The imported folders may have changed since the engine started.
    if (lib && typeof rec.engine.setAppConfig === "function") rec.engine.setAppConfig(appConfig());
    await withStallTimeout(
      Promise.race([Promise.resolve(rec.engine.reload(model)), rec.dead]),
      stallMs,
      `loading stalled: no progress for ${Math.round(stallMs / 1000)} s (check the network connection, then try again)`,
    );
    state.model = model;
  } catch (e) {
    // A failed or stalled load leaves the engine in an unknown state: the next load starts afresh.
    await discardEngine(`the load of ${model} failed`);
    throw toError(e, `Could not load the model ${model}`);
  } finally {
    if (state.progressSink === relay) state.progressSink = null;
  }
}

function load(model, onProgress, options) {
  if (state.generating) {
    return Promise.reject(new Error("A reply is still being generated: stop() it before loading a model."));
  }
  if (typeof model !== "string" || model.trim() === "") {
    return Promise.reject(new Error(`A model id is needed (got ${JSON.stringify(model)}).`));
  }
  const run = state.loadChain.catch(() => {}).then(() => doLoad(model, onProgress, options));
  state.loadChain = run.catch(() => {});
  return run;
}

const STOPPED = Symbol("stopped");

async function generate(messages, options, onToken) {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new Error("generate() needs a non-empty array of chat messages ({ role, content }).");
  }
  if (state.generating) throw new Error("A reply is already being generated: wait for it or stop() it first.");
  const opts = options ?? {};
  const timeoutMs = Number(opts.timeoutMs) > 0 ? Number(opts.timeoutMs) : DEFAULT_GENERATE_TIMEOUT_MS;
  const idleMs = Number(opts.idleTimeoutMs) > 0 ? Number(opts.idleTimeoutMs) : DEFAULT_IDLE_TIMEOUT_MS;

  const gen = { stopRequested: false, stopAt: null, onStop: null, onDead: null };
  state.generating = gen;
  try {
    if (!state.rec || !state.model) throw new Error("No model is loaded: load() one before generating.");
    const rec = await state.rec;
    const started = performance.now();
    const deadline = started + timeoutMs;

    // Waits for one engine step, bounded by the timeouts, the engine's death and stop().
    const step = (promise) =>
      new Promise((resolve, reject) => {
        const left = deadline - performance.now();
        const total = left <= idleMs;
        const timer = setTimeout(() => {
          const err = new Error(
            total
              ? `The reply took longer than ${Math.round(timeoutMs / 1000)} s and was stopped.`
              : `The model produced nothing for ${Math.round(idleMs / 1000)} s and was stopped (the GPU may be overloaded or stuck); try again, or reload the model.`,
          );
          err.timedOut = true;
          reject(err);
        }, Math.max(0, Math.min(idleMs, left)));
        let graceTimer = null;
        const done = () => {
          clearTimeout(timer);
          clearTimeout(graceTimer);
          gen.onStop = null;
        };
        const armStop = () => {
          graceTimer ??= setTimeout(() => {
            done();
            resolve(STOPPED);
          }, Math.max(0, gen.stopAt + STOP_GRACE_MS - performance.now())); // from the stop, not per step
        };
        gen.onStop = armStop;
        if (gen.stopRequested) armStop();
        Promise.resolve(promise).then(
          (v) => {
            done();
            resolve(v);
          },
          (e) => {
            done();
            reject(e);
          },
        );
        gen.onDead = (e) => {
          done();
          reject(e);
        };
      });
    rec.dead.then(null, (e) => gen.onDead?.(e));

    const request = { messages, stream: true, stream_options: { include_usage: true } };
    if (opts.maxTokens != null) request.max_tokens = opts.maxTokens;
    if (opts.temperature != null) request.temperature = opts.temperature;
    // The SQL grammar from the live schema (GBNF, which WebLLM's xgrammar reads as EBNF).
    if (typeof opts.grammar === "string" && opts.grammar) {
      request.response_format = { type: "grammar", grammar: opts.grammar };
    }

    let text = "";
    let firstTokenAt = null;
    let usage = null;
    let finishReason = null;
    try {
      const stream = await step(rec.engine.chat.completions.create(request));
      if (stream !== STOPPED) {
        const iterator = stream[Symbol.asyncIterator]();
        for (;;) {
          const r = await step(iterator.next());
          if (r === STOPPED || r.done) break;
          const chunk = r.value;
          const choice = chunk?.choices?.[0];
          const delta = choice?.delta?.content;
          if (typeof delta === "string" && delta !== "") {
            firstTokenAt ??= performance.now();
            text += delta;
            callSafely(onToken, delta);
          }
          if (choice?.finish_reason) finishReason = choice.finish_reason;
          if (chunk?.usage) usage = chunk.usage;
        }
      }
    } catch (e) {
      if (e?.timedOut) interrupt(rec.engine);
      throw toError(e, "The model could not finish its reply");
    } finally {
      gen.onDead = null;
    }
    const ended = performance.now();
    const durationMs = ended - started;
    const inputTokens = Number.isFinite(usage?.prompt_tokens) ? usage.prompt_tokens : null;
    const outputTokens = Number.isFinite(usage?.completion_tokens) ? usage.completion_tokens : null;
    let tokensPerSecond = null;
    const decodeRate = Number(usage?.extra?.decode_tokens_per_s);
    if (Number.isFinite(decodeRate) && decodeRate > 0) {
      tokensPerSecond = decodeRate;
    } else if (outputTokens != null && outputTokens > 0) {
      const decodeMs = firstTokenAt != null && ended - firstTokenAt > 0 ? ended - firstTokenAt : durationMs;
      if (decodeMs > 0) tokensPerSecond = (outputTokens * 1000) / decodeMs;
    }
    return {
      text,
      inputTokens,
      outputTokens,
      timeToFirstTokenMs: firstTokenAt != null ? firstTokenAt - started : null,
      durationMs,
      tokensPerSecond,
      stopped: gen.stopRequested || finishReason === "abort",
    };
  } finally {
    if (state.generating === gen) state.generating = null;
  }
}

function interrupt(engine) {
  try {
    Promise.resolve(engine.interruptGenerate()).catch(() => {});
  } catch (e) {
    console.warn("datagataWebLLM: interruptGenerate failed", e);
  }
}

function stop() {
  const gen = state.generating;
  if (!gen) return false;
  gen.stopRequested = true;
  gen.stopAt ??= performance.now();
  if (state.rec) state.rec.then((r) => interrupt(r.engine), () => {});
  callSafely(gen.onStop);
  return true;
}

async function unload() {
  stop();
  const rec = state.rec;
  state.model = null;
  if (!rec) return;
  const r = await rec.catch(() => null);
  if (r) {
    try {
      await withTimeout(Promise.race([Promise.resolve(r.engine.unload()), r.dead]), UNLOAD_TIMEOUT_MS, "unload timed out");
    } catch (e) {
      console.warn("datagataWebLLM: unload:", messageOf(e)); // the worker is terminated below anyway
    }
  }
  if (state.rec === rec) await discardEngine("the model was unloaded");
}

/**
 * Removes what a download that never finished left in WebLLM's caches (Cache API storage named
 * "webllm/…"): every entry under the model's URL and its library. WebLLM's own delete needs the
 * model's manifest, which such a download may not have cached, and would fetch it.
 */
async function deletePartial(model) {
  const record = appConfig().model_list.find((m) => m.model_id === model);
  const storage = globalThis.caches;
  if (!record || !storage) return;
  const prefix = new URL(record.model.endsWith("/") ? record.model : `${record.model}/`).href;
  for (const name of await storage.keys()) {
    if (!name.startsWith("webllm/")) continue;
    const cache = await storage.open(name);
    for (const request of await cache.keys()) {
      if (request.url.startsWith(prefix) || request.url === record.model_lib) await cache.delete(request);
    }
  }
}

async function deleteModel(model) {
  const l = await loadLib();
  checkKnownModel(model);
  if (state.model === model) await unload();
  if (!(await isCached(model))) {
    try {
      await withTimeout(deletePartial(model), CACHE_TIMEOUT_MS, `the model cache did not answer within ${CACHE_TIMEOUT_MS / 1000} s`);
    } catch (e) {
      throw toError(e, `Could not delete ${model}'s partly downloaded files`);
    }
    return;
  }
  try {
    await withTimeout(
      l.deleteModelAllInfoInCache(model, appConfig()),
      CACHE_TIMEOUT_MS,
      `the model cache did not answer within ${CACHE_TIMEOUT_MS / 1000} s`,
    );
  } catch (e) {
    throw toError(e, `Could not delete ${model}'s downloaded files`);
  }
}

/** Diagnostics: starts a throwaway real worker engine (no model), checks it answers, stops it. */
async function probeWorker() {
  const engine = await realEngineFactory(null, () => {});
  try {
    let gpuVendor = null;
    let gpuError = null;
    try {
      gpuVendor = await withTimeout(
        Promise.race([engine.getGPUVendor(), engine.datagataDead]),
        WORKER_CALL_TIMEOUT_MS,
        `the worker's WebGPU check did not answer within ${WORKER_CALL_TIMEOUT_MS / 1000} s`,
      );
    } catch (e) {
      gpuError = messageOf(e);
    }
    return { alive: true, noModelError: engine.datagataNoModelError, gpuVendor, gpuError };
  } finally {
    engine.datagataDispose();
  }
}

/**
 * TEST SEAM, used only by tests (tests/webview): replaces the worker engine with a test double.
 * `factory(model, onProgress)` must return a Promise of an object with the subset of WebLLM's engine
 * interface the bridge uses: `reload(model)` (reporting through `onProgress({progress, text,
 * timeElapsed})` like WebLLM's initProgressCallback), `chat.completions.create(request)` (with
 * `stream: true`: an async iterable of chunks `{ choices: [{ delta: { content }, finish_reason }],
 * usage? }`), `interruptGenerate()` and `unload()`. `setEngineFactory(null)` restores the real one.
 * Either way the current engine is dropped.
 */
function setEngineFactory(factory) {
  if (factory !== null && factory !== undefined && typeof factory !== "function") {
    throw new Error("setEngineFactory takes a function or null");
  }
  if (state.generating) stop();
  discardEngine("the engine factory was replaced");
  state.factory = factory ?? null;
}

const api = Object.freeze({
  webllmVersion: WEBLLM_VERSION,
  capability,
  ready,
  modelFor,
  isCached,
  load,
  generate,
  stop,
  deleteModel,
  unload,
  probeWorker,
  setLocalModels,
  setEngineFactory,
});

if (typeof globalThis.window !== "undefined" && !globalThis.window.datagataWebLLM) {
  globalThis.window.datagataWebLLM = api;
}

export default api;
