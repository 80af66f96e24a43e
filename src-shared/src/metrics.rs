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
    /// `ok`, `error` (the provider answered with an error) or `unavailable` (it could not run
    /// here; `reason` says why).
    pub generation: String,
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
    /// `app`, `traffic` or `automation`.
    pub source: String,
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
    pub n: u64,
    pub mean_latency: Option<f64>,
    /// Student's t interval of the mean latency.
    pub latency_ci: Option<Interval>,
    pub successes: u64,
    pub success_rate: Option<f64>,
    /// Wilson score interval of the success rate (0–1).
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
    pub control: ArmStats,
    pub treatment: ArmStats,
    /// Welch's interval for the difference of mean latencies (ms).
    pub latency_difference: Option<Difference>,
    /// Newcombe's hybrid Wilson interval for the difference of success rates.
    pub success_difference: Option<Difference>,
    /// Each arm has at least `min_per_arm` queries; below that no verdict is given.
    pub enough_data: bool,
    pub min_per_arm: u64,
    /// In words, e.g. "webllm is 62% faster (95% CI 55–69%); success rate difference not
    /// significant at n=120/118".
    pub verdict: String,
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
}
