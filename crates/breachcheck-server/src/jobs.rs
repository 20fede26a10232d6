//! Verification jobs: a job is a row in the database; a bounded pool of worker threads
//! takes queued jobs in the order they were queued (first come, first served: no upload
//! waits behind one queued after it) and runs the pipeline's [`Verifier`] in-process.
//! The report files land in the case's folder beside a custody log kept by
//! `breachcheck_report::custody` (the same chain `verify --case` keeps, so `breachcheck
//! case verify` checks it), and the entry is copied into the database with the job's end.
use crate::app::App;
use crate::error::{Error, Result};
use crate::store::{self, JobProgress, ReportRow, VerdictView};
use breachcheck_files::Outputs;
use breachcheck_pipeline::{Counters, Verifier};
use breachcheck_report::custody::{self, Case};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

/// The queue and what runs now.
pub struct Jobs {
    queue: Mutex<Option<mpsc::Sender<i64>>>,
    waiting: AtomicUsize,
    running: Mutex<HashMap<i64, Arc<Counters>>>,
    /// One verification appends to a case folder at a time.
    case_locks: Mutex<HashMap<i64, Arc<Mutex<()>>>>,
    /// Jobs that may wait before uploads are refused with 503.
    pub max_waiting: usize,
}

impl Jobs {
    /// The job registry; workers start with [`start_workers`].
    pub fn new(max_waiting: usize) -> Self {
        Jobs {
            queue: Mutex::new(None),
            waiting: AtomicUsize::new(0),
            running: Mutex::new(HashMap::new()),
            case_locks: Mutex::new(HashMap::new()),
            max_waiting,
        }
    }

    /// Queues job `id` (its row says `queued`).
    pub fn enqueue(&self, id: i64) -> Result<()> {
        let q = self
            .queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let tx = q
            .as_ref()
            .ok_or_else(|| Error::Internal("the worker pool is not running".into()))?;
        self.waiting.fetch_add(1, Ordering::Relaxed);
        tx.send(id)
            .map_err(|_| Error::Internal("the worker pool stopped".into()))
    }

    /// Jobs waiting for a worker.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Refuses new work when the queue is full.
    pub fn check_room(&self) -> Result<()> {
        let w = self.waiting();
        if w >= self.max_waiting {
            Err(Error::Busy(w))
        } else {
            Ok(())
        }
    }

    /// The live progress of a running job.
    pub fn live(&self, id: i64) -> Option<JobProgress> {
        let r = self
            .running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        r.get(&id).map(|c| {
            let (lines, bytes, total_bytes) = c.get();
            JobProgress {
                lines,
                bytes,
                total_bytes,
            }
        })
    }

    fn case_lock(&self, case_id: i64) -> Arc<Mutex<()>> {
        let mut m = self
            .case_locks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        m.entry(case_id).or_default().clone()
    }
}

/// Starts `n` worker threads over `app`'s queue and queues what the database says is
/// waiting (jobs a restart interrupted first marked and queued again).
pub fn start_workers(app: &Arc<App>, n: usize) -> Result<()> {
    let (tx, rx) = mpsc::channel::<i64>();
    let rx = Arc::new(Mutex::new(rx));
    *app.jobs
        .queue
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(tx);
    for i in 0..n.max(1) {
        let app = Arc::clone(app);
        let rx = Arc::clone(&rx);
        std::thread::Builder::new()
            .name(format!("verify-{i}"))
            .spawn(move || loop {
                let next = {
                    let rx = rx.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    rx.recv()
                };
                let Ok(id) = next else { break };
                app.jobs.waiting.fetch_sub(1, Ordering::Relaxed);
                run(&app, id);
            })
            .map_err(Error::io("cannot start a worker thread"))?;
    }
    let (interrupted, queued) = store::requeue_interrupted(&app.db)?;
    if interrupted > 0 {
        tracing::warn!(
            jobs = interrupted,
            "jobs interrupted by a restart are queued again"
        );
    }
    for id in queued {
        app.jobs.enqueue(id)?;
    }
    Ok(())
}

/// Runs job `id` and records its end; failures are recorded on the job.
fn run(app: &App, id: i64) {
    match store::start_job(&app.db, id) {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => {
            tracing::error!(job = id, error = %e, "cannot start a job");
            return;
        }
    }
    let counters = Arc::new(Counters::default());
    app.jobs
        .running
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(id, Arc::clone(&counters));
    let result = verify(app, id, &counters);
    let (lines, bytes, total_bytes) = counters.get();
    let progress = JobProgress {
        lines,
        bytes,
        total_bytes,
    };
    let recorded = match result {
        Ok(()) => Ok(()),
        Err(e) => {
            tracing::warn!(job = id, error = %e, "verification failed");
            store::fail_job(&app.db, id, &e.to_string(), progress)
        }
    };
    if let Err(e) = recorded {
        tracing::error!(job = id, error = %e, "cannot record a job's end");
    }
    app.jobs
        .running
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .remove(&id);
}

fn verify(app: &App, id: i64, counters: &Arc<Counters>) -> Result<()> {
    let job = store::job(&app.db, id)?;
    let operator = store::job_operator(&app.db, id)?;
    let sample = store::sample(&app.db, job.sample_id)?;
    let case_dir = app.case_dir(sample.case_id);
    let matches_rel = format!("matches/{}.csv", sample.id);
    let matches_path = case_dir.join(&matches_rel);
    std::fs::create_dir_all(case_dir.join("matches"))
        .map_err(Error::io("cannot create the case's matches folder"))?;
    let outputs = Mutex::new(Outputs::new());
    let report = Verifier::new(&app.key, &app.index)
        .file_name(Some(sample.filename.clone()))
        .matches_out(Some(matches_path))
        .progress(counters.as_ref())
        .run(&app.data.join(&sample.stored), &outputs)?;
    let mut outputs = outputs
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let rendered = breachcheck_report::Rendered::new(&report, app.sign_seed.as_deref())?;

    // The case folder's log is appended under its lock, one verification of a case at a
    // time (the folder lock would refuse a second holder).
    let lock = app.jobs.case_lock(sample.case_id);
    let _held = lock
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut case = Case::open(&case_dir).map_err(|e| Error::Internal(e.to_string()))?;
    let kept = case
        .stage_report_copies(&report, &rendered, &mut outputs)
        .map_err(|e| Error::Internal(e.to_string()))?;
    let placed = outputs.commit()?;
    let event = custody::Event::verification(&report, &operator);
    let entry = match case.append(event, kept, app.sign_seed.as_deref()) {
        Ok(e) => e,
        Err(e) => {
            placed.undo();
            return Err(Error::Internal(format!(
                "cannot add to the case's custody log; no report was kept: {e}"
            )));
        }
    };
    let signed = rendered.signature.is_some();
    let v = &report.verdict;
    let row = ReportRow {
        base: custody::report_copy_base(entry.seq, &report),
        signed,
        matches: Some(matches_rel),
        summary: VerdictView {
            class: v.class.as_str().to_owned(),
            system: v.system.clone(),
            snapshot: v.snapshot.clone(),
            genuine_fraction: v.genuine_fraction.estimate,
            ci95: v.genuine_fraction.ci95,
            records: report.sample.records_parsed,
            quarantined: report.sample.quarantined,
            signed,
            index_commitment: report.index.commitment.root.clone(),
        },
    };
    let (lines, bytes, total_bytes) = counters.get();
    store::finish_job(
        &app.db,
        &store::Finished {
            job_id: id,
            sample_id: sample.id,
            case_id: sample.case_id,
            progress: JobProgress {
                lines,
                bytes,
                total_bytes,
            },
            report: &row,
            custody: (
                entry.seq as i64,
                serde_json::to_string(&entry)?,
                entry.hash.clone(),
            ),
        },
    )
}
