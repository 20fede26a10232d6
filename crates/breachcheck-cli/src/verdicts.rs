//! `breachcheck bench --verdicts`: how often the verdict is right. For each company seed a
//! synthetic company (`breachcheck_synth::scenario`) is generated, its system exports
//! indexed and its canaries registered, in this process through the same `pipeline`
//! functions `index build`, `index canaries` and `verify` use; then every story seed gives
//! a leak sample of known truth, which is verified and compared with that truth. Printed:
//! the confusion matrix (truth × verdict), class accuracy, accuracy per story, how often
//! the 95% interval covers the true genuine fraction, the errors that matter most (false
//! admissions, false denials of copies, false canary hits), how often the source system
//! and snapshot are right, and the time per sample.
//!
//! Fit seeds and report seeds are disjoint ranges and are summed up apart, so thresholds
//! tuned on one can be judged on the other.
use crate::keyfile;
use anyhow::{bail, Context, Result};
use breachcheck_index::SegmentKind;
use breachcheck_ingest::IngestOptions;
use breachcheck_pipeline::{IndexJob, Input, Verifier};
use breachcheck_report::Report;
use breachcheck_synth::scenario::{write_sample, Company, CompanyParams, Story, StoryKind};
use breachcheck_synth::{StoryOptions, Truth};
use clap::Args;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Options of `bench --verdicts` (flattened into `bench`'s own).
#[derive(Args, Clone, Debug, Default)]
pub(crate) struct VerdictArgs {
    /// Measure the verdict instead: synthetic companies and leak samples of known truth
    /// (genuine copies of any width, copies with canaries, mixes, fabricated people,
    /// another service's dump, compilations, scraped directories, combolists, tiny
    /// samples), each verified; prints the confusion matrix and error counts.
    #[arg(long)]
    pub(crate) verdicts: bool,
    /// Small: 2 companies of at most 5,000 customers, story seeds 1-9 to fit and 10-27 to
    /// report (54 samples), samples of at most 2,000 lines: seconds in a release build.
    #[arg(long, requires = "verdicts")]
    quick: bool,
    /// Story seeds summed up apart as the fit set, e.g. 1-18 (default 1-18; quick 1-9).
    #[arg(long, value_name = "A-B", requires = "verdicts", value_parser = parse_seeds)]
    fit_seeds: Option<SeedRange>,
    /// Story seeds reported on, disjoint from the fit seeds (default 19-72; quick 10-27).
    /// The story kind is the seed modulo 9, so any nine seeds in a row cover every kind.
    #[arg(long, value_name = "C-D", requires = "verdicts", value_parser = parse_seeds)]
    seeds: Option<SeedRange>,
    /// Companies, seeds 1 to K (default 3; quick 2).
    #[arg(long, value_name = "K", requires = "verdicts")]
    companies: Option<u64>,
    /// Cap on a company's customers at its first snapshot; they are drawn from 10,000 to
    /// 1,000,000 (default cap 100,000; quick 5,000).
    #[arg(long, value_name = "N", requires = "verdicts")]
    max_customers: Option<usize>,
    /// Most lines in a sample (default 100,000; quick 2,000); sizes are drawn evenly on a
    /// log scale from 100 (5 to 30 in tiny samples).
    #[arg(long, value_name = "N", requires = "verdicts")]
    max_lines: Option<usize>,
    /// Also write the figures (and every sample's outcome) as JSON to FILE. `--json`
    /// prints the same on stdout instead of the tables.
    #[arg(long, value_name = "FILE", requires = "verdicts")]
    json_out: Option<PathBuf>,
}

/// An inclusive range of story seeds, written `A-B` (or one seed `A`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SeedRange {
    first: u64,
    last: u64,
}

impl SeedRange {
    fn seeds(self) -> impl Iterator<Item = u64> {
        self.first..=self.last
    }

    fn overlaps(self, o: SeedRange) -> bool {
        self.first <= o.last && o.first <= self.last
    }
}

impl std::fmt::Display for SeedRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.first, self.last)
    }
}

fn parse_seeds(s: &str) -> std::result::Result<SeedRange, String> {
    let bad = || format!("{s:?} is not a seed range; write A-B, e.g. 10-99");
    let (a, b) = s.split_once('-').unwrap_or((s, s));
    let first = a.trim().parse::<u64>().map_err(|_| bad())?;
    let last = b.trim().parse::<u64>().map_err(|_| bad())?;
    if last < first {
        return Err(format!("{s:?}: the range ends before it starts"));
    }
    Ok(SeedRange { first, last })
}

/// What to run, after defaults.
struct Plan {
    companies: u64,
    max_customers: usize,
    fit: SeedRange,
    report: SeedRange,
    stories: StoryOptions,
}

impl Plan {
    fn new(a: &VerdictArgs) -> Result<Self> {
        let (companies, max_customers, fit, report, max_lines) = if a.quick {
            (2, 5_000, (1, 9), (10, 27), 2_000)
        } else {
            (3, 100_000, (1, 18), (19, 72), 100_000)
        };
        let range = |(first, last)| SeedRange { first, last };
        let plan = Plan {
            companies: a.companies.unwrap_or(companies),
            max_customers: a.max_customers.unwrap_or(max_customers),
            fit: a.fit_seeds.unwrap_or(range(fit)),
            report: a.seeds.unwrap_or(range(report)),
            stories: StoryOptions {
                min_lines: 100,
                max_lines: a.max_lines.unwrap_or(max_lines).max(100),
            },
        };
        if plan.fit.overlaps(plan.report) {
            bail!(
                "--fit-seeds {} and --seeds {} overlap; choose disjoint ranges so the figures reported are not the ones fitted",
                plan.fit,
                plan.report
            );
        }
        if plan.companies == 0 || plan.max_customers < 100 {
            bail!("--companies takes at least 1 and --max-customers at least 100");
        }
        Ok(plan)
    }
}

/// One sample's truth next to its verdict.
struct Outcome {
    company: u64,
    fit: bool,
    story: Story,
    lines: usize,
    /// The verdict class, or `error` when verify failed.
    reported: String,
    system: Option<String>,
    snapshot: Option<String>,
    window: Option<[String; 2]>,
    estimate: f64,
    ci: [f64; 2],
    by_evidence: BTreeMap<String, u64>,
    reasons: Vec<String>,
    error: Option<String>,
    seconds: f64,
}

const CLASSES: [&str; 7] = [
    "genuine",
    "mixed",
    "recycled",
    "fabricated",
    "compilation",
    "scraped",
    "inconclusive",
];

impl Outcome {
    fn new(company: u64, fit: bool, story: Story, report: Result<Report>, seconds: f64) -> Self {
        let lines = story.table.rows.len();
        let mut o = Outcome {
            company,
            fit,
            story,
            lines,
            reported: "error".into(),
            system: None,
            snapshot: None,
            window: None,
            estimate: f64::NAN,
            ci: [f64::NAN, f64::NAN],
            by_evidence: BTreeMap::new(),
            reasons: Vec::new(),
            error: None,
            seconds,
        };
        match report {
            Err(e) => o.error = Some(format!("{e:#}")),
            Ok(r) => {
                let v = r.verdict;
                o.reported = v.class.as_str().into();
                o.system = v.system;
                o.snapshot = v.snapshot;
                o.window = v.snapshot_window;
                o.estimate = v.genuine_fraction.estimate;
                o.ci = v.genuine_fraction.ci95;
                o.by_evidence = r
                    .matches
                    .by_evidence
                    .by_class()
                    .into_iter()
                    .map(|(k, n)| (k.to_owned(), n))
                    .collect();
                o.reasons = v.reasons;
            }
        }
        o
    }

    fn truth(&self) -> &Truth {
        &self.story.truth
    }

    /// The confusion-matrix row: the truth class, or `tiny` for tiny samples (where
    /// `inconclusive` is right too).
    fn row(&self) -> &'static str {
        if self.story.kind == StoryKind::Tiny {
            "tiny"
        } else {
            self.truth().class
        }
    }

    fn correct(&self) -> bool {
        self.truth().accepts(&self.reported)
    }

    fn covered(&self) -> bool {
        let f = self.truth().genuine_fraction;
        self.ci[0] - 1e-9 <= f && f <= self.ci[1] + 1e-9
    }

    fn admits(&self) -> bool {
        matches!(self.reported.as_str(), "genuine" | "mixed")
    }

    /// No line of the company's, yet called genuine or mixed.
    fn false_admission(&self) -> bool {
        self.truth().genuine_fraction == 0.0 && self.admits()
    }

    /// A genuine copy (any width) called anything but genuine or mixed (or, for a tiny
    /// one, inconclusive).
    fn false_denial(&self) -> bool {
        matches!(
            self.story.base,
            StoryKind::Genuine | StoryKind::GenuineCanary
        ) && !self.admits()
            && !self.truth().accepts(&self.reported)
    }

    fn canary_lines(&self) -> u64 {
        self.by_evidence.get("canary").copied().unwrap_or(0)
    }

    fn false_canary(&self) -> bool {
        !self.truth().canary && self.canary_lines() > 0
    }

    fn system_right(&self) -> Option<bool> {
        self.truth()
            .system
            .as_ref()
            .map(|s| self.system.as_ref() == Some(s))
    }

    /// The true snapshot is the one named or inside the window named.
    fn snapshot_right(&self) -> Option<bool> {
        let t = self.truth().snapshot.as_ref()?;
        Some(
            self.snapshot.as_ref() == Some(t)
                || self.window.as_ref().is_some_and(|[a, b]| a <= t && t <= b),
        )
    }

    fn evidence_line(&self) -> String {
        [
            "canary",
            "internal_id",
            "quirk_full_record",
            "full_record",
            "fuzzy_record",
            "partial",
            "none",
        ]
        .iter()
        .map(|k| self.by_evidence.get(*k).copied().unwrap_or(0).to_string())
        .collect::<Vec<_>>()
        .join("/")
    }

    fn to_json(&self) -> Value {
        let t = self.truth();
        json!({
            "company": self.company,
            "seed": self.story.seed,
            "set": if self.fit { "fit" } else { "report" },
            "story": self.story.kind.as_str(),
            "base": self.story.base.as_str(),
            "description": self.story.description,
            "lines": self.lines,
            "truth": {
                "class": t.class,
                "genuine_fraction": t.genuine_fraction,
                "system": t.system,
                "snapshot": t.snapshot,
                "canary": t.canary,
                "also_ok": t.also_ok,
            },
            "verdict": {
                "class": self.reported,
                "system": self.system,
                "snapshot": self.snapshot,
                "snapshot_window": self.window,
                "genuine_fraction": {"estimate": finite(self.estimate), "ci95": [finite(self.ci[0]), finite(self.ci[1])]},
                "by_evidence": self.by_evidence,
                "reasons": self.reasons,
            },
            "error": self.error,
            "correct": self.correct(),
            "covered": self.covered(),
            "false_admission": self.false_admission(),
            "false_denial": self.false_denial(),
            "false_canary_hit": self.false_canary(),
            "seconds": self.seconds,
        })
    }
}

fn finite(x: f64) -> Value {
    if x.is_finite() {
        json!(x)
    } else {
        Value::Null
    }
}

fn rate(k: usize, n: usize) -> Value {
    if n == 0 {
        Value::Null
    } else {
        json!(k as f64 / n as f64)
    }
}

/// The figures of one set of samples.
fn summarize(set: &[&Outcome]) -> Value {
    let n = set.len();
    let count = |f: &dyn Fn(&Outcome) -> bool| set.iter().filter(|o| f(o)).count();
    let mut confusion: BTreeMap<&str, BTreeMap<String, usize>> = BTreeMap::new();
    let mut per_story: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for o in set {
        *confusion
            .entry(o.row())
            .or_default()
            .entry(o.reported.clone())
            .or_default() += 1;
        let e = per_story.entry(o.story.kind.as_str()).or_default();
        e.0 += 1;
        e.1 += usize::from(o.correct());
    }
    let with_system: Vec<bool> = set.iter().filter_map(|o| o.system_right()).collect();
    let with_snapshot: Vec<bool> = set.iter().filter_map(|o| o.snapshot_right()).collect();
    let canary_samples = count(&|o| o.truth().canary);
    let mut secs: Vec<f64> = set.iter().map(|o| o.seconds).collect();
    secs.sort_by(f64::total_cmp);
    let total_secs: f64 = secs.iter().sum();
    let total_lines: usize = set.iter().map(|o| o.lines).sum();
    let listed = |f: &dyn Fn(&Outcome) -> bool| -> Vec<String> {
        set.iter()
            .filter(|o| f(o))
            .map(|o| format!("company {} seed {}", o.company, o.story.seed))
            .collect()
    };
    let fraction_errors: Vec<f64> = set
        .iter()
        .filter(|o| o.estimate.is_finite())
        .map(|o| (o.estimate - o.truth().genuine_fraction).abs())
        .collect();
    json!({
        "samples": n,
        "correct": count(&|o| o.correct()),
        "class_accuracy": rate(count(&|o| o.correct()), n),
        "per_story": per_story.iter().map(|(k, (n, c))| (k.to_string(), json!({"samples": n, "correct": c, "accuracy": rate(*c, *n)}))).collect::<serde_json::Map<_, _>>(),
        "confusion": confusion,
        "interval_covers": count(&|o| o.covered()),
        "interval_coverage": rate(count(&|o| o.covered()), n),
        "mean_abs_fraction_error": if fraction_errors.is_empty() { Value::Null } else { json!(fraction_errors.iter().sum::<f64>() / fraction_errors.len() as f64) },
        "false_admissions": count(&|o| o.false_admission()),
        "false_admission_samples": listed(&|o| o.false_admission()),
        "false_denials_of_copies": count(&|o| o.false_denial()),
        "false_denial_samples": listed(&|o| o.false_denial()),
        "false_canary_hits": count(&|o| o.false_canary()),
        "false_canary_samples": listed(&|o| o.false_canary()),
        "canary_samples": canary_samples,
        "canaries_found": count(&|o| o.truth().canary && o.canary_lines() > 0),
        "samples_with_source": with_system.len(),
        "source_system_right": with_system.iter().filter(|x| **x).count(),
        "source_system_right_rate": rate(with_system.iter().filter(|x| **x).count(), with_system.len()),
        "snapshot_right": with_snapshot.iter().filter(|x| **x).count(),
        "snapshot_right_rate": rate(with_snapshot.iter().filter(|x| **x).count(), with_snapshot.len()),
        "errors": count(&|o| o.error.is_some()),
        "seconds_per_sample": {
            "mean": if n == 0 { 0.0 } else { total_secs / n as f64 },
            "median": secs.get(n / 2).copied().unwrap_or(0.0),
            "max": secs.last().copied().unwrap_or(0.0),
        },
        "lines_per_second": if total_secs > 0.0 { total_lines as f64 / total_secs } else { 0.0 },
    })
}

fn print_summary(title: &str, s: &Value, set: &[&Outcome]) {
    let u = |k: &str| s[k].as_u64().unwrap_or(0);
    let f = |k: &str| s[k].as_f64().unwrap_or(f64::NAN);
    outln!();
    outln!("{title}: {} samples", u("samples"));
    let mut cols: Vec<String> = CLASSES.iter().map(|c| c.to_string()).collect();
    if u("errors") > 0 {
        cols.push("error".into());
    }
    let short = |c: &str| -> String { c.chars().take(11).collect() };
    outln!(
        "  confusion (rows: truth; columns: verdict)\n  {:<13}{}",
        "",
        cols.iter()
            .map(|c| format!("{:>12}", short(c)))
            .collect::<String>()
    );
    let rows = [
        "genuine",
        "mixed",
        "recycled",
        "fabricated",
        "compilation",
        "scraped",
        "tiny",
    ];
    for r in rows {
        let Some(m) = s["confusion"][r].as_object() else {
            continue;
        };
        outln!(
            "  {:<13}{}",
            r,
            cols.iter()
                .map(|c| {
                    let k = m.get(c).and_then(Value::as_u64).unwrap_or(0);
                    if k == 0 {
                        format!("{:>12}", ".")
                    } else {
                        format!("{k:>12}")
                    }
                })
                .collect::<String>()
        );
    }
    outln!(
        "  class accuracy            {:.3} ({}/{})",
        f("class_accuracy"),
        u("correct"),
        u("samples")
    );
    let per: Vec<String> = s["per_story"]
        .as_object()
        .map(|m| {
            StoryKind::ALL
                .iter()
                .filter_map(|k| {
                    m.get(k.as_str()).map(|v| {
                        format!(
                            "{} {}/{}",
                            k.as_str(),
                            v["correct"].as_u64().unwrap_or(0),
                            v["samples"].as_u64().unwrap_or(0)
                        )
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    outln!("  per story                 {}", per.join(", "));
    outln!(
        "  interval covers truth     {:.3} ({}/{}); mean |estimate - truth| {:.3}",
        f("interval_coverage"),
        u("interval_covers"),
        u("samples"),
        f("mean_abs_fraction_error")
    );
    outln!(
        "  false admissions          {}   (no company line, verdict genuine or mixed)",
        u("false_admissions")
    );
    outln!(
        "  false denials of copies   {}   (a genuine copy called anything but genuine or mixed)",
        u("false_denials_of_copies")
    );
    outln!(
        "  false canary hits         {}   (canary evidence in a sample without canaries); canaries found in {}/{} samples holding them",
        u("false_canary_hits"),
        u("canaries_found"),
        u("canary_samples")
    );
    outln!(
        "  source system right       {:.3} ({}/{}); snapshot right or in the window {}/{}",
        f("source_system_right_rate"),
        u("source_system_right"),
        u("samples_with_source"),
        u("snapshot_right"),
        u("samples_with_source")
    );
    let t = &s["seconds_per_sample"];
    outln!(
        "  time per sample           mean {:.2} s, median {:.2} s, max {:.2} s ({:.0} lines/s)",
        t["mean"].as_f64().unwrap_or(0.0),
        t["median"].as_f64().unwrap_or(0.0),
        t["max"].as_f64().unwrap_or(0.0),
        f("lines_per_second")
    );
    if u("errors") > 0 {
        outln!("  verify failed on {} samples", u("errors"));
    }
    let wrong: Vec<&&Outcome> = set
        .iter()
        .filter(|o| !o.correct() || o.false_canary())
        .collect();
    if !wrong.is_empty() {
        outln!("  wrong (company/seed, truth -> verdict [canary/id/quirk/full/fuzzy/partial/none], first reason):");
        for o in wrong {
            outln!(
                "    {}/{:<4} {} -> {} [{}] {}",
                o.company,
                o.story.seed,
                o.truth().class,
                o.reported,
                o.evidence_line(),
                o.story.description
            );
            let reason = o
                .error
                .clone()
                .or_else(|| o.reasons.first().cloned())
                .unwrap_or_default();
            outln!(
                "           {}",
                reason.chars().take(220).collect::<String>()
            );
        }
    }
}

/// Marks a company folder as the bench's, so a later run may clear it.
const MARKER: &str = ".breachcheck-bench-verdicts";

fn company_dir(root: &Path, seed: u64) -> Result<PathBuf> {
    let dir = root.join(format!("company-{seed}"));
    if dir.exists() {
        if !dir.join(MARKER).exists() {
            bail!(
                "{} exists and was not made by `bench --verdicts`; choose another --dir",
                dir.display()
            );
        }
        std::fs::remove_dir_all(&dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    for sub in ["exports", "samples"] {
        std::fs::create_dir_all(dir.join(sub))
            .with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(
        dir.join(MARKER),
        "synthetic data made by `breachcheck bench --verdicts`; safe to delete\n",
    )?;
    Ok(dir)
}

/// The company's key, derived from its seed and written to `path` (mode 0600, for
/// `verify` by hand in a kept `--dir`). The data are synthetic, so the key guards nothing;
/// a key of the seed's makes every run give the same figures, since the fuzzy encodings'
/// bit positions come from the key.
fn company_key(seed: u64, path: &Path) -> Result<breachcheck_core::SecretKey> {
    use rand::{Rng, SeedableRng};
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut bytes = zeroize::Zeroizing::new([0u8; breachcheck_core::KEY_LEN]);
    rand::rngs::StdRng::seed_from_u64(seed ^ 0x6b65_795f_7365_6564).fill(&mut bytes[..]);
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(&bytes[..]))
        .with_context(|| format!("cannot write {}", path.display()))?;
    keyfile::read(path)
}

/// Builds the company's index: every system at every snapshot, then the canaries (as
/// `index canaries` registers them, dated the first snapshot they were planted at).
fn index_company(
    company: &Company,
    dir: &Path,
) -> Result<(breachcheck_core::SecretKey, PathBuf, u64)> {
    let key = company_key(company.params.seed, &dir.join("company.key"))?;
    let index = dir.join("index");
    let opts = IngestOptions::default();
    let mut records = 0;
    let build = |system: &str, snapshot: &str, kind, path: PathBuf| {
        IndexJob::new(&key, &index, system, snapshot)
            .kind(kind)
            .inputs(vec![Input::File(path)])
            .options(opts.clone())
            .recipe(breachcheck_index::Recipe::default())
            .run()
    };
    for t in 0..3 {
        for (s, sys) in company.params.systems.iter().enumerate() {
            let path = dir.join("exports").join(company.export_file_name(s, t));
            company
                .write_export(s, t, &path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            let b = build(&sys.name, company.snapshot(t), SegmentKind::System, path).with_context(
                || format!("index build of {} @ {}", sys.name, company.snapshot(t)),
            )?;
            records += b.records;
        }
    }
    let sys = &company.params.systems[company.params.canary_system];
    let path = dir
        .join("exports")
        .join(format!("canaries.{}", sys.format.extension()));
    write_sample(&path, &company.canary_table(), &sys.format)?;
    build(&sys.name, company.snapshot(0), SegmentKind::Canary, path)
        .context("registering the canaries")?;
    Ok((key, index, records))
}

/// Runs the matrix; `dir` keeps every file (exports, index, samples) when given.
pub(crate) fn run(a: &VerdictArgs, dir: Option<&Path>, json_stdout: bool) -> Result<()> {
    let plan = Plan::new(a)?;
    let started = Instant::now();
    let tmp;
    let root = match dir {
        Some(d) => {
            std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
            d.to_owned()
        }
        None => {
            tmp = tempfile::tempdir()?;
            tmp.path().to_owned()
        }
    };
    let human = !json_stdout;
    if human {
        outln!(
            "breachcheck bench --verdicts: {} companies (at most {} customers), story seeds {} to fit and {} to report, samples of {} to {} lines",
            plan.companies,
            plan.max_customers,
            plan.fit,
            plan.report,
            plan.stories.min_lines,
            plan.stories.max_lines
        );
    }
    let mut outcomes: Vec<Outcome> = Vec::new();
    let mut companies = Vec::new();
    for c in 1..=plan.companies {
        let t0 = Instant::now();
        let mut params = CompanyParams::draw(c);
        params.customers = params.customers.min(plan.max_customers);
        let company = Company::generate(params);
        let generated = t0.elapsed().as_secs_f64();
        let cdir = company_dir(&root, c)?;
        let t1 = Instant::now();
        let (key, index, records) = index_company(&company, &cdir)?;
        let indexed = t1.elapsed().as_secs_f64();
        let p = &company.params;
        if human {
            outln!(
                "  company {c}: {}, {} customers, customer ids {}, snapshots {} {} {}; generated in {generated:.1} s, {records} records indexed in {indexed:.1} s",
                p.name,
                p.customers,
                p.customer_ids.as_str(),
                p.snapshots[0],
                p.snapshots[1],
                p.snapshots[2]
            );
            for line in p.describe() {
                outln!("    {line}");
            }
        }
        companies.push(json!({
            "seed": c, "name": p.name, "customers": p.customers, "snapshots": p.snapshots,
            "customer_ids": p.customer_ids.as_str(), "systems": p.describe(),
            "records_indexed": records, "generate_seconds": generated, "index_seconds": indexed,
        }));
        for (fit, seed) in plan
            .fit
            .seeds()
            .map(|s| (true, s))
            .chain(plan.report.seeds().map(|s| (false, s)))
        {
            let story = company.story(seed, &plan.stories);
            let path = cdir.join("samples").join(story.file_name());
            story
                .write(&path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            let t = Instant::now();
            let report = Verifier::new(&key, &index)
                .run(&path, &Default::default())
                .map_err(anyhow::Error::from);
            let seconds = t.elapsed().as_secs_f64();
            if dir.is_none() {
                std::fs::remove_file(&path).ok();
            }
            outcomes.push(Outcome::new(c, fit, story, report, seconds));
        }
    }
    let report_set: Vec<&Outcome> = outcomes.iter().filter(|o| !o.fit).collect();
    let fit_set: Vec<&Outcome> = outcomes.iter().filter(|o| o.fit).collect();
    let figures = json!({
        "schema": "breachcheck.bench-verdicts/v1",
        "plan": {
            "companies": plan.companies, "max_customers": plan.max_customers,
            "fit_seeds": plan.fit.to_string(), "seeds": plan.report.to_string(),
            "min_lines": plan.stories.min_lines, "max_lines": plan.stories.max_lines,
        },
        "companies": companies,
        "report": summarize(&report_set),
        "fit": summarize(&fit_set),
        "samples": outcomes.iter().map(Outcome::to_json).collect::<Vec<_>>(),
        "seconds": started.elapsed().as_secs_f64(),
    });
    if human {
        print_summary(
            &format!("report seeds {}", plan.report),
            &figures["report"],
            &report_set,
        );
        print_summary(
            &format!("fit seeds {}", plan.fit),
            &figures["fit"],
            &fit_set,
        );
        outln!();
        outln!(
            "done in {:.1} s{}",
            started.elapsed().as_secs_f64(),
            dir.map(|d| format!("; files in {}", d.display()))
                .unwrap_or_default()
        );
    } else {
        outln!("{}", serde_json::to_string_pretty(&figures)?);
    }
    if let Some(out) = &a.json_out {
        breachcheck_report::write_atomic(out, serde_json::to_string_pretty(&figures)?.as_bytes())
            .with_context(|| format!("cannot write {}", out.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_ranges() {
        assert_eq!(
            parse_seeds("10-99"),
            Ok(SeedRange {
                first: 10,
                last: 99
            })
        );
        assert_eq!(parse_seeds("7"), Ok(SeedRange { first: 7, last: 7 }));
        assert!(parse_seeds("9-1").is_err());
        assert!(parse_seeds("a-b").is_err());
        let quick = Plan::new(&VerdictArgs {
            verdicts: true,
            quick: true,
            ..VerdictArgs::default()
        })
        .expect("plan");
        assert!(!quick.fit.overlaps(quick.report));
        assert!(Plan::new(&VerdictArgs {
            verdicts: true,
            fit_seeds: parse_seeds("1-10").ok(),
            seeds: parse_seeds("10-20").ok(),
            ..VerdictArgs::default()
        })
        .is_err());
    }
}
