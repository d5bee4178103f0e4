//! Formatting shared by pages: times, ages, numbers.

use chrono::{DateTime, Utc};

/// `2026-11-26 18:40 UTC`
pub fn time(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// How long ago, in the largest whole unit: `3 d`, `5 h`, `12 min`.
pub fn age(at: &DateTime<Utc>, now: &DateTime<Utc>) -> String {
    let minutes = (*now - *at).num_minutes().max(0);
    if minutes >= 60 * 24 {
        format!("{} d", minutes / (60 * 24))
    } else if minutes >= 60 {
        format!("{} h", minutes / 60)
    } else {
        format!("{minutes} min")
    }
}

pub use governance::display::number;

/// Text made safe as one segment of a URL path (or a query value): anything but unreserved characters
/// percent-encoded.
pub use governance::display::percent_encode as path_segment;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_ages_read_well() {
        assert_eq!(number(0.8100), "0.81");
        assert_eq!(number(120.0), "120");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(1207.4326), "1207.4");
        assert_eq!(number(41.9983), "42");
        let now = DateTime::from_timestamp(100_000, 0).unwrap();
        assert_eq!(age(&DateTime::from_timestamp(100_000 - 7200, 0).unwrap(), &now), "2 h");
        assert_eq!(age(&DateTime::from_timestamp(100_000 - 90, 0).unwrap(), &now), "1 min");
        assert_eq!(path_segment("dev.credit-risk.pd-model.3"), "dev.credit-risk.pd-model.3");
        assert_eq!(path_segment("a/b?c#d e"), "a%2Fb%3Fc%23d%20e");
    }
}

/// A count as people read it: `10,000`, `2,013`, `7`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod count_tests {
    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(super::count(0), "0");
        assert_eq!(super::count(999), "999");
        assert_eq!(super::count(1000), "1,000");
        assert_eq!(super::count(2013), "2,013");
        assert_eq!(super::count(10_000), "10,000");
        assert_eq!(super::count(1_234_567), "1,234,567");
    }
}
