//! Cost of getting cached credentials from a RefreshingCredentialsProvider: one task, and 8
//! tasks contending on the same provider (the per-call time is wall time / calls, all tasks
//! running at once on a multi-threaded runtime).

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alioss::credentials::{Credentials, ProvideCredentials, RefreshingCredentialsProvider};
use criterion::{criterion_group, criterion_main, Criterion};

fn provider() -> Arc<RefreshingCredentialsProvider> {
    Arc::new(RefreshingCredentialsProvider::new(|| async {
        Ok(Credentials::builder()
            .access_key_id("STS.bench")
            .access_key_secret("bench-secret")
            .security_token("bench-token")
            .expiration(time::OffsetDateTime::now_utc() + Duration::from_secs(3600))
            .build()
            .expect("valid credentials"))
    }))
}

fn bench_cached(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(8)
        .enable_all()
        .build()
        .expect("runtime");
    let p = provider();
    rt.block_on(p.provide_credentials()).expect("first fetch");

    let mut g = c.benchmark_group("cached_credentials");
    g.bench_function("1_task", |b| {
        b.to_async(&rt).iter(|| {
            let p = p.clone();
            async move { black_box(p.provide_credentials().await.expect("cached")) }
        })
    });
    g.bench_function("8_tasks_contending", |b| {
        b.iter_custom(|iters| {
            let per_task = iters.div_ceil(8);
            let p = p.clone();
            rt.block_on(async move {
                let start = Instant::now();
                let tasks: Vec<_> = (0..8)
                    .map(|_| {
                        let p = p.clone();
                        tokio::spawn(async move {
                            for _ in 0..per_task {
                                black_box(p.provide_credentials().await.expect("cached"));
                            }
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.expect("task");
                }
                start.elapsed()
            })
        })
    });
    g.finish();
}

criterion_group!(benches, bench_cached);
criterion_main!(benches);
