//! `zerocast-bench`: run the suite, print the table, write JSON / markdown / SVG,
//! and gate zerocast's rows on zero allocations per message.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use zerocast_alloc::GuardedAlloc;
use zerocast_bench::gate::{self, Verdict};
use zerocast_bench::harness::{run_scenario, Kind, Plan, FLOOR};
use zerocast_bench::report::{self, Report};
use zerocast_bench::{charts, env, scenarios};

/// Counts allocations per thread for B0; forwards to the system allocator.
#[global_allocator]
static GLOBAL: GuardedAlloc = GuardedAlloc::system();

/// zerocast and its peers, side by side: allocations/message (B0), latency with
/// the receiver waiting (B1), throughput (B2).
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Small sizes and 5 timing rounds: about a minute on 2 cores.
    #[arg(long)]
    quick: bool,
    /// Timing rounds per scenario (default: 5 with --quick, 9 otherwise).
    #[arg(long)]
    rounds: Option<usize>,
    /// Messages per timing run in every scenario (overrides the built-in sizes;
    /// `scripts/callgrind.sh` runs two sizes and takes the difference).
    #[arg(long)]
    messages: Option<u64>,
    /// Run only the allocation round (B0), no timing rounds.
    #[arg(long)]
    b0_only: bool,
    /// Run only zerocast's own implementations.
    #[arg(long)]
    zerocast_only: bool,
    /// Exit non-zero if any zerocast row allocates (allocs/msg above 0.000).
    #[arg(long)]
    gate: bool,
    /// Run only scenarios whose name contains this (repeatable).
    #[arg(long)]
    filter: Vec<String>,
    /// Run only these implementations (repeatable; e.g. `--only zerocast --only rtrb`).
    #[arg(long)]
    only: Vec<String>,
    /// List the scenarios and their implementations, and exit.
    #[arg(long)]
    list: bool,
    /// Write the results as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write the results as a markdown table here.
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// Write SVG charts into this directory.
    #[arg(long)]
    svg: Option<PathBuf>,
}

/// Writes `text` to `path`, creating its folder.
fn write(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, text)
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut all = scenarios::all();
    all.retain(|s| {
        args.filter.is_empty() || args.filter.iter().any(|f| s.name.contains(f.as_str()))
    });
    if let Some(n) = args.messages {
        for s in &mut all {
            s.quick.messages = n;
            s.full.messages = n;
        }
    }
    if !args.only.is_empty() {
        for s in &mut all {
            // A latency scenario's ratios are to its floor: keep it.
            let keep_floor = s.kind == Kind::Latency;
            s.contenders.retain(|c| {
                args.only.iter().any(|o| o == c.implementation)
                    || (keep_floor && c.implementation == FLOOR)
            });
        }
        all.retain(|s| s.contenders.iter().any(|c| c.run.is_ok()));
    }
    if args.zerocast_only {
        for s in &mut all {
            s.contenders.retain(|c| c.is_zerocast());
        }
        all.retain(|s| !s.contenders.is_empty());
    }
    if args.list {
        for s in &all {
            let names: Vec<String> = s
                .contenders
                .iter()
                .map(|c| match &c.run {
                    Ok(_) => c.implementation.to_owned(),
                    Err(_) => format!("({} n/a)", c.implementation),
                })
                .collect();
            println!("{:<28} {}", s.name, names.join(", "));
        }
        return ExitCode::SUCCESS;
    }
    let rounds = match (args.b0_only, args.rounds) {
        (true, _) => 0,
        (false, Some(r)) => r,
        (false, None) if args.quick => 5,
        (false, None) => 9,
    };
    let plan = Plan {
        quick: args.quick,
        rounds,
    };
    let runs: usize = all
        .iter()
        .map(|s| s.contenders.iter().filter(|c| c.run.is_ok()).count() * (1 + rounds))
        .sum();
    let bar = ProgressBar::new(runs as u64).with_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} {msg}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    let mut rows = Vec::new();
    let mut measured_all = Vec::new();
    let mut not_applicable = Vec::new();
    for s in &mut all {
        bar.set_message(s.name);
        let kind = s.kind;
        let (measured, na) = run_scenario(s, plan, || bar.inc(1));
        rows.extend(measured.iter().map(|m| report::row(kind, m)));
        measured_all.extend(measured);
        not_applicable.extend(na.iter().map(report::NotApplicableRow::from));
    }
    bar.finish_and_clear();
    let report = Report {
        machine: env::machine(),
        rustc: env::rustc(),
        commit: env::commit(),
        runs: rounds,
        results: rows,
        not_applicable,
    };
    let command = format!(
        "cargo run --release -p zerocast-bench -- {}",
        std::env::args().skip(1).collect::<Vec<_>>().join(" ")
    );
    println!(
        "zerocast-bench: {} | {} | commit {} | {} timing rounds + 1 allocation round",
        report.machine, report.rustc, report.commit, report.runs
    );
    print!("{}", report::table(&report));
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report).expect("serialisable report");
        if let Err(e) = write(path, &text) {
            eprintln!("cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    if let Some(path) = &args.markdown {
        if let Err(e) = write(path, &report::markdown(&report, command.trim_end())) {
            eprintln!("cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    if let Some(dir) = &args.svg {
        if let Err(e) = charts::write_all(dir, &report.results, &measured_all) {
            eprintln!("cannot draw charts in {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    }
    match gate::check(&report.results) {
        Verdict::Pass(n) => println!("B0 gate: PASS, {n} zerocast rows at 0.000 allocs/msg"),
        Verdict::NothingToGate => {
            println!("B0 gate: no zerocast implementation in these scenarios yet")
        }
        Verdict::Fail(failures) => {
            for f in &failures {
                println!(
                    "B0 gate: FAIL {} {}: {:.3} allocs/msg, {:.1} bytes/msg",
                    f.scenario, f.implementation, f.allocs_per_msg, f.bytes_per_msg
                );
            }
            if args.gate {
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
