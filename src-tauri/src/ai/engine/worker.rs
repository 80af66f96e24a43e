//! The engine worker: the child process (`datagata engine-worker --model FILE`) that loads one
//! GGUF model with llama.cpp and answers [`Request`]s on stdin with [`Reply`]s on stdout, one
//! generation at a time. Stop arrives while tokens are being generated (a reader thread keeps
//! stdin flowing), and a closed stdin — the app gone — ends it.

use std::{
    io::{BufRead, Write},
    num::NonZeroU32,
    path::Path,
    sync::mpsc,
    time::Instant,
};

use llama_cpp_2::{
    context::params::LlamaContextParams,
    llama_backend::LlamaBackend,
    llama_batch::LlamaBatch,
    model::{LlamaChatMessage, LlamaModel, params::LlamaModelParams},
    sampling::LlamaSampler,
};

use super::{
    backends,
    protocol::{Reply, Request},
};

/// The context a generation gets (prompt and answer together), in tokens.
const CONTEXT_TOKENS: u32 = 4096;
/// Tokens penalized for repeating (llama.cpp's default window).
const PENALTY_WINDOW: i32 = 64;

fn send(reply: &Reply) {
    let mut out = std::io::stdout().lock();
    if let Ok(line) = serde_json::to_string(reply) {
        // The app is gone when stdout fails; the closed stdin will end the loop.
        let _ = writeln!(out, "{line}").and_then(|()| out.flush());
    }
}

/// Text out of token bytes, holding back an incomplete UTF-8 sequence until its next bytes come.
#[derive(Default)]
struct Utf8Pieces {
    pending: Vec<u8>,
}

impl Utf8Pieces {
    fn push(&mut self, bytes: &[u8]) -> String {
        self.pending.extend_from_slice(bytes);
        match std::str::from_utf8(&self.pending) {
            Ok(s) => {
                let s = s.to_string();
                self.pending.clear();
                s
            }
            Err(e) if e.error_len().is_none() => {
                let valid = e.valid_up_to();
                let s = String::from_utf8_lossy(&self.pending[..valid]).into_owned();
                self.pending.drain(..valid);
                s
            }
            Err(_) => String::from_utf8_lossy(&std::mem::take(&mut self.pending)).into_owned(),
        }
    }

    fn finish(&mut self) -> String {
        String::from_utf8_lossy(&std::mem::take(&mut self.pending)).into_owned()
    }
}

/// Runs the worker until stdin closes or `shutdown` arrives.
pub fn main(model_path: &Path, threads: Option<usize>) -> anyhow::Result<()> {
    let (tx, requests) = mpsc::channel::<Request>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines().map_while(Result::ok) {
            match serde_json::from_str::<Request>(&line) {
                Ok(r) => {
                    if tx.send(r).is_err() {
                        break;
                    }
                }
                Err(e) => send(&Reply::Error {
                    id: None,
                    message: format!("not a request: {e}"),
                }),
            }
        }
    });
    let threads = threads.unwrap_or_else(super::default_threads).max(1);
    llama_cpp_2::send_logs_to_tracing(llama_cpp_2::LogOptions::default());
    // The CPU kernels for this machine (and a GPU backend, in a GPU build) before llama.cpp starts.
    let loaded = std::env::current_exe()
        .map_err(anyhow::Error::from)
        .and_then(|exe| backends::load(&exe).map_err(anyhow::Error::from));
    let loaded = match loaded {
        Ok(l) => l,
        Err(e) => {
            send(&Reply::Error {
                id: None,
                message: e.to_string(),
            });
            anyhow::bail!(e);
        }
    };
    match &loaded.dir {
        Some(dir) => tracing::info!(
            "llama.cpp runs on {} (modules from {})",
            loaded.label,
            dir.display()
        ),
        None => tracing::info!("llama.cpp runs on {}", loaded.label),
    }
    let backend = LlamaBackend::init()?;
    let started = Instant::now();
    let mut params = LlamaModelParams::default();
    if loaded.gpu {
        // A GPU takes every layer it can.
        params = params.with_n_gpu_layers(u32::MAX);
    }
    let model = match LlamaModel::load_from_file(&backend, model_path, &params) {
        Ok(m) => m,
        Err(e) => {
            let message = format!("{}: {e}", model_path.display());
            send(&Reply::Error {
                id: None,
                message: message.clone(),
            });
            anyhow::bail!(message);
        }
    };
    send(&Reply::Ready {
        backend: loaded.kind,
        label: loaded.label,
        threads,
        model: model_path.display().to_string(),
        model_bytes: std::fs::metadata(model_path).map(|m| m.len()).unwrap_or(0),
        load_ms: started.elapsed().as_secs_f64() * 1000.0,
    });
    while let Ok(request) = requests.recv() {
        match request {
            Request::Generate {
                id,
                messages,
                grammar,
                max_tokens,
                temperature,
                repeat_penalty,
                seed,
            } => {
                let job = Job {
                    id: &id,
                    messages: &messages,
                    grammar: grammar.as_deref(),
                    max_tokens,
                    temperature,
                    repeat_penalty,
                    seed,
                    threads,
                };
                match generate(&backend, &model, &job, &requests) {
                    Ok(Some(done)) => send(&done),
                    Ok(None) => return Ok(()), // shutdown during the generation
                    Err(e) => send(&Reply::Error {
                        id: Some(id.clone()),
                        message: e.to_string(),
                    }),
                }
            }
            Request::Stop { .. } => {} // nothing under way
            Request::Shutdown => break,
        }
    }
    Ok(())
}

struct Job<'a> {
    id: &'a str,
    messages: &'a [(String, String)],
    grammar: Option<&'a str>,
    max_tokens: u32,
    temperature: f32,
    repeat_penalty: f32,
    seed: u32,
    threads: usize,
}

fn sampler(model: &LlamaModel, job: &Job<'_>) -> anyhow::Result<LlamaSampler> {
    let mut chain = Vec::new();
    if let Some(grammar) = job.grammar {
        chain.push(
            LlamaSampler::grammar(model, grammar, "root")
                .map_err(|e| anyhow::anyhow!("the SQL grammar was refused by llama.cpp: {e}"))?,
        );
    }
    if job.repeat_penalty > 0.0 && job.repeat_penalty != 1.0 {
        chain.push(LlamaSampler::penalties(
            model.n_vocab(),
            PENALTY_WINDOW,
            job.repeat_penalty,
            0.0,
            0.0,
        ));
    }
    if job.temperature > 0.0 {
        chain.push(LlamaSampler::top_k(40));
        chain.push(LlamaSampler::top_p(0.95, 1));
        chain.push(LlamaSampler::temp(job.temperature));
        chain.push(LlamaSampler::dist(job.seed));
    } else {
        chain.push(LlamaSampler::greedy());
    }
    Ok(LlamaSampler::chain_simple(chain))
}

/// One generation; `None` when a shutdown arrived meanwhile.
fn generate(
    backend: &LlamaBackend,
    model: &LlamaModel,
    job: &Job<'_>,
    requests: &mpsc::Receiver<Request>,
) -> anyhow::Result<Option<Reply>> {
    let started = Instant::now();
    let template = model.chat_template(None)?;
    let chat = job
        .messages
        .iter()
        .map(|(role, content)| LlamaChatMessage::new(role.clone(), content.clone()))
        .collect::<Result<Vec<_>, _>>()?;
    let prompt = model.apply_chat_template(&template, &chat, true)?;
    let vocab = model.vocab();
    let tokens = vocab.tokenize(prompt.as_bytes(), false, true);
    let max_tokens = job.max_tokens.max(1);
    if tokens.len() as u32 + max_tokens > CONTEXT_TOKENS {
        anyhow::bail!(
            "the prompt is {} tokens; with {max_tokens} to write it does not fit the {CONTEXT_TOKENS}-token context",
            tokens.len()
        );
    }
    let params = LlamaContextParams::default()
        .with_n_ctx(NonZeroU32::new(CONTEXT_TOKENS))
        .with_n_batch(CONTEXT_TOKENS)
        .with_n_threads(job.threads as i32)
        .with_n_threads_batch(job.threads as i32);
    let mut ctx = model.new_context(backend, params)?;
    let mut batch = LlamaBatch::new(CONTEXT_TOKENS as usize, 1);
    let last = tokens.len().saturating_sub(1);
    for (i, token) in tokens.iter().enumerate() {
        batch.add(*token, i as i32, &[0], i == last)?;
    }
    ctx.decode(&mut batch)?;
    let mut sampler = sampler(model, job)?;
    let mut text = String::new();
    let mut pieces = Utf8Pieces::default();
    let (mut output_tokens, mut ttft_ms, mut stopped) = (0u64, None, false);
    for position in (tokens.len() as i32..).take(max_tokens as usize) {
        loop {
            match requests.try_recv() {
                Ok(Request::Stop { id }) if id == job.id => stopped = true,
                Ok(Request::Shutdown) | Err(mpsc::TryRecvError::Disconnected) => {
                    return Ok(None);
                }
                Ok(_) => {}
                Err(mpsc::TryRecvError::Empty) => break,
            }
        }
        if stopped {
            break;
        }
        let token = sampler.sample(&ctx, batch.n_tokens() - 1);
        if vocab.is_eog(token) {
            break;
        }
        output_tokens += 1;
        let piece = pieces.push(&vocab.token_to_piece(token, false, None));
        if ttft_ms.is_none() {
            ttft_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
        }
        if !piece.is_empty() {
            text.push_str(&piece);
            send(&Reply::Token {
                id: job.id.to_string(),
                text: piece,
            });
        }
        batch.clear();
        batch.add(token, position, &[0], true)?;
        ctx.decode(&mut batch)?;
    }
    text.push_str(&pieces.finish());
    Ok(Some(Reply::Done {
        id: job.id.to_string(),
        text,
        prompt_tokens: tokens.len() as u64,
        output_tokens,
        ttft_ms,
        generation_ms: started.elapsed().as_secs_f64() * 1000.0,
        stopped,
    }))
}

#[cfg(test)]
mod tests {
    use super::Utf8Pieces;

    #[test]
    fn split_utf8_is_held_back_until_complete() {
        let mut p = Utf8Pieces::default();
        let e = "é".as_bytes();
        assert_eq!(p.push(b"caf"), "caf");
        assert_eq!(p.push(&e[..1]), "");
        assert_eq!(p.push(&e[1..]), "é");
        assert_eq!(p.push(&[0xff]), "\u{fffd}");
        assert_eq!(p.finish(), "");
    }
}
