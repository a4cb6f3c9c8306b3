//! The `emitter` binary's parts: the command line, the JSON line format, non-blocking stdout
//! and the tick loop. The logic that needs no process lives in `emitter-core`.

pub mod alarm;
pub mod cli;
pub mod json;
pub mod output;
pub mod run;
