//! How values read on a page, shared by the domain's comparisons and the UI.

/// A metric value with the decimals its size calls for (4 below 10, 2 below 100, else 1), without trailing
/// zeros.
pub fn number(value: f64) -> String {
    let decimals = match value.abs() {
        v if v < 10.0 => 4,
        v if v < 100.0 => 2,
        _ => 1,
    };
    let text = format!("{value:.decimals$}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text.is_empty() || text == "-" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

/// Text percent-encoded but for the unreserved characters of RFC 3986: safe as a URL path segment or a query
/// value.
pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}
