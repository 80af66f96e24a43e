//! Which SQL Ctrl/Cmd+Enter runs: the selection when there is one, else the statement the cursor
//! is in — statements end at a `;` outside quotes and comments; a cursor on blank text after the
//! last statement runs the statement before it.

/// The byte offset of UTF-16 offset `units` in `text` (the editor counts in UTF-16).
fn byte_offset(text: &str, units: u32) -> usize {
    let mut seen = 0u32;
    for (i, c) in text.char_indices() {
        if seen >= units {
            return i;
        }
        seen += c.len_utf16() as u32;
    }
    text.len()
}

/// The byte ranges of the statements in `sql`, each up to (not including) its `;`.
fn statements(sql: &str) -> Vec<(usize, usize)> {
    #[derive(PartialEq)]
    enum In {
        Code,
        Single,
        Double,
        Line,
        Block,
    }
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let (mut start, mut state, mut i) = (0, In::Code, 0);
    while i < bytes.len() {
        let b = bytes[i];
        let next = bytes.get(i + 1).copied();
        match state {
            In::Code => match b {
                b'\'' => state = In::Single,
                b'"' => state = In::Double,
                b'-' if next == Some(b'-') => state = In::Line,
                b'/' if next == Some(b'*') => {
                    state = In::Block;
                    i += 1;
                }
                b';' => {
                    out.push((start, i));
                    start = i + 1;
                }
                _ => {}
            },
            // A doubled quote inside a literal is the quote itself: leaving and re-entering.
            In::Single if b == b'\'' => state = In::Code,
            In::Double if b == b'"' => state = In::Code,
            In::Line if b == b'\n' => state = In::Code,
            In::Block if b == b'*' && next == Some(b'/') => {
                state = In::Code;
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push((start, sql.len()));
    out
}

/// What to run for the document `doc` with the selection `from..to` (UTF-16 offsets).
pub fn to_run(doc: &str, from: u32, to: u32) -> String {
    let (a, b) = (
        byte_offset(doc, from.min(to)),
        byte_offset(doc, from.max(to)),
    );
    if a != b && !doc[a..b].trim().is_empty() {
        return doc[a..b].trim().to_string();
    }
    let all = statements(doc);
    let blank = |&(s, e): &(usize, usize)| doc[s..e].trim().is_empty();
    // The statement the cursor is in (a cursor right after a `;` is in the next one)…
    let at = all
        .iter()
        .position(|&(s, e)| a >= s && a <= e)
        .unwrap_or(all.len().saturating_sub(1));
    // …unless that one is blank: then the nearest one before it that is not.
    let chosen = all[..=at]
        .iter()
        .rev()
        .find(|r| !blank(r))
        .or_else(|| all[at..].iter().find(|r| !blank(r)));
    chosen
        .map(|&(s, e)| doc[s..e].trim().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(doc: &str, marker: &str) -> u32 {
        doc[..doc.find(marker).unwrap()].encode_utf16().count() as u32
    }

    #[test]
    fn the_selection_runs_when_there_is_one() {
        let doc = "SELECT 1; SELECT 2";
        assert_eq!(to_run(doc, 10, 18), "SELECT 2");
        assert_eq!(to_run(doc, 18, 10), "SELECT 2");
        // A blank selection is no selection.
        assert_eq!(to_run("SELECT 1;   ", 9, 11), "SELECT 1");
    }

    #[test]
    fn the_statement_under_the_cursor_runs() {
        let doc = "SELECT 1;\nSELECT 'a;b' AS s -- not; here\n;\nSELECT /* ; */ 3";
        assert_eq!(to_run(doc, 3, 3), "SELECT 1");
        let p = at(doc, "AS s");
        assert_eq!(to_run(doc, p, p), "SELECT 'a;b' AS s -- not; here");
        let p = at(doc, "3");
        assert_eq!(to_run(doc, p, p), "SELECT /* ; */ 3");
        // At the very end.
        let end = doc.encode_utf16().count() as u32;
        assert_eq!(to_run(doc, end, end), "SELECT /* ; */ 3");
    }

    #[test]
    fn after_the_last_semicolon_the_statement_before_runs() {
        let doc = "SELECT 1;\nSELECT 2;\n\n";
        let end = doc.encode_utf16().count() as u32;
        assert_eq!(to_run(doc, end, end), "SELECT 2");
        let after_first = at(doc, "\nSELECT 2");
        assert_eq!(to_run(doc, after_first, after_first), "SELECT 2");
        assert_eq!(to_run("   ", 1, 1), "");
        assert_eq!(to_run("", 0, 0), "");
        // Only blank before the cursor: the next statement.
        assert_eq!(to_run(";\nSELECT 5", 0, 0), "SELECT 5");
    }

    #[test]
    fn offsets_count_utf16_units() {
        let doc = "SELECT '😀'; SELECT 'é'";
        let p = at(doc, "'é'");
        assert_eq!(to_run(doc, p, p), "SELECT 'é'");
        let first = at(doc, "'😀'") + 1;
        assert_eq!(to_run(doc, first, first), "SELECT '😀'");
        assert_eq!(byte_offset("a😀b", 3), 5);
        assert_eq!(byte_offset("ab", 9), 2);
    }
}
