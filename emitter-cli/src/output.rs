//! Stdout through tracing-appender's non-blocking writer, without ever losing a line.
//!
//! Lines are gathered into batches, and each batch goes to tracing-appender's writer thread as
//! one message over its bounded channel: a message per line would cost an allocation and a
//! channel hand-over per line, which halves the throughput (more under musl's allocator).
//! A paced tick loop sends the open batch ([`Output::send_pending`]) before a sleep that would
//! keep a line waiting [`emitter_core::MAX_LINE_DELAY`] or more, so its lines still go out
//! promptly while the writer thread wakes about ten times a second, or once per full batch
//! ([`BATCH_BYTES`]) at higher rates. In non-lossy mode a full channel makes the tick loop
//! wait, so no line is dropped while running. At exit, tracing-appender's `WorkerGuard` waits
//! at most about a second for the writer thread, which a slow reader of stdout can exceed:
//! [`Output::finish`] therefore first waits until every byte logged was written out (or
//! writing failed), then drops the guard.

use std::io::{self, BufWriter, Write};
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tracing_appender::non_blocking::{NonBlocking, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::fmt::MakeWriter;

/// Bytes of lines gathered before they go to the writer thread (about 100 lines).
pub const BATCH_BYTES: usize = 16 * 1024;

/// How many batches may wait for the writer thread: tracing-appender's "buffered lines
/// limit", whose lines are our batches. Small, to keep memory low (at most 1 MiB waiting);
/// large enough that the two threads rarely wait on each other.
pub const BUFFERED_BATCHES: usize = 64;

/// Bytes the writer thread gathers before writing to stdout; it also writes whenever it has
/// no more batches waiting.
const STDOUT_BUFFER: usize = 64 * 1024;

/// Bytes handed to the writer thread and bytes it wrote out, to know when everything is out.
#[derive(Debug, Default)]
struct Progress {
    submitted: AtomicU64,
    flushed: AtomicU64,
    failed: AtomicBool,
}

/// The open batch, and the channel to the writer thread.
#[derive(Debug)]
struct Batch {
    pending: Vec<u8>,
    channel: NonBlocking,
}

/// What the logging side and [`Output`] share.
#[derive(Debug)]
struct Shared {
    batch: Mutex<Batch>,
    batch_bytes: usize,
    progress: Arc<Progress>,
}

impl Shared {
    fn batch(&self) -> MutexGuard<'_, Batch> {
        // A panic while holding the lock leaves a batch that is still valid bytes.
        self.batch
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Hands the open batch to the writer thread, waiting while its channel is full.
    fn send(&self, batch: &mut Batch) -> io::Result<()> {
        if batch.pending.is_empty() {
            return Ok(());
        }
        let Batch { pending, channel } = batch;
        channel.write_all(pending)?;
        let bytes = pending.len() as u64;
        pending.clear();
        self.progress.submitted.fetch_add(bytes, Ordering::Release);
        Ok(())
    }
}

/// The running writer thread.
#[derive(Debug)]
pub struct Output {
    shared: Arc<Shared>,
    /// Stops the writer thread when dropped, after `Drop for Output` has drained it.
    _guard: WorkerGuard,
}

impl Output {
    /// Whether writing failed (for example stdout is a closed pipe). Lines written after a
    /// failure are lost, so the emitter should stop.
    pub fn failed(&self) -> bool {
        self.shared.progress.failed.load(Ordering::Acquire)
    }

    /// Sends the lines logged so far to the writer thread. Call it before waiting long, so
    /// that no line waits long with the emitter.
    pub fn send_pending(&self) {
        let mut batch = self.shared.batch();
        // The channel fails only once the writer thread is gone, which `finish` waits for.
        let _ = self.shared.send(&mut batch);
    }

    /// Waits until every line logged so far is written out, or writing failed (then the
    /// rest is lost anyway), then stops the writer thread. Waits as long as it takes: a
    /// reader that never reads again is what a second signal is for. Dropping the output
    /// (also while a panic unwinds) does the same.
    pub fn finish(self) {}
}

impl Drop for Output {
    fn drop(&mut self) {
        self.send_pending();
        let progress = &self.shared.progress;
        let submitted = progress.submitted.load(Ordering::Acquire);
        while !self.failed() && progress.flushed.load(Ordering::Acquire) < submitted {
            std::thread::sleep(Duration::from_millis(1));
        }
        // Then the guard, a field, drops: it stops the writer thread after a last flush.
    }
}

/// Starts the writer thread over stdout. Log through the returned writer; call
/// [`Output::finish`] on every way out.
pub fn stdout() -> io::Result<(LineWriter, Output)> {
    // A file on a duplicate of descriptor 1 writes straight through, where `io::stdout()`
    // would also take its lock and split our buffer at newlines.
    let file = std::fs::File::from(io::stdout().as_fd().try_clone_to_owned()?);
    let writer = BufWriter::with_capacity(STDOUT_BUFFER, file);
    Ok(non_blocking(writer, BUFFERED_BATCHES, BATCH_BYTES))
}

/// Starts the writer thread over any writer, with batches of `batch_bytes` and room for
/// `buffered_batches` of them waiting.
pub fn non_blocking<W: Write + Send + 'static>(
    writer: W,
    buffered_batches: usize,
    batch_bytes: usize,
) -> (LineWriter, Output) {
    let progress = Arc::new(Progress::default());
    let (channel, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .buffered_lines_limit(buffered_batches)
        .thread_name("emitter-writer")
        .finish(FlushCounter {
            inner: writer,
            progress: Arc::clone(&progress),
            unflushed: 0,
        });
    let shared = Arc::new(Shared {
        batch: Mutex::new(Batch {
            pending: Vec::with_capacity(batch_bytes),
            channel,
        }),
        batch_bytes,
        progress,
    });
    let writer = LineWriter(Arc::clone(&shared));
    (
        writer,
        Output {
            shared,
            _guard: guard,
        },
    )
}

/// The writer the emitter logs through: adds each line to the open batch, and hands the
/// batch to the writer thread once it is full.
#[derive(Debug, Clone)]
pub struct LineWriter(Arc<Shared>);

impl Write for &LineWriter {
    fn write(&mut self, line: &[u8]) -> io::Result<usize> {
        let mut batch = self.0.batch();
        batch.pending.extend_from_slice(line);
        if batch.pending.len() >= self.0.batch_bytes {
            self.0.send(&mut batch)?;
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let mut batch = self.0.batch();
        self.0.send(&mut batch)
    }
}

impl<'a> MakeWriter<'a> for LineWriter {
    type Writer = &'a LineWriter;

    fn make_writer(&'a self) -> Self::Writer {
        self
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

    /// Waits until `written` holds `expected`, for at most 10 s.
    fn wait_for(written: &Mutex<Vec<u8>>, expected: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while written.lock().unwrap().as_slice() != expected.as_bytes() {
            assert!(Instant::now() < deadline, "never written: {expected:?}");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn lines_wait_in_the_batch_until_it_is_full_or_sent() {
        let written = Arc::new(Mutex::new(Vec::new()));
        let recorder = Slow {
            delay: Duration::ZERO,
            written: Arc::clone(&written),
        };
        let (writer, output) = non_blocking(recorder, 4, 10);
        let mut writer = &writer;
        writer.write_all(b"one\n").unwrap();
        std::thread::sleep(Duration::from_millis(50));
        assert!(
            written.lock().unwrap().is_empty(),
            "sent before the batch was full"
        );
        writer.write_all(b"two\n").unwrap();
        writer.write_all(b"three\n").unwrap();
        wait_for(&written, "one\ntwo\nthree\n");
        writer.write_all(b"four\n").unwrap();
        output.send_pending();
        wait_for(&written, "one\ntwo\nthree\nfour\n");
        writer.write_all(b"five\n").unwrap();
        output.finish();
        assert_eq!(
            written.lock().unwrap().as_slice(),
            b"one\ntwo\nthree\nfour\nfive\n"
        );
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
        // Batches of one line. When the last line is handed over, 64 lines wait at 25 ms
        // each: 1.6 s of writing, longer than the ~1.1 s the guard alone waits. Every line
        // must still arrive.
        let written = Arc::new(Mutex::new(Vec::new()));
        let slow = Slow {
            delay: Duration::from_millis(25),
            written: Arc::clone(&written),
        };
        let (writer, output) = non_blocking(slow, 64, 1);
        let mut writer = &writer;
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
        let (writer, output) = non_blocking(Broken, 16, 1);
        let mut writer = &writer;
        writer.write_all(b"lost\n").unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !output.failed() {
            assert!(Instant::now() < deadline, "failure never reported");
            std::thread::sleep(Duration::from_millis(1));
        }
        output.finish();
    }
}
