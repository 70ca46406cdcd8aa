//! The runner: scenarios of interleaved contenders, rounds and medians.
//!
//! Cross-thread figures on small shared machines swing by several times between
//! runs, and the ranking of peers can flip. So within a scenario the
//! implementations run **interleaved** — A, B, C, A, B, C … — one run each per
//! round; each figure is the median over rounds, and each ratio is the median of
//! the per-round ratios, so a slow round penalises every contender alike.
//!
//! Round 0 is the allocation round (B0): every worker loop runs inside
//! [`zerocast_alloc::count_allocs`] on its own thread, after a warm-up. The
//! timing rounds that follow do not count, so counting never slows the timed
//! code of an implementation that allocates.

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use zerocast_alloc::{count_allocs, AllocStats};

/// How large a run is.
#[derive(Clone, Copy, Debug)]
pub struct RunConfig {
    /// Messages (or operations) measured in this run.
    pub messages: u64,
    /// Messages sent before measuring starts, to warm caches and lazy state.
    pub warmup: u64,
    /// Whether worker loops count their allocations (the B0 round).
    pub count_allocs: bool,
}

impl RunConfig {
    /// Runs `f`, counting its allocations on this thread in the B0 round.
    pub fn measure<R>(&self, f: impl FnOnce() -> R) -> (R, AllocStats) {
        if self.count_allocs {
            count_allocs(f)
        } else {
            (f(), AllocStats::ZERO)
        }
    }
}

/// What one run of one contender measured.
#[derive(Debug)]
pub struct Sample {
    /// Wall-clock time of the measured part.
    pub elapsed: Duration,
    /// Messages in the measured part.
    pub messages: u64,
    /// Allocations of all worker threads during the measured part (B0 round).
    pub allocs: AllocStats,
    /// Per-message latencies in nanoseconds, for latency scenarios.
    pub latency: Option<Histogram<u64>>,
}

impl Sample {
    /// Nanoseconds per message.
    pub fn ns_per_msg(&self) -> f64 {
        self.elapsed.as_nanos() as f64 / self.messages.max(1) as f64
    }
}

/// A fresh histogram for latencies from 1 ns to 100 s, 3 significant digits.
/// Recording into it never allocates.
pub fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 100_000_000_000, 3).expect("valid histogram bounds")
}

/// One implementation's way to run a scenario.
pub type RunFn = Box<dyn FnMut(&RunConfig) -> Sample>;

/// One implementation in a scenario: a run function, or the reason it cannot
/// take part ("n/a").
pub struct Contender {
    /// `zerocast`, `zerocast-<variant>`, or the peer's crate name.
    pub implementation: &'static str,
    /// How to run it; `Err(reason)` when the implementation cannot do this.
    pub run: Result<RunFn, &'static str>,
}

impl Contender {
    /// A contender that runs `f`.
    pub fn new(
        implementation: &'static str,
        f: impl FnMut(&RunConfig) -> Sample + 'static,
    ) -> Self {
        Self {
            implementation,
            run: Ok(Box::new(f)),
        }
    }

    /// An implementation that cannot do the scenario, and why.
    pub fn not_applicable(implementation: &'static str, reason: &'static str) -> Self {
        Self {
            implementation,
            run: Err(reason),
        }
    }

    /// Whether this is one of zerocast's own implementations.
    pub fn is_zerocast(&self) -> bool {
        is_zerocast(self.implementation)
    }
}

impl std::fmt::Debug for Contender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contender")
            .field("implementation", &self.implementation)
            .field("applicable", &self.run.is_ok())
            .finish()
    }
}

/// Whether `implementation` names one of zerocast's own implementations.
pub fn is_zerocast(implementation: &str) -> bool {
    implementation == "zerocast" || implementation.starts_with("zerocast-")
}

/// What a scenario measures, which decides its ratio column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// ns/message; ratios against the fastest peer of each round.
    Throughput,
    /// per-message latency; ratios of p50 against the floor of each round.
    Latency,
}

/// Message counts for one scenario, per size of run.
#[derive(Clone, Copy, Debug)]
pub struct Size {
    /// Messages per timing run.
    pub messages: u64,
    /// Messages in the B0 round (at least 10 000).
    pub b0_messages: u64,
    /// Warm-up messages per run.
    pub warmup: u64,
}

/// A topology, mode and payload, with every implementation that is measured on it.
pub struct Scenario {
    /// A slash path: topology, mode, payload (`spsc/threads/u64`).
    pub name: &'static str,
    /// Throughput or latency.
    pub kind: Kind,
    /// Message counts for `--quick`.
    pub quick: Size,
    /// Message counts for a full run.
    pub full: Size,
    /// The implementations, zerocast's first.
    pub contenders: Vec<Contender>,
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scenario")
            .field("name", &self.name)
            .field("contenders", &self.contenders)
            .finish()
    }
}

/// Runs of one round of one contender at most, while each covers less
/// than half its messages (see [`run_covering`]).
const RUNS: usize = 5;

/// The name of the floor contender: the cheapest form of the scenario's
/// hand-off (not a channel), where the scenario has one. Latency rows are
/// ranked against it; in throughput scenarios it is shown beside the peers
/// and is not one of them.
pub const FLOOR: &str = "floor";

/// Everything measured for one implementation in one scenario.
#[derive(Debug)]
pub struct Measured {
    /// The scenario's name.
    pub scenario: &'static str,
    /// The implementation's name.
    pub implementation: &'static str,
    /// ns/message of each timing round.
    pub ns_per_msg: Vec<f64>,
    /// Ratio of each timing round (to the best peer, or to the floor).
    pub ratios: Vec<f64>,
    /// Allocations in the B0 round.
    pub allocs: AllocStats,
    /// Messages the B0 round counted allocations over.
    pub b0_messages: u64,
    /// All timing rounds' latencies merged, for latency scenarios.
    pub latency: Option<Histogram<u64>>,
}

/// A contender that could not take part in a scenario.
#[derive(Debug, Clone)]
pub struct NotApplicable {
    /// The scenario's name.
    pub scenario: &'static str,
    /// The implementation's name.
    pub implementation: &'static str,
    /// Why.
    pub reason: &'static str,
}

/// How a scenario is run.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Use the scenario's `quick` sizes.
    pub quick: bool,
    /// Timing rounds after the B0 round; 0 runs B0 only.
    pub rounds: usize,
}

/// Runs one scenario: the B0 round, then `plan.rounds` interleaved timing
/// rounds. `progress` is called after every run.
pub fn run_scenario(
    scenario: &mut Scenario,
    plan: Plan,
    mut progress: impl FnMut(),
) -> (Vec<Measured>, Vec<NotApplicable>) {
    let size = if plan.quick {
        scenario.quick
    } else {
        scenario.full
    };
    let mut measured = Vec::new();
    let mut not_applicable = Vec::new();
    let mut runners = Vec::new();
    for c in &mut scenario.contenders {
        match &mut c.run {
            Ok(run) => {
                measured.push(Measured {
                    scenario: scenario.name,
                    implementation: c.implementation,
                    ns_per_msg: Vec::new(),
                    ratios: Vec::new(),
                    allocs: AllocStats::ZERO,
                    b0_messages: size.b0_messages,
                    latency: None,
                });
                runners.push(run);
            }
            Err(reason) => not_applicable.push(NotApplicable {
                scenario: scenario.name,
                implementation: c.implementation,
                reason,
            }),
        }
    }
    let b0 = RunConfig {
        messages: size.b0_messages,
        warmup: size.warmup,
        count_allocs: true,
    };
    for (m, run) in measured.iter_mut().zip(runners.iter_mut()) {
        let sample = run_covering(run, &b0, scenario.name, m.implementation);
        m.allocs = sample.allocs;
        m.b0_messages = sample.messages;
        progress();
    }
    let timing = RunConfig {
        messages: size.messages,
        warmup: size.warmup,
        count_allocs: false,
    };
    for _ in 0..plan.rounds {
        let mut round = Vec::with_capacity(runners.len());
        for (m, run) in measured.iter().zip(runners.iter_mut()) {
            round.push(run_covering(run, &timing, scenario.name, m.implementation));
            progress();
        }
        record_round(scenario.kind, &mut measured, round);
    }
    (measured, not_applicable)
}

/// Runs `run` under `cfg` until its sample covers at least half of
/// `cfg.messages`, [`RUNS`] times at most. A run whose timed part saw only a
/// sliver of its messages (a flusher whose warm-up call ran on through the
/// rest, as bab's can) has watched almost nothing: its allocation count
/// proves nothing and its time is noise. Panics if a zerocast row never
/// covers; a peer's last run is kept, its figures over what it saw.
fn run_covering(run: &mut RunFn, cfg: &RunConfig, scenario: &str, implementation: &str) -> Sample {
    let covers = |s: &Sample| s.messages * 2 >= cfg.messages;
    let mut sample = run(cfg);
    for _ in 1..RUNS {
        if covers(&sample) {
            break;
        }
        sample = run(cfg);
    }
    assert!(
        covers(&sample) || !is_zerocast(implementation),
        "{scenario} / {implementation}: {RUNS} runs each covered under half of {} messages \
         (the last {})",
        cfg.messages,
        sample.messages
    );
    sample
}

/// Adds one timing round to `measured`, with its per-round ratios.
fn record_round(kind: Kind, measured: &mut [Measured], round: Vec<Sample>) {
    // The figure a round is ranked by: p50 for latency, ns/message otherwise.
    let figures: Vec<f64> = round
        .iter()
        .map(|s| match (kind, &s.latency) {
            (Kind::Latency, Some(h)) => h.value_at_quantile(0.5) as f64,
            _ => s.ns_per_msg(),
        })
        .collect();
    let fastest_peer = measured
        .iter()
        .zip(&figures)
        .filter(|(m, _)| !is_zerocast(m.implementation) && m.implementation != FLOOR)
        .map(|(_, f)| *f)
        .fold(f64::INFINITY, f64::min);
    let base = match kind {
        Kind::Throughput => fastest_peer,
        // Beside the floor where the scenario has one, else the fastest peer.
        Kind::Latency => measured
            .iter()
            .zip(&figures)
            .find(|(m, _)| m.implementation == FLOOR)
            .map_or(fastest_peer, |(_, f)| *f),
    };
    for ((m, sample), fig) in measured.iter_mut().zip(round).zip(figures) {
        m.ns_per_msg.push(sample.ns_per_msg());
        if base.is_finite() && base > 0.0 {
            m.ratios.push(fig / base);
        }
        if let Some(h) = sample.latency {
            match &mut m.latency {
                Some(all) => all.add(&h).expect("histograms with equal bounds"),
                None => m.latency = Some(h),
            }
        }
    }
}

/// The median of `values` (NaN when empty).
pub fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    }
}

/// A single-thread run: `run(0, warmup)` uncounted, then
/// `run(warmup, warmup + messages)` timed and, in the B0 round, counted.
pub fn warm_then_measure(cfg: &RunConfig, mut run: impl FnMut(u64, u64)) -> Sample {
    run(0, cfg.warmup);
    let start = Instant::now();
    let ((), allocs) = cfg.measure(|| run(cfg.warmup, cfg.warmup + cfg.messages));
    Sample {
        elapsed: start.elapsed(),
        messages: cfg.messages,
        allocs,
        latency: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured(name: &'static str) -> Measured {
        Measured {
            scenario: "s",
            implementation: name,
            ns_per_msg: Vec::new(),
            ratios: Vec::new(),
            allocs: AllocStats::ZERO,
            b0_messages: 1,
            latency: None,
        }
    }

    fn sample(ns: u64) -> Sample {
        Sample {
            elapsed: Duration::from_nanos(ns * 10),
            messages: 10,
            allocs: AllocStats::ZERO,
            latency: None,
        }
    }

    /// A run function whose samples cover `covered[i]` of 10 messages on
    /// its `i`-th run (the last figure from then on).
    fn covering(covered: &'static [u64]) -> RunFn {
        let mut runs = 0;
        Box::new(move |_: &RunConfig| {
            let messages = covered[runs.min(covered.len() - 1)];
            runs += 1;
            Sample {
                messages,
                ..sample(1)
            }
        })
    }

    const TEN: RunConfig = RunConfig {
        messages: 10,
        warmup: 0,
        count_allocs: false,
    };

    #[test]
    fn a_run_that_saw_under_half_its_messages_runs_again() {
        let mut run = covering(&[0, 4, 5, 10]);
        assert_eq!(run_covering(&mut run, &TEN, "s", "bab").messages, 5);
        // A peer that never covers keeps its last run, after `RUNS` of them.
        let mut run = covering(&[0, 1, 2, 3, 4, 10]);
        assert_eq!(run_covering(&mut run, &TEN, "s", "bab").messages, 4);
    }

    #[test]
    #[should_panic(expected = "s / zerocast: 5 runs each covered under half of 10 messages")]
    fn a_zerocast_row_that_never_covers_stops_the_run() {
        run_covering(&mut covering(&[4]), &TEN, "s", "zerocast");
    }

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn throughput_ratios_are_per_round_against_the_best_peer() {
        let mut m = vec![measured("zerocast"), measured("a"), measured("b")];
        // zerocast is fastest but is never the base: the best *peer* is.
        record_round(
            Kind::Throughput,
            &mut m,
            vec![sample(5), sample(10), sample(20)],
        );
        record_round(
            Kind::Throughput,
            &mut m,
            vec![sample(50), sample(200), sample(100)],
        );
        assert_eq!(m[0].ratios, [0.5, 0.5]);
        assert_eq!(m[1].ratios, [1.0, 2.0]);
        assert_eq!(m[2].ratios, [2.0, 1.0]);
        assert_eq!(m[1].ns_per_msg, [10.0, 200.0]);
    }

    #[test]
    fn latency_ratios_are_p50_against_the_floor_of_the_same_round() {
        let lat = |v: u64| {
            let mut h = latency_histogram();
            h.record(v).unwrap();
            Sample {
                elapsed: Duration::from_nanos(v),
                messages: 1,
                allocs: AllocStats::ZERO,
                latency: Some(h),
            }
        };
        let mut m = vec![measured(FLOOR), measured("a")];
        record_round(Kind::Latency, &mut m, vec![lat(100), lat(300)]);
        record_round(Kind::Latency, &mut m, vec![lat(1000), lat(2000)]);
        assert_eq!(m[1].ratios.len(), 2);
        assert!((m[1].ratios[0] - 3.0).abs() < 0.01);
        assert!((m[1].ratios[1] - 2.0).abs() < 0.01);
        assert_eq!(m[1].latency.as_ref().unwrap().len(), 2, "rounds merged");
    }
}
