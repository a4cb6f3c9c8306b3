//! The command line: flags, their environment variables, and turning both into settings.

use std::convert::Infallible;

use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser};
use emitter_core::config::{DEFAULT_INTERVAL, DEFAULT_MAX, DEFAULT_MIN};
use emitter_core::{
    format_interval, parse_interval, parse_number, parse_word_list, Config, Settings,
};
use tracing::level_filters::LevelFilter;

/// Logs one JSON line per tick on stdout: a counter, a random number and a random word.
///
/// Every flag can also be set by its environment variable; a flag given on the command line
/// wins over the variable, which wins over the default. An empty variable counts as unset.
/// --interval and --rate both set the pace: give one (a flag still wins over the other's
/// variable).
/// Stops after --count ticks, or on SIGTERM/SIGINT (a second signal exits at once with 130).
/// Invalid input exits with status 2.
#[derive(Debug, Parser)]
#[command(name = "emitter", version)]
pub struct Args {
    /// Smallest number a tick draws (included)
    #[arg(long, env = "EMITTER_MIN", value_name = "INT", allow_negative_numbers = true,
          default_value_t = DEFAULT_MIN.to_string())]
    pub min: String,

    /// Largest number a tick draws (included)
    #[arg(long, env = "EMITTER_MAX", value_name = "INT", allow_negative_numbers = true,
          default_value_t = DEFAULT_MAX.to_string())]
    pub max: String,

    /// Draw the word from the first N words of the list [default: 10 of the built-in list,
    /// or the whole --word-list]
    #[arg(
        long,
        env = "EMITTER_WORDS",
        value_name = "N",
        allow_negative_numbers = true
    )]
    pub words: Option<String>,

    /// Comma-separated words to draw from instead of the built-in list (alpha, beta, gamma,
    /// ... omega); no empty or repeated word
    #[arg(long, env = "EMITTER_WORD_LIST", value_name = "WORD,...")]
    pub word_list: Option<String>,

    /// Time between two ticks, such as 5s, 250ms, 100us or 1m30s, at most 1day; 0 means as
    /// fast as possible. Late wake-ups are caught up, so the average rate holds
    #[arg(long, env = "EMITTER_INTERVAL", value_name = "DURATION",
          default_value_t = format_interval(DEFAULT_INTERVAL))]
    pub interval: String,

    /// Lines per second (a whole number from 1 to 1000000000), in place of --interval
    #[arg(
        long,
        env = "EMITTER_RATE",
        value_name = "N",
        allow_negative_numbers = true
    )]
    pub rate: Option<String>,

    /// Seed of the random draws, to replay a run [default: a random seed, logged at start]
    #[arg(
        long,
        env = "EMITTER_SEED",
        value_name = "U64",
        allow_negative_numbers = true
    )]
    pub seed: Option<String>,

    /// Stop after N ticks [default: run until stopped]
    #[arg(
        long,
        env = "EMITTER_COUNT",
        value_name = "N",
        allow_negative_numbers = true
    )]
    pub count: Option<String>,

    /// Most verbose level logged: trace, debug, info, warn, error or off
    #[arg(
        long,
        env = "EMITTER_LOG_LEVEL",
        value_name = "LEVEL",
        default_value = "info"
    )]
    pub log_level: String,
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    /// Run with these settings and log level.
    Run(Settings, LevelFilter),
    /// Print this text on stdout and exit 0 (`--help`, `--version`).
    Print(String),
}

/// Reads the flags and environment of `args` (program name first). The error is one line
/// that says what is wrong and how to fix it.
pub fn parse<I, T>(args: I) -> Result<Command, String>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let matches = match Args::command().try_get_matches_from(args) {
        Ok(matches) => matches,
        Err(error) if !error.use_stderr() => {
            let text = error.to_string();
            return Ok(Command::Print(format!("{}\n", text.trim_end())));
        }
        Err(error) => return Err(first_line(&error.to_string())),
    };
    let args = Args::from_arg_matches(&matches).map_err(|error| first_line(&error.to_string()))?;
    let given = Given(&matches);

    let mut config = Config::default();
    if let Some(min) = given.value("min", &args.min, parse_number)? {
        config.min = min;
    }
    if let Some(max) = given.value("max", &args.max, parse_number)? {
        config.max = max;
    }
    if rate_sets_pace(&given)? {
        let text = args.rate.as_deref().unwrap_or_default();
        config.rate = given.value("rate", text, parse_number)?;
    } else if let Some(interval) = given.value("interval", &args.interval, parse_interval)? {
        config.interval = interval;
    }
    if let Some(text) = &args.words {
        config.words = given.value("words", text, parse_number)?;
    }
    if let Some(text) = &args.word_list {
        config.word_list = given.value("word_list", text, |text| {
            Ok::<_, Infallible>(parse_word_list(text))
        })?;
    }
    if let Some(text) = &args.seed {
        config.seed = given.value("seed", text, parse_number)?;
    }
    if let Some(text) = &args.count {
        config.count = given.value("count", text, parse_number)?;
    }
    let level = given
        .value("log_level", &args.log_level, |text| {
            text.parse::<LevelFilter>()
                .map_err(|_| "expected trace, debug, info, warn, error or off")
        })?
        .unwrap_or(LevelFilter::INFO);
    let settings = config.validate().map_err(|error| error.to_string())?;
    Ok(Command::Run(settings, level))
}

/// Whether `rate` sets the pace rather than `interval` (given or default). Both on the
/// command line, or both in the environment, is refused; a flag wins over the other's
/// variable.
fn rate_sets_pace(given: &Given<'_>) -> Result<bool, String> {
    match (given.source("interval"), given.source("rate")) {
        (Some(a), Some(b)) if a == b => Err(format!(
            "{} and {} both set the pace; give only one of them",
            given.name("interval"),
            given.name("rate")
        )),
        (Some(ValueSource::CommandLine), _) => Ok(false),
        (_, rate) => Ok(rate.is_some()),
    }
}

/// The matches, to tell where each value came from. (Numeric flags accept a leading `-`,
/// so that `--count -1` is reported as a bad number rather than an unknown flag.)
struct Given<'a>(&'a ArgMatches);

impl Given<'_> {
    /// Where the user set `id`: the command line or the environment; `None` when it is
    /// the default or an empty environment variable.
    fn source(&self, id: &str) -> Option<ValueSource> {
        match self.0.value_source(id) {
            None | Some(ValueSource::DefaultValue) => None,
            Some(ValueSource::EnvVariable)
                if self
                    .0
                    .get_raw(id)
                    .is_none_or(|mut values| values.all(|value| value.is_empty())) =>
            {
                None
            }
            source => source,
        }
    }

    /// Parses the value of `id`, or `None` when it is the default or an empty environment
    /// variable (both mean: keep the default of [`Config`]).
    fn value<T, E: std::fmt::Display>(
        &self,
        id: &str,
        text: &str,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Result<Option<T>, String> {
        if self.source(id).is_none() {
            return Ok(None);
        }
        parse(text)
            .map(Some)
            .map_err(|error| format!("invalid value {text:?} for {}: {error}", self.name(id)))
    }

    /// How the user set `id`: `--flag` or `ENV_VAR`.
    fn name(&self, id: &str) -> String {
        let command = Args::command();
        let arg = command
            .get_arguments()
            .find(|arg| arg.get_id() == id)
            .expect("every id is an argument of Args");
        match (self.0.value_source(id), arg.get_env()) {
            (Some(ValueSource::EnvVariable), Some(env)) => env.to_string_lossy().into_owned(),
            _ => format!("--{}", arg.get_long().unwrap_or(id)),
        }
    }
}

/// clap's errors come with usage and tips over several lines; keep the line that says what
/// is wrong, and where to look.
fn first_line(error: &str) -> String {
    let line = error.lines().next().unwrap_or("invalid arguments");
    format!("{}; see emitter --help", line.trim_start_matches("error: "))
}
