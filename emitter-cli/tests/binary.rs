//! Runs the built `emitter` binary and checks what it prints and how it exits.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

const DESIGN_WORDS: [&str; 10] = [
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
];

/// The binary with a clean environment, so no EMITTER_* of the caller leaks in.
fn emitter(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_emitter"));
    command.env_clear().args(args).envs(env.iter().copied());
    command
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    emitter(args, env).output().expect("emitter runs")
}

/// Every stdout line, parsed; fails the test on any line that is not a JSON object.
fn parse_lines(stdout: &[u8]) -> Vec<Value> {
    let text = std::str::from_utf8(stdout).expect("stdout is UTF-8");
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "last line unterminated"
    );
    text.lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line)
                .unwrap_or_else(|error| panic!("not JSON ({error}): {line}"));
            assert!(value.is_object(), "not an object: {line}");
            value
        })
        .collect()
}

/// Runs to completion, expecting exit 0 and nothing on stderr; returns the lines.
fn run_ok(args: &[&str], env: &[(&str, &str)]) -> Vec<Value> {
    let output = run(args, env);
    assert!(
        output.status.success(),
        "{args:?} {env:?}: {:?}, stderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    parse_lines(&output.stdout)
}

fn message(line: &Value) -> &str {
    line["message"].as_str().expect("every line has a message")
}

fn ticks(lines: &[Value]) -> Vec<&Value> {
    lines
        .iter()
        .filter(|line| message(line) == "tick")
        .collect()
}

/// The (number, word) draws of the ticks.
fn draws(lines: &[Value]) -> Vec<(i64, String)> {
    ticks(lines)
        .iter()
        .map(|tick| {
            let number = tick["number"].as_i64().unwrap();
            (number, tick["word"].as_str().unwrap().to_owned())
        })
        .collect()
}

fn words_drawn(lines: &[Value]) -> BTreeSet<String> {
    draws(lines).into_iter().map(|(_, word)| word).collect()
}

fn timestamp(line: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(line["timestamp"].as_str().unwrap(), &Rfc3339).unwrap()
}

/// Checks the lifecycle around the ticks: `starting` first, then ticks counted 1..=N with
/// no gap, then `shutdown` with total N and `reason`. Returns N.
fn assert_complete_run(lines: &[Value], reason: &str) -> u64 {
    assert_eq!(message(&lines[0]), "starting");
    let last = lines.last().unwrap();
    assert_eq!(message(last), "shutdown", "last line: {last}");
    assert_eq!(last["reason"], reason);
    let counts: Vec<u64> = ticks(lines)
        .iter()
        .map(|tick| tick["count"].as_u64().unwrap())
        .collect();
    let total = counts.len() as u64;
    assert_eq!(counts, (1..=total).collect::<Vec<_>>(), "count has a gap");
    assert_eq!(lines.len() as u64, total + 2, "only ticks between the two");
    assert_eq!(last["total"].as_u64(), Some(total));
    total
}

#[test]
fn every_line_is_json_with_the_design_fields() {
    let lines = run_ok(&["--interval", "0", "--count", "500", "--seed", "7"], &[]);
    assert_complete_run(&lines, "count");
    for line in &lines {
        let stamp = line["timestamp"].as_str().unwrap();
        // RFC 3339 in UTC, with at least microseconds.
        let fraction = stamp.split('.').nth(1).expect("fractional seconds");
        assert!(fraction.len() > 6 && fraction.ends_with('Z'), "{stamp}");
        assert_eq!(timestamp(line).offset(), time::UtcOffset::UTC);
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["target"], "emitter");
    }
    for tick in ticks(&lines) {
        let keys: BTreeSet<&str> = tick
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let expected = [
            "count",
            "level",
            "message",
            "number",
            "target",
            "timestamp",
            "word",
        ];
        assert_eq!(keys, expected.into_iter().collect());
        assert!((0..=100).contains(&tick["number"].as_i64().unwrap()));
        assert!(DESIGN_WORDS.contains(&tick["word"].as_str().unwrap()));
    }
    let starting = &lines[0];
    assert_eq!(starting["words"], DESIGN_WORDS.join(","));
    assert_eq!(
        (starting["min"].as_i64(), starting["max"].as_i64()),
        (Some(0), Some(100))
    );
    assert_eq!(starting["interval"], "0s");
    assert!(
        starting.get("rate").is_none(),
        "flat out has no requested rate"
    );
    assert_eq!(starting["seed"].as_u64(), Some(7));
    assert_eq!(starting["max_ticks"].as_u64(), Some(500));
    assert!(starting.get("number").is_none() && starting.get("word").is_none());
}

#[test]
fn count_runs_from_one_to_n_without_gap() {
    let lines = run_ok(&["--interval", "0", "--count", "100000"], &[]);
    assert_eq!(assert_complete_run(&lines, "count"), 100_000);
}

#[test]
fn flag_wins_over_env_which_wins_over_default() {
    let base = ["--interval", "0", "--count", "200"];
    let lines = run_ok(&base, &[]);
    assert_eq!(
        (lines[0]["min"].as_i64(), lines[0]["max"].as_i64()),
        (Some(0), Some(100))
    );
    assert_eq!(words_drawn(&lines).len(), 10);

    let env = [
        ("EMITTER_MIN", "5"),
        ("EMITTER_MAX", "5"),
        ("EMITTER_WORDS", "1"),
    ];
    let lines = run_ok(&base, &env);
    assert!(draws(&lines)
        .iter()
        .all(|(number, word)| *number == 5 && word == "alpha"));

    let flags = [&base[..], &["--min", "-3", "--max", "-3", "--words", "2"]].concat();
    let lines = run_ok(&flags, &env);
    assert!(draws(&lines).iter().all(|(number, _)| *number == -3));
    assert_eq!(
        words_drawn(&lines),
        ["alpha", "beta"].map(String::from).into()
    );

    // Interval and count from the environment too; an empty variable counts as unset.
    let env = [
        ("EMITTER_INTERVAL", "0"),
        ("EMITTER_COUNT", "3"),
        ("EMITTER_MIN", ""),
    ];
    let lines = run_ok(&[], &env);
    assert_eq!(assert_complete_run(&lines, "count"), 3);
    assert_eq!(lines[0]["min"].as_i64(), Some(0));
}

#[test]
fn a_custom_word_list_replaces_the_builtin_one() {
    let base = ["--interval", "0", "--count", "500"];
    let args = [&base[..], &["--word-list", "red, green ,blue"]].concat();
    let lines = run_ok(&args, &[]);
    assert_eq!(lines[0]["words"], "red,green,blue");
    assert_eq!(
        words_drawn(&lines),
        ["blue", "green", "red"].map(String::from).into()
    );

    let env = [
        ("EMITTER_WORD_LIST", "red,green,blue"),
        ("EMITTER_WORDS", "2"),
    ];
    let lines = run_ok(&base, &env);
    assert_eq!(
        words_drawn(&lines),
        ["green", "red"].map(String::from).into()
    );
}

#[test]
fn each_bad_input_exits_2_with_one_line_naming_it() {
    // (flags, environment, what stderr must say)
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    #[rustfmt::skip]
    let cases: &[Case] = &[
        (&["--min", "5", "--max", "1"], &[], "min (5) is greater than max (1)"),
        (&[], &[("EMITTER_MIN", "200")], "min (200) is greater than max (100)"),
        (&["--words", "0"], &[], "words is 0"),
        (&[], &[("EMITTER_WORDS", "0")], "words is 0"),
        (&["--words", "25"], &[], "words is 25 but the word list holds only 24"),
        (&["--word-list", "a,b", "--words", "3"], &[], "holds only 2"),
        (&["--word-list", "a,,b"], &[], "word 2 of the word list is empty"),
        (&[], &[("EMITTER_WORD_LIST", "a,b,a")], "\"a\" more than once"),
        (&["--interval", "5x"], &[], "for --interval: expected a duration"),
        (&[], &[("EMITTER_INTERVAL", "soon")], "for EMITTER_INTERVAL: expected a duration"),
        (&["--min", "ten"], &[], "for --min: expected a whole number"),
        (&[], &[("EMITTER_MAX", "1.5")], "for EMITTER_MAX: expected a whole number"),
        (&["--seed", "-1"], &[], "for --seed: expected a whole number"),
        (&[], &[("EMITTER_COUNT", "many")], "for EMITTER_COUNT: expected a whole number"),
        (&["--count", "0"], &[], "count is 0"),
        (&["--rate", "0"], &[], "rate is 0"),
        (&["--rate", "1.5"], &[], "for --rate: expected a whole number"),
        (&[], &[("EMITTER_RATE", "fast")], "for EMITTER_RATE: expected a whole number"),
        (&["--rate", "1000000001"], &[], "above the maximum of 1000000000"),
        (&["--rate", "10", "--interval", "1s"], &[], "--interval and --rate both set the pace"),
        (&[], &[("EMITTER_RATE", "10"), ("EMITTER_INTERVAL", "1s")],
            "EMITTER_INTERVAL and EMITTER_RATE both set the pace"),
        (&["--log-level", "loud"], &[], "for --log-level: expected trace, debug"),
        (&["--colour", "red"], &[], "unexpected argument '--colour'"),
    ];
    for (args, env, expected) in cases {
        let output = run(args, env);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?} {env:?}: {stderr}");
        assert_eq!(output.stdout, b"", "{args:?} {env:?} printed on stdout");
        assert_eq!(stderr.lines().count(), 1, "{args:?} {env:?}: {stderr}");
        assert!(stderr.starts_with("emitter: "), "{stderr}");
        assert!(stderr.contains(expected), "{args:?} {env:?}: {stderr}");
    }
}

#[test]
fn the_same_seed_gives_the_same_draws() {
    let base = ["--interval", "0", "--count", "300"];
    let first = run_ok(&[&base[..], &["--seed", "42"]].concat(), &[]);
    let again = run_ok(&base, &[("EMITTER_SEED", "42")]);
    let other = run_ok(&[&base[..], &["--seed", "43"]].concat(), &[]);
    assert_eq!(draws(&first), draws(&again));
    assert_ne!(draws(&first), draws(&other));

    // Without --seed, the logged seed replays the run.
    let unseeded = run_ok(&base, &[]);
    let seed = unseeded[0]["seed"].as_u64().unwrap().to_string();
    let replay = run_ok(&[&base[..], &["--seed", &seed]].concat(), &[]);
    assert_eq!(draws(&unseeded), draws(&replay));
}

#[test]
fn the_first_tick_comes_at_once_then_one_per_interval() {
    let lines = run_ok(&["--interval", "1s", "--count", "2"], &[]);
    let ticks = ticks(&lines);
    let first_wait = timestamp(ticks[0]) - timestamp(&lines[0]);
    let between = timestamp(ticks[1]) - timestamp(ticks[0]);
    assert!(
        first_wait < time::Duration::milliseconds(500),
        "{first_wait}"
    );
    // Ticks are due on a grid from the loop's start, and each is stamped a little after
    // it is due: allow for that jitter, not for a missing pause.
    assert!(between >= time::Duration::milliseconds(900), "{between}");
}

#[test]
fn rate_sets_the_pace_and_a_flag_wins_over_the_other_variable() {
    let lines = run_ok(&["--rate", "250", "--count", "3"], &[]);
    assert_eq!(assert_complete_run(&lines, "count"), 3);
    assert_eq!(lines[0]["rate"].as_f64(), Some(250.0));
    assert_eq!(lines[0]["interval"], "4ms");
    let shutdown = lines.last().unwrap();
    assert_eq!(shutdown["rate"].as_f64(), Some(250.0));
    assert!(shutdown["achieved_rate"].as_f64().unwrap() > 0.0);

    // The environment's rate, unless a flag sets the pace; an empty variable is unset.
    let env = [("EMITTER_RATE", "500"), ("EMITTER_COUNT", "2")];
    assert_eq!(run_ok(&[], &env)[0]["rate"].as_f64(), Some(500.0));
    let lines = run_ok(&["--interval", "0"], &env);
    assert!(
        lines[0].get("rate").is_none(),
        "--interval 0 wins over EMITTER_RATE"
    );
    let env = [("EMITTER_INTERVAL", "2ms"), ("EMITTER_COUNT", "2")];
    assert_eq!(
        run_ok(&["--rate", "100"], &env)[0]["rate"].as_f64(),
        Some(100.0)
    );
    let env = [
        ("EMITTER_INTERVAL", "2ms"),
        ("EMITTER_RATE", ""),
        ("EMITTER_COUNT", "2"),
    ];
    assert_eq!(run_ok(&[], &env)[0]["rate"].as_f64(), Some(500.0));
}

#[test]
fn sub_millisecond_intervals_keep_the_count_and_every_line() {
    // 20,000 ticks at 50 µs: far below the loop's wake-up quantum (a millisecond), so each wake-up
    // emits a burst. Every count from 1 to 20,000 arrives once, in order, and the shutdown
    // line reports the requested and the achieved rate.
    let lines = run_ok(&["--interval", "50us", "--count", "20000"], &[]);
    assert_eq!(assert_complete_run(&lines, "count"), 20_000);
    assert_eq!(lines[0]["rate"].as_f64(), Some(20_000.0));
    let shutdown = lines.last().unwrap();
    assert_eq!(shutdown["rate"].as_f64(), Some(20_000.0));
    assert!(shutdown["achieved_rate"].as_f64().unwrap() > 0.0);
    // Each line is stamped when written: timestamps never go back.
    let stamps: Vec<OffsetDateTime> = lines.iter().map(timestamp).collect();
    assert!(stamps.windows(2).all(|pair| pair[0] <= pair[1]));
}

#[test]
fn sigterm_at_a_sub_millisecond_interval_flushes_every_line() {
    let mut running = Running::start(&["--interval", "100us"]);
    running.read_ticks(3_000);
    running.signal(Signal::SIGTERM);
    let (lines, status, stderr) = running.finish();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(assert_complete_run(&lines, "SIGTERM") >= 3_000);
    assert_eq!(lines.last().unwrap()["rate"].as_f64(), Some(10_000.0));
}

/// A running emitter whose stdout the test reads line by line.
struct Running {
    child: Child,
    stdout: BufReader<std::process::ChildStdout>,
    lines: Vec<Value>,
}

impl Running {
    fn start(args: &[&str]) -> Self {
        let mut child = emitter(args, &[])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("emitter starts");
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Running {
            child,
            stdout,
            lines: Vec::new(),
        }
    }

    /// Reads until `n` ticks were printed.
    fn read_ticks(&mut self, n: usize) {
        let mut seen = ticks(&self.lines).len();
        while seen < n {
            let mut line = String::new();
            assert!(
                self.stdout.read_line(&mut line).unwrap() > 0,
                "stdout ended early"
            );
            let parsed = parse_lines(line.as_bytes());
            seen += ticks(&parsed).len();
            self.lines.extend(parsed);
        }
    }

    fn signal(&self, signal: Signal) {
        kill(Pid::from_raw(self.child.id() as i32), signal).expect("signal sent");
    }

    /// Reads stdout to its end and waits for the exit (at most 20 s); returns every line,
    /// the status and stderr.
    fn finish(mut self) -> (Vec<Value>, ExitStatus, String) {
        let mut rest = Vec::new();
        self.stdout.read_to_end(&mut rest).unwrap();
        self.lines.extend(parse_lines(&rest));
        let status = wait_at_most(&mut self.child, Duration::from_secs(20));
        let mut stderr = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        (self.lines, status, stderr)
    }
}

fn wait_at_most(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("emitter still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn sigterm_and_sigint_stop_with_exit_0_and_a_complete_shutdown_line() {
    for (signal, name) in [(Signal::SIGTERM, "SIGTERM"), (Signal::SIGINT, "SIGINT")] {
        let mut running = Running::start(&["--interval", "20ms"]);
        running.read_ticks(3);
        running.signal(signal);
        let (lines, status, stderr) = running.finish();
        assert_eq!(status.code(), Some(0), "{name}: {stderr}");
        assert!(assert_complete_run(&lines, name) >= 3);
    }
}

#[test]
fn sigterm_stops_a_flat_out_run_without_losing_a_line() {
    let mut running = Running::start(&["--interval", "0"]);
    running.read_ticks(20_000);
    running.signal(Signal::SIGTERM);
    let (lines, status, stderr) = running.finish();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(assert_complete_run(&lines, "SIGTERM") >= 20_000);
}

/// Starts the emitter, reads its first line (its signal handlers are in place by then),
/// then reads no more: the pipe fills within milliseconds, so flushing cannot finish.
/// Returns the process and its stdout, kept open.
fn start_unread(args: &[&str]) -> (Child, BufReader<std::process::ChildStdout>) {
    let mut child = emitter(args, &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("emitter starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.contains("starting"), "{first}");
    std::thread::sleep(Duration::from_secs(1));
    (child, stdout)
}

/// Sends `first`, checks the emitter is still flushing, sends `second`, expects exit 130.
fn assert_second_signal_exits_130(child: &mut Child, first: Signal, second: Signal) {
    let pid = Pid::from_raw(child.id() as i32);
    kill(pid, first).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        child.try_wait().unwrap().is_none(),
        "exited with lines unwritten"
    );
    kill(pid, second).unwrap();
    let status = wait_at_most(child, Duration::from_secs(10));
    assert_eq!(status.code(), Some(130));
}

#[test]
fn a_second_signal_exits_at_once_with_130() {
    // Unpaced, the loop itself waits for room to hand over lines when the signals come.
    let (mut child, _stdout) = start_unread(&["--interval", "0"]);
    assert_second_signal_exits_130(&mut child, Signal::SIGTERM, Signal::SIGINT);
}

#[test]
fn a_second_signal_also_ends_a_hanging_final_flush() {
    // 5000 ticks fit in the buffers: the loop has ended and the emitter waits to flush
    // when the signals come.
    let (mut child, _stdout) = start_unread(&["--interval", "0", "--count", "5000"]);
    assert_second_signal_exits_130(&mut child, Signal::SIGTERM, Signal::SIGTERM);
}

#[test]
fn a_closed_stdout_stops_the_emitter_with_exit_1() {
    let mut running = Running::start(&["--interval", "0"]);
    running.read_ticks(10);
    let Running {
        mut child, stdout, ..
    } = running;
    drop(stdout);
    let status = wait_at_most(&mut child, Duration::from_secs(20));
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("writing to stdout failed"), "{stderr}");
}

#[test]
fn help_lists_every_flag_with_its_environment_variable() {
    let output = run(&["--help"], &[]);
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for (flag, env) in [
        ("--min", "EMITTER_MIN"),
        ("--max", "EMITTER_MAX"),
        ("--words", "EMITTER_WORDS"),
        ("--word-list", "EMITTER_WORD_LIST"),
        ("--interval", "EMITTER_INTERVAL"),
        ("--seed", "EMITTER_SEED"),
        ("--count", "EMITTER_COUNT"),
        ("--rate", "EMITTER_RATE"),
        ("--log-level", "EMITTER_LOG_LEVEL"),
    ] {
        assert!(
            help.contains(flag) && help.contains(env),
            "{flag} {env} missing"
        );
    }
}

#[test]
fn the_readme_flags_table_lists_exactly_the_flags_of_help() {
    // Each row of README.md's table: | `--flag VALUE` | `ENV_VAR` | default | meaning |
    let readme = include_str!("../../README.md");
    let table: BTreeSet<(String, String)> = readme
        .lines()
        .filter(|line| line.starts_with("| `--"))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let flag = cells[1].trim_matches('`').split(' ').next().unwrap();
            (flag.to_owned(), cells[2].trim_matches('`').to_owned())
        })
        .collect();
    let help = String::from_utf8(run(&["--help"], &[]).stdout).unwrap();
    let mut flags = BTreeSet::new();
    let mut flag = None;
    for line in help.lines().map(str::trim) {
        if line.starts_with("--") {
            flag = line.split([' ', '<']).next().map(str::to_owned);
        } else if let Some(env) = line.strip_prefix("[env: ") {
            let env = env.split('=').next().unwrap().to_owned();
            flags.insert((flag.take().expect("env after its flag"), env));
        }
    }
    assert!(flags.len() >= 9, "help parsed wrong: {flags:?}");
    assert_eq!(
        table, flags,
        "README.md's flags table differs from emitter --help"
    );
}
