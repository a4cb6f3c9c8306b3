//! The random draws and the tick record they make.

use rand::distr::{Distribution, Uniform};
use rand::rngs::{SysRng, Xoshiro256PlusPlus};
use rand::{SeedableRng, TryRng};

use crate::config::Settings;

/// One tick: what a log line reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tick<'a> {
    /// 1 for the first tick of a process, then +1 per tick, with no gaps.
    pub count: u64,
    /// Drawn uniformly from `[min, max]`, both ends included.
    pub number: i64,
    /// Drawn uniformly from the configured words.
    pub word: &'a str,
}

/// Makes the ticks: counts them and draws their number and word from a seeded generator,
/// so that one seed and one configuration always give the same sequence.
#[derive(Debug, Clone)]
pub struct Ticker {
    rng: Xoshiro256PlusPlus,
    numbers: Uniform<i64>,
    words: Vec<String>,
    word_index: Uniform<usize>,
    count: u64,
}

impl Ticker {
    /// A ticker for validated settings, seeded with `seed` (see [`random_seed`]).
    pub fn new(settings: &Settings, seed: u64) -> Self {
        // Settings guarantee min <= max and at least one word, which is all `Uniform` needs.
        let numbers = Uniform::new_inclusive(settings.min, settings.max)
            .expect("settings are validated: min <= max");
        let word_index =
            Uniform::new(0, settings.words.len()).expect("settings are validated: words not empty");
        Ticker {
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            numbers,
            words: settings.words.clone(),
            word_index,
            count: 0,
        }
    }

    /// The next tick: the count goes up by one, then the number is drawn, then the word.
    pub fn next_tick(&mut self) -> Tick<'_> {
        self.count += 1;
        let number = self.numbers.sample(&mut self.rng);
        let word = &self.words[self.word_index.sample(&mut self.rng)];
        Tick {
            count: self.count,
            number,
            word,
        }
    }

    /// How many ticks were made so far.
    pub fn count(&self) -> u64 {
        self.count
    }
}

/// Random seeds stay below 2^53, so that the seed logged in the `starting` line survives
/// JSON parsers that read numbers as doubles (Lua, JavaScript) and can be given back as is.
pub const RANDOM_SEED_LIMIT: u64 = 1 << 53;

/// A seed from the operating system's random source, below [`RANDOM_SEED_LIMIT`], for runs
/// without `--seed`. Log it: giving it back as `--seed` replays the run's draws.
pub fn random_seed() -> Result<u64, rand::rngs::SysError> {
    Ok(SysRng.try_next_u64()? % RANDOM_SEED_LIMIT)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::config::Config;

    const SEED: u64 = 20_261_121;

    fn ticker(config: Config) -> Ticker {
        Ticker::new(&config.validate().unwrap(), SEED)
    }

    fn range(min: i64, max: i64) -> Config {
        Config {
            min,
            max,
            ..Config::default()
        }
    }

    /// Draws `n` ticks and counts how often each number and each word came up.
    fn histograms(ticker: &mut Ticker, n: usize) -> (BTreeMap<i64, u64>, BTreeMap<String, u64>) {
        let (mut numbers, mut words) = (BTreeMap::new(), BTreeMap::new());
        for _ in 0..n {
            let tick = ticker.next_tick();
            *numbers.entry(tick.number).or_insert(0) += 1;
            *words.entry(tick.word.to_owned()).or_insert(0) += 1;
        }
        (numbers, words)
    }

    /// Pearson's chi-square statistic of observed counts against a uniform expectation over
    /// `categories` (a category never seen counts as observed 0).
    fn chi_square<'a>(observed: impl Iterator<Item = &'a u64>, categories: usize) -> f64 {
        let observed: Vec<f64> = observed.map(|&n| n as f64).collect();
        let total: f64 = observed.iter().sum();
        let expected = total / categories as f64;
        let missing = (categories - observed.len()) as f64 * expected;
        observed
            .iter()
            .map(|&n| (n - expected).powi(2) / expected)
            .sum::<f64>()
            + missing
    }

    #[test]
    fn count_starts_at_one_and_has_no_gap() {
        let mut ticker = ticker(Config::default());
        let counts: Vec<u64> = (0..5).map(|_| ticker.next_tick().count).collect();
        assert_eq!(counts, [1, 2, 3, 4, 5]);
        assert_eq!(ticker.count(), 5);
    }

    #[test]
    fn numbers_cover_both_bounds_and_nothing_outside() {
        let (numbers, _) = histograms(&mut ticker(range(-2, 2)), 10_000);
        assert_eq!(
            numbers.keys().copied().collect::<Vec<_>>(),
            [-2, -1, 0, 1, 2]
        );
    }

    #[test]
    fn equal_bounds_always_draw_that_number() {
        let (numbers, _) = histograms(&mut ticker(range(42, 42)), 1_000);
        assert_eq!(numbers.into_iter().collect::<Vec<_>>(), [(42, 1_000)]);
    }

    #[test]
    fn the_widest_range_draws_without_panicking() {
        let mut ticker = ticker(range(i64::MIN, i64::MAX));
        let numbers: Vec<i64> = (0..1_000).map(|_| ticker.next_tick().number).collect();
        assert!(numbers.iter().any(|&n| n < 0) && numbers.iter().any(|&n| n > 0));
    }

    #[test]
    fn every_word_of_the_chosen_set_appears_and_no_other() {
        let config = Config {
            words: Some(3),
            ..Config::default()
        };
        let (_, words) = histograms(&mut ticker(config), 1_000);
        assert_eq!(words.keys().collect::<Vec<_>>(), ["alpha", "beta", "gamma"]);

        let config = Config {
            words: Some(2),
            word_list: Some(vec!["red".into(), "green".into(), "blue".into()]),
            ..Config::default()
        };
        let (_, words) = histograms(&mut ticker(config), 1_000);
        assert_eq!(words.keys().collect::<Vec<_>>(), ["green", "red"]);
    }

    #[test]
    fn numbers_are_uniform() {
        // 101 numbers, 1000 expected per number. 149.4 is the chi-square value that a
        // uniform draw exceeds with probability 0.001 at 100 degrees of freedom.
        let (numbers, _) = histograms(&mut ticker(range(0, 100)), 101_000);
        let statistic = chi_square(numbers.values(), 101);
        assert!(statistic < 149.4, "chi-square {statistic} over 100 df");
    }

    #[test]
    fn words_are_uniform() {
        // 10 words, 10000 expected per word; 27.88 is the 0.001 critical value at 9 df.
        let (_, words) = histograms(&mut ticker(Config::default()), 100_000);
        assert_eq!(words.len(), 10);
        let statistic = chi_square(words.values(), 10);
        assert!(statistic < 27.88, "chi-square {statistic} over 9 df");
    }

    #[test]
    fn chi_square_catches_a_skewed_draw() {
        // The statistic above must be able to fail: a draw that never gives the top
        // number is far over the critical value.
        let skewed: Vec<u64> = vec![1010; 100];
        assert!(chi_square(skewed.iter(), 101) > 149.4);
    }

    #[test]
    fn same_seed_gives_the_same_sequence() {
        let draw = |seed| {
            let mut ticker = Ticker::new(&Config::default().validate().unwrap(), seed);
            (0..100)
                .map(|_| {
                    let tick = ticker.next_tick();
                    (tick.number, tick.word.to_owned())
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(SEED), draw(SEED));
        assert_ne!(draw(SEED), draw(SEED + 1));
    }

    #[test]
    fn random_seeds_differ_and_stay_exact_as_doubles() {
        let seeds: Vec<u64> = (0..100).map(|_| random_seed().unwrap()).collect();
        assert_ne!(seeds[0], seeds[1]);
        for seed in seeds {
            assert!(seed < RANDOM_SEED_LIMIT);
            assert_eq!(seed as f64 as u64, seed);
        }
    }
}
