//! The tick loop's clock and alarm: CLOCK_MONOTONIC, and a timerfd set to an absolute time
//! on it, waited for in tokio's reactor.
//!
//! tokio's own timer keeps deadlines in a wheel of six levels of 64 slots, 1 ms wide at the
//! lowest level and 64 times wider at each level up: a deadline seconds away sits in a
//! coarse slot, and the runtime wakes up at that slot's start to move it into a finer one,
//! once or twice between two ticks 5 s apart (tokio 1.54.1, `src/runtime/time/wheel/mod.rs`
//! and `level.rs`, `next_expiration`; measured: one extra wake-up in 8 s at `--interval 10s`). A timerfd wakes the thread once, when the tick is due, to the
//! timer slack of the kernel (50 µs by default), so a paced emitter uses no CPU between ticks.

use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::time::Duration;

use nix::sys::time::TimeSpec;
use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};
use nix::time::{clock_gettime, ClockId as Clock};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

/// A monotonic clock started at creation, and an alarm on it.
#[derive(Debug)]
pub struct Alarm {
    timer: AsyncFd<Timer>,
    start: Duration,
}

/// The timerfd, as tokio's reactor takes it (by raw descriptor).
#[derive(Debug)]
struct Timer(TimerFd);

impl AsRawFd for Timer {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

impl Alarm {
    /// Starts the clock at now. Call it inside a runtime with I/O enabled.
    pub fn start() -> io::Result<Self> {
        let timer = TimerFd::new(
            ClockId::CLOCK_MONOTONIC,
            TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC,
        )?;
        // SAFETY: `Timer` owns the timerfd, which stays open, and is the descriptor it
        // returns, for as long as the `AsyncFd` holds it.
        let timer = unsafe { AsyncFd::register_with_interest(Timer(timer), Interest::READABLE) }
            .map_err(|error| error.into_parts().1)?;
        Ok(Alarm {
            timer,
            start: monotonic()?,
        })
    }

    /// Time since the start.
    pub fn elapsed(&self) -> Duration {
        // CLOCK_MONOTONIC cannot fail with a valid clock id; saturate rather than panic.
        monotonic()
            .map(|now| now.saturating_sub(self.start))
            .unwrap_or_default()
    }

    /// Waits until `at` (time since the start); at once if it is past.
    pub async fn sleep_until(&self, at: Duration) -> io::Result<()> {
        let deadline = TimeSpec::from_duration(self.start + at);
        self.timer.get_ref().0.set(
            Expiration::OneShot(deadline),
            TimerSetTimeFlags::TFD_TIMER_ABSTIME,
        )?;
        loop {
            let mut ready = self.timer.readable().await?;
            // Reading the expiration count re-arms readiness for the next sleep.
            let mut expirations = [0u8; 8];
            match ready.try_io(|timer| {
                nix::unistd::read(&timer.get_ref().0, &mut expirations).map_err(io::Error::from)
            }) {
                Ok(result) => return result.map(|_| ()),
                Err(_would_block) => continue,
            }
        }
    }
}

fn monotonic() -> io::Result<Duration> {
    Ok(clock_gettime(Clock::CLOCK_MONOTONIC)?.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap()
    }

    #[test]
    fn sleeps_until_the_time_asked_and_no_less() {
        runtime().block_on(async {
            let alarm = Alarm::start().unwrap();
            for millis in [5, 12, 20] {
                let at = Duration::from_millis(millis);
                alarm.sleep_until(at).await.unwrap();
                assert!(alarm.elapsed() >= at, "woke at {:?}", alarm.elapsed());
            }
        });
    }

    #[test]
    fn a_past_time_returns_at_once() {
        runtime().block_on(async {
            let alarm = Alarm::start().unwrap();
            alarm.sleep_until(Duration::from_millis(3)).await.unwrap();
            let before = alarm.elapsed();
            alarm.sleep_until(Duration::ZERO).await.unwrap();
            assert!(alarm.elapsed() - before < Duration::from_secs(1));
        });
    }
}
