//! Where a chart's axes put their ticks and what the ticks say: round steps (1, 2 or 5 times a power of ten)
//! for values, calendar steps (minutes, hours, days) for times, whole numbers for counts. Labels are written
//! from the step, so a tick never reads `0.30000000000000004`.

use chrono::{DateTime, Timelike};

/// How many ticks an axis aims for: enough to read a value off, few enough that labels do not collide in
/// the chart's 560 units of width.
const VALUE_TICKS: f64 = 4.0;
const MAX_X_TICKS: f64 = 6.0;

/// One tick: where it sits (in data units) and its label.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    pub at: f64,
    pub label: String,
}

/// 1, 2 or 5 times a power of ten, the smallest not below `raw`.
fn round_step(raw: f64) -> f64 {
    if !raw.is_finite() || raw <= 0.0 {
        return 1.0;
    }
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * power).find(|s| *s >= raw * (1.0 - 1e-9)).unwrap_or(10.0 * power)
}

fn decimals(step: f64) -> usize {
    (-step.log10().floor()).max(0.0) as usize
}

/// The value axis: the range widened to whole steps, and a tick at each. `lo < hi` is assumed (the caller
/// widens an empty range).
pub fn value_ticks(lo: f64, hi: f64) -> (f64, f64, Vec<Tick>) {
    let step = round_step((hi - lo) / VALUE_TICKS);
    let first = (lo / step).floor() as i64;
    let last = (hi / step).ceil() as i64;
    let places = decimals(step);
    let ticks = (first..=last)
        .map(|i| {
            let at = i as f64 * step;
            // `-0.0` prints as "-0"; a tick at zero reads "0".
            let at = if at == 0.0 { 0.0 } else { at };
            Tick { at, label: format!("{at:.places$}") }
        })
        .collect();
    (first as f64 * step, last as f64 * step, ticks)
}

/// Calendar steps for a time axis, in seconds.
const TIME_STEPS: [i64; 13] =
    [60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86_400, 2 * 86_400, 7 * 86_400, 14 * 86_400, 30 * 86_400];

/// The time axis (Unix seconds, UTC): ticks on whole minutes, hours or days; under a day's step each tick
/// gives the time and the first tick of each day also its date, so a week reads "24 Nov", "25 Nov", ... and
/// an afternoon "01 Dec 12:00", "14:00", ...
pub fn time_ticks(lo: f64, hi: f64) -> Vec<Tick> {
    let (lo, hi) = (lo.floor() as i64, hi.ceil() as i64);
    let span = (hi - lo).max(1);
    let step = TIME_STEPS.into_iter().find(|s| (span as f64) / (*s as f64) <= MAX_X_TICKS).unwrap_or(365 * 86_400);
    let mut ticks = Vec::new();
    let mut at = lo.div_euclid(step) * step;
    if at < lo {
        at += step;
    }
    let mut last_day = None;
    while at <= hi {
        let Some(time) = DateTime::from_timestamp(at, 0) else { break };
        let day = time.date_naive();
        let label = if step >= 86_400 {
            time.format("%d %b").to_string()
        } else if last_day != Some(day) {
            time.format("%d %b %H:%M").to_string()
        } else if time.minute() == 0 {
            time.format("%H:00").to_string()
        } else {
            time.format("%H:%M").to_string()
        };
        last_day = Some(day);
        ticks.push(Tick { at: at as f64, label });
        at += step;
    }
    ticks
}

/// A count axis (versions, training steps): whole numbers, named by `name` ("version 3").
pub fn count_ticks(lo: f64, hi: f64, name: &str) -> Vec<Tick> {
    let step = round_step((hi - lo) / MAX_X_TICKS).max(1.0).round();
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|i| i as f64 * step).map(|at| Tick { at, label: format!("{name} {}", at as i64) }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(ticks: &[Tick]) -> Vec<&str> {
        ticks.iter().map(|t| t.label.as_str()).collect()
    }

    #[test]
    fn value_ticks_are_round_and_read_without_float_noise() {
        let (lo, hi, ticks) = value_ticks(0.0, 0.217);
        assert!(lo == 0.0 && (hi - 0.3).abs() < 1e-9, "{hi}");
        assert_eq!(labels(&ticks), ["0.0", "0.1", "0.2", "0.3"]);
        let (_, _, ticks) = value_ticks(0.0, 0.3);
        assert!(ticks.iter().all(|t| !t.label.contains("0000")), "{ticks:?}");
        let (lo, hi, ticks) = value_ticks(0.0, 1207.4);
        assert_eq!((lo, hi), (0.0, 1500.0));
        assert_eq!(labels(&ticks), ["0", "500", "1000", "1500"]);
        let (lo, _, ticks) = value_ticks(-3.0, 2.0);
        assert_eq!(lo, -4.0);
        assert!(labels(&ticks).contains(&"0"), "{ticks:?}");
    }

    #[test]
    fn a_week_is_labelled_by_day_and_an_afternoon_by_hour_with_its_date() {
        // 2026-11-24 00:00 UTC to 2026-12-01 00:00 UTC.
        let week = time_ticks(1_795_478_400.0, 1_796_083_200.0);
        assert_eq!(labels(&week), ["25 Nov", "27 Nov", "29 Nov", "01 Dec"]);
        // 12:00 to 17:00 on 1 December.
        let noon = 1_796_083_200.0 + 12.0 * 3600.0;
        let afternoon = time_ticks(noon, noon + 5.0 * 3600.0);
        assert_eq!(labels(&afternoon), ["01 Dec 12:00", "13:00", "14:00", "15:00", "16:00", "17:00"]);
        // Across midnight the new day's first tick names its date.
        let evening = time_ticks(noon + 9.0 * 3600.0, noon + 15.0 * 3600.0);
        assert!(labels(&evening).contains(&"02 Dec 00:00"), "{evening:?}");
    }

    #[test]
    fn count_ticks_are_whole_numbers_named_by_the_axis() {
        assert_eq!(labels(&count_ticks(1.0, 3.0, "version")), ["version 1", "version 2", "version 3"]);
        let steps = count_ticks(0.0, 1000.0, "step");
        assert!(steps.len() <= 7 && steps.iter().all(|t| t.at.fract() == 0.0), "{steps:?}");
    }
}
