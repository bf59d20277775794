use std::collections::HashMap;
use std::fmt::Write;
use std::sync::{Arc, RwLock};

use crate::text::{header, labels, number};
use crate::{Counter, Histogram};

/// How one kind of metric is written out.
pub trait Series: Default + Send + Sync {
    const KIND: &'static str;
    fn render(&self, out: &mut String, name: &str, label_names: &[&str], values: &[String]);
}

impl Series for Counter {
    const KIND: &'static str = "counter";
    fn render(&self, out: &mut String, name: &str, label_names: &[&str], values: &[String]) {
        let _ = writeln!(
            out,
            "{name}{} {}",
            labels(label_names, values, None),
            self.get()
        );
    }
}

impl Series for Histogram {
    const KIND: &'static str = "histogram";
    fn render(&self, out: &mut String, name: &str, label_names: &[&str], values: &[String]) {
        for (bound, count) in self.cumulative() {
            let le = number(bound);
            let l = labels(label_names, values, Some(("le", &le)));
            let _ = writeln!(out, "{name}_bucket{l} {count}");
        }
        let l = labels(label_names, values, None);
        let _ = writeln!(out, "{name}_sum{l} {}", self.sum_seconds());
        let _ = writeln!(out, "{name}_count{l} {}", self.count());
    }
}

struct Entry<M, const N: usize> {
    values: [String; N],
    series: Arc<M>,
}

/// Metrics of one name, one series per combination of label values.
pub struct Family<M, const N: usize> {
    name: &'static str,
    help: &'static str,
    label_names: [&'static str; N],
    series: RwLock<HashMap<String, Entry<M, N>>>,
}

impl<M: Series, const N: usize> Family<M, N> {
    pub fn new(name: &'static str, help: &'static str, label_names: [&'static str; N]) -> Self {
        Self {
            name,
            help,
            label_names,
            series: RwLock::new(HashMap::new()),
        }
    }

    /// The series for these label values, created on first use.
    pub fn with(&self, values: [&str; N]) -> Arc<M> {
        // One key string per lookup; NUL cannot occur in the label values we use.
        let mut key = String::with_capacity(values.iter().map(|v| v.len() + 1).sum());
        for v in values {
            key.push_str(v);
            key.push('\0');
        }
        if let Ok(map) = self.series.read() {
            if let Some(e) = map.get(&key) {
                return e.series.clone();
            }
        }
        // A poisoned lock only means a panic elsewhere mid-insert; the map is still sound.
        let mut map = self.series.write().unwrap_or_else(|p| p.into_inner());
        map.entry(key)
            .or_insert_with(|| Entry {
                values: values.map(str::to_string),
                series: Arc::new(M::default()),
            })
            .series
            .clone()
    }

    pub fn render(&self, out: &mut String) {
        header(out, self.name, self.help, M::KIND);
        let map = self.series.read().unwrap_or_else(|p| p.into_inner());
        // Sorted, so successive scrapes list series in the same order.
        let mut entries: Vec<&Entry<M, N>> = map.values().collect();
        entries.sort_by(|a, b| a.values.cmp(&b.values));
        for e in entries {
            e.series
                .render(out, self.name, &self.label_names, &e.values);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_are_kept_apart_by_label_values_and_rendered_sorted() {
        let f: Family<Counter, 2> = Family::new("t_total", "Test.", ["a", "b"]);
        f.with(["y", "1"]).inc();
        f.with(["x", "2"]).add(3);
        f.with(["y", "1"]).inc();
        // "x\0" + "2" must not collide with "x" + "\02".
        f.with(["x2", ""]).inc();
        let mut out = String::new();
        f.render(&mut out);
        assert_eq!(
            out,
            "# HELP t_total Test.\n# TYPE t_total counter\n\
             t_total{a=\"x\",b=\"2\"} 3\nt_total{a=\"x2\",b=\"\"} 1\nt_total{a=\"y\",b=\"1\"} 2\n"
        );
    }

    #[test]
    fn histograms_render_cumulative_buckets_sum_and_count() {
        let f: Family<Histogram, 1> = Family::new("t_seconds", "Test.", ["route"]);
        f.with(["/a"]).observe(std::time::Duration::from_millis(3));
        let mut out = String::new();
        f.render(&mut out);
        assert!(
            out.contains("t_seconds_bucket{route=\"/a\",le=\"0.0025\"} 0\n"),
            "{out}"
        );
        assert!(
            out.contains("t_seconds_bucket{route=\"/a\",le=\"0.005\"} 1\n"),
            "{out}"
        );
        assert!(
            out.contains("t_seconds_bucket{route=\"/a\",le=\"+Inf\"} 1\n"),
            "{out}"
        );
        assert!(out.contains("t_seconds_count{route=\"/a\"} 1\n"), "{out}");
        assert!(out.contains("t_seconds_sum{route=\"/a\"} 0.003\n"), "{out}");
    }
}
