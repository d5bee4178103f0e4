//! Follows a page's live updates: once the page has hydrated, `<Follow>` opens the page's event stream
//! (`/live/...?since=REVISION`, see the server's `live` module) and calls `on_change` whenever the server
//! says what the page shows has changed; it closes the stream when the page's view goes. Without JavaScript
//! nothing happens here: a reload shows the same.

use leptos::prelude::*;

/// What a page does when its data changed while it was open.
#[derive(Clone, Copy)]
pub struct LiveState {
    /// Set by any input on the page: a reload would throw away what the person is typing.
    pub editing: RwSignal<bool>,
    /// The data changed while the person was typing; the page says so instead of reloading.
    pub stale: RwSignal<bool>,
}

impl LiveState {
    pub fn new() -> Self {
        Self { editing: RwSignal::new(false), stale: RwSignal::new(false) }
    }

    /// Reloads with `refetch`, unless the person is typing (then the page says that it changed).
    pub fn changed(self, refetch: impl Fn()) {
        if self.editing.get_untracked() {
            self.stale.set(true);
        } else {
            refetch();
        }
    }

    /// A freshly drawn page: nothing typed, nothing stale.
    pub fn drawn(self) {
        self.editing.set(false);
        self.stale.set(false);
    }
}

impl Default for LiveState {
    fn default() -> Self {
        Self::new()
    }
}

/// The notice shown when the page's data changed while the person was typing, with the reload it offers.
#[component]
pub fn StaleNotice(live: LiveState, reload: Callback<()>) -> impl IntoView {
    move || {
        live.stale.get().then(|| {
            view! {
                <p role="status" class="mb-4 rounded border border-amber-300 bg-amber-50 px-3 py-2 text-amber-900" data-testid="stale-notice">
                    "What this page shows has changed since it was drawn; a decision on the old evidence would be refused as stale. "
                    <button type="button" class="underline" on:click=move |_| reload.run(())>"Show the changes"</button>
                    " (what you typed is not kept)."
                </p>
            }
        })
    }
}

/// Opens the event stream at `url` after hydration and calls `on_change` on every `changed` event. The page
/// names the stream it follows in a hidden element (`data-follow`), so what it follows can be seen and tested.
#[component]
pub fn Follow(url: String, on_change: Callback<()>) -> impl IntoView {
    let named = url.clone();
    #[cfg(feature = "hydrate")]
    {
        let opened = StoredValue::new_local(None::<Stream>);
        Effect::new(move |_| {
            if opened.with_value(Option::is_none) {
                opened.set_value(Stream::open(&url, on_change));
            }
        });
        on_cleanup(move || {
            if let Some(Some(stream)) = opened.try_update_value(Option::take) {
                stream.close();
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (url, on_change);
    view! { <span hidden data-follow=named></span> }
}

/// An open EventSource with the listeners it holds.
#[cfg(feature = "hydrate")]
struct Stream {
    source: web_sys::EventSource,
    _changed: wasm_bindgen::closure::Closure<dyn Fn(web_sys::Event)>,
    _gone: wasm_bindgen::closure::Closure<dyn Fn(web_sys::Event)>,
}

#[cfg(feature = "hydrate")]
impl Stream {
    fn open(url: &str, on_change: Callback<()>) -> Option<Stream> {
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;
        let source = web_sys::EventSource::new(url).ok()?;
        let changed = Closure::<dyn Fn(web_sys::Event)>::new(move |_| on_change.run(()));
        // The page is gone for this person (signed out, no longer a member): stop asking.
        let closing = source.clone();
        let gone = Closure::<dyn Fn(web_sys::Event)>::new(move |_| closing.close());
        source.add_event_listener_with_callback("changed", changed.as_ref().unchecked_ref()).ok()?;
        source.add_event_listener_with_callback("gone", gone.as_ref().unchecked_ref()).ok()?;
        Some(Stream { source, _changed: changed, _gone: gone })
    }

    fn close(&self) {
        self.source.close();
    }
}
