//! The logic of the logdemo emitter that needs no process: its configuration and the
//! validation of it, the word list, the seeded random draws that make a tick, and the pacing
//! of ticks. The `emitter` binary (crate `emitter-cli`) adds flags, output and signals.

pub mod config;
pub mod pacing;
pub mod tick;
pub mod words;

pub use config::{
    format_interval, parse_interval, parse_number, Config, ConfigError, ParseError, Settings,
};
pub use pacing::{
    achieved_rate, hand_over_before_sleep, Next, Pace, Pacing, Schedule, MAX_CATCH_UP,
    MAX_LINE_DELAY, MAX_RATE, WAKE_QUANTUM,
};
pub use tick::{random_seed, Tick, Ticker, RANDOM_SEED_LIMIT};
pub use words::{parse_word_list, BUILTIN_WORDS, DEFAULT_BUILTIN_WORDS};
