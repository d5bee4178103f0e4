//! The text inside a `<textarea>`: every textarea's content passes through [`textarea_text`].
//!
//! tachys 0.2 writes a textarea's children into server-rendered HTML as they are, unescaped (it treats the
//! element like `<script>`; 0.3 fixes it), so stored or reflected text could close the element and add markup
//! to the page. On the server the text is escaped here, and the browser decodes it back to the same characters
//! inside the textarea; in the browser a child is a DOM text node, never parsed as HTML, so it is kept as it is.

/// `text` as a textarea child: escaped in server-rendered HTML, as it is in the browser.
pub fn textarea_text(text: impl Into<String>) -> String {
    let text = text.into();
    if cfg!(feature = "ssr") {
        escape(&text)
    } else {
        text
    }
}

/// HTML-escapes the five characters that can end a text run or an attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_cannot_leave_the_textarea() {
        let hostile = "</textarea><style>button{order:-1}</style><b a=\"x\" b='y'>&amp;";
        assert_eq!(
            escape(hostile),
            "&lt;/textarea&gt;&lt;style&gt;button{order:-1}&lt;/style&gt;&lt;b a=&quot;x&quot; b=&#39;y&#39;&gt;&amp;amp;"
        );
        assert_eq!(escape("emoji 😀 and \u{202E}rtl"), "emoji 😀 and \u{202E}rtl");
    }
}
