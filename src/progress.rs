//! Progress per build phase on a terminal (indicatif): a spinner naming
//! the phase that runs, with a count of the files written while rendering.
//! Off unless asked for: `BuildOptions::progress` is set only when stdout
//! and stderr are terminals and messages are for people, so logs, pipes and
//! `--message-format json` get nothing extra.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

pub(crate) struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    pub(crate) fn new(enabled: bool) -> Progress {
        let bar = enabled.then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(style("{spinner} {msg} ({elapsed})"));
            bar.set_message(phase_label("start"));
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Progress { bar }
    }

    /// Phase `done` has ended: show the one that follows.
    pub(crate) fn after(&self, done: &str) {
        let Some(bar) = &self.bar else { return };
        if done == "link" {
            bar.set_style(style("{spinner} {msg}: {pos} bestanden ({elapsed})"));
        } else if done == "render" {
            bar.set_style(style("{spinner} {msg} ({elapsed})"));
        }
        bar.set_message(phase_label(done));
    }

    /// One more output file.
    pub(crate) fn file(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_spinner())
}

/// What runs after phase `done` (the names `site` times).
fn phase_label(done: &str) -> &'static str {
    match done {
        "start" => "bestanden inlezen",
        "load" => "pagina's en secties lezen",
        "parse" => "Markdown verwerken",
        "markdown" => "links controleren",
        "link" => "pagina's maken",
        "render" => "zoekindex en bestanden afronden",
        "index" => "bestanden schrijven",
        "write" => "afronden",
        _ => "bezig",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_phase_the_build_times_has_a_label_for_what_follows() {
        for phase in [
            "start", "load", "parse", "markdown", "link", "render", "index", "write",
        ] {
            assert_ne!(phase_label(phase), "bezig", "{phase}");
        }
        // Disabled progress draws nothing and does not panic.
        let p = Progress::new(false);
        p.after("load");
        p.file();
        assert!(p.bar.is_none());
    }
}
