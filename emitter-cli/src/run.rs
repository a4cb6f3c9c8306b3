//! The tick loop, and how it stops: after the count, on a signal, or when stdout fails.

use std::io;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use emitter_core::{
    achieved_rate, format_interval, hand_over_before_sleep, random_seed, Next, Pacing, Schedule,
    Settings, Tick, Ticker,
};
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::Notify;
use tracing::level_filters::LevelFilter;

use crate::alarm::Alarm;
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
///
/// Three threads, and only the first wakes up per tick: this one runs the tick loop on a
/// current-thread tokio runtime, where a paced loop waits for its [`Alarm`], so a wake-up
/// costs one thread switch; `emitter-signals` runs a second current-thread runtime that
/// sleeps until a signal comes; tracing-appender's writer thread wakes when a batch of lines
/// is handed to it (see [`tick_loop`] for how often).
pub fn run(settings: &Settings, level: LevelFilter) -> i32 {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("emitter: cannot start the async runtime: {error}");
            return 1;
        }
    };
    let stop = Arc::new(StopRequest::default());
    if let Err(error) = watch_signals(Arc::clone(&stop)) {
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
    // Every way out, errors included, goes through here: no line stays unwritten. The signal
    // thread lives on meanwhile, so a second signal still ends a flush that hangs.
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

/// Rounds a rate to 6 significant digits for the log: enough to compare with the request,
/// without the noise digits of a measured float.
fn round_rate(rate: f64) -> f64 {
    if rate <= 0.0 || !rate.is_finite() {
        return rate;
    }
    let scale = 10f64.powi(5 - rate.log10().floor() as i32);
    (rate * scale).round() / scale
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
    let rate = settings.pacing.rate().map(round_rate);
    tracing::info!(
        target: TARGET,
        version = env!("CARGO_PKG_VERSION"),
        min = settings.min,
        max = settings.max,
        words = settings.words.join(",").as_str(),
        interval = format_interval(settings.pacing.interval()).as_str(),
        rate,
        seed,
        max_ticks = settings.count,
        "starting"
    );
    let run = runtime.block_on(tick_loop(settings, seed, stop, output))?;
    tracing::info!(
        target: TARGET,
        total = run.total,
        reason = run.reason.as_str(),
        rate,
        achieved_rate = achieved_rate(run.total, run.span).map(round_rate),
        "shutdown"
    );
    Ok(run.reason)
}

/// How a tick loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    /// Ticks emitted.
    pub total: u64,
    /// Why the loop stopped.
    pub reason: StopReason,
    /// Time from the first tick to the last (to the loop's end when unpaced, which reads
    /// no clock per tick).
    pub span: Duration,
}

/// Emits ticks until the count is reached, a stop is requested or output fails.
///
/// Paced, it follows a [`Schedule`]: at each wake-up it emits every tick due, back to back,
/// then sleeps until the next one. Lines are handed to the writer thread before a sleep
/// that would keep the oldest of them waiting [`emitter_core::MAX_LINE_DELAY`] or more (so at once at
/// intervals of 100 ms and up), and whenever a batch is full: at short intervals the writer
/// thread wakes about ten times a second, or once per full batch at higher rates, not once
/// per tick.
pub async fn tick_loop(
    settings: &Settings,
    seed: u64,
    stop: &StopRequest,
    output: &Output,
) -> io::Result<Run> {
    let mut ticker = Ticker::new(settings, seed);
    let start = Instant::now();
    // Paced only: the schedule and its alarm, the time of the current wake-up, of the last
    // tick, and of the oldest line not yet handed over. Unpaced loops read no clock per tick.
    let mut paced = match settings.pacing {
        Pacing::Unpaced => None,
        Pacing::Paced(pace) => Some((Schedule::new(pace), Alarm::start()?)),
    };
    let mut now = Duration::ZERO;
    let mut last_tick = Duration::ZERO;
    let mut oldest_unsent: Option<Duration> = None;
    let reason = loop {
        if settings.count == Some(ticker.count()) {
            break StopReason::Count;
        } else if let Some(signal) = stop.requested() {
            break StopReason::Signal(signal);
        } else if output.failed() {
            break StopReason::OutputFailed;
        }
        if let Some((schedule, alarm)) = &mut paced {
            if let Next::WaitUntil(wake) = schedule.next(now) {
                if let Some(oldest) = oldest_unsent {
                    if hand_over_before_sleep(oldest, wake) {
                        output.send_pending();
                        oldest_unsent = None;
                    }
                }
                now = alarm.elapsed();
                if wake > now {
                    tokio::select! {
                        biased;
                        // Woken by a stop request: the checks above end the loop.
                        () = stop.wake.notified() => continue,
                        slept = alarm.sleep_until(wake) => slept?,
                    }
                    now = alarm.elapsed();
                }
                continue;
            }
            last_tick = now;
            oldest_unsent.get_or_insert(now);
        }
        log_tick(&ticker.next_tick());
    };
    let span = match paced {
        Some(_) => last_tick,
        None => start.elapsed(),
    };
    Ok(Run {
        total: ticker.count(),
        reason,
        span,
    })
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

/// Listens for SIGTERM and SIGINT on a thread of its own: the first asks `stop` to stop,
/// the second exits at once with [`EXIT_SECOND_SIGNAL`], for when flushing hangs on a stdout
/// nobody reads or the loop waits for room in a full channel. The handlers are in place when
/// it returns. The thread sleeps in its runtime until a signal comes: it costs nothing per
/// tick.
fn watch_signals(stop: Arc<StopRequest>) -> io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    let (mut terminate, mut interrupt) = {
        let _inside = runtime.enter();
        (
            signal(SignalKind::terminate())?,
            signal(SignalKind::interrupt())?,
        )
    };
    std::thread::Builder::new()
        .name("emitter-signals".into())
        .spawn(move || {
            runtime.block_on(async {
                let first = next_signal(&mut terminate, &mut interrupt).await;
                stop.request(first);
                let second = next_signal(&mut terminate, &mut interrupt).await;
                eprintln!("emitter: {second} while stopping; exiting without flushing");
                std::process::exit(EXIT_SECOND_SIGNAL);
            })
        })?;
    Ok(())
}

async fn next_signal(terminate: &mut Signal, interrupt: &mut Signal) -> &'static str {
    tokio::select! {
        _ = terminate.recv() => "SIGTERM",
        _ = interrupt.recv() => "SIGINT",
    }
}

#[cfg(test)]
mod tests {
    use super::round_rate;

    #[test]
    fn rates_keep_six_significant_digits() {
        assert_eq!(round_rate(1.0 / 60.0), 0.0166667);
        assert_eq!(round_rate(999.981_234), 999.981);
        assert_eq!(round_rate(1000.0), 1000.0);
        assert_eq!(round_rate(2_345_678.9), 2_345_680.0);
        assert_eq!(round_rate(0.0), 0.0);
    }
}
