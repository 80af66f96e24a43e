//! The traffic generator (`datagata traffic N DELAY_MS`): random people ask realistic taxi
//! questions through the same core as the app — context, the AI Config for that context, the
//! provider it picks, the read-only runner, `query-completed` tracked exactly as the app tracks it.
//! Providers are never simulated: one that cannot run here is recorded as unavailable with the
//! reason, and the question's reference SQL still runs so the data path is measured. With
//! `--via-app` the requests go to the running app's automation endpoint instead.
//!
//! Who asks (drawn per request, seeded): tier trial 50% / starter 30% / premium 20%; role analyst
//! 60% / viewer 25% / admin 15%; device desktop 45% / laptop 35% / tablet 10% / mobile 10%; region
//! US-EAST 40% / US-WEST 25% / EU 20% / APAC 15%; 40% work for one of five organizations; the
//! email is one of 500 (people come back).

use std::{
    sync::{
        Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use chrono::Utc;
use datagata_ipc::{
    DeviceType, Organization, Profile, Role, Tier,
    metrics::{MetricsReport, QueryCompleted, TimeRange},
};
use rand::{Rng, SeedableRng, rngs::StdRng};
use serde::{Deserialize, Serialize};

use crate::{Core, CoreError, metrics};

/// A question people ask, with SQL that answers it on `taxi` (what a good AI answer runs).
pub struct Question {
    pub text: &'static str,
    pub reference_sql: &'static str,
}

pub const QUESTIONS: [Question; 10] = [
    Question {
        text: "What is the average trip distance?",
        reference_sql: "SELECT avg(trip_distance) AS avg_miles FROM taxi",
    },
    Question {
        text: "Which pickup borough is busiest at night?",
        reference_sql: "SELECT z.Borough, count(*) AS trips FROM taxi t JOIN taxi_zones z ON t.PULocationID = z.LocationID WHERE hour(t.tpep_pickup_datetime) < 5 GROUP BY 1 ORDER BY 2 DESC LIMIT 1",
    },
    Question {
        text: "How many trips are there per hour of the day?",
        reference_sql: "SELECT hour(tpep_pickup_datetime) AS hour, count(*) AS trips FROM taxi GROUP BY 1 ORDER BY 1",
    },
    Question {
        text: "What is the average tip by payment type?",
        reference_sql: "SELECT payment_type, avg(tip_amount) AS avg_tip FROM taxi GROUP BY 1 ORDER BY 1",
    },
    Question {
        text: "What are the top 10 pickup zones by number of trips?",
        reference_sql: "SELECT z.Zone, count(*) AS trips FROM taxi t JOIN taxi_zones z ON t.PULocationID = z.LocationID GROUP BY 1 ORDER BY 2 DESC LIMIT 10",
    },
    Question {
        text: "What is the average fare for trips from JFK airport?",
        reference_sql: "SELECT avg(fare_amount) AS avg_fare FROM taxi WHERE PULocationID = 132",
    },
    Question {
        text: "How does the average fare per mile change by hour?",
        reference_sql: "SELECT hour(tpep_pickup_datetime) AS hour, sum(fare_amount) / nullif(sum(trip_distance), 0) AS fare_per_mile FROM taxi GROUP BY 1 ORDER BY 1",
    },
    Question {
        text: "What share of trips are paid by card?",
        reference_sql: "SELECT avg(CASE WHEN payment_type = 1 THEN 1.0 ELSE 0.0 END) AS card_share FROM taxi",
    },
    Question {
        text: "What is the median trip duration in minutes by borough?",
        reference_sql: "SELECT z.Borough, median(epoch(tpep_dropoff_datetime - tpep_pickup_datetime) / 60) AS minutes FROM taxi t JOIN taxi_zones z ON t.PULocationID = z.LocationID GROUP BY 1 ORDER BY 2 DESC",
    },
    Question {
        text: "Which day had the highest total revenue?",
        reference_sql: "SELECT CAST(tpep_pickup_datetime AS DATE) AS day, sum(total_amount) AS revenue FROM taxi GROUP BY 1 ORDER BY 2 DESC LIMIT 1",
    },
];

const ORGANIZATIONS: [(&str, &str, &str, f64); 5] = [
    ("acme-logistics", "Acme Logistics", "logistics", 60_000.0),
    (
        "yellow-cab-co",
        "Yellow Cab Co",
        "transportation",
        250_000.0,
    ),
    (
        "city-planning",
        "City Planning Dept",
        "government",
        120_000.0,
    ),
    ("metro-retail", "Metro Retail", "retail", 15_000.0),
    ("nyc-insights", "NYC Insights", "consulting", 5_000.0),
];

fn pick<T: Copy>(rng: &mut StdRng, weighted: &[(T, f64)]) -> T {
    let total: f64 = weighted.iter().map(|(_, w)| w).sum();
    let mut x = rng.random::<f64>() * total;
    for (item, w) in weighted {
        if x < *w {
            return *item;
        }
        x -= w;
    }
    weighted[weighted.len() - 1].0
}

/// A person, drawn with the distributions in the module comment.
pub fn random_profile(rng: &mut StdRng) -> Profile {
    let tier = pick(
        rng,
        &[
            (Tier::Trial, 0.5),
            (Tier::Starter, 0.3),
            (Tier::Premium, 0.2),
        ],
    );
    let role = pick(
        rng,
        &[
            (Role::Analyst, 0.6),
            (Role::Viewer, 0.25),
            (Role::Admin, 0.15),
        ],
    );
    let device = pick(
        rng,
        &[
            (DeviceType::Desktop, 0.45),
            (DeviceType::Laptop, 0.35),
            (DeviceType::Tablet, 0.1),
            (DeviceType::Mobile, 0.1),
        ],
    );
    let region = pick(
        rng,
        &[
            ("US-EAST", 0.4),
            ("US-WEST", 0.25),
            ("EU", 0.2),
            ("APAC", 0.15),
        ],
    );
    let organization = (rng.random::<f64>() < 0.4).then(|| {
        let (key, name, industry, value) = ORGANIZATIONS[rng.random_range(0..ORGANIZATIONS.len())];
        Organization {
            key: key.into(),
            name: name.into(),
            industry: industry.into(),
            contract_value: value,
        }
    });
    Profile {
        email: format!("user{}@example.com", rng.random_range(0..500)),
        tier,
        role: Some(role),
        organization,
        device_type_override: Some(device),
        region_override: Some(region.into()),
    }
}

/// The most requests one run may make.
pub const MAX_COUNT: usize = 100_000;
/// The most workers one run may use.
pub const MAX_CONCURRENCY: usize = 64;
/// The longest delay between one worker's requests.
pub const MAX_DELAY: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone)]
pub struct TrafficOptions {
    pub count: usize,
    pub delay: Duration,
    pub concurrency: usize,
    pub seed: u64,
}

impl TrafficOptions {
    /// Refuses counts, concurrency and delays no run should have, saying the bounds.
    pub fn check(&self) -> Result<(), String> {
        if self.count == 0 || self.count > MAX_COUNT {
            return Err(format!(
                "traffic needs between 1 and {MAX_COUNT} requests, not {}",
                self.count
            ));
        }
        if self.concurrency == 0 || self.concurrency > MAX_CONCURRENCY {
            return Err(format!(
                "--concurrency must be between 1 and {MAX_CONCURRENCY}, not {}",
                self.concurrency
            ));
        }
        if self.delay > MAX_DELAY {
            return Err(format!(
                "the delay must be at most {} ms, not {} ms",
                MAX_DELAY.as_millis(),
                self.delay.as_millis()
            ));
        }
        Ok(())
    }
}

/// One request as the results file records it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrafficRecord {
    pub index: usize,
    pub started_at: String,
    pub profile: Profile,
    pub outcome: QueryCompleted,
}

/// A whole run: every request and the analysis of this run's requests.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrafficRun {
    pub started_at: String,
    pub finished_at: String,
    pub count: usize,
    pub delay_ms: u64,
    pub concurrency: usize,
    pub seed: u64,
    pub via_app: bool,
    pub wall_ms: f64,
    pub requests: Vec<TrafficRecord>,
    pub analysis: MetricsReport,
}

/// Where each request goes: this process's core, or the app's automation endpoint.
pub trait Asker: Sync {
    fn ask(&self, profile: &Profile, question: &Question) -> Result<QueryCompleted, String>;
    /// The experiment rollout's weights (variation key → weight), for the SRM check.
    fn experiment_weights(&self) -> Option<Vec<(String, f64)>> {
        None
    }
}

impl Asker for Core {
    fn ask(&self, profile: &Profile, question: &Question) -> Result<QueryCompleted, String> {
        self.ask_headless(&crate::ai::questions::HeadlessAsk {
            question: question.text,
            profile: Some(profile),
            choice: None,
            reference_sql: Some(question.reference_sql),
            source: crate::ai::questions::Source::Traffic,
        })
        .map(|answer| answer.completed)
        .map_err(|e: CoreError| e.to_string())
    }

    fn experiment_weights(&self) -> Option<Vec<(String, f64)>> {
        self.flags.experiment_weights(crate::flags::keys::AI_CONFIG)
    }
}

/// Runs `options.count` requests on `options.concurrency` workers, each waiting `delay` between
/// its requests; `progress` hears about each finished request.
pub fn run(
    asker: &dyn Asker,
    options: &TrafficOptions,
    via_app: bool,
    progress: &(dyn Fn(&TrafficRecord) + Sync),
) -> Result<TrafficRun, String> {
    options.check()?;
    let started_at = Utc::now();
    let started = Instant::now();
    // Draw every request up front so the seed alone decides who asks what.
    let mut rng = StdRng::seed_from_u64(options.seed);
    let plan: Vec<(Profile, usize)> = (0..options.count)
        .map(|_| {
            (
                random_profile(&mut rng),
                rng.random_range(0..QUESTIONS.len()),
            )
        })
        .collect();
    let next = AtomicUsize::new(0);
    let records = Mutex::new(Vec::with_capacity(options.count));
    let failure = Mutex::new(None::<String>);
    std::thread::scope(|scope| {
        for _ in 0..options.concurrency.max(1) {
            scope.spawn(|| {
                let mut first = true;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= plan.len() || failure.lock().map(|f| f.is_some()).unwrap_or(true) {
                        break;
                    }
                    if !first && !options.delay.is_zero() {
                        std::thread::sleep(options.delay);
                    }
                    first = false;
                    let (profile, q) = &plan[i];
                    let at = Utc::now();
                    match asker.ask(profile, &QUESTIONS[*q]) {
                        Ok(outcome) => {
                            let record = TrafficRecord {
                                index: i,
                                started_at: at.to_rfc3339(),
                                profile: profile.clone(),
                                outcome,
                            };
                            progress(&record);
                            if let Ok(mut r) = records.lock() {
                                r.push((at, record));
                            }
                        }
                        Err(e) => {
                            if let Ok(mut f) = failure.lock() {
                                f.get_or_insert(format!("request {i}: {e}"));
                            }
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().unwrap_or_default() {
        return Err(e);
    }
    let mut records = records.into_inner().unwrap_or_default();
    records.sort_by_key(|(_, r)| r.index);
    let events: Vec<metrics::QueryEvent> = {
        let mut e: Vec<_> = records
            .iter()
            .map(|(at, r)| metrics::QueryEvent {
                at: *at,
                user: r.profile.email.clone(),
                data: r.outcome.clone(),
            })
            .collect();
        e.sort_by_key(|e| e.at);
        e
    };
    Ok(TrafficRun {
        started_at: started_at.to_rfc3339(),
        finished_at: Utc::now().to_rfc3339(),
        count: options.count,
        delay_ms: options.delay.as_millis() as u64,
        concurrency: options.concurrency.max(1),
        seed: options.seed,
        via_app,
        wall_ms: started.elapsed().as_secs_f64() * 1000.0,
        requests: records.into_iter().map(|(_, r)| r).collect(),
        analysis: metrics::report(
            TimeRange::All,
            &events,
            asker.experiment_weights().as_deref(),
        ),
    })
}

/// The seed's summary table, plus why providers were unavailable.
pub fn summary_table(report: &MetricsReport) -> String {
    let mut out = format!(
        "{:<16} {:>8} {:>12} {:>11} {:>13} {:>12}\n",
        "Provider", "Queries", "Avg Latency", "Total Cost", "Success Rate", "P95 Latency"
    );
    for s in &report.summary {
        out.push_str(&format!(
            "{:<16} {:>8} {:>10.1}ms {:>11} {:>12.1}% {:>10.1}ms\n",
            s.provider,
            s.queries,
            s.avg_latency,
            format!("${:.2}", s.total_cost),
            s.success_rate,
            s.p95_latency
        ));
        for r in &s.unavailable_reasons {
            out.push_str(&format!(
                "  {} unavailable ×{}: {}\n",
                s.provider, r.count, r.reason
            ));
        }
    }
    out.push_str(&format!(
        "\nExperiment ai-config: {}\n",
        report.experiment.verdict
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_draws_the_same_people() {
        let a: Vec<Profile> = {
            let mut rng = StdRng::seed_from_u64(7);
            (0..50).map(|_| random_profile(&mut rng)).collect()
        };
        let b: Vec<Profile> = {
            let mut rng = StdRng::seed_from_u64(7);
            (0..50).map(|_| random_profile(&mut rng)).collect()
        };
        assert_eq!(a, b);
        for p in &a {
            crate::context::validate_profile(p.clone()).unwrap();
        }
        let mut rng = StdRng::seed_from_u64(1);
        let many: Vec<Profile> = (0..4000).map(|_| random_profile(&mut rng)).collect();
        let share =
            |f: &dyn Fn(&Profile) -> bool| many.iter().filter(|p| f(p)).count() as f64 / 4000.0;
        assert!((share(&|p| p.tier == Tier::Trial) - 0.5).abs() < 0.04);
        assert!((share(&|p| p.organization.is_some()) - 0.4).abs() < 0.04);
        assert!(
            (share(&|p| p.device_type_override == Some(DeviceType::Mobile)) - 0.1).abs() < 0.03
        );
    }

    #[test]
    fn every_reference_query_passes_the_guard_and_answers() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::data::Database::open(&dir.path().join("t.duckdb")).unwrap();
        db.generate(5_000, 1).unwrap();
        for q in &QUESTIONS {
            let r = db
                .run(&datagata_ipc::data::QueryRequest::local(q.reference_sql))
                .unwrap_or_else(|e| panic!("{}: {e}", q.text));
            assert!(r.total_rows > 0, "{}", q.text);
        }
    }

    #[test]
    fn absurd_counts_and_concurrency_are_refused_with_the_bounds() {
        let core = crate::test_core();
        for (count, concurrency, says) in [
            (usize::MAX, 1, "between 1 and 100000 requests"),
            (0, 1, "between 1 and 100000 requests"),
            (10, 1_000_000, "--concurrency must be between 1 and 64"),
            (10, 0, "--concurrency must be between 1 and 64"),
        ] {
            let options = TrafficOptions {
                count,
                delay: Duration::ZERO,
                concurrency,
                seed: 1,
            };
            let err = run(&core, &options, false, &|_| {}).unwrap_err();
            assert!(err.contains(says), "{err}");
        }
    }

    #[test]
    fn a_run_measures_what_can_run_and_says_why_the_rest_cannot() {
        let core = crate::test_core();
        core.data().generate(2_000, 3).unwrap();
        let seen = AtomicUsize::new(0);
        let run = run(
            &core,
            &TrafficOptions {
                count: 40,
                delay: Duration::ZERO,
                concurrency: 2,
                seed: 9,
            },
            false,
            &|_| {
                seen.fetch_add(1, Ordering::Relaxed);
            },
        )
        .unwrap();
        assert_eq!(seen.load(Ordering::Relaxed), 40);
        assert_eq!(run.requests.len(), 40);
        assert!(run.requests.windows(2).all(|w| w[0].index < w[1].index));
        assert_eq!(run.analysis.total_queries, 40);
        // Offline and headless: no provider can answer; every reference query still ran.
        for r in &run.requests {
            assert_eq!(
                r.outcome.generation,
                datagata_ipc::metrics::GenerationOutcome::Unavailable,
                "{:?}",
                r.outcome
            );
            assert!(!r.outcome.success);
            assert!(r.outcome.reason.is_some());
            assert!(r.outcome.rows.unwrap_or(0) > 0, "{:?}", r.outcome);
            assert_eq!(r.outcome.cost_usd, 0.0);
        }
        // Premium people on desktop-class machines get webllm; trial people motherduck-ai.
        for r in &run.requests {
            let desktop_class = matches!(
                r.profile.device_type_override,
                Some(DeviceType::Desktop | DeviceType::Laptop)
            );
            if r.profile.tier == Tier::Premium && desktop_class {
                assert_eq!(r.outcome.variation_key, "webllm");
            }
        }
        // Tracked exactly as the app tracks: one query-completed per request in the local log.
        let stored = metrics::load(core.events(), TimeRange::All, Utc::now()).unwrap();
        assert_eq!(stored.len(), 40);
        assert!(
            run.analysis
                .experiment
                .verdict
                .starts_with("Neither variation answered")
                || run
                    .analysis
                    .experiment
                    .verdict
                    .starts_with("Not enough data"),
            "{}",
            run.analysis.experiment.verdict
        );
        let table = summary_table(&run.analysis);
        assert!(table.contains("motherduck-ai"), "{table}");
        assert!(table.contains("unavailable"), "{table}");
    }
}
