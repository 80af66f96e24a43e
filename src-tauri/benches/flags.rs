//! How long the SDK takes to evaluate every flag for one 3-kind context (user, session,
//! organization) over the embedded flag data. Target: under 20 µs for all flags.

use criterion::{Criterion, criterion_group, criterion_main};
use datagata::{
    context::{self, Session},
    flags::{FlagSource, Flags},
};
use datagata_ipc::{DeviceFacts, DeviceType, Organization, Profile, Role, Tier};

fn evaluate_all(c: &mut Criterion) {
    let flags = Flags::open(&FlagSource::Embedded).expect("embedded flags load");
    let profile = Profile {
        email: "bench@example.com".into(),
        tier: Tier::Starter,
        role: Some(Role::Analyst),
        organization: Some(Organization {
            key: "acme".into(),
            name: "Acme".into(),
            industry: "logistics".into(),
            contract_value: 60_000.0,
        }),
        device_type_override: None,
        region_override: None,
    };
    let device = DeviceFacts {
        os: "linux".into(),
        os_version: "bench".into(),
        arch: "x86_64".into(),
        cpu_brand: "bench".into(),
        cpu_cores: 8,
        physical_cores: Some(4),
        memory_bytes: 16 << 30,
        device_type: DeviceType::Desktop,
        device_type_reason: "bench".into(),
        webgpu: None,
    };
    let ctx = context::build(
        &profile,
        &device,
        &Session::start(),
        Some("average fare by borough"),
    )
    .expect("context builds");
    let keys = flags.flag_keys();
    let n = keys.len();
    c.bench_function(&format!("evaluate all {n} flags, 3-kind context"), |b| {
        b.iter(|| std::hint::black_box(flags.evaluate_all(std::hint::black_box(&ctx))))
    });
    // The SDK's share: the same evaluations without the app's conversion of values and reasons.
    c.bench_function(&format!("SDK variation_detail x{n}, 3-kind context"), |b| {
        b.iter(|| {
            for key in &keys {
                std::hint::black_box(flags.sdk().variation_detail(
                    std::hint::black_box(&ctx),
                    key,
                    launchdarkly_server_sdk::FlagValue::Json(serde_json::Value::Null),
                ));
            }
        })
    });
}

criterion_group!(benches, evaluate_all);
criterion_main!(benches);
