//! When ticks happen: the first at once, then one per interval.

use std::time::{Duration, Instant};

/// The pacing rule of the tick loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pacing {
    /// Interval 0: tick as fast as possible, never sleeping.
    Unpaced,
    /// One tick per interval, on a fixed grid from the first tick, so that the time a tick
    /// takes does not add up into drift.
    Every(Duration),
}

impl Pacing {
    /// The pacing for an interval; zero means [`Pacing::Unpaced`].
    pub fn from_interval(interval: Duration) -> Self {
        if interval.is_zero() {
            Pacing::Unpaced
        } else {
            Pacing::Every(interval)
        }
    }

    /// When the tick after the one due at `previous` is due, given that it is `now`; `None`
    /// when unpaced (tick at once). A loop that fell behind (a suspended process, a blocked
    /// stdout) ticks at once and restarts the grid from `now`, rather than bursting to catch
    /// up on the ticks it missed.
    pub fn next_due(&self, previous: Instant, now: Instant) -> Option<Instant> {
        match *self {
            Pacing::Unpaced => None,
            Pacing::Every(interval) => Some((previous + interval).max(now)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn zero_interval_is_unpaced() {
        let pacing = Pacing::from_interval(Duration::ZERO);
        assert_eq!(pacing, Pacing::Unpaced);
        let now = Instant::now();
        assert_eq!(pacing.next_due(now, now), None);
    }

    #[test]
    fn ticks_stay_on_a_fixed_grid_when_on_time() {
        let pacing = Pacing::from_interval(SECOND);
        let start = Instant::now();
        // The tick due at `start` finished a little later; the next one is still start + 1s.
        let due = pacing.next_due(start, start + Duration::from_millis(30));
        assert_eq!(due, Some(start + SECOND));
        let due = pacing.next_due(start + SECOND, start + SECOND + Duration::from_millis(999));
        assert_eq!(due, Some(start + 2 * SECOND));
    }

    #[test]
    fn a_late_loop_ticks_at_once_and_restarts_the_grid() {
        let pacing = Pacing::from_interval(SECOND);
        let start = Instant::now();
        let late = start + Duration::from_millis(3500);
        assert_eq!(pacing.next_due(start, late), Some(late));
        assert_eq!(pacing.next_due(late, late), Some(late + SECOND));
    }
}
