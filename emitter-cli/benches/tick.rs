//! The cost of one tick: the draw alone (emitter-core), then the draw and its JSON line
//! through the emitter's tracing stack, with the emitter's formatter and, for comparison,
//! tracing-subscriber's stock JSON formatter. Lines go to a sink: no I/O, no writer thread
//! (`scripts/bench-emitter` measures the whole binary).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use emitter_cli::json::{JsonLines, SystemClock};
use emitter_cli::run::log_tick;
use emitter_core::{Config, Ticker};
use tracing::Subscriber;

fn ticker() -> Ticker {
    Ticker::new(&Config::default().validate().unwrap(), 1)
}

fn tick(c: &mut Criterion) {
    let mut draws = ticker();
    c.bench_function("draw", |b| {
        b.iter(|| {
            let tick = draws.next_tick();
            black_box((tick.number, tick.word.len()))
        })
    });

    let ours = tracing_subscriber::fmt()
        .event_format(JsonLines::<SystemClock>::default())
        .with_writer(std::io::sink)
        .finish();
    log_ticks(c, "tick (draw + format)", ours);

    let stock = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_writer(std::io::sink)
        .finish();
    log_ticks(c, "tick (draw + stock JSON format)", stock);
}

/// Benchmarks drawing and logging a tick through `subscriber`.
fn log_ticks(c: &mut Criterion, name: &str, subscriber: impl Subscriber + Send + Sync + 'static) {
    let mut draws = ticker();
    tracing::subscriber::with_default(subscriber, || {
        c.bench_function(name, |b| b.iter(|| log_tick(&draws.next_tick())));
    });
}

criterion_group!(benches, tick);
criterion_main!(benches);
