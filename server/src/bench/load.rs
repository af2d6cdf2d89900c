//! The load: signed webhook deliveries over loopback HTTP from simulated users, either paced
//! at a fixed arrival rate or as fast as a fixed number of senders can go. A user never has
//! two deliveries in flight (Facebook delivers a user's messages in order), and a delivery
//! that is not acknowledged is sent again, as Facebook does, up to three times.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::json;

use super::sink::Sink;
use super::target::{usage_of, APP_SECRET, KEYWORDS, PAGE_ID};
use messenger::signature;

/// How deliveries arrive.
#[derive(Debug, Clone, Copy)]
pub enum Pace {
    /// `rate` deliveries per second, each user's at its scheduled time (or right after its
    /// previous one is acknowledged, when that is later).
    Fixed { rate: u32, events: u32 },
    /// `senders` loops sending one after another, as fast as acknowledgements come back.
    Flat { senders: u32, events: u32 },
}

/// What every user has been sent so far and so what the sink must have received.
pub struct Load {
    users: u32,
    /// How long a delivery is retried before it counts as lost, and how long the wait for
    /// replies lasts without progress.
    patience: Option<Duration>,
    next_seq: Vec<u32>,
    expected: HashMap<String, Vec<String>>,
    deliveries: u64,
}

/// One phase's figures.
#[derive(Debug, Clone, Serialize)]
pub struct Phase {
    pub label: String,
    pub events: u32,
    /// Deliveries per second actually sent (the driver shares the machine).
    pub sent_per_s: f64,
    pub ack_p50_ms: f64,
    pub ack_p99_ms: f64,
    pub ack_max_ms: f64,
    /// Deliveries that needed a retry (not acknowledged with a 2xx the first time).
    pub retries: u32,
    /// Deliveries never acknowledged after three tries.
    pub lost: u32,
    /// From the first delivery until the last reply reached the Graph sink.
    pub answered_s: f64,
    /// events / answered_s.
    pub end_to_end_per_s: f64,
    /// Whether every reply arrived (the wait gives up after 20 s without progress).
    pub all_answered: bool,
    pub cpu_ms_per_event: f64,
}

/// The exactly-once, in-order check over all phases.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub users: usize,
    pub expected_replies: usize,
    pub replies: usize,
    pub missing: usize,
    pub duplicates_or_extra: usize,
    pub users_out_of_order: usize,
}

impl Check {
    pub fn passed(&self) -> bool {
        self.missing == 0 && self.duplicates_or_extra == 0 && self.users_out_of_order == 0
    }
}

struct Delivery {
    body: Vec<u8>,
    sha256: String,
    sha1: String,
    /// Offset from the phase start it is due at (paced only).
    due: Option<Duration>,
}

impl Load {
    pub fn new(users: u32) -> Load {
        Load {
            users,
            patience: None,
            next_seq: vec![0; users as usize],
            expected: HashMap::new(),
            deliveries: 0,
        }
    }

    /// Retries each delivery until it is acknowledged (for up to `patience`), and waits as
    /// long for replies, as Facebook does with a server that is down for a while.
    pub fn patient(mut self, patience: Duration) -> Load {
        self.patience = Some(patience);
        self
    }

    fn psid(user: u32) -> String {
        format!("24{user:08}")
    }

    /// Builds the phase's deliveries, grouped in lanes that are each sent one after another.
    fn plan(&mut self, pace: Pace) -> Vec<Vec<Delivery>> {
        let (events, lanes) = match pace {
            Pace::Fixed { rate: _, events } => (events, self.users),
            Pace::Flat { senders, events } => (events, senders.min(self.users)),
        };
        let now_ms = 1_800_000_000_000i64;
        let mut planned: Vec<Vec<Delivery>> = (0..lanes).map(|_| Vec::new()).collect();
        for i in 0..events {
            let user = i % self.users;
            let seq = self.next_seq[user as usize];
            self.next_seq[user as usize] += 1;
            let psid = Self::psid(user);
            self.expected
                .entry(psid.clone())
                .or_default()
                .push(format!("r{}", seq % KEYWORDS));
            self.deliveries += 1;
            let body = json!({"object": "page", "entry": [{"id": PAGE_ID, "time": now_ms,
                "messaging": [{"sender": {"id": psid}, "recipient": {"id": PAGE_ID},
                "timestamp": now_ms + self.deliveries as i64,
                "message": {"mid": format!("m_bench_{}", self.deliveries),
                            "text": format!("k{}", seq % KEYWORDS)}}]}]})
            .to_string()
            .into_bytes();
            let due = match pace {
                Pace::Fixed { rate, .. } => Some(Duration::from_secs_f64(i as f64 / rate as f64)),
                Pace::Flat { .. } => None,
            };
            planned[(user % lanes) as usize].push(Delivery {
                sha256: signature::sign_sha256(APP_SECRET.as_bytes(), &body),
                sha1: signature::sign_sha1(APP_SECRET.as_bytes(), &body),
                body,
                due,
            });
        }
        planned
    }

    /// Runs one phase against the server at `webhook_url` (process `pid`, for its CPU time)
    /// and waits for its replies at `sink`.
    pub async fn run(
        &mut self,
        label: &str,
        pace: Pace,
        webhook_url: &str,
        pid: u32,
        sink: &Sink,
        http: &reqwest::Client,
    ) -> Phase {
        self.run_spread(label, pace, &[webhook_url.to_owned()], &[pid], sink, http)
            .await
    }

    /// [`Load::run`] against several instances, as a round-robin load balancer spreads
    /// deliveries: each goes to the next webhook in turn, and a retry to the one after
    /// (a stopped instance is skipped). CPU time is that of all the processes `pids`.
    pub async fn run_spread(
        &mut self,
        label: &str,
        pace: Pace,
        webhook_urls: &[String],
        pids: &[u32],
        sink: &Sink,
        http: &reqwest::Client,
    ) -> Phase {
        let lanes = self.plan(pace);
        let events: u32 = lanes.iter().map(|l| l.len() as u32).sum();
        let expected_total = self.deliveries;
        let cpu = || pids.iter().map(|&pid| usage_of(pid).cpu).sum::<Duration>();
        let before = cpu();
        let urls: Arc<[String]> = webhook_urls.into();
        let turn = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let patience = self.patience;
        let start = tokio::time::Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for lane in lanes {
            let (http, urls, turn) = (http.clone(), urls.clone(), turn.clone());
            tasks.spawn(async move {
                let mut acks = Vec::with_capacity(lane.len());
                let (mut retries, mut lost) = (0u32, 0u32);
                for d in lane {
                    let from = match d.due {
                        Some(due) => {
                            tokio::time::sleep_until(start + due).await;
                            (start + due).into_std()
                        }
                        None => Instant::now(),
                    };
                    let mut acked = false;
                    let first = Instant::now();
                    for attempt in 0.. {
                        let give_up = match patience {
                            Some(p) => first.elapsed() > p,
                            None => attempt == 3,
                        };
                        if give_up {
                            break;
                        }
                        if attempt > 0 {
                            retries += 1;
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                        let at = turn.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let sent = http
                            .post(&urls[at % urls.len()])
                            .header("content-type", "application/json")
                            .header(signature::HEADER_SHA256, &d.sha256)
                            .header("X-Hub-Signature", &d.sha1)
                            .body(d.body.clone())
                            .send()
                            .await;
                        if matches!(&sent, Ok(r) if r.status().is_success()) {
                            acked = true;
                            break;
                        }
                    }
                    if acked {
                        acks.push(from.elapsed());
                    } else {
                        lost += 1;
                    }
                }
                (acks, retries, lost)
            });
        }
        let mut acks = Vec::with_capacity(events as usize);
        let (mut retries, mut lost) = (0, 0);
        while let Some(done) = tasks.join_next().await {
            let (a, r, l) = done.expect("a sender panicked");
            acks.extend(a);
            retries += r;
            lost += l;
        }
        let sent_s = start.elapsed().as_secs_f64();
        let stall = self.patience.unwrap_or(Duration::from_secs(20));
        let all_answered = wait_for_replies(sink, expected_total, start.into_std(), stall).await;
        let answered_s = sink
            .last_at()
            .map(|t| t.saturating_duration_since(start.into_std()).as_secs_f64())
            .unwrap_or(f64::NAN)
            .max(sent_s);
        let after = cpu();
        acks.sort();
        let ms = |d: Option<&Duration>| d.map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0);
        let pct = |p: f64| ms(acks.get(((acks.len().max(1) - 1) as f64 * p).round() as usize));
        Phase {
            label: label.to_owned(),
            events,
            sent_per_s: events as f64 / sent_s,
            ack_p50_ms: pct(0.50),
            ack_p99_ms: pct(0.99),
            ack_max_ms: ms(acks.last()),
            retries,
            lost,
            answered_s,
            end_to_end_per_s: events as f64 / answered_s,
            all_answered,
            cpu_ms_per_event: (after.saturating_sub(before)).as_secs_f64() * 1000.0
                / events.max(1) as f64,
        }
    }

    /// Compares what the sink received with what every user should have got.
    pub fn check(&self, sink: &Sink) -> Check {
        let got = sink.by_user();
        let mut check = Check {
            users: self.expected.len(),
            expected_replies: self.expected.values().map(Vec::len).sum(),
            replies: got.values().map(Vec::len).sum(),
            missing: 0,
            duplicates_or_extra: 0,
            users_out_of_order: 0,
        };
        for (psid, want) in &self.expected {
            let have = got.get(psid).map(Vec::as_slice).unwrap_or(&[]);
            check.missing += want.len().saturating_sub(have.len());
            check.duplicates_or_extra += have.len().saturating_sub(want.len());
            if have.len() == want.len() && have != want.as_slice() {
                check.users_out_of_order += 1;
            }
        }
        check.duplicates_or_extra += got
            .iter()
            .filter(|(psid, _)| !self.expected.contains_key(*psid))
            .map(|(_, v)| v.len())
            .sum::<usize>();
        check
    }
}

/// Waits until the sink holds `total` replies; gives up after `stall` without a new one.
async fn wait_for_replies(sink: &Sink, total: u64, start: Instant, stall: Duration) -> bool {
    let mut last_count = sink.count();
    let mut last_progress = Instant::now();
    let mut last_print = Instant::now();
    loop {
        let count = sink.count();
        if count >= total {
            return true;
        }
        if count != last_count {
            last_count = count;
            last_progress = Instant::now();
        }
        if last_progress.elapsed() > stall {
            eprintln!(
                "    no new reply for {} s; {count} of {total} answered, giving up",
                stall.as_secs()
            );
            return false;
        }
        if last_print.elapsed() > Duration::from_secs(3) {
            eprintln!(
                "    … {count} of {total} answered ({:.0} s)",
                start.elapsed().as_secs_f64()
            );
            last_print = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
