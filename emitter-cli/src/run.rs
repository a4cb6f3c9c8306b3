//! The tick loop, and how it stops: after the count, on a signal, or when stdout fails.

use std::io;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use emitter_core::{format_interval, random_seed, Pacing, Settings, Tick, Ticker};
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::Notify;
use tracing::level_filters::LevelFilter;

use crate::json::{JsonLines, SystemClock};
use crate::output::{self, Output};

/// The `target` of every event the emitter logs.
pub const TARGET: &str = "emitter";

/// Exit status after a second signal, as a shell reports a process killed by SIGINT.
pub const EXIT_SECOND_SIGNAL: i32 = 130;

/// Why the tick loop stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// `--count` ticks were emitted.
    Count,
    /// A signal asked to stop; its name.
    Signal(&'static str),
    /// Writing to stdout failed, so further lines would be lost.
    OutputFailed,
}

impl StopReason {
    /// The reason as the `shutdown` event reports it.
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::Count => "count",
            StopReason::Signal(name) => name,
            StopReason::OutputFailed => "stdout failed",
        }
    }
}

/// A request to stop, set by the first signal and checked by the loop before each tick.
#[derive(Debug, Default)]
pub struct StopRequest {
    signal: OnceLock<&'static str>,
    wake: Notify,
}

impl StopRequest {
    /// Asks the loop to stop because of `signal`; the first request wins.
    pub fn request(&self, signal: &'static str) {
        if self.signal.set(signal).is_ok() {
            // Stores a wake-up even if the loop is not waiting yet, so none is missed.
            self.wake.notify_one();
        }
    }

    /// The signal that asked to stop, if any.
    pub fn requested(&self) -> Option<&'static str> {
        self.signal.get().copied()
    }
}

/// Runs the emitter with validated settings until it stops; returns the exit status.
pub fn run(settings: &Settings, level: LevelFilter) -> i32 {
    // One worker is plenty: the tick loop runs on this thread, the signal watch on the worker.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("emitter: cannot start the async runtime: {error}");
            return 1;
        }
    };
    let stop = Arc::new(StopRequest::default());
    if let Err(error) = runtime.block_on(async { watch_signals(Arc::clone(&stop)) }) {
        eprintln!("emitter: cannot listen for signals: {error}");
        return 1;
    }
    let (writer, output) = match output::stdout() {
        Ok(started) => started,
        Err(error) => {
            eprintln!("emitter: cannot write to stdout: {error}");
            return 1;
        }
    };
    let subscriber = tracing_subscriber::fmt()
        .event_format(JsonLines::<SystemClock>::default())
        .with_writer(writer)
        .with_max_level(level)
        .finish();
    if let Err(error) = tracing::subscriber::set_global_default(subscriber) {
        eprintln!("emitter: cannot set up logging: {error}");
        return 1;
    }
    let result = ticks(settings, &runtime, &stop, &output);
    // Every way out, errors included, goes through here: no line stays unwritten. The
    // runtime lives on meanwhile, so a second signal still ends a flush that hangs.
    output.finish();
    match result {
        Ok(StopReason::OutputFailed) => {
            eprintln!("emitter: writing to stdout failed (closed pipe?); stopped");
            1
        }
        Ok(_) => 0,
        Err(error) => {
            eprintln!("emitter: {error}");
            1
        }
    }
}

/// Logs `starting`, the ticks, then `shutdown`.
fn ticks(
    settings: &Settings,
    runtime: &tokio::runtime::Runtime,
    stop: &StopRequest,
    output: &Output,
) -> io::Result<StopReason> {
    let seed = match settings.seed {
        Some(seed) => seed,
        None => {
            random_seed().map_err(|error| io::Error::other(format!("no random seed: {error}")))?
        }
    };
    tracing::info!(
        target: TARGET,
        version = env!("CARGO_PKG_VERSION"),
        min = settings.min,
        max = settings.max,
        words = settings.words.join(",").as_str(),
        interval = format_interval(settings.interval).as_str(),
        seed,
        max_ticks = settings.count,
        "starting"
    );
    let (total, reason) = runtime.block_on(tick_loop(settings, seed, stop, output));
    tracing::info!(target: TARGET, total, reason = reason.as_str(), "shutdown");
    Ok(reason)
}

/// Emits ticks until the count is reached, a stop is requested or output fails; returns
/// how many ticks it emitted and why it stopped.
pub async fn tick_loop(
    settings: &Settings,
    seed: u64,
    stop: &StopRequest,
    output: &Output,
) -> (u64, StopReason) {
    let mut ticker = Ticker::new(settings, seed);
    // When the next tick is due; `None` when unpaced, which also spares reading the clock.
    let mut due = match settings.pacing {
        Pacing::Unpaced => None,
        Pacing::Every(_) => Some(Instant::now()),
    };
    loop {
        let reason = if settings.count == Some(ticker.count()) {
            Some(StopReason::Count)
        } else if let Some(signal) = stop.requested() {
            Some(StopReason::Signal(signal))
        } else if output.failed() {
            Some(StopReason::OutputFailed)
        } else {
            None
        };
        if let Some(reason) = reason {
            return (ticker.count(), reason);
        }
        if let Some(due) = due {
            output.send_pending();
            tokio::select! {
                biased;
                // Woken by a stop request: the checks above end the loop.
                () = stop.wake.notified() => continue,
                () = tokio::time::sleep_until(due.into()) => {}
            }
        }
        log_tick(&ticker.next_tick());
        if let Some(previous) = due {
            due = settings.pacing.next_due(previous, Instant::now());
        }
    }
}

/// Logs one tick: the event every line of the demo is about.
#[inline]
pub fn log_tick(tick: &Tick<'_>) {
    tracing::info!(
        target: TARGET,
        count = tick.count,
        number = tick.number,
        word = tick.word,
        "tick"
    );
}

/// Listens for SIGTERM and SIGINT: the first asks `stop` to stop, the second exits at once
/// with [`EXIT_SECOND_SIGNAL`], for when flushing hangs on a stdout nobody reads.
/// Call it inside the runtime; the handlers are in place when it returns.
fn watch_signals(stop: Arc<StopRequest>) -> io::Result<()> {
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    tokio::spawn(async move {
        let first = next_signal(&mut terminate, &mut interrupt).await;
        stop.request(first);
        let second = next_signal(&mut terminate, &mut interrupt).await;
        eprintln!("emitter: {second} while stopping; exiting without flushing");
        std::process::exit(EXIT_SECOND_SIGNAL);
    });
    Ok(())
}

async fn next_signal(terminate: &mut Signal, interrupt: &mut Signal) -> &'static str {
    tokio::select! {
        _ = terminate.recv() => "SIGTERM",
        _ = interrupt.recv() => "SIGINT",
    }
}
