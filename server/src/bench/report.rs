//! What `baton bench` reports: the JSON written to target/bench/report.json, the line printed
//! after each phase and the table printed at the end.

use serde::Serialize;

use super::load::{Check, Phase};

#[derive(Debug, Serialize)]
pub struct Report {
    pub generated_at: String,
    pub machine: Machine,
    pub load: LoadShape,
    pub servers: Vec<ServerReport>,
}

#[derive(Debug, Serialize)]
pub struct Machine {
    pub cpus: usize,
    pub note: &'static str,
}

#[derive(Debug, Serialize)]
pub struct LoadShape {
    pub users: u32,
    pub send_budget: u32,
    pub rates: Vec<u32>,
    pub seconds_per_rate: f64,
    pub flat_out_events: u32,
    pub senders: u32,
    pub flow: &'static str,
}

#[derive(Debug, Serialize)]
pub struct ServerReport {
    pub name: String,
    /// Baton processes sharing the work (several only on PostgreSQL).
    pub instances: usize,
    pub description: String,
    pub phases: Vec<Phase>,
    pub sustained_end_to_end_per_s: f64,
    /// The largest of the instances' peak resident memory.
    pub peak_rss_mb: f64,
    /// CPU time of all the instances together, per event.
    pub cpu_ms_per_event: f64,
    /// On PostgreSQL, the local server's CPU time per event (`None` when it is not on this
    /// machine, or on SQLite, whose work is in Baton's own process).
    pub database_cpu_ms_per_event: Option<f64>,
    pub exactly_once_in_order: Check,
}

pub fn report_phase(p: &Phase) {
    eprintln!(
        "    sent {:.0}/s, ack p50 {:.1} ms p99 {:.1} ms, all answered after {:.2} s ({:.0}/s){}",
        p.sent_per_s,
        p.ack_p50_ms,
        p.ack_p99_ms,
        p.answered_s,
        p.end_to_end_per_s,
        if p.all_answered {
            ""
        } else {
            " — NOT all answered"
        }
    );
}

pub fn print_table(report: &Report) {
    let servers = &report.servers;
    println!();
    println!(
        "Baton bench: {} users, {} CPUs, loopback, Graph sink answering at once",
        report.load.users, report.machine.cpus
    );
    let mut header = format!("{:<34}", "");
    for s in servers {
        header += &format!("{:>14}", s.name);
    }
    let with_ratio = servers.len() == 2 && servers[1].name == "peer";
    if with_ratio {
        header += &format!("{:>14}", "baton / peer");
    }
    println!("{header}");
    let row = |label: String, values: Vec<f64>, unit: &str, higher_is_better: bool| {
        let mut line = format!("{label:<34}");
        for v in &values {
            line += &format!("{:>14}", format!("{v:.1}{unit}"));
        }
        if with_ratio && values[1] > 0.0 {
            let ratio = if higher_is_better {
                values[0] / values[1]
            } else {
                values[1] / values[0]
            };
            line += &format!("{:>13.2}×", ratio);
        }
        println!("{line}");
    };
    let phases = servers.first().map_or(0, |s| s.phases.len());
    for i in 0..phases {
        let label = &servers[0].phases[i].label;
        let get = |f: fn(&Phase) -> f64| servers.iter().map(|s| f(&s.phases[i])).collect();
        if label != "flat out" {
            row(
                format!("ack p50 at {label}"),
                get(|p| p.ack_p50_ms),
                " ms",
                false,
            );
            row(
                format!("ack p99 at {label}"),
                get(|p| p.ack_p99_ms),
                " ms",
                false,
            );
            row(
                format!("answered/s at {label}"),
                get(|p| p.end_to_end_per_s),
                "",
                true,
            );
        } else {
            row("acks/s flat out".into(), get(|p| p.sent_per_s), "", true);
            row(
                "ack p99 flat out".into(),
                get(|p| p.ack_p99_ms),
                " ms",
                false,
            );
        }
    }
    row(
        "sustained end to end (events/s)".into(),
        servers
            .iter()
            .map(|s| s.sustained_end_to_end_per_s)
            .collect(),
        "",
        true,
    );
    row(
        "peak RSS".into(),
        servers.iter().map(|s| s.peak_rss_mb).collect(),
        " MB",
        false,
    );
    row(
        "CPU per event".into(),
        servers.iter().map(|s| s.cpu_ms_per_event).collect(),
        " ms",
        false,
    );
    if servers
        .iter()
        .any(|s| s.database_cpu_ms_per_event.is_some())
    {
        let mut line = format!("{:<34}", "+ PostgreSQL's CPU per event");
        for s in servers {
            let cell = s
                .database_cpu_ms_per_event
                .map_or_else(|| "–".to_owned(), |v| format!("{v:.1} ms"));
            line += &format!("{cell:>14}");
        }
        println!("{line}");
    }
    let mut line = format!("{:<34}", "every message answered once, in order");
    for s in servers {
        line += &format!(
            "{:>14}",
            if s.exactly_once_in_order.passed() {
                "yes"
            } else {
                "NO"
            }
        );
    }
    println!("{line}");
    if servers
        .iter()
        .any(|s| s.instances > 1 || s.name.starts_with("pg"))
    {
        println!("pg×N: N instances of Baton on one PostgreSQL database, deliveries round-robin;");
        println!("      peak RSS is the largest instance's, CPU per event all instances' together");
    }
    for s in servers.iter().filter(|s| !s.exactly_once_in_order.passed()) {
        let c = &s.exactly_once_in_order;
        println!(
            "  {}: {} replies for {} messages; {} missing, {} extra, {} of {} users answered out of order",
            s.name, c.replies, c.expected_replies, c.missing, c.duplicates_or_extra,
            c.users_out_of_order, c.users
        );
    }
}
