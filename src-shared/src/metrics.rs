//! The metrics contract: what the app measured per provider and AI Config variation, the samples
//! behind the plots, and the `ai-config` experiment's analysis. The JSON keeps the seed's shape
//! (`timeRange`, `totalQueries`, `summary: [{provider, queries, avgLatency, totalCost,
//! successRate, p95Latency}]`) and extends it.

use serde::{Deserialize, Serialize};

/// The `query-completed` event's `data`, as the app, the traffic generator and the automation
/// endpoint all record it (metric value: `latencyMs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryCompleted {
    /// `motherduck-ai` or `webllm` (the AI Config variation's provider).
    pub provider: String,
    pub config_key: String,
    pub variation_key: String,
    pub question: String,
    /// What became of the generation; `reason` says why when it is not `ok`.
    pub generation: GenerationOutcome,
    pub reason: Option<String>,
    /// The question was answered: SQL generated and run.
    pub success: bool,
    /// End to end: evaluation, generation, the query.
    pub latency_ms: f64,
    pub generation_ms: Option<f64>,
    /// The query's own time (the AI's SQL, or the question's reference SQL when no AI ran).
    pub query_ms: Option<f64>,
    pub rows: Option<u64>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub time_to_first_token_ms: Option<f64>,
    /// Estimated cost in USD (documented rates; local = 0; nothing when no call was made).
    pub cost_usd: f64,
    /// `app`, `cli`, `traffic` or `automation`.
    pub source: String,
    /// Where a local model ran: `webllm` (in the WebView) or `llama.cpp` (the native engine);
    /// none for the cloud.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    /// The hardware it ran on: `WebGPU`, `CPU`, `Vulkan`, `CUDA`; none for the cloud.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    /// The model (WebLLM's id, the GGUF file's name, or the cloud's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// 1 for a question, 2 for its one retry with the error fed back.
    #[serde(default = "first_attempt")]
    pub attempt: u32,
    /// The AI Config gave this person its variation through the experiment's rollout
    /// (LaunchDarkly's `inExperiment`); only these count in the experiment's arms.
    #[serde(default)]
    pub in_experiment: bool,
}

fn first_attempt() -> u32 {
    1
}

/// What became of a question's generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GenerationOutcome {
    /// The provider wrote SQL.
    Ok,
    /// The provider answered with an error (or no SQL).
    Error,
    /// The provider could not run here (no token, no WebGPU, no model).
    Unavailable,
    /// The person (or a timeout) stopped it.
    Stopped,
}

impl GenerationOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            GenerationOutcome::Ok => "ok",
            GenerationOutcome::Error => "error",
            GenerationOutcome::Unavailable => "unavailable",
            GenerationOutcome::Stopped => "stopped",
        }
    }
}

/// The window of events a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum TimeRange {
    #[serde(rename = "1h")]
    LastHour,
    #[serde(rename = "24h")]
    LastDay,
    #[default]
    #[serde(rename = "all")]
    All,
}

impl TimeRange {
    pub const ALL: [TimeRange; 3] = [TimeRange::LastHour, TimeRange::LastDay, TimeRange::All];

    pub fn as_str(self) -> &'static str {
        match self {
            TimeRange::LastHour => "1h",
            TimeRange::LastDay => "24h",
            TimeRange::All => "all",
        }
    }

    pub fn seconds(self) -> Option<i64> {
        match self {
            TimeRange::LastHour => Some(3_600),
            TimeRange::LastDay => Some(86_400),
            TimeRange::All => None,
        }
    }
}

/// One provider (and AI Config variation) over the time range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderSummary {
    pub provider: String,
    pub variation_key: String,
    pub queries: u64,
    /// Answered (success) / queries, in percent, as the seed reports it.
    pub success_rate: f64,
    pub answered: u64,
    /// Questions the provider could not take here, and why (most common first).
    pub unavailable: u64,
    pub unavailable_reasons: Vec<ReasonCount>,
    pub avg_latency: f64,
    pub p50_latency: f64,
    pub p95_latency: f64,
    pub p99_latency: f64,
    pub total_cost: f64,
    pub cost_per_query: f64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub avg_time_to_first_token: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReasonCount {
    pub reason: String,
    pub count: u64,
}

/// One query for the plots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LatencySample {
    /// RFC 3339, UTC.
    pub at: String,
    pub provider: String,
    pub latency_ms: f64,
    pub success: bool,
}

/// A 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

impl Interval {
    pub fn contains(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }
}

/// One arm of the experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmStats {
    pub variation_key: String,
    /// Users in the arm (the experiment's unit).
    pub n: u64,
    /// Their questions.
    pub queries: u64,
    /// The mean over users of each user's mean latency.
    pub mean_latency: Option<f64>,
    /// Student's t interval of that mean.
    pub latency_ci: Option<Interval>,
    /// Questions answered.
    pub successes: u64,
    /// The mean over users of each user's share of answered questions (0–1).
    pub success_rate: Option<f64>,
    /// Student's t interval of that mean.
    pub success_ci: Option<Interval>,
    pub total_cost: f64,
    pub cost_per_query: Option<f64>,
}

/// Treatment minus control, with its 95% interval; `relative` is the same over the control's mean.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Difference {
    pub estimate: f64,
    pub ci: Interval,
    pub relative: Option<f64>,
    pub relative_ci: Option<Interval>,
    /// The interval excludes zero.
    pub significant: bool,
}

/// The `ai-config` experiment: control = motherduck-ai, treatment = webllm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExperimentReport {
    pub flag_key: String,
    /// What an arm counts: `user` (per-user means, then Welch across users).
    pub unit: String,
    pub control: ArmStats,
    pub treatment: ArmStats,
    /// Welch's interval for the difference of per-user mean latencies (ms).
    pub latency_difference: Option<Difference>,
    /// Welch's interval for the difference of per-user success shares.
    pub success_difference: Option<Difference>,
    /// Questions (and their users) outside the experiment: targeted people, rule matches,
    /// other tiers and devices, forced provider choices — reported here, not in the arms.
    pub outside_queries: u64,
    pub outside_users: u64,
    /// The sample-ratio-mismatch check on users per arm, when the rollout's weights are known.
    pub srm: Option<SrmCheck>,
    /// Each arm has at least `min_per_arm` users; below that no verdict is given.
    pub enough_data: bool,
    pub min_per_arm: u64,
    /// In words, e.g. "webllm is 62% faster (95% CI 55–69%); success rate difference not
    /// significant at n=120/118".
    pub verdict: String,
}

/// Users per arm against the rollout's weights (Pearson's chi-square, 1 degree of freedom for
/// two arms): a mismatch means the assignment or the tracking is broken, and the result cannot
/// be trusted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SrmCheck {
    /// Users in (control, treatment).
    pub observed: Vec<u64>,
    /// The rollout's shares for (control, treatment), summing to 1.
    pub expected_shares: Vec<f64>,
    pub statistic: f64,
    pub p_value: f64,
    /// p < 0.001.
    pub mismatch: bool,
    pub message: String,
}

/// Where the tracked events are on their way to LaunchDarkly (the outbox).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventDelivery {
    /// Stored, waiting to be sent.
    pub pending: u64,
    /// Accepted by LaunchDarkly (a 2xx for their payload).
    pub sent: u64,
    /// Recorded without LaunchDarkly (no SDK key in that session): local metrics only.
    pub local_only: u64,
    /// Refused by LaunchDarkly as malformed; not retried.
    pub rejected: u64,
    /// Tracked but not on disk yet: the log's writes are failing and being retried.
    pub unstored: u64,
    /// Dropped after the disk refused writes for longer than memory could hold them.
    pub dropped: u64,
    /// The events endpoint in use; `None` when this session has no LaunchDarkly.
    pub destination: Option<String>,
    /// The last storing or sending failure, until it succeeds again.
    pub last_error: Option<String>,
    /// LaunchDarkly refused the SDK key: nothing more is sent this session.
    pub stopped: bool,
}

/// Everything the Metrics view and `datagata metrics` show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricsReport {
    pub time_range: TimeRange,
    pub total_queries: u64,
    pub summary: Vec<ProviderSummary>,
    /// The most recent queries (oldest first), at most a few thousand.
    pub samples: Vec<LatencySample>,
    pub experiment: ExperimentReport,
    #[serde(default)]
    pub delivery: EventDelivery,
}
