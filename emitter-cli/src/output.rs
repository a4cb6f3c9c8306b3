//! Stdout through tracing-appender's non-blocking writer, without ever losing a line.
//!
//! The writer thread gets lines over a bounded channel; in non-lossy mode a full channel makes
//! the tick loop wait, so no line is dropped while running. At exit, tracing-appender's
//! `WorkerGuard` waits at most about a second for the writer thread, which a slow reader of
//! stdout can exceed: [`Output::finish`] therefore first waits until every byte handed to the
//! writer was written out (or writing failed), then drops the guard.

use std::io::{self, BufWriter, Write};
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tracing_appender::non_blocking::{NonBlocking, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::fmt::MakeWriter;

/// How many lines may wait for the writer thread. Small, to keep memory low (a line is
/// about 150 bytes); large enough that the two threads rarely wait on each other.
pub const BUFFERED_LINES: usize = 1024;

/// Bytes the writer thread gathers before writing to stdout; it also writes whenever it has
/// no more lines waiting, so a paced emitter's lines go out at once.
const STDOUT_BUFFER: usize = 64 * 1024;

/// Bytes handed to the writer and bytes it wrote out, to know when everything is out.
#[derive(Debug, Default)]
struct Progress {
    submitted: AtomicU64,
    flushed: AtomicU64,
    failed: AtomicBool,
}

/// The running writer thread.
#[derive(Debug)]
pub struct Output {
    progress: Arc<Progress>,
    guard: WorkerGuard,
}

impl Output {
    /// Whether writing failed (for example stdout is a closed pipe). Lines written after a
    /// failure are lost, so the emitter should stop.
    pub fn failed(&self) -> bool {
        self.progress.failed.load(Ordering::Acquire)
    }

    /// Waits until every line logged so far is written out, or writing failed (then the
    /// rest is lost anyway), then stops the writer thread. Waits as long as it takes: a
    /// reader that never reads again is what a second signal is for.
    pub fn finish(self) {
        let submitted = self.progress.submitted.load(Ordering::Acquire);
        while !self.failed() && self.progress.flushed.load(Ordering::Acquire) < submitted {
            std::thread::sleep(Duration::from_millis(1));
        }
        drop(self.guard);
    }
}

/// Starts the writer thread over stdout. Log through the returned writer; call
/// [`Output::finish`] on every way out.
pub fn stdout() -> io::Result<(LineWriter, Output)> {
    // A file on a duplicate of descriptor 1 writes straight through, where `io::stdout()`
    // would also take its lock and split our buffer at newlines.
    let file = std::fs::File::from(io::stdout().as_fd().try_clone_to_owned()?);
    Ok(non_blocking(
        BufWriter::with_capacity(STDOUT_BUFFER, file),
        BUFFERED_LINES,
    ))
}

/// Starts the writer thread over any writer, with room for `buffered_lines` waiting lines.
pub fn non_blocking<W: Write + Send + 'static>(
    writer: W,
    buffered_lines: usize,
) -> (LineWriter, Output) {
    let progress = Arc::new(Progress::default());
    let (inner, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .buffered_lines_limit(buffered_lines)
        .thread_name("emitter-writer")
        .finish(FlushCounter {
            inner: writer,
            progress: Arc::clone(&progress),
            unflushed: 0,
        });
    let writer = LineWriter {
        inner,
        progress: Arc::clone(&progress),
    };
    (writer, Output { progress, guard })
}

/// The writer the tick loop logs through: tracing-appender's non-blocking writer, counting
/// the bytes it accepts.
#[derive(Debug, Clone)]
pub struct LineWriter {
    inner: NonBlocking,
    progress: Arc<Progress>,
}

impl Write for LineWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.progress
            .submitted
            .fetch_add(written as u64, Ordering::Release);
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<'a> MakeWriter<'a> for LineWriter {
    type Writer = LineWriter;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Sits under the writer thread: counts the bytes each successful flush wrote out, and
/// notes when writing fails.
struct FlushCounter<W> {
    inner: W,
    progress: Arc<Progress>,
    unflushed: u64,
}

impl<W> FlushCounter<W> {
    fn check<T>(&self, result: io::Result<T>) -> io::Result<T> {
        if result.is_err() {
            self.progress.failed.store(true, Ordering::Release);
        }
        result
    }
}

impl<W: Write> Write for FlushCounter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let result = self.inner.write(buf);
        let written = self.check(result)?;
        self.unflushed += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        let result = self.inner.flush();
        self.check(result)?;
        let bytes = std::mem::take(&mut self.unflushed);
        self.progress.flushed.fetch_add(bytes, Ordering::Release);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Instant;

    use super::*;

    /// A writer as slow as a reader that takes its time, keeping what it got.
    struct Slow {
        delay: Duration,
        written: Arc<Mutex<Vec<u8>>>,
    }

    impl Write for Slow {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            std::thread::sleep(self.delay);
            self.written.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    struct Broken;

    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
    }

    #[test]
    fn finish_waits_for_a_slow_writer_beyond_the_guard_timeout() {
        // When the last line is handed over, 64 lines wait at 25 ms each: 1.6 s of writing,
        // longer than the ~1.1 s the guard alone waits. Every line must still arrive.
        let written = Arc::new(Mutex::new(Vec::new()));
        let slow = Slow {
            delay: Duration::from_millis(25),
            written: Arc::clone(&written),
        };
        let (mut writer, output) = non_blocking(slow, 64);
        let started = Instant::now();
        for line in 1..=100 {
            writer.write_all(format!("{line}\n").as_bytes()).unwrap();
        }
        output.finish();
        assert!(started.elapsed() > Duration::from_millis(1500));
        let expected: String = (1..=100).map(|line| format!("{line}\n")).collect();
        assert_eq!(
            String::from_utf8(written.lock().unwrap().clone()).unwrap(),
            expected
        );
    }

    #[test]
    fn a_failing_writer_is_reported_and_does_not_hang_finish() {
        let (mut writer, output) = non_blocking(Broken, 16);
        writer.write_all(b"lost\n").unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !output.failed() {
            assert!(Instant::now() < deadline, "failure never reported");
            std::thread::sleep(Duration::from_millis(1));
        }
        output.finish();
    }
}
