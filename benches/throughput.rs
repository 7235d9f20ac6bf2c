//! `cargo bench --bench throughput [-- --quick]`: messages per second, round-trip times, CPU time
//! and peak memory of our safe layer against raw C ENet, rusty_enet, the `enet` crate and plain
//! UDP, on the same workloads in the same process shape (see `common/mod.rs` for the method).
//! docs/BENCHMARKS.md has the method, the machine, results and how to reproduce them.
//!
//! The parent (this binary without `--child`) runs every measurement in a child process: itself
//! re-executed as `throughput --child <contender> <workload>`, or, for contenders that cannot live
//! in this dependency graph, another binary that includes the same `common` module:
//!
//! * `enet_crate`: `bench-enet-crate/`, a separate cargo project (the `enet` crate links its own C
//!   ENet under the same `links = "enet"` name as our `enet-sys`), built by the parent into
//!   `<target>/bench-helpers/enet-crate`; `n/a (<reason>)` when it cannot be built (it needs
//!   cmake and libclang);
//! * `safe_upstream`: this bench built with `--features upstream-platform` into
//!   `<target>/bench-helpers/upstream-platform`, run on the headline workload for the summary's
//!   `layer_vs_upstream` (`n/a` while that feature does not build; `ENET_BENCH_UPSTREAM_FEATURES`
//!   overrides the feature list, which only serves to test this path).
//!
//! The headline workload also runs `safe_unhardened`, a diagnostic: the safe layer with its
//! receive-path hardening switched off, to show what that costs. It is not in the summary.
//!
//! Contenders run interleaved: round by round, each round visiting every contender of a workload
//! in a rotated order, so a noisy neighbour hits all of them alike; the tables show per-field
//! medians over the rounds. Rates are given two ways: per wall-clock second, and per second of
//! CPU time (user+sys, getrusage) spent in the timed window. The harness is single-threaded and
//! never sleeps, so the two agree on an idle machine (the `CPU share` column is then 1.00); on a
//! shared machine the wall-clock rate also measures how often the process got a core, which
//! differs from run to run, while the CPU-time rate does not. The summary therefore uses the
//! CPU-time rates (`--wall-summary` switches it to wall-clock; the other basis is printed on the
//! line before). The last line of output is the summary:
//! `summary: safe_vs_raw=<r> vs_rusty_enet=<r> vs_enet_crate=<r> vs_raw_udp=<r>
//! layer_vs_upstream=<r>`, each our safe layer's messages/s over the contender's on the
//! 100-client, 10-in-flight ping-pong (higher is better for us).
//!
//! Flags: `--quick` (short windows, fewer rounds: well under a minute once the helpers are
//! built), `--rounds N` (rounds of the headline workload; the others get a third as many, at
//! least one, or one with `--quick`), `--only pingpong|headline|bulk|scale` (repeatable;
//! `headline` is the summary's workload alone), `--contenders a,b,..` (only these),
//! `--no-helpers` (skip building the `enet` crate and the upstream-platform binary),
//! `--wall-summary`, `--out DIR` (where `results.csv` and `throughput.svg` go; default
//! `<target>/bench-throughput`), `--render results.csv` (print the tables, summary and chart of a
//! saved run without measuring; `--out` says where the chart goes). Without cargo's `--bench`
//! flag (that is, under `cargo test --benches`) it only runs a quick in-process smoke test of
//! every stack.

#[path = "common/mod.rs"]
mod common;
mod stacks {
    #[path = "../stacks/raw.rs"]
    pub mod raw;
    #[path = "../stacks/rusty.rs"]
    pub mod rusty;
    #[path = "../stacks/safe.rs"]
    pub mod safe;
    #[path = "../stacks/udp.rs"]
    pub mod udp;
}

use common::{Mode, Report, Timing, Workload};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The workload the summary line is computed on.
const HEADLINE: Workload = Workload::PingPong {
    clients: 100,
    in_flight: 10,
};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--child") {
        child(&args);
    } else if args.iter().any(|a| a == "--bench") {
        parent(&args);
    } else {
        smoke();
    }
}

/// Runs one measurement of an in-process contender and prints its `RESULT` line.
fn child(args: &[String]) {
    let (contender, _, _) = common::parse_child_args(args).unwrap_or_else(|e| {
        eprintln!("bad child arguments: {e}");
        std::process::exit(2)
    });
    match contender.as_str() {
        "raw" => common::child_main(&mut stacks::raw::Raw::new(), &contender, args),
        "safe" => common::child_main(&mut stacks::safe::Safe::new(true), &contender, args),
        "safe_unhardened" => {
            common::child_main(&mut stacks::safe::Safe::new(false), &contender, args)
        }
        "rusty_enet" => common::child_main(&mut stacks::rusty::Rusty, &contender, args),
        "udp" => common::child_main(&mut stacks::udp::Udp::new(), &contender, args),
        other => {
            eprintln!("unknown contender {other}");
            std::process::exit(2)
        }
    }
}

/// `cargo test --benches`: every in-process stack completes a tiny ping-pong and a tiny bulk run.
fn smoke() {
    let timing = Timing {
        warm: Duration::from_millis(10),
        window: Duration::from_millis(30),
        limit: Duration::from_secs(20),
    };
    let ping = Workload::PingPong {
        clients: 3,
        in_flight: 2,
    };
    let bulk = Workload::Bulk {
        mode: Mode::Unreliable,
        size: 1024,
    };
    let check = |report: Report| {
        assert!(report.get("msgs").unwrap_or(0.0) > 0.0, "{}", report.line());
        println!("{}", report.line());
    };
    for workload in [ping, bulk] {
        check(common::run(
            &mut stacks::raw::Raw::new(),
            "raw",
            workload,
            timing,
        ));
        check(common::run(
            &mut stacks::safe::Safe::new(true),
            "safe",
            workload,
            timing,
        ));
        check(common::run(
            &mut stacks::rusty::Rusty,
            "rusty_enet",
            workload,
            timing,
        ));
        check(common::run(
            &mut stacks::udp::Udp::new(),
            "udp",
            workload,
            timing,
        ));
    }
    let mut histogram = common::Histogram::new();
    for v in 1..=100_000u64 {
        histogram.record(v * 10);
    }
    let p99 = histogram.quantile(0.99) as f64;
    assert!((p99 / 990_000.0 - 1.0).abs() < 0.04, "histogram p99 {p99}");
    println!("smoke: ok (run `cargo bench --bench throughput` to measure)");
}

/// How a contender's child process is started.
#[derive(Clone)]
enum Launch {
    /// This binary, `--child <name>`.
    SelfExe,
    /// Another binary, `--child <name>`.
    Binary(PathBuf),
    /// Not available, with the reason shown in the table.
    Unavailable(String),
}

#[derive(Clone)]
struct Contender {
    /// Name in the table and in `--child`.
    name: &'static str,
    /// The `--child` name the launched binary knows it by.
    child_name: &'static str,
    launch: Launch,
}

struct Options {
    quick: bool,
    headline_rounds: usize,
    only: Vec<String>,
    render: Option<PathBuf>,
    contenders: Option<Vec<String>>,
    helpers: bool,
    wall_summary: bool,
    out: PathBuf,
}

fn target_dir() -> PathBuf {
    // <target>/release/deps/throughput-<hash>
    let exe = std::env::current_exe().expect("current_exe");
    exe.ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("target"))
}

fn parse_options(args: &[String]) -> Options {
    let quick = args.iter().any(|a| a == "--quick");
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let only = args
        .windows(2)
        .filter(|w| w[0] == "--only")
        .map(|w| w[1].clone())
        .collect();
    Options {
        quick,
        headline_rounds: value("--rounds")
            .and_then(|v| v.parse().ok())
            .unwrap_or(if quick { 7 } else { 11 }),
        only,
        render: value("--render").map(PathBuf::from),
        contenders: value("--contenders").map(|v| v.split(',').map(str::to_string).collect()),
        helpers: !args.iter().any(|a| a == "--no-helpers"),
        wall_summary: args.iter().any(|a| a == "--wall-summary"),
        out: value("--out")
            .map(PathBuf::from)
            .unwrap_or_else(|| target_dir().join("bench-throughput")),
    }
}

/// A `cargo` command for a nested build into its own target directory, without the variables of
/// the cargo that runs us (which would point it at our target directory or jobserver).
fn nested_cargo(target: &Path) -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    for var in [
        "CARGO_TARGET_DIR",
        "CARGO_MAKEFLAGS",
        "MAKEFLAGS",
        "MFLAGS",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        command.env_remove(var);
    }
    command
        .env("CARGO_TARGET_DIR", target)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null());
    command
}

/// The first `error` line of a failed cargo build, shortened for a table cell.
fn build_error(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("error"))
        .or_else(|| text.lines().rev().find(|l| !l.trim().is_empty()))
        .unwrap_or("build failed")
        .trim();
    let mut short: String = line.chars().take(110).collect();
    if short.len() < line.len() {
        short.push('…');
    }
    short.replace('|', "/")
}

/// Builds `bench-enet-crate/` (needs cmake and libclang for the `enet` crate's enet-sys).
fn build_enet_crate() -> Launch {
    let target = target_dir().join("bench-helpers").join("enet-crate");
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench-enet-crate/Cargo.toml");
    eprintln!(
        "building {} (the first build compiles its C ENet with cmake)...",
        manifest.display()
    );
    let output = nested_cargo(&target)
        .args(["build", "--release", "--quiet", "--manifest-path"])
        .arg(&manifest)
        .output();
    match output {
        Err(e) => Launch::Unavailable(format!("cannot run cargo: {e}")),
        Ok(out) if !out.status.success() => {
            Launch::Unavailable(format!("build failed: {}", build_error(&out.stderr)))
        }
        Ok(_) => {
            let binary = target.join("release").join("bench-enet-crate");
            if binary.exists() {
                Launch::Binary(binary)
            } else {
                Launch::Unavailable(format!("{} missing after build", binary.display()))
            }
        }
    }
}

/// Builds this bench with `--features upstream-platform` (upstream's unix.c instead of our
/// platform layer) and returns its executable, or why it cannot be had.
fn build_upstream_platform() -> Launch {
    let target = target_dir().join("bench-helpers").join("upstream-platform");
    // ENET_BENCH_UPSTREAM_FEATURES overrides the feature list (only to test this path: an empty
    // value builds the default layer the same way).
    let features = std::env::var("ENET_BENCH_UPSTREAM_FEATURES")
        .unwrap_or_else(|_| "upstream-platform".to_string());
    eprintln!("building the bench with --features '{features}'...");
    let mut command = nested_cargo(&target);
    command.args(["build", "--release", "--bench", "throughput"]);
    if !features.is_empty() {
        command.args(["--features", &features]);
    }
    let output = command
        .arg("--message-format=json-render-diagnostics")
        .output();
    let out = match output {
        Err(e) => return Launch::Unavailable(format!("cannot run cargo: {e}")),
        Ok(out) if !out.status.success() => {
            return Launch::Unavailable(format!("build failed: {}", build_error(&out.stderr)))
        }
        Ok(out) => out,
    };
    // The JSON artifact line of the bench carries `"executable":"<path>"`.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let executable = stdout
        .lines()
        .filter(|l| l.contains("\"reason\":\"compiler-artifact\"") && l.contains("\"bench\""))
        .filter(|l| l.contains("\"name\":\"throughput\""))
        .find_map(|l| {
            let start = l.find("\"executable\":\"")? + "\"executable\":\"".len();
            let end = start + l[start..].find('"')?;
            Some(PathBuf::from(&l[start..end]))
        });
    match executable {
        Some(path) => Launch::Binary(path),
        None => Launch::Unavailable("no bench executable in cargo's output".into()),
    }
}

/// Runs one child and returns its report, or a short reason.
fn run_child(contender: &Contender, workload: Workload, timing: Timing) -> Result<Report, String> {
    let program = match &contender.launch {
        Launch::SelfExe => std::env::current_exe().map_err(|e| e.to_string())?,
        Launch::Binary(path) => path.clone(),
        Launch::Unavailable(reason) => return Err(reason.clone()),
    };
    let mut child = Command::new(program)
        .arg("--child")
        .arg(contender.child_name)
        .arg(workload.spec())
        .args(["--warm", &timing.warm.as_secs_f64().to_string()])
        .args(["--window", &timing.window.as_secs_f64().to_string()])
        .args(["--limit", &timing.limit.as_secs_f64().to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawn: {e}"))?;
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    // The child enforces its own limit; this one (a little later) only catches a hung child.
    let deadline = Instant::now() + timing.limit + Duration::from_secs(10);
    let status = loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(status) => break status,
            None if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err("timed out".into());
            }
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    };
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    if !status.success() {
        let reason = stderr
            .lines()
            .find(|l| l.contains("panicked") || l.contains("error"))
            .or_else(|| stderr.lines().last())
            .unwrap_or("no output");
        return Err(format!("child failed ({status}): {}", reason.trim()));
    }
    stdout
        .lines()
        .rev()
        .find_map(Report::parse)
        .ok_or_else(|| "child printed no RESULT line".into())
}

/// The median of the values of `key` over `reports` (None if no report has it).
fn median(reports: &[Report], key: &str) -> Option<f64> {
    let mut values: Vec<f64> = reports.iter().filter_map(|r| r.get(key)).collect();
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    })
}

/// All results of one (workload, contender): the successful reports and the failures.
#[derive(Default)]
struct Cell {
    reports: Vec<Report>,
    errors: Vec<String>,
    /// The number of successful runs, when `reports` holds only their medians (`--render`).
    recorded_runs: Option<usize>,
}

impl Cell {
    fn runs(&self) -> usize {
        self.recorded_runs.unwrap_or(self.reports.len())
    }

    fn median(&self, key: &str) -> Option<f64> {
        median(&self.reports, key)
    }
}

type Results = BTreeMap<(String, &'static str), Cell>;

/// The contenders that run `workload`.
fn applicable(workload: Workload, contenders: &[Contender]) -> Vec<Contender> {
    contenders
        .iter()
        .filter(|c| match (c.name, workload) {
            // Only the summary's layer_vs_upstream needs the upstream-platform build; the
            // diagnostic without the receive-path hardening only explains the headline.
            ("safe_upstream" | "safe_unhardened", w) => w == HEADLINE,
            // Plain UDP: no reliability, no handshake, at most one datagram per packet.
            ("udp", Workload::PingPong { .. }) => true,
            ("udp", Workload::Bulk { mode, size }) => mode == Mode::Unreliable && size <= 1024,
            ("udp", Workload::Scale { .. }) => false,
            _ => true,
        })
        .cloned()
        .collect()
}

fn workloads(options: &Options) -> Vec<Workload> {
    let mut all = Vec::new();
    let wanted = |group: &str| options.only.is_empty() || options.only.iter().any(|o| o == group);
    if wanted("pingpong") {
        for in_flight in [1, 10] {
            for clients in [1, 100, 1000] {
                all.push(Workload::PingPong { clients, in_flight });
            }
        }
    } else if options.only.iter().any(|o| o == "headline") {
        all.push(HEADLINE);
    }
    if wanted("bulk") {
        for mode in [Mode::Reliable, Mode::Unreliable] {
            for size in [1024, 65536] {
                all.push(Workload::Bulk { mode, size });
            }
        }
    }
    if wanted("scale") {
        for peers in [32, 512, 4095] {
            all.push(Workload::Scale { peers });
        }
    }
    all
}

fn timing(options: &Options, workload: Workload) -> Timing {
    let (warm, window, limit) = match (options.quick, workload) {
        (true, Workload::Scale { .. }) => (0.05, 0.2, 30.0),
        (true, _) => (0.1, 0.3, 30.0),
        (false, Workload::Scale { .. }) => (0.3, 1.5, 120.0),
        (false, _) => (0.5, 2.0, 120.0),
    };
    Timing {
        warm: Duration::from_secs_f64(warm),
        window: Duration::from_secs_f64(window),
        limit: Duration::from_secs_f64(limit),
    }
}

fn parent(args: &[String]) {
    let options = parse_options(args);
    let started = Instant::now();
    let rendering = options.render.is_some();
    let helper = |build: fn() -> Launch| {
        if rendering {
            Launch::Unavailable("not run (--render)".into())
        } else if options.helpers {
            build()
        } else {
            Launch::Unavailable("skipped (--no-helpers)".into())
        }
    };
    let enet_crate = helper(build_enet_crate);
    let upstream = helper(build_upstream_platform);
    let contenders = vec![
        Contender {
            name: "raw",
            child_name: "raw",
            launch: Launch::SelfExe,
        },
        Contender {
            name: "safe",
            child_name: "safe",
            launch: Launch::SelfExe,
        },
        Contender {
            name: "rusty_enet",
            child_name: "rusty_enet",
            launch: Launch::SelfExe,
        },
        Contender {
            name: "enet_crate",
            child_name: "enet_crate",
            launch: enet_crate,
        },
        Contender {
            name: "udp",
            child_name: "udp",
            launch: Launch::SelfExe,
        },
        Contender {
            name: "safe_unhardened",
            child_name: "safe_unhardened",
            launch: Launch::SelfExe,
        },
        Contender {
            name: "safe_upstream",
            child_name: "safe",
            launch: upstream,
        },
    ];
    let mut contenders = contenders;
    if let Some(keep) = &options.contenders {
        contenders.retain(|c| keep.iter().any(|k| k == c.name));
    }
    let workloads = workloads(&options);
    let other_rounds = if options.quick {
        1
    } else {
        (options.headline_rounds / 3).max(1)
    };
    let rounds = |w: Workload| {
        if w == HEADLINE {
            options.headline_rounds
        } else {
            other_rounds
        }
    };
    let max_rounds = workloads.iter().map(|&w| rounds(w)).max().unwrap_or(0);

    let mut results: Results = BTreeMap::new();
    if let Some(path) = &options.render {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let names: Vec<&'static str> = contenders.iter().map(|c| c.name).collect();
        results = read_csv(&text, &names);
    }
    for round in 0..if rendering { 0 } else { max_rounds } {
        for &workload in &workloads {
            if round >= rounds(workload) {
                continue;
            }
            let mut runnable = applicable(workload, &contenders);
            // Unavailable contenders are recorded once, without a child.
            runnable.retain(|c| match &c.launch {
                Launch::Unavailable(reason) => {
                    let cell = results.entry((workload.spec(), c.name)).or_default();
                    if cell.errors.is_empty() {
                        cell.errors.push(reason.clone());
                    }
                    false
                }
                _ => true,
            });
            if runnable.is_empty() {
                continue;
            }
            let rotation = round % runnable.len();
            runnable.rotate_left(rotation);
            for contender in &runnable {
                let outcome = run_child(contender, workload, timing(&options, workload));
                eprintln!(
                    "round {}/{} {:<22} {:<14} {}",
                    round + 1,
                    rounds(workload),
                    workload.spec(),
                    contender.name,
                    match (&outcome, workload) {
                        (Ok(report), Workload::Scale { .. }) => format!(
                            "pass {:.2} µs, {:.0} connects/s",
                            report.get("pass_mean_ns").unwrap_or(0.0) / 1e3,
                            report.get("connects_per_s").unwrap_or(0.0)
                        ),
                        (Ok(report), _) => format!(
                            "{:.0} msgs/s (CPU), {:.0} msgs/s (wall)",
                            report.get("cpu_rate").unwrap_or(0.0),
                            report.get("rate").unwrap_or(0.0)
                        ),
                        (Err(e), _) => format!("n/a ({e})"),
                    }
                );
                let cell = results
                    .entry((workload.spec(), contender.name))
                    .or_default();
                match outcome {
                    Ok(report) => cell.reports.push(report),
                    Err(e) => cell.errors.push(e),
                }
            }
        }
    }

    let contender_names: Vec<&'static str> = contenders.iter().map(|c| c.name).collect();
    std::fs::create_dir_all(&options.out).ok();
    let csv_path = options.out.join("results.csv");
    let svg_path = options.out.join("throughput.svg");
    let csv = csv(&results);
    let svg = svg(&results, &contender_names);
    let wrote = if rendering {
        std::fs::write(&svg_path, svg)
    } else {
        std::fs::write(&csv_path, csv).and_then(|()| std::fs::write(&svg_path, svg))
    };
    println!("{}", tables(&results, &workloads, &contenders));
    match wrote {
        Ok(()) => println!("wrote {} and {}", csv_path.display(), svg_path.display()),
        Err(e) => println!("could not write results to {}: {e}", options.out.display()),
    }
    if !rendering {
        println!(
            "total time {:.1} s ({}, headline rounds {}, other rounds {})",
            started.elapsed().as_secs_f64(),
            if options.quick { "--quick" } else { "full" },
            options.headline_rounds,
            other_rounds
        );
    }
    // The summary is computed on messages per CPU-second (see `common::cpu_rate`): equal to
    // messages per wall-clock second on an idle machine, and stable on a shared one.
    // `--wall-summary` computes it on wall-clock rates instead; the other basis is printed first.
    let (basis, other, other_name) = if options.wall_summary {
        ("rate", "cpu_rate", "CPU-time")
    } else {
        ("cpu_rate", "rate", "wall-clock")
    };
    println!("(on {other_name} rates: {})", ratios(&results, other));
    println!("summary: {}", ratios(&results, basis));
}

fn fmt_rate(value: f64) -> String {
    if value >= 1e6 {
        format!("{:.2} M", value / 1e6)
    } else if value >= 1e3 {
        format!("{:.1} k", value / 1e3)
    } else {
        format!("{value:.0}")
    }
}

fn fmt_opt(value: Option<f64>, scale: f64, decimals: usize) -> String {
    value.map_or("-".into(), |v| format!("{:.*}", decimals, v / scale))
}

/// The error text of a cell without successful runs.
fn na(cell: &Cell) -> String {
    format!(
        "n/a ({})",
        cell.errors.first().map_or("no result", String::as_str)
    )
}

/// The median fraction of the window the child actually ran (CPU time over wall time): near 1.0
/// on an idle machine, lower when other processes competed for the cores.
fn cpu_share(cell: &Cell) -> Option<f64> {
    let shares: Vec<Report> = cell
        .reports
        .iter()
        .filter_map(|r| {
            let mut share = Report::default();
            share.set("share", r.get("cpu_s")? / r.get("secs")?);
            Some(share)
        })
        .collect();
    median(&shares, "share")
}

/// One markdown table: a header and one row per (workload, contender) with results.
struct Table {
    text: String,
    columns: usize,
}

impl Table {
    fn new(title: &str, header: &[&str], numeric_from: usize) -> Table {
        let mut text = format!("\n### {title}\n\n| {} |\n|", header.join(" | "));
        for i in 0..header.len() {
            text.push_str(if i >= numeric_from { "---:|" } else { "---|" });
        }
        text.push('\n');
        Table {
            text,
            columns: header.len(),
        }
    }

    /// A row of `keys` (the first cells) followed by `values`, or by an `n/a` cell.
    fn row(&mut self, keys: &[String], cell: &Cell, values: impl FnOnce(&Cell) -> Vec<String>) {
        let runs = if cell.errors.is_empty() {
            format!("{}", cell.runs())
        } else {
            format!("{} ({} failed)", cell.runs(), cell.errors.len())
        };
        let mut cells: Vec<String> = keys.to_vec();
        if cell.reports.is_empty() {
            cells.push(na(cell));
        } else {
            cells.extend(values(cell));
        }
        while cells.len() < self.columns - 1 {
            cells.push(String::new());
        }
        cells.push(runs);
        let _ = writeln!(self.text, "| {} |", cells.join(" | "));
    }
}

fn tables(results: &Results, workloads: &[Workload], contenders: &[Contender]) -> String {
    let rows = |w: Workload| {
        applicable(w, contenders)
            .into_iter()
            .filter_map(move |c| results.get(&(w.spec(), c.name)).map(|cell| (c.name, cell)))
    };
    let mut ping = Table::new(
        "Ping-pong: 32-byte reliable messages, server echoes (a message = a round trip)",
        &[
            "clients",
            "in flight",
            "contender",
            "msgs/s (CPU)",
            "msgs/s (wall)",
            "CPU share",
            "p50 RTT µs",
            "p99 RTT µs",
            "CPU s (user+sys)",
            "peak RSS MiB",
            "runs",
        ],
        3,
    );
    let mut bulk = Table::new(
        "Bulk: one client streams to a discarding server (a message = a delivered packet)",
        &[
            "mode",
            "bytes",
            "contender",
            "msgs/s (CPU)",
            "msgs/s (wall)",
            "MB/s (wall)",
            "CPU share",
            "lost %",
            "CPU s (user+sys)",
            "peak RSS MiB",
            "runs",
        ],
        3,
    );
    let mut scale = Table::new(
        "Scale: idle connected peers (one server service pass, connection rate, memory)",
        &[
            "peers",
            "contender",
            "pass mean µs",
            "pass p50 µs",
            "pass p99 µs",
            "connects/s",
            "memory per connection B",
            "server slots B/peer",
            "peak RSS MiB",
            "runs",
        ],
        2,
    );
    let (mut any_ping, mut any_bulk, mut any_scale) = (false, false, false);
    let rate = |cell: &Cell, key| fmt_rate(cell.median(key).unwrap_or(0.0));
    for &w in workloads {
        for (name, cell) in rows(w) {
            match w {
                Workload::PingPong { clients, in_flight } => {
                    any_ping = true;
                    let keys = [clients.to_string(), in_flight.to_string(), name.to_string()];
                    ping.row(&keys, cell, |cell| {
                        vec![
                            rate(cell, "cpu_rate"),
                            rate(cell, "rate"),
                            fmt_opt(cpu_share(cell), 1.0, 2),
                            fmt_opt(cell.median("p50_ns"), 1e3, 1),
                            fmt_opt(cell.median("p99_ns"), 1e3, 1),
                            fmt_opt(cell.median("cpu_s"), 1.0, 3),
                            fmt_opt(cell.median("maxrss_kib"), 1024.0, 1),
                        ]
                    });
                }
                Workload::Bulk { mode, size } => {
                    any_bulk = true;
                    let keys = [mode.name().to_string(), size.to_string(), name.to_string()];
                    bulk.row(&keys, cell, |cell| {
                        let lost = match (cell.median("lost"), cell.median("sent")) {
                            (Some(l), Some(s)) if s > 0.0 => Some(100.0 * l / s),
                            _ => None,
                        };
                        vec![
                            rate(cell, "cpu_rate"),
                            rate(cell, "rate"),
                            fmt_opt(cell.median("mbytes_per_s"), 1.0, 1),
                            fmt_opt(cpu_share(cell), 1.0, 2),
                            fmt_opt(lost, 1.0, 1),
                            fmt_opt(cell.median("cpu_s"), 1.0, 3),
                            fmt_opt(cell.median("maxrss_kib"), 1024.0, 1),
                        ]
                    });
                }
                Workload::Scale { peers } => {
                    any_scale = true;
                    let keys = [peers.to_string(), name.to_string()];
                    scale.row(&keys, cell, |cell| {
                        vec![
                            fmt_opt(cell.median("pass_mean_ns"), 1e3, 2),
                            fmt_opt(cell.median("pass_p50_ns"), 1e3, 2),
                            fmt_opt(cell.median("pass_p99_ns"), 1e3, 2),
                            rate(cell, "connects_per_s"),
                            fmt_opt(cell.median("mem_per_peer_b"), 1.0, 0),
                            fmt_opt(cell.median("slot_mem_per_peer_b"), 1.0, 0),
                            fmt_opt(cell.median("maxrss_kib"), 1024.0, 1),
                        ]
                    });
                }
            }
        }
    }
    let mut out = String::new();
    for (any, table) in [(any_ping, ping), (any_bulk, bulk), (any_scale, scale)] {
        if any {
            out.push_str(&table.text);
        }
    }
    // Anything that went wrong in a run that otherwise produced numbers.
    let mut notes = String::new();
    for ((workload, name), cell) in results {
        let total = |key| -> f64 { cell.reports.iter().filter_map(|r| r.get(key)).sum() };
        let (disconnects, stalled) = (total("disconnects"), total("stalled_clients"));
        if disconnects > 0.0 {
            let _ = writeln!(
                notes,
                "- {workload} {name}: {disconnects} DISCONNECT events"
            );
        }
        if stalled > 0.0 {
            let _ = writeln!(
                notes,
                "- {workload} {name}: {stalled} clients lost a message"
            );
        }
        if !cell.reports.is_empty() && !cell.errors.is_empty() {
            let (failed, first) = (cell.errors.len(), &cell.errors[0]);
            let _ = writeln!(
                notes,
                "- {workload} {name}: {failed} run(s) failed: {first}"
            );
        }
    }
    if !notes.is_empty() {
        out.push_str("\nNotes:\n");
        out.push_str(&notes);
    }
    out
}

/// The per-field medians `results.csv` records.
const CSV_KEYS: [&str; 17] = [
    "cpu_rate",
    "rate",
    "secs",
    "p50_ns",
    "p99_ns",
    "cpu_s",
    "msgs",
    "maxrss_kib",
    "mbytes_per_s",
    "sent",
    "lost",
    "pass_mean_ns",
    "pass_p50_ns",
    "pass_p99_ns",
    "connects_per_s",
    "mem_per_peer_b",
    "slot_mem_per_peer_b",
];

fn csv(results: &Results) -> String {
    const KEYS: [&str; 17] = CSV_KEYS;
    let mut out = format!("workload,contender,runs,failed,{},error\n", KEYS.join(","));
    for ((workload, name), cell) in results {
        let _ = write!(
            out,
            "{workload},{name},{},{}",
            cell.runs(),
            cell.errors.len()
        );
        for key in KEYS {
            let _ = write!(
                out,
                ",{}",
                cell.median(key).map_or(String::new(), |v| format!("{v}"))
            );
        }
        let error = cell
            .errors
            .first()
            .map_or("", String::as_str)
            .replace(',', ";");
        let _ = writeln!(out, ",{error}");
    }
    out
}

/// Reads a `results.csv` back (medians only) for `--render`.
fn read_csv(text: &str, names: &[&'static str]) -> Results {
    let mut results = Results::new();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    for line in lines {
        let fields: Vec<&str> = line.split(',').collect();
        let get = |key: &str| {
            let index = header.iter().position(|h| *h == key)?;
            fields.get(index).copied().filter(|v| !v.is_empty())
        };
        let (Some(workload), Some(name)) = (get("workload"), get("contender")) else {
            continue;
        };
        let Some(&name) = names.iter().find(|n| **n == name) else {
            continue;
        };
        let runs: usize = get("runs").and_then(|v| v.parse().ok()).unwrap_or(0);
        let failed: usize = get("failed").and_then(|v| v.parse().ok()).unwrap_or(0);
        let mut cell = Cell {
            recorded_runs: Some(runs),
            ..Cell::default()
        };
        if runs > 0 {
            let mut report = Report::default();
            for key in CSV_KEYS {
                if let Some(value) = get(key) {
                    report.set(key, value);
                }
            }
            cell.reports.push(report);
        }
        let error = get("error").unwrap_or("failed").to_string();
        cell.errors.extend(std::iter::repeat(error).take(failed));
        results.insert((workload.to_string(), name), cell);
    }
    results
}

/// Ratio of `numerator`'s median headline `key` (`cpu_rate` or `rate`) to `contender`'s, or
/// `n/a`.
fn ratio(results: &Results, key: &str, numerator: &'static str, contender: &'static str) -> String {
    let rate = |name| {
        results
            .get(&(HEADLINE.spec(), name))
            .and_then(|cell| cell.median(key))
            .filter(|r| *r > 0.0)
    };
    match (rate(numerator), rate(contender)) {
        (Some(a), Some(b)) => format!("{:.2}", a / b),
        _ => "n/a".into(),
    }
}

/// `safe_vs_raw=.. vs_rusty_enet=.. vs_enet_crate=.. vs_raw_udp=.. layer_vs_upstream=..` on the
/// headline workload's `key`.
fn ratios(results: &Results, key: &str) -> String {
    format!(
        "safe_vs_raw={} vs_rusty_enet={} vs_enet_crate={} vs_raw_udp={} layer_vs_upstream={}",
        ratio(results, key, "safe", "raw"),
        ratio(results, key, "safe", "rusty_enet"),
        ratio(results, key, "safe", "enet_crate"),
        ratio(results, key, "safe", "udp"),
        ratio(results, key, "safe", "safe_upstream"),
    )
}

/// A plain SVG chart: ping-pong messages per CPU-second by client count, one line per contender,
/// one panel per in-flight count (linear axes from zero, each panel scaled to its largest value).
fn svg(results: &Results, contenders: &[&'static str]) -> String {
    const COLORS: [(&str, &str); 7] = [
        ("safe", "#d62728"),
        ("raw", "#1f77b4"),
        ("rusty_enet", "#2ca02c"),
        ("enet_crate", "#9467bd"),
        ("udp", "#7f7f7f"),
        ("safe_upstream", "#ff7f0e"),
        ("safe_unhardened", "#e377c2"),
    ];
    let clients = [1usize, 100, 1000];
    let (panel_w, panel_h, left, top, gap) = (360.0, 300.0, 70.0, 50.0, 80.0);
    let width = left + 2.0 * panel_w + gap + 150.0;
    let height = top + panel_h + 60.0;
    let rate = |name: &str, clients: usize, in_flight: usize| {
        let spec = Workload::PingPong { clients, in_flight }.spec();
        results
            .get(&(spec, contenders.iter().find(|c| **c == name).copied()?))?
            .median("cpu_rate")
            .filter(|r| *r > 0.0)
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        out,
        r#"<text x="{}" y="22" font-size="15" text-anchor="middle">Ping-pong, 32-byte reliable messages: round trips per CPU-second (median)</text>"#,
        width / 2.0
    );
    for (panel, in_flight) in [1usize, 10].into_iter().enumerate() {
        let x0 = left + panel as f64 * (panel_w + gap);
        let x = |i: usize| x0 + 40.0 + i as f64 * (panel_w - 80.0) / 2.0;
        let largest = COLORS
            .iter()
            .flat_map(|(name, _)| {
                clients
                    .iter()
                    .filter_map(move |&n| rate(name, n, in_flight))
            })
            .fold(0.0, f64::max);
        // A round axis maximum: 1, 2, 2.5 or 5 times a power of ten, split into 5 steps.
        let magnitude = 10f64.powf(largest.max(1.0).log10().floor());
        let top_value = [1.0, 2.0, 2.5, 5.0, 10.0]
            .iter()
            .map(|m| m * magnitude)
            .find(|v| *v >= largest)
            .unwrap_or(10.0 * magnitude);
        let y = |value: f64| top + panel_h * (1.0 - value / top_value);
        let _ = writeln!(
            out,
            r#"<rect x="{x0}" y="{top}" width="{panel_w}" height="{panel_h}" fill="none" stroke="black"/>"#
        );
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{}" text-anchor="middle">{in_flight} in flight per client</text>"#,
            x0 + panel_w / 2.0,
            top - 8.0
        );
        for step in 0..=5 {
            let value = top_value * f64::from(step) / 5.0;
            let yy = y(value);
            let _ = writeln!(
                out,
                r##"<line x1="{x0}" y1="{yy}" x2="{}" y2="{yy}" stroke="#ddd"/><text x="{}" y="{}" text-anchor="end">{}</text>"##,
                x0 + panel_w,
                x0 - 5.0,
                yy + 4.0,
                fmt_rate(value)
            );
        }
        for (i, n) in clients.iter().enumerate() {
            let _ = writeln!(
                out,
                r#"<text x="{}" y="{}" text-anchor="middle">{n}</text>"#,
                x(i),
                top + panel_h + 18.0
            );
        }
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{}" text-anchor="middle">clients</text>"#,
            x0 + panel_w / 2.0,
            top + panel_h + 38.0
        );
        for &(name, color) in &COLORS {
            let points: Vec<(f64, f64)> = clients
                .iter()
                .enumerate()
                .filter_map(|(i, &n)| Some((x(i), y(rate(name, n, in_flight)?))))
                .collect();
            if points.is_empty() {
                continue;
            }
            let path: Vec<String> = points
                .iter()
                .map(|(a, b)| format!("{a:.1},{b:.1}"))
                .collect();
            let _ = writeln!(
                out,
                r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="2"/>"#,
                path.join(" ")
            );
            for (a, b) in points {
                let _ = writeln!(
                    out,
                    r#"<circle cx="{a:.1}" cy="{b:.1}" r="3.5" fill="{color}"/>"#
                );
            }
        }
    }
    let legend_x = left + 2.0 * panel_w + gap + 15.0;
    let mut row = 0.0;
    for &(name, color) in &COLORS {
        let present = clients
            .iter()
            .any(|&n| rate(name, n, 1).is_some() || rate(name, n, 10).is_some());
        if !present {
            continue;
        }
        let yy = top + 10.0 + row * 20.0;
        let _ = writeln!(
            out,
            r#"<line x1="{legend_x}" y1="{yy}" x2="{}" y2="{yy}" stroke="{color}" stroke-width="3"/><text x="{}" y="{}">{name}</text>"#,
            legend_x + 20.0,
            legend_x + 26.0,
            yy + 4.0
        );
        row += 1.0;
    }
    out.push_str("</svg>\n");
    out
}
