//! The progress bar (on a terminal only) and the closing line of a transfer.

use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

/// A byte-counting progress bar, or nothing when progress is not shown.
#[derive(Clone)]
pub(crate) struct Bar(Option<ProgressBar>);

impl Bar {
    /// A bar for `total` bytes labelled `label`, drawn on stderr among `bars` (one line per
    /// transfer in flight) when progress is shown, else nothing.
    pub(crate) fn new(bars: Option<&MultiProgress>, total: u64, label: &str) -> Self {
        let Some(bars) = bars else {
            return Bar(None);
        };
        let bar = bars.add(ProgressBar::new(total));
        let style = ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message(label.to_owned());
        bar.enable_steady_tick(Duration::from_millis(200));
        Bar(Some(bar))
    }

    /// Sets the bytes done.
    pub(crate) fn set(&self, bytes: u64) {
        if let Some(b) = &self.0 {
            b.set_position(bytes);
        }
    }

    /// Sets the total (for a download, known once the object's size is).
    pub(crate) fn set_length(&self, total: u64) {
        if let Some(b) = &self.0 {
            b.set_length(total);
        }
    }

    /// Draws the bar complete and leaves it on screen.
    pub(crate) fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish();
        }
    }

    /// Removes the bar from the screen: the line printed after a transfer (its summary or its
    /// error) takes its place.
    pub(crate) fn clear(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

/// Prints `line` on stdout without tearing the progress bars drawn on stderr.
pub(crate) fn say(bars: Option<&MultiProgress>, line: &str) {
    match bars {
        Some(b) => b.suspend(|| println!("{line}")),
        None => println!("{line}"),
    }
}

/// `N bytes, ETag "…", CRC-64 …, X MB/s`.
pub(crate) fn summary(
    size: u64,
    etag: Option<&str>,
    crc64: Option<u64>,
    elapsed: Duration,
) -> String {
    format!(
        "{size} bytes, ETag {}, CRC-64 {}, {}",
        etag.unwrap_or("-"),
        crc64.map_or_else(|| "-".to_owned(), |c| c.to_string()),
        rate(size, elapsed)
    )
}

/// Decimal megabytes per second.
pub(crate) fn rate(bytes: u64, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64().max(1e-6);
    format!("{:.1} MB/s", bytes as f64 / secs / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_names_size_etag_crc_and_rate() {
        let line = summary(2_000_000, Some("\"AB\""), Some(7), Duration::from_secs(2));
        assert_eq!(line, "2000000 bytes, ETag \"AB\", CRC-64 7, 1.0 MB/s");
        assert_eq!(
            summary(0, None, None, Duration::ZERO).split(", ").count(),
            4
        );
    }
}
