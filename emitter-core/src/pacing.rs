//! When ticks happen: the first at once, then on a fixed grid that holds the requested
//! average rate.
//!
//! Time is passed in as the [`Duration`] since the first tick, never read here, so that the
//! schedule is tested against a clock the test controls. A loop that wakes up late (a busy
//! machine, or on purpose: paces faster than [`WAKE_QUANTUM`] wake once per quantum) emits every tick that fell due
//! meanwhile, back to back: the rate over any window of a second or more stays the one asked
//! for, at the price of short bursts. Only when the loop is more than [`MAX_CATCH_UP`]
//! behind (a stopped process, a suspended machine) does the grid restart from now, so that
//! resuming does not flood the pipeline with the whole backlog.

use std::time::Duration;

/// How far behind the grid the loop may fall and still catch up on every tick it missed.
pub const MAX_CATCH_UP: Duration = Duration::from_secs(1);

/// The longest a logged line may wait in the emitter before it is handed to the writer
/// thread. Handing lines over in batches spares a wake-up of that thread per tick at short
/// intervals; at intervals this long or longer, every line is handed over before the loop
/// sleeps.
pub const MAX_LINE_DELAY: Duration = Duration::from_millis(100);

/// The fastest pace `--rate` accepts, in ticks per second (one tick per nanosecond).
pub const MAX_RATE: u64 = 1_000_000_000;

/// The shortest time between two wake-ups of a loop whose ticks are closer than this: it
/// wakes on whole multiples of it since the first tick and emits the ticks due meanwhile, so
/// that a fast pace costs a wake-up per millisecond rather than one per tick.
pub const WAKE_QUANTUM: Duration = Duration::from_millis(1);

/// A steady pace: `ticks` ticks every `per`, spread evenly. Tick `k` (from 0) is due
/// `k * per / ticks` after the first, in whole nanoseconds rounded down, so that a rate
/// that does not divide a second (3 per second) still averages exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    ticks: u64,
    per_nanos: u128,
}

impl Pace {
    /// One tick per `interval`; `None` for a zero interval.
    pub fn every(interval: Duration) -> Option<Self> {
        (!interval.is_zero()).then_some(Pace {
            ticks: 1,
            per_nanos: interval.as_nanos(),
        })
    }

    /// `rate` ticks per second; `None` for 0.
    pub fn per_second(rate: u64) -> Option<Self> {
        (rate > 0).then_some(Pace {
            ticks: rate,
            per_nanos: Duration::from_secs(1).as_nanos(),
        })
    }

    /// When tick `k` (from 0) is due, counted from tick 0.
    pub fn offset(&self, k: u64) -> Duration {
        nanos(u128::from(k) * self.per_nanos / u128::from(self.ticks))
    }

    /// The average time between two ticks, rounded down to the nanosecond.
    pub fn interval(&self) -> Duration {
        nanos(self.per_nanos / u128::from(self.ticks))
    }

    /// Ticks per second.
    pub fn rate(&self) -> f64 {
        self.ticks as f64 * 1e9 / self.per_nanos as f64
    }
}

fn nanos(nanos: u128) -> Duration {
    let seconds = u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX);
    Duration::new(seconds, (nanos % 1_000_000_000) as u32)
}

/// The pacing rule of the tick loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pacing {
    /// Interval 0: tick as fast as possible, never sleeping.
    Unpaced,
    /// Ticks on a grid at a steady pace.
    Paced(Pace),
}

impl Pacing {
    /// The pacing for an interval; zero means [`Pacing::Unpaced`].
    pub fn from_interval(interval: Duration) -> Self {
        Pace::every(interval).map_or(Pacing::Unpaced, Pacing::Paced)
    }

    /// The time between two ticks (on average); zero when unpaced.
    pub fn interval(&self) -> Duration {
        match self {
            Pacing::Unpaced => Duration::ZERO,
            Pacing::Paced(pace) => pace.interval(),
        }
    }

    /// Ticks per second asked for; `None` when unpaced (as fast as possible).
    pub fn rate(&self) -> Option<f64> {
        match self {
            Pacing::Unpaced => None,
            Pacing::Paced(pace) => Some(pace.rate()),
        }
    }
}

/// What the tick loop does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Emit a tick now.
    Tick,
    /// Sleep until this time (since the first tick), then ask again: the next tick's due
    /// time, or for a pace faster than [`WAKE_QUANTUM`], the next multiple of it.
    WaitUntil(Duration),
}

/// The ticks of one run at a steady pace: which are due, and when the next one is.
#[derive(Debug, Clone)]
pub struct Schedule {
    pace: Pace,
    /// Where the grid starts, since the first tick: zero, unless the loop fell too far behind.
    origin: Duration,
    /// The next tick to take, counted on the grid from `origin`.
    next: u64,
}

impl Schedule {
    /// A schedule whose first tick is due at once.
    pub fn new(pace: Pace) -> Self {
        Schedule {
            pace,
            origin: Duration::ZERO,
            next: 0,
        }
    }

    /// When the next tick is due, since the first tick.
    pub fn next_due(&self) -> Duration {
        self.origin + self.pace.offset(self.next)
    }

    /// What to do at `now` (time since the first tick): take the next tick if it is due,
    /// else wait until it is. A tick more than [`MAX_CATCH_UP`] late restarts the grid at
    /// `now`, skipping the ticks missed (the count has no gap: ticks are numbered when
    /// emitted, not when due).
    pub fn next(&mut self, now: Duration) -> Next {
        let due = self.next_due();
        if due > now {
            return Next::WaitUntil(self.wake_time(due));
        }
        if now - due > MAX_CATCH_UP {
            self.origin = now;
            self.next = 0;
        }
        self.next += 1;
        Next::Tick
    }
}

impl Schedule {
    /// When to wake for a tick due at `due`.
    fn wake_time(&self, due: Duration) -> Duration {
        if self.pace.interval() >= WAKE_QUANTUM {
            return due;
        }
        let quantum = WAKE_QUANTUM.as_nanos();
        nanos(due.as_nanos().div_ceil(quantum) * quantum)
    }
}

/// Whether the lines waiting since `oldest` (time of the oldest line not yet handed to the
/// writer thread) must be handed over before sleeping until `wake`, so that none waits
/// longer than [`MAX_LINE_DELAY`].
pub fn hand_over_before_sleep(oldest: Duration, wake: Duration) -> bool {
    wake.saturating_sub(oldest) >= MAX_LINE_DELAY
}

/// Ticks per second from the first tick to the last, `span` apart; `None` below two ticks
/// or when no time passed.
pub fn achieved_rate(total: u64, span: Duration) -> Option<f64> {
    (total >= 2 && !span.is_zero()).then(|| (total - 1) as f64 / span.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);
    const US: Duration = Duration::from_micros(1);

    /// A loop driven by a clock the test moves: asked to sleep until a time, it wakes at
    /// `wake(that time, wake-up number)`, then emits every tick due; returns when each tick
    /// was emitted.
    fn simulate(
        pace: Pace,
        until: Duration,
        wake: impl Fn(Duration, u64) -> Duration,
    ) -> Vec<Duration> {
        let mut schedule = Schedule::new(pace);
        let mut now = Duration::ZERO;
        let mut emitted = Vec::new();
        let mut wake_ups = 0;
        while now <= until {
            match schedule.next(now) {
                Next::Tick => emitted.push(now),
                Next::WaitUntil(due) => {
                    assert!(due > now, "asked to wait for a time already past");
                    wake_ups += 1;
                    now = wake(due, wake_ups);
                    assert!(now >= due, "woke before the time asked");
                }
            }
        }
        emitted
    }

    #[test]
    fn zero_interval_is_unpaced() {
        assert_eq!(Pacing::from_interval(Duration::ZERO), Pacing::Unpaced);
        assert_eq!(Pace::every(Duration::ZERO), None);
        assert_eq!(Pace::per_second(0), None);
        assert_eq!(Pacing::Unpaced.rate(), None);
        assert_eq!(Pacing::Unpaced.interval(), Duration::ZERO);
    }

    #[test]
    fn pace_reports_its_interval_and_rate() {
        let pace = Pace::every(Duration::from_secs(5)).unwrap();
        assert_eq!(
            (pace.interval(), pace.rate()),
            (Duration::from_secs(5), 0.2)
        );
        let pace = Pace::per_second(3).unwrap();
        assert_eq!(pace.interval(), Duration::from_nanos(333_333_333));
        assert_eq!(pace.rate(), 3.0);
        let pace = Pace::every(100 * US).unwrap();
        assert_eq!(pace.rate(), 10_000.0);
    }

    #[test]
    fn a_rate_that_does_not_divide_a_second_still_averages_exactly() {
        let pace = Pace::per_second(3).unwrap();
        let offsets: Vec<u64> = (0..7).map(|k| pace.offset(k).as_nanos() as u64).collect();
        assert_eq!(
            offsets,
            [
                0,
                333_333_333,
                666_666_666,
                1_000_000_000,
                1_333_333_333,
                1_666_666_666,
                2_000_000_000
            ]
        );
        // Far out, no rounding error adds up: tick 3 * 10^9 is due at exactly 10^9 s.
        assert_eq!(
            pace.offset(3_000_000_000),
            Duration::from_secs(1_000_000_000)
        );
    }

    #[test]
    fn on_time_wake_ups_tick_once_each_on_the_grid() {
        let pace = Pace::every(Duration::from_secs(1)).unwrap();
        let emitted = simulate(pace, Duration::from_secs(10), |due, _| due);
        let expected: Vec<Duration> = (0..=10).map(Duration::from_secs).collect();
        assert_eq!(emitted, expected);
    }

    #[test]
    fn late_wake_ups_do_not_drift() {
        // Every wake-up 30 ms late (a busy machine): still one tick per second on average,
        // each tick 30 ms late, never more.
        let pace = Pace::every(Duration::from_secs(1)).unwrap();
        let emitted = simulate(pace, Duration::from_secs(60) + 30 * MS, |due, _| {
            due + 30 * MS
        });
        assert_eq!(emitted.len(), 61);
        for (k, at) in emitted.iter().enumerate().skip(1) {
            assert_eq!(*at, Duration::from_secs(k as u64) + 30 * MS);
        }
    }

    #[test]
    fn sub_millisecond_intervals_burst_every_due_tick_at_each_wake_up() {
        // The schedule asks to wake on whole milliseconds; each wake-up is then up to 300 µs
        // late. At 100 µs each wake-up emits the ~10 ticks due since the last one. Any
        // second holds 10,000 ticks, give or take the one burst cut by each end of the window.
        let pace = Pace::every(100 * US).unwrap();
        let wake = |at: Duration, n: u64| {
            assert_eq!(
                at.subsec_nanos() % 1_000_000,
                0,
                "{at:?} is not on the quantum"
            );
            at + Duration::from_nanos(n * 7_919 % 300_000)
        };
        let emitted = simulate(pace, Duration::from_secs(2), wake);
        let in_window = |from: Duration| {
            emitted
                .iter()
                .filter(|at| **at >= from && **at < from + Duration::from_secs(1))
                .count()
        };
        for start_ms in [0, 1, 250, 999] {
            let count = in_window(start_ms * MS);
            assert!(
                (9_985..=10_015).contains(&count),
                "{count} ticks in the second from {start_ms} ms"
            );
        }
        let burst = emitted.windows(11).any(|run| run[0] == run[10]);
        assert!(burst, "expected bursts of 10 or more ticks at one wake-up");
    }

    #[test]
    fn the_first_tick_is_at_once_and_the_count_due_matches_the_rate() {
        let mut schedule = Schedule::new(Pace::per_second(1000).unwrap());
        assert_eq!(schedule.next(Duration::ZERO), Next::Tick);
        assert_eq!(schedule.next(Duration::ZERO), Next::WaitUntil(MS));
        // Woken 5.5 ms in: ticks 1 to 5 are due (1 ms ... 5 ms), then wait for 6 ms.
        let now = 5 * MS + 500 * US;
        let mut burst = 0;
        while schedule.next(now) == Next::Tick {
            burst += 1;
        }
        assert_eq!(burst, 5);
        assert_eq!(schedule.next_due(), 6 * MS);
    }

    #[test]
    fn paces_of_a_quantum_or_slower_wake_exactly_when_due() {
        let mut schedule = Schedule::new(Pace::every(3 * MS + 7 * US).unwrap());
        assert_eq!(schedule.next(Duration::ZERO), Next::Tick);
        assert_eq!(schedule.next(US), Next::WaitUntil(3 * MS + 7 * US));
        let mut schedule = Schedule::new(Pace::per_second(1000).unwrap());
        assert_eq!(schedule.next(Duration::ZERO), Next::Tick);
        assert_eq!(schedule.next(US), Next::WaitUntil(MS));
        // Faster: wake on the next whole quantum, whatever the tick's own due time.
        let mut schedule = Schedule::new(Pace::per_second(3000).unwrap());
        assert_eq!(schedule.next(Duration::ZERO), Next::Tick);
        assert_eq!(schedule.next(US), Next::WaitUntil(MS));
        let mut schedule = Schedule::new(Pace::every(1500 * US).unwrap());
        schedule.next(Duration::ZERO);
        assert_eq!(schedule.next(US), Next::WaitUntil(1500 * US));
    }

    #[test]
    fn a_loop_too_far_behind_restarts_the_grid_instead_of_flooding() {
        // Stopped for an hour at 1,000 ticks/s: it does not emit 3.6 million ticks at once.
        let mut schedule = Schedule::new(Pace::per_second(1000).unwrap());
        assert_eq!(schedule.next(Duration::ZERO), Next::Tick);
        let resumed = Duration::from_secs(3600);
        assert_eq!(schedule.next(resumed), Next::Tick);
        assert_eq!(schedule.next(resumed), Next::WaitUntil(resumed + MS));
        // Up to MAX_CATCH_UP late, every missed tick is still emitted.
        let mut schedule = Schedule::new(Pace::per_second(1000).unwrap());
        schedule.next(Duration::ZERO);
        let now = MS + MAX_CATCH_UP;
        let mut burst = 0;
        while schedule.next(now) == Next::Tick {
            burst += 1;
        }
        assert_eq!(burst, 1001);
    }

    #[test]
    fn lines_are_handed_over_before_a_sleep_that_would_keep_them_too_long() {
        let oldest = Duration::from_secs(10);
        assert!(!hand_over_before_sleep(oldest, oldest + MS));
        assert!(!hand_over_before_sleep(oldest, oldest + 99 * MS));
        assert!(hand_over_before_sleep(oldest, oldest + MAX_LINE_DELAY));
        assert!(hand_over_before_sleep(
            oldest,
            oldest + Duration::from_secs(5)
        ));
        // A wake-up time already past (a burst behind schedule) keeps the lines.
        assert!(!hand_over_before_sleep(oldest, oldest - MS));
    }

    #[test]
    fn achieved_rate_counts_intervals_between_first_and_last_tick() {
        assert_eq!(achieved_rate(0, Duration::ZERO), None);
        assert_eq!(achieved_rate(1, Duration::from_secs(1)), None);
        assert_eq!(achieved_rate(5, Duration::ZERO), None);
        assert_eq!(achieved_rate(2, Duration::from_secs(5)), Some(0.2));
        assert_eq!(achieved_rate(1001, Duration::from_secs(1)), Some(1000.0));
    }
}
