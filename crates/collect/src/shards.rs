//! Where a collection's work runs: one thread per core, each with its own single-threaded tokio
//! runtime and its own HTTP client (connection pool).
//!
//! Why. An SDK request costs tens of microseconds of CPU (building, signing, sending, parsing),
//! so an Organization's tens of thousands of requests need more than one core. Polled from one
//! task, they ran on one thread while hyper's connection tasks ran on the runtime's workers:
//! that thread was saturated and every request crossed threads twice (futex wake-ups). Here each
//! thread runs its requests and their connections itself, and the threads share nothing but
//! the run's bounds ([`crate::limits::Limits`]), the request count, and the queue below. (The
//! first thread's pool also holds the connection of the plan's calls, made before the threads
//! start on the caller's runtime, so that it is reused rather than left idle.)
//!
//! How. Each account is opened (role assumed, regions listed) by one thread, accounts dealt out
//! in turn; every account/region it finds goes into one shared [`Queue`], from which every
//! thread takes the next one as soon as it has a free slot. So a single account's seventeen
//! regions are read by all threads, and a thread never idles while another has a backlog.
//! The queue counts work not yet finished, so that every thread knows when there is no more;
//! work a thread took and never finished (a panic) is handed back as [`Lost`], and recorded
//! in coverage by the caller, never silently dropped.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use tokio::sync::Notify;

/// What a thread took from the queue (or was dealt) and did not finish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lost {
    /// The account's position in the plan.
    pub account_index: usize,
    pub account: String,
    /// The region, for an account/region; None for the opening of the account itself.
    pub region: Option<String>,
}

/// Work shared by every thread of a run: queued jobs, and a count of the work not finished yet
/// (queued, running, or jobs that may still add more).
pub(crate) struct Queue<J> {
    state: Mutex<State<J>>,
    changed: Notify,
}

struct State<J> {
    jobs: VecDeque<(J, Lost)>,
    unfinished: usize,
    lost: Vec<Lost>,
}

impl<J> Queue<J> {
    /// A queue for a run that starts with `unfinished` pieces of work handed out elsewhere
    /// (the accounts), each to be [`Queue::hold`]en by whoever does it.
    pub(crate) fn new(unfinished: usize) -> Queue<J> {
        Queue {
            state: Mutex::new(State {
                jobs: VecDeque::new(),
                unfinished,
                lost: Vec::new(),
            }),
            changed: Notify::new(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State<J>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes charge of one of the pieces of work counted by [`Queue::new`].
    pub(crate) fn hold(&self, what: Lost) -> Held<'_, J> {
        Held {
            queue: self,
            what: Some(what),
        }
    }

    /// Adds a job; call it while holding the work that found it, so the queue cannot look
    /// finished in between.
    pub(crate) fn push(&self, job: J, what: Lost) {
        let mut state = self.state();
        state.unfinished += 1;
        state.jobs.push_back((job, what));
        drop(state);
        self.changed.notify_one();
    }

    /// The next job, or None once all work is finished.
    pub(crate) async fn next(&self) -> Option<(J, Held<'_, J>)> {
        loop {
            // Registered before looking, so a push or the last finish in between still wakes.
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let mut state = self.state();
                if let Some((job, what)) = state.jobs.pop_front() {
                    let more = !state.jobs.is_empty();
                    drop(state);
                    if more {
                        // Pass the wake-up on: another thread may be waiting for the rest.
                        self.changed.notify_one();
                    }
                    return Some((
                        job,
                        Held {
                            queue: self,
                            what: Some(what),
                        },
                    ));
                }
                if state.unfinished == 0 {
                    return None;
                }
            }
            changed.await;
        }
    }

    /// The work taken and never finished, once every thread is done.
    pub(crate) fn lost(&self) -> Vec<Lost> {
        let mut state = self.state();
        let mut lost = std::mem::take(&mut state.lost);
        // Jobs still queued when every thread stopped were lost too.
        lost.extend(state.jobs.drain(..).map(|(_, what)| what));
        lost
    }

    fn release(&self, lost: Option<Lost>) {
        let mut state = self.state();
        state.unfinished = state.unfinished.saturating_sub(1);
        if let Some(lost) = lost {
            state.lost.push(lost);
        }
        let done = state.unfinished == 0;
        drop(state);
        if done {
            self.changed.notify_waiters();
        }
    }
}

/// One piece of work in progress. Dropped without [`Held::finish`] (its thread panicked), it is
/// recorded as lost; either way it no longer counts as unfinished.
pub(crate) struct Held<'q, J> {
    queue: &'q Queue<J>,
    what: Option<Lost>,
}

impl<J> Held<'_, J> {
    pub(crate) fn finish(mut self) {
        self.what = None;
    }
}

impl<J> Drop for Held<'_, J> {
    fn drop(&mut self) {
        self.queue.release(self.what.take());
    }
}

/// How many collection threads a run uses: one per core available to this process (cgroup
/// quotas and affinity included), at most [`MAX_THREADS`].
pub(crate) fn thread_count() -> usize {
    std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .clamp(1, MAX_THREADS)
}

/// Beyond this many threads the per-request CPU is no longer what bounds a scan (at 50 ms a
/// call, eight cores sign and parse far more requests a second than AWS's throttles allow).
pub(crate) const MAX_THREADS: usize = 8;

/// Stack of each collection thread: the SDK's request futures are large, and debug builds keep
/// them on the stack while polling (tokio's own workers get 2 MiB, which they overflow).
pub(crate) const THREAD_STACK: usize = 8 * 1024 * 1024;

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    fn lost(account_index: usize, region: Option<&str>) -> Lost {
        Lost {
            account_index,
            account: format!("{account_index:012}"),
            region: region.map(str::to_owned),
        }
    }

    #[tokio::test]
    async fn the_queue_ends_only_when_every_piece_of_work_is_finished() {
        let queue: Arc<Queue<u32>> = Arc::new(Queue::new(1));
        let account = queue.hold(lost(0, None));
        // A taker waiting while the account is still being opened does not see the end.
        let taker = {
            let queue = Arc::clone(&queue);
            tokio::spawn(async move {
                let mut seen = Vec::new();
                while let Some((job, held)) = queue.next().await {
                    seen.push(job);
                    held.finish();
                }
                seen
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        queue.push(7, lost(0, Some("eu-west-1")));
        queue.push(8, lost(0, Some("us-east-1")));
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!taker.is_finished());
        account.finish();
        let seen = tokio::time::timeout(Duration::from_secs(5), taker)
            .await
            .expect("the taker sees the end")
            .expect("no panic");
        assert_eq!(seen, vec![7, 8]);
        assert!(queue.lost().is_empty());
    }

    #[tokio::test]
    async fn work_dropped_unfinished_is_lost_not_forgotten() {
        let queue: Queue<u32> = Queue::new(2);
        drop(queue.hold(lost(0, None)));
        let held = queue.hold(lost(1, None));
        queue.push(3, lost(1, Some("eu-west-1")));
        queue.push(4, lost(1, Some("eu-west-2")));
        held.finish();
        let (job, taken) = queue.next().await.expect("a job");
        assert_eq!(job, 3);
        drop(taken);
        // The second job is still queued when the caller gives up on the run.
        assert_eq!(
            queue.lost(),
            vec![
                lost(0, None),
                lost(1, Some("eu-west-1")),
                lost(1, Some("eu-west-2"))
            ]
        );
    }

    #[test]
    fn threads_work_the_queue_together() {
        // Two OS threads, each its own runtime, as a run uses them.
        let queue: Arc<Queue<usize>> = Arc::new(Queue::new(1));
        let opener = queue.hold(lost(0, None));
        for job in 0..100 {
            queue.push(job, lost(0, Some("r")));
        }
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let queue = Arc::clone(&queue);
                std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("runtime");
                    runtime.block_on(async {
                        let mut seen = Vec::new();
                        while let Some((job, held)) = queue.next().await {
                            tokio::time::sleep(Duration::from_millis(1)).await;
                            seen.push(job);
                            held.finish();
                        }
                        seen
                    })
                })
            })
            .collect();
        opener.finish();
        let mut seen: Vec<usize> = workers
            .into_iter()
            .flat_map(|w| w.join().expect("no panic"))
            .collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..100).collect::<Vec<_>>());
    }
}
