//! Sortable tables that work with JavaScript off: a column's header is a link to the same page with the
//! table's sort in the query (`{key}=column`, `{key}_dir=asc|desc`), so the server draws the table sorted and
//! the hydrated page re-sorts on the same link without a reload.

use leptos::prelude::*;
use leptos_router::params::ParamsMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Ascending,
    Descending,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ascending => "asc",
            Direction::Descending => "desc",
        }
    }

    fn flipped(self) -> Direction {
        match self {
            Direction::Ascending => Direction::Descending,
            Direction::Descending => Direction::Ascending,
        }
    }

    /// `ordering` in this direction.
    pub fn apply(self, ordering: std::cmp::Ordering) -> std::cmp::Ordering {
        match self {
            Direction::Ascending => ordering,
            Direction::Descending => ordering.reverse(),
        }
    }
}

/// How a table is sorted: one of its columns, one way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sort {
    pub column: &'static str,
    pub direction: Direction,
}

impl Sort {
    /// The sort the query asks for under `key`; an unknown column or direction falls back to `default`
    /// (a crafted link sorts nothing it should not).
    pub fn from_query(query: &ParamsMap, key: &str, columns: &[&'static str], default: Sort) -> Sort {
        let Some(column) = query.get(key).and_then(|c| columns.iter().find(|k| **k == c).copied()) else {
            return default;
        };
        let direction = match query.get(&format!("{key}_dir")).as_deref() {
            Some("desc") => Direction::Descending,
            _ => Direction::Ascending,
        };
        Sort { column, direction }
    }

    /// The query pair that asks for sorting by `column`: the other way round when it is the current column.
    pub fn query_for(&self, key: &str, column: &str) -> String {
        let direction = if self.column == column { self.direction.flipped() } else { Direction::Ascending };
        format!("{key}={column}&{key}_dir={}", direction.as_str())
    }
}

/// A header cell whose link sorts the table by `column`; `aria-sort` says how the table is sorted now.
/// Numeric columns are right-aligned, as their cells are.
#[component]
pub fn SortHeader(
    label: &'static str,
    column: &'static str,
    sort: Sort,
    /// The link for a sort query (`{key}=..&{key}_dir=..`), keeping the page's other parameters.
    href: Callback<String, String>,
    key: &'static str,
    #[prop(optional)] numeric: bool,
) -> impl IntoView {
    let current = (sort.column == column).then_some(sort.direction);
    let aria = match current {
        Some(Direction::Ascending) => "ascending",
        Some(Direction::Descending) => "descending",
        None => "none",
    };
    let arrow = match current {
        Some(Direction::Ascending) => " ▲",
        Some(Direction::Descending) => " ▼",
        None => "",
    };
    let class = if numeric { "p-2 text-right" } else { "p-2 text-left" };
    view! {
        <th scope="col" class=class aria-sort=aria>
            <a class="text-blue-700 underline" href=href.run(sort.query_for(key, column))>{label}</a>
            <span aria-hidden="true">{arrow}</span>
        </th>
    }
}

/// The link maker for a table's headers: the page's current query without the table's own sort, the new
/// sort, and `anchor` to come back to the table.
pub fn sorted_link(query: &ParamsMap, key: &str, anchor: &'static str) -> Callback<String, String> {
    let mut rest = query.clone();
    rest.remove(key);
    rest.remove(&format!("{key}_dir"));
    let rest = rest.to_query_string();
    Callback::new(move |sort: String| {
        let separator = if rest.is_empty() { "?" } else { "&" };
        format!("{rest}{separator}{sort}{anchor}")
    })
}
