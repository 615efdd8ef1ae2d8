//! Citations of RFC sections, as steps, rows and annotations give them (`RFC 5321 §4.1.1.2`,
//! `RFC 3464 §2; RFC 3461 §6`), and the links to those sections on the RFC Editor's site.

/// A link to one section of an RFC on the RFC Editor's site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RfcLink {
    /// What the citation says, e.g. `RFC 5321 §4.1.1.2` or `§4.5.2`.
    pub label: String,
    pub url: String,
}

/// Links for a citation such as `RFC 5321 §4.1.1.4, §4.5.2`, `RFC 3464 §2; RFC 3461 §6`,
/// `RFC 1939 §5–§7` (linked at §5), `RFC 6376 §3.7; Appendix B.2.3` or `RFC 8463`.
/// Parts that name no RFC number are left out.
pub fn rfc_links(citation: &str) -> Vec<RfcLink> {
    let mut links = Vec::new();
    let mut rfc: Option<&str> = None;
    for group in citation.split(';') {
        let mut rest = group.trim();
        if let Some(after) = rest.strip_prefix("RFC ") {
            let digits = after.find(|c: char| !c.is_ascii_digit()).unwrap_or(after.len());
            if digits == 0 {
                continue;
            }
            let number = &after[..digits];
            rfc = Some(number);
            rest = after[digits..].trim();
            if rest.is_empty() {
                links.push(RfcLink {
                    label: format!("RFC {number}"),
                    url: format!("https://www.rfc-editor.org/rfc/rfc{number}"),
                });
                continue;
            }
        }
        let Some(number) = rfc else { continue };
        for (i, part) in rest.split(',').enumerate() {
            let part = part.trim();
            // The section number only: `§5–§7` links at §5, a sentence's full stop is dropped.
            let number_part = |text: &str| -> String {
                let kept: String =
                    text.trim().chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '.').collect();
                kept.trim_end_matches('.').to_owned()
            };
            let anchor = if let Some(section) = part.strip_prefix('§') {
                format!("section-{}", number_part(section))
            } else if let Some(appendix) = part.strip_prefix("Appendix ") {
                format!("appendix-{}", number_part(appendix))
            } else {
                continue;
            };
            if anchor.ends_with('-') {
                continue;
            }
            let label = if i == 0 { format!("RFC {number} {part}") } else { part.to_owned() };
            links
                .push(RfcLink { label, url: format!("https://www.rfc-editor.org/rfc/rfc{number}#{anchor}") });
        }
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_citations_become_rfc_editor_links() {
        let urls = |c: &str| rfc_links(c).into_iter().map(|l| (l.label, l.url)).collect::<Vec<_>>();
        assert_eq!(
            urls("RFC 5321 §4.1.1.2"),
            [("RFC 5321 §4.1.1.2".into(), "https://www.rfc-editor.org/rfc/rfc5321#section-4.1.1.2".into())]
        );
        assert_eq!(
            urls("RFC 5321 §4.1.1.4, §4.5.2"),
            [
                ("RFC 5321 §4.1.1.4".into(), "https://www.rfc-editor.org/rfc/rfc5321#section-4.1.1.4".into()),
                ("§4.5.2".into(), "https://www.rfc-editor.org/rfc/rfc5321#section-4.5.2".into()),
            ]
        );
        assert_eq!(
            urls("RFC 3464 §2; RFC 3461 §6")[1],
            ("RFC 3461 §6".into(), "https://www.rfc-editor.org/rfc/rfc3461#section-6".into())
        );
        assert_eq!(urls("RFC 1939 §5–§7")[0].1, "https://www.rfc-editor.org/rfc/rfc1939#section-5");
        assert_eq!(
            urls("RFC 6376 §3.7; Appendix B.2.3")[1],
            (
                "RFC 6376 Appendix B.2.3".into(),
                "https://www.rfc-editor.org/rfc/rfc6376#appendix-B.2.3".into()
            )
        );
        assert_eq!(urls("RFC 6376 §5; RFC 8463")[1].1, "https://www.rfc-editor.org/rfc/rfc8463");
        assert!(urls("see the manual").is_empty());
        assert!(urls("RFC x §1").is_empty());
    }
}
