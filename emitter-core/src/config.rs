//! The emitter's configuration, the parsing of its values from text, and its validation.

use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::pacing::{Pace, Pacing, MAX_RATE};
use crate::words::{BUILTIN_WORDS, DEFAULT_BUILTIN_WORDS};

/// Smallest number a tick draws unless configured.
pub const DEFAULT_MIN: i64 = 0;
/// Largest number a tick draws unless configured.
pub const DEFAULT_MAX: i64 = 100;
/// Time between two ticks unless configured.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// The longest interval accepted: longer ones are surely a typo, and far deadlines overflow
/// clocks.
pub const MAX_INTERVAL: Duration = Duration::from_secs(24 * 60 * 60);

/// What the user asked for, before validation. Every field has a default, so an empty
/// JSON object `{}` is the default configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Smallest number a tick may draw (included).
    pub min: i64,
    /// Largest number a tick may draw (included).
    pub max: i64,
    /// How many words to draw from: the first `words` of the word list. `None` means 10 of
    /// the built-in list, or the whole custom list.
    pub words: Option<usize>,
    /// A custom word list that replaces the built-in one.
    pub word_list: Option<Vec<String>>,
    /// Time between two ticks; zero means as fast as possible. Ignored when `rate` is set.
    #[serde(with = "human_duration")]
    pub interval: Duration,
    /// Ticks per second, in place of `interval`; `None` paces by `interval`.
    pub rate: Option<u64>,
    /// Seed of the random draws; `None` takes one from the operating system.
    pub seed: Option<u64>,
    /// Stop after this many ticks; `None` runs until stopped.
    pub count: Option<u64>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            min: DEFAULT_MIN,
            max: DEFAULT_MAX,
            words: None,
            word_list: None,
            interval: DEFAULT_INTERVAL,
            rate: None,
            seed: None,
            count: None,
        }
    }
}

/// A validated configuration, with the word set resolved: what the emitter runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Smallest number drawn (included).
    pub min: i64,
    /// Largest number drawn (included).
    pub max: i64,
    /// The words drawn from, never empty, no duplicates.
    pub words: Vec<String>,
    /// When ticks happen, from `rate` or else `interval`.
    pub pacing: Pacing,
    /// Seed of the random draws, if the user gave one.
    pub seed: Option<u64>,
    /// How many ticks to emit before stopping, if limited (at least 1).
    pub count: Option<u64>,
}

/// Why a configuration cannot run. The messages name the settings as the user knows them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The number range is empty.
    #[error("min ({min}) is greater than max ({max}); make min at most max")]
    MinAboveMax {
        /// The configured minimum.
        min: i64,
        /// The configured maximum.
        max: i64,
    },
    /// Zero words asked for.
    #[error("words is 0; draw from at least 1 word")]
    NoWords,
    /// More words asked for than the list holds.
    #[error(
        "words is {asked} but the word list holds only {available}; ask for at most {available}"
    )]
    TooManyWords {
        /// How many words were asked for.
        asked: usize,
        /// How many words the list holds.
        available: usize,
    },
    /// A custom word is empty (for example `red,,blue`).
    #[error("word {position} of the word list is empty; remove the extra comma")]
    EmptyWord {
        /// 1-based position of the empty word in the list.
        position: usize,
    },
    /// A custom word appears twice, which would make draws non-uniform.
    #[error("the word list has {word:?} more than once; give each word once")]
    DuplicateWord {
        /// The repeated word.
        word: String,
    },
    /// `count` is 0, which would emit nothing.
    #[error("count is 0; give at least 1, or leave count unset to run until stopped")]
    ZeroCount,
    /// `rate` is 0.
    #[error(
        "rate is 0; give at least 1 line per second, or an interval of 0 for as fast as possible"
    )]
    ZeroRate,
    /// `rate` is above [`MAX_RATE`].
    #[error("rate {0} is above the maximum of {MAX_RATE} lines per second; use an interval of 0 for as fast as possible")]
    RateTooHigh(u64),
    /// The interval is above [`MAX_INTERVAL`].
    #[error("interval {} is longer than the maximum of {}", humantime::format_duration(*.0), humantime::format_duration(MAX_INTERVAL))]
    IntervalTooLong(Duration),
}

impl Config {
    /// Checks the configuration and resolves the word set.
    pub fn validate(&self) -> Result<Settings, ConfigError> {
        if self.min > self.max {
            return Err(ConfigError::MinAboveMax {
                min: self.min,
                max: self.max,
            });
        }
        let list: Vec<String> = match &self.word_list {
            Some(list) => {
                check_custom_words(list)?;
                list.clone()
            }
            None => BUILTIN_WORDS.iter().map(|word| word.to_string()).collect(),
        };
        let default_words = match self.word_list {
            Some(_) => list.len(),
            None => DEFAULT_BUILTIN_WORDS,
        };
        let words = self.words.unwrap_or(default_words);
        if words == 0 {
            return Err(ConfigError::NoWords);
        }
        if words > list.len() {
            return Err(ConfigError::TooManyWords {
                asked: words,
                available: list.len(),
            });
        }
        if self.count == Some(0) {
            return Err(ConfigError::ZeroCount);
        }
        let pacing = match self.rate {
            Some(rate) if rate > MAX_RATE => return Err(ConfigError::RateTooHigh(rate)),
            Some(rate) => Pacing::Paced(Pace::per_second(rate).ok_or(ConfigError::ZeroRate)?),
            None if self.interval > MAX_INTERVAL => {
                return Err(ConfigError::IntervalTooLong(self.interval))
            }
            None => Pacing::from_interval(self.interval),
        };
        Ok(Settings {
            min: self.min,
            max: self.max,
            words: list[..words].to_vec(),
            pacing,
            seed: self.seed,
            count: self.count,
        })
    }
}

fn check_custom_words(list: &[String]) -> Result<(), ConfigError> {
    for (index, word) in list.iter().enumerate() {
        if word.is_empty() {
            return Err(ConfigError::EmptyWord {
                position: index + 1,
            });
        }
        if list[..index].contains(word) {
            return Err(ConfigError::DuplicateWord { word: word.clone() });
        }
    }
    Ok(())
}

/// Why a configuration value given as text does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Not a whole number of the expected range.
    #[error("expected a whole number ({0})")]
    Number(String),
    /// Not a duration.
    #[error("expected a duration such as 5s, 250ms, 1m30s or 0 ({0})")]
    Duration(String),
}

/// Parses a whole number such as `-5` or `100`.
pub fn parse_number<T>(text: &str) -> Result<T, ParseError>
where
    T: FromStr<Err = std::num::ParseIntError>,
{
    text.trim()
        .parse()
        .map_err(|error: std::num::ParseIntError| ParseError::Number(error.to_string()))
}

/// Parses a human duration such as `5s`, `250ms`, `1m 30s`; `0` means no pause.
pub fn parse_interval(text: &str) -> Result<Duration, ParseError> {
    humantime::parse_duration(text.trim()).map_err(|error| ParseError::Duration(error.to_string()))
}

/// Formats a duration the way [`parse_interval`] reads it back, such as `5s` or `250ms`.
pub fn format_interval(interval: Duration) -> String {
    humantime::format_duration(interval).to_string()
}

/// Serde support for durations written as human text (`"250ms"`).
mod human_duration {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&super::format_interval(*value))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(deserializer)?;
        super::parse_interval(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn custom(words: &[&str]) -> Config {
        Config {
            word_list: Some(words.iter().map(|word| word.to_string()).collect()),
            ..Config::default()
        }
    }

    #[test]
    fn default_configuration_is_valid() {
        let settings = Config::default().validate().unwrap();
        assert_eq!((settings.min, settings.max), (0, 100));
        assert_eq!(settings.words, BUILTIN_WORDS[..10]);
        assert_eq!(settings.pacing.interval(), Duration::from_secs(5));
        assert_eq!(settings.pacing.rate(), Some(0.2));
        assert_eq!((settings.seed, settings.count), (None, None));
    }

    #[test]
    fn min_above_max_is_rejected_and_equal_bounds_are_fine() {
        let config = Config {
            min: 7,
            max: 3,
            ..Config::default()
        };
        assert_eq!(
            config.validate(),
            Err(ConfigError::MinAboveMax { min: 7, max: 3 })
        );
        let config = Config {
            min: 3,
            max: 3,
            ..Config::default()
        };
        assert!(config.validate().is_ok());
    }

    #[test]
    fn zero_words_is_rejected() {
        let config = Config {
            words: Some(0),
            ..Config::default()
        };
        assert_eq!(config.validate(), Err(ConfigError::NoWords));
    }

    #[test]
    fn more_words_than_the_builtin_list_is_rejected() {
        let config = Config {
            words: Some(BUILTIN_WORDS.len() + 1),
            ..Config::default()
        };
        assert_eq!(
            config.validate(),
            Err(ConfigError::TooManyWords {
                asked: 25,
                available: 24
            })
        );
        let config = Config {
            words: Some(BUILTIN_WORDS.len()),
            ..Config::default()
        };
        assert_eq!(config.validate().unwrap().words, BUILTIN_WORDS);
    }

    #[test]
    fn custom_list_is_used_whole_unless_words_limits_it() {
        let settings = custom(&["red", "green", "blue"]).validate().unwrap();
        assert_eq!(settings.words, ["red", "green", "blue"]);
        let config = Config {
            words: Some(2),
            ..custom(&["red", "green", "blue"])
        };
        assert_eq!(config.validate().unwrap().words, ["red", "green"]);
        let config = Config {
            words: Some(4),
            ..custom(&["red", "green", "blue"])
        };
        assert_eq!(
            config.validate(),
            Err(ConfigError::TooManyWords {
                asked: 4,
                available: 3
            })
        );
    }

    #[test]
    fn empty_custom_word_is_rejected_with_its_position() {
        assert_eq!(
            custom(&["red", "", "blue"]).validate(),
            Err(ConfigError::EmptyWord { position: 2 })
        );
        assert_eq!(
            custom(&[""]).validate(),
            Err(ConfigError::EmptyWord { position: 1 })
        );
    }

    #[test]
    fn duplicate_custom_word_is_rejected() {
        assert_eq!(
            custom(&["red", "blue", "red"]).validate(),
            Err(ConfigError::DuplicateWord { word: "red".into() })
        );
    }

    #[test]
    fn zero_count_is_rejected() {
        let config = Config {
            count: Some(0),
            ..Config::default()
        };
        assert_eq!(config.validate(), Err(ConfigError::ZeroCount));
    }

    #[test]
    fn interval_above_the_maximum_is_rejected() {
        let config = Config {
            interval: MAX_INTERVAL + Duration::from_secs(1),
            ..Config::default()
        };
        assert_eq!(
            config.validate(),
            Err(ConfigError::IntervalTooLong(config.interval))
        );
    }

    #[test]
    fn rate_replaces_the_interval_and_is_bounded() {
        let config = Config {
            rate: Some(1000),
            interval: Duration::from_secs(5),
            ..Config::default()
        };
        let pacing = config.validate().unwrap().pacing;
        assert_eq!(pacing, Pacing::Paced(Pace::per_second(1000).unwrap()));
        assert_eq!(pacing.interval(), Duration::from_millis(1));
        let config = Config {
            rate: Some(0),
            ..Config::default()
        };
        assert_eq!(config.validate(), Err(ConfigError::ZeroRate));
        let config = Config {
            rate: Some(MAX_RATE + 1),
            ..Config::default()
        };
        assert_eq!(
            config.validate(),
            Err(ConfigError::RateTooHigh(MAX_RATE + 1))
        );
        let config = Config {
            rate: Some(MAX_RATE),
            ..Config::default()
        };
        assert_eq!(
            config.validate().unwrap().pacing.interval(),
            Duration::from_nanos(1)
        );
    }

    #[test]
    fn zero_interval_means_unpaced() {
        let config = Config {
            interval: Duration::ZERO,
            ..Config::default()
        };
        assert_eq!(config.validate().unwrap().pacing, Pacing::Unpaced);
    }

    #[test]
    fn numbers_parse_and_garbage_is_rejected() {
        assert_eq!(parse_number::<i64>(" -5 "), Ok(-5));
        assert_eq!(parse_number::<u64>("18446744073709551615"), Ok(u64::MAX));
        assert!(matches!(
            parse_number::<i64>("ten"),
            Err(ParseError::Number(_))
        ));
        assert!(matches!(
            parse_number::<u64>("-1"),
            Err(ParseError::Number(_))
        ));
        assert!(matches!(
            parse_number::<i64>("99999999999999999999"),
            Err(ParseError::Number(_))
        ));
        assert!(matches!(
            parse_number::<usize>(""),
            Err(ParseError::Number(_))
        ));
    }

    #[test]
    fn intervals_parse_and_garbage_is_rejected() {
        assert_eq!(parse_interval("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_interval("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_interval("1m 30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_interval("0"), Ok(Duration::ZERO));
        for bad in ["5", "five seconds", "-1s", "", "5x"] {
            assert!(
                matches!(parse_interval(bad), Err(ParseError::Duration(_))),
                "{bad:?} parsed"
            );
        }
    }

    #[test]
    fn interval_formats_the_way_it_parses() {
        for interval in [
            Duration::from_millis(250),
            Duration::from_secs(5),
            Duration::ZERO,
        ] {
            assert_eq!(parse_interval(&format_interval(interval)), Ok(interval));
        }
        assert_eq!(format_interval(Duration::from_secs(5)), "5s");
    }

    #[test]
    fn config_reads_from_json_with_defaults_and_a_human_interval() {
        let config: Config = serde_json::from_str(
            r#"{"max": 9, "interval": "250ms", "word_list": ["red", "blue"]}"#,
        )
        .unwrap();
        let expected = Config {
            max: 9,
            interval: Duration::from_millis(250),
            ..custom(&["red", "blue"])
        };
        assert_eq!(config, expected);
        let text = serde_json::to_string(&config).unwrap();
        assert_eq!(serde_json::from_str::<Config>(&text).unwrap(), config);
        assert!(serde_json::from_str::<Config>(r#"{"interval": "soon"}"#).is_err());
        assert!(serde_json::from_str::<Config>(r#"{"colour": 1}"#).is_err());
    }

    #[test]
    fn errors_say_what_to_do() {
        let message = ConfigError::MinAboveMax { min: 7, max: 3 }.to_string();
        assert_eq!(
            message,
            "min (7) is greater than max (3); make min at most max"
        );
        let message = ConfigError::IntervalTooLong(Duration::from_secs(2 * 86400)).to_string();
        assert_eq!(message, "interval 2days is longer than the maximum of 1day");
    }
}
