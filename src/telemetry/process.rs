//! Process figures and build information for `/metrics`, in the names Prometheus' own client
//! libraries use (`process_*`), so existing dashboards and alerts work unchanged.
//!
//! Read from `/proc/self` on Linux; elsewhere (or if `/proc` is not mounted) the figures are
//! left out rather than reported as zero.

use std::fmt::Write;

/// Linux reports CPU times in clock ticks of `USER_HZ`, which the kernel fixes at 100 for
/// every architecture's user-space ABI (`sysconf(_SC_CLK_TCK)`).
const TICKS_PER_SECOND: f64 = 100.0;

/// What the kernel says about this process; `None` where it cannot be read.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ProcessFigures {
    pub resident_memory_bytes: Option<u64>,
    pub cpu_seconds: Option<f64>,
    pub open_fds: Option<u64>,
    pub max_fds: Option<u64>,
    pub start_time_seconds: Option<f64>,
}

impl ProcessFigures {
    /// This process, now.
    pub fn read() -> Self {
        let stat = std::fs::read_to_string("/proc/self/stat").ok();
        let stat = stat.as_deref().and_then(parse_stat);
        let boot_time = std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|s| parse_boot_time(&s));
        Self {
            resident_memory_bytes: std::fs::read_to_string("/proc/self/status")
                .ok()
                .and_then(|s| parse_rss(&s)),
            cpu_seconds: stat.map(|s| (s.utime + s.stime) as f64 / TICKS_PER_SECOND),
            open_fds: std::fs::read_dir("/proc/self/fd")
                .ok()
                .map(|d| d.count() as u64),
            max_fds: std::fs::read_to_string("/proc/self/limits")
                .ok()
                .and_then(|s| parse_max_fds(&s)),
            start_time_seconds: stat
                .zip(boot_time)
                .map(|(s, boot)| boot as f64 + s.starttime as f64 / TICKS_PER_SECOND),
        }
    }

    /// Appends the figures that could be read, in the Prometheus text format.
    pub fn render(&self, out: &mut String) {
        let gauges: [(&str, &str, &str, Option<f64>); 5] = [
            (
                "process_resident_memory_bytes",
                "gauge",
                "Resident memory size in bytes.",
                self.resident_memory_bytes.map(|v| v as f64),
            ),
            (
                "process_cpu_seconds_total",
                "counter",
                "Total user and system CPU time spent in seconds.",
                self.cpu_seconds,
            ),
            (
                "process_open_fds",
                "gauge",
                "Number of open file descriptors.",
                self.open_fds.map(|v| v as f64),
            ),
            (
                "process_max_fds",
                "gauge",
                "Maximum number of open file descriptors.",
                self.max_fds.map(|v| v as f64),
            ),
            (
                "process_start_time_seconds",
                "gauge",
                "Start time of the process since the Unix epoch in seconds.",
                self.start_time_seconds,
            ),
        ];
        for (name, kind, help, value) in gauges {
            if let Some(v) = value {
                let _ = writeln!(
                    out,
                    "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}"
                );
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Stat {
    utime: u64,
    stime: u64,
    starttime: u64,
}

/// `/proc/self/stat`: the fields after the command name (which may hold spaces and
/// parentheses, so the split is at the last `)`); utime, stime and starttime are fields 14,
/// 15 and 22 (proc(5)).
fn parse_stat(raw: &str) -> Option<Stat> {
    let rest = &raw[raw.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state).
    let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    Some(Stat {
        utime: field(14)?,
        stime: field(15)?,
        starttime: field(22)?,
    })
}

/// `VmRSS:     12345 kB` from `/proc/self/status`.
fn parse_rss(raw: &str) -> Option<u64> {
    let line = raw.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib = line.split_whitespace().nth(1)?.parse::<u64>().ok()?;
    Some(kib * 1024)
}

/// The soft limit of `Max open files` in `/proc/self/limits`.
fn parse_max_fds(raw: &str) -> Option<u64> {
    let line = raw.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// `btime` (boot time, seconds since the epoch) from `/proc/stat`.
fn parse_boot_time(raw: &str) -> Option<u64> {
    raw.lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()
}

/// The version this binary was built from, and the git commit when the build was told it
/// (`PORTICO_GIT_COMMIT` at build time: the Dockerfile passes it as a build argument).
pub fn render_build_info(out: &mut String) {
    let commit = option_env!("PORTICO_GIT_COMMIT")
        .filter(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_alphanumeric()))
        .unwrap_or("unknown");
    let _ = writeln!(
        out,
        "# HELP portico_build_info The version and git commit this binary was built from.\n\
         # TYPE portico_build_info gauge\n\
         portico_build_info{{version=\"{}\",commit=\"{commit}\"}} 1",
        env!("CARGO_PKG_VERSION")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_files_are_parsed_and_a_command_name_with_spaces_does_not_shift_fields() {
        let stat = "4242 (portico (x) y) S 1 4242 4242 0 -1 4194560 1510 0 0 0 250 37 0 0 20 0 \
                    12 0 98765 123456789 3000 18446744073709551615";
        let s = parse_stat(stat).unwrap();
        assert_eq!((s.utime, s.stime, s.starttime), (250, 37, 98765));
        assert_eq!(
            parse_rss("Name:\tportico\nVmRSS:\t   20480 kB\nVmSwap: 0 kB\n"),
            Some(20480 * 1024)
        );
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max open files            1024                 524288               files     \n";
        assert_eq!(parse_max_fds(limits), Some(1024));
        assert_eq!(
            parse_boot_time("cpu  1 2 3\nbtime 1765000000\n"),
            Some(1765000000)
        );
        assert!(parse_stat("garbage").is_none());
    }

    #[test]
    fn figures_that_cannot_be_read_are_left_out() {
        let mut out = String::new();
        ProcessFigures {
            resident_memory_bytes: Some(1024),
            ..Default::default()
        }
        .render(&mut out);
        assert!(out.contains("process_resident_memory_bytes 1024"));
        assert!(!out.contains("process_cpu_seconds_total"));
    }
}
