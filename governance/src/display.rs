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
