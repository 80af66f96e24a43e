// The native engine's benchmark (run by scripts/bench-engine, not a test): decode tokens/s and
// time to first token of the app's engine worker (`datagata engine-worker`, llama.cpp through the
// llama-cpp-2 crate) against llama.cpp's own prebuilt build as node-llama-cpp ships it, on the
// same GGUF, prompt, context size, threads and greedy decoding; and each one's peak RSS.
//
//   node scripts/bench-engine.mjs --app BIN --model FILE [--threads N] [--runs N] [--tokens N]
//   node scripts/bench-engine.mjs --reference --model FILE ...   (one side, JSON on stdout)

import { spawn } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const MODEL = opt("model");
const THREADS = Number(opt("threads", "2"));
const RUNS = Number(opt("runs", "3"));
const TOKENS = Number(opt("tokens", "128"));
const CONTEXT = 4096; // the worker's context size (engine/worker.rs)
const TIMEOUT_MS = 300_000;

// A prompt like the app's: a schema in a system message and a question; long output wanted.
const MESSAGES = [
  [
    "system",
    "You write about NYC taxi data. Tables: taxi(VendorID INTEGER, tpep_pickup_datetime TIMESTAMP, " +
      "tpep_dropoff_datetime TIMESTAMP, passenger_count BIGINT, trip_distance DOUBLE, RatecodeID BIGINT, " +
      "store_and_fwd_flag VARCHAR, PULocationID INTEGER, DOLocationID INTEGER, payment_type BIGINT, " +
      "fare_amount DOUBLE, extra DOUBLE, mta_tax DOUBLE, tip_amount DOUBLE, tolls_amount DOUBLE, " +
      "improvement_surcharge DOUBLE, total_amount DOUBLE, congestion_surcharge DOUBLE, Airport_fee DOUBLE); " +
      "taxi_zones(LocationID INTEGER, Borough VARCHAR, Zone VARCHAR, service_zone VARCHAR).",
  ],
  ["user", "Describe in detail, in at least 300 words, ten questions one could answer with these tables and why each matters."],
];

function rssPeakKb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The app's engine worker, driven over its line-delimited JSON protocol. */
async function ours(app) {
  const child = spawn(app, ["engine-worker", "--model", MODEL, "--threads", String(THREADS)], {
    stdio: ["pipe", "pipe", "ignore"],
  });
  const lines = createInterface({ input: child.stdout });
  const queue = [];
  let wake = null;
  lines.on("line", (l) => {
    queue.push(JSON.parse(l));
    wake?.();
  });
  const next = async () => {
    const deadline = Date.now() + TIMEOUT_MS;
    while (!queue.length) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error("the worker did not answer");
      await new Promise((r) => {
        wake = r;
        setTimeout(r, 1000);
      });
    }
    return queue.shift();
  };
  const ready = await next();
  if (ready.type !== "ready") throw new Error(JSON.stringify(ready));
  const runs = [];
  for (let i = 0; i <= RUNS; i++) {
    const id = String(i);
    child.stdin.write(
      JSON.stringify({
        type: "generate",
        id,
        messages: MESSAGES,
        grammar: null,
        maxTokens: TOKENS,
        temperature: 0,
        repeatPenalty: 1,
        seed: 1,
      }) + "\n",
    );
    let done;
    while ((done = await next()).type === "token");
    if (done.type !== "done") throw new Error(JSON.stringify(done));
    const decodeMs = done.generationMs - done.ttftMs;
    // Run 0 warms the page cache and the CPU; it is not counted.
    if (i > 0)
      runs.push({
        ttftMs: done.ttftMs,
        promptTokens: done.promptTokens,
        outputTokens: done.outputTokens,
        decodeTokensPerSecond: ((done.outputTokens - 1) * 1000) / decodeMs,
      });
  }
  const rssKb = rssPeakKb(child.pid);
  child.stdin.write(JSON.stringify({ type: "shutdown" }) + "\n");
  return { side: "app engine (llama-cpp-2)", backend: ready.label ?? ready.backend, threads: ready.threads, loadMs: ready.loadMs, runs, rssKb };
}

/** llama.cpp's own prebuilt binary, through node-llama-cpp, in this process. */
async function reference() {
  const { getLlama, LlamaChatSession } = await import(process.env.NODE_LLAMA_CPP ?? "node-llama-cpp");
  const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" });
  const loadStart = performance.now();
  const model = await llama.loadModel({ modelPath: MODEL, gpuLayers: 0 });
  const loadMs = performance.now() - loadStart;
  const runs = [];
  for (let i = 0; i <= RUNS; i++) {
    // A fresh context per generation, as the app's worker makes one per question.
    const started = performance.now();
    const context = await model.createContext({ contextSize: CONTEXT, batchSize: CONTEXT, threads: THREADS });
    const sequence = context.getSequence();
    const session = new LlamaChatSession({ contextSequence: sequence, systemPrompt: MESSAGES[0][1] });
    let first = null;
    let tokens = 0;
    await session.prompt(MESSAGES[1][1], {
      maxTokens: TOKENS,
      temperature: 0,
      onToken: (t) => {
        tokens += t.length;
        first ??= performance.now();
      },
    });
    const end = performance.now();
    const promptTokens = sequence.contextTokens.length - tokens;
    await context.dispose();
    if (i > 0)
      runs.push({
        ttftMs: first - started,
        promptTokens,
        outputTokens: tokens,
        decodeTokensPerSecond: ((tokens - 1) * 1000) / (end - first),
      });
  }
  return {
    side: `llama.cpp ${llama.llamaCppRelease?.release ?? "?"} (node-llama-cpp prebuilt)`,
    backend: llama.gpu === false ? "CPU" : String(llama.gpu),
    threads: THREADS,
    loadMs,
    runs,
    rssKb: rssPeakKb(process.pid),
  };
}

function summary(r) {
  return {
    side: r.side,
    backend: r.backend,
    threads: r.threads,
    decodeTokensPerSecond: median(r.runs.map((x) => x.decodeTokensPerSecond)),
    ttftMs: median(r.runs.map((x) => x.ttftMs)),
    outputTokens: r.runs.map((x) => x.outputTokens),
    promptTokens: r.runs[0]?.promptTokens,
    peakRssMb: r.rssKb / 1000,
    runs: r.runs.length,
  };
}

if (args.includes("--reference")) {
  const r = await reference();
  process.stdout.write(JSON.stringify(r) + "\n");
  process.exit(0);
}

const app = opt("app");
if (!app || !MODEL) {
  console.error("usage: bench-engine.mjs --app BIN --model FILE [--threads N] [--runs N] [--tokens N]");
  process.exit(2);
}
const a = summary(await ours(app));
const refOut = await new Promise((resolve, reject) => {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), "--reference", ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
  child.on("exit", (code) => {
    clearTimeout(timer);
    code === 0 ? resolve(out) : reject(new Error(`the reference exited ${code}`));
  });
});
const b = summary(JSON.parse(refOut.trim().split("\n").pop()));
const modelMb = statSync(MODEL).size / 1e6;
console.log(JSON.stringify({ model: MODEL, modelMb, ours: a, reference: b, decodeRatio: a.decodeTokensPerSecond / b.decodeTokensPerSecond, rssOverModelMb: a.peakRssMb - modelMb }, null, 2));
