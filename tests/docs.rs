//! The documentation holds together: README.md stays a front page, and
//! every relative link in it and in docs/ resolves to a file and, where it
//! names one, to a heading of that file (as GitHub makes their anchors).

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// README.md and every page in docs/.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![Path::new(ROOT).join("README.md")];
    let mut docs: Vec<PathBuf> = fs::read_dir(Path::new(ROOT).join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

/// GitHub's anchor for a heading: lower case, punctuation out, spaces as
/// hyphens.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a page's headings, fenced code left out.
fn anchors(page: &Path) -> HashSet<String> {
    let mut fenced = false;
    let mut found = HashSet::new();
    for line in fs::read_to_string(page).unwrap().lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            let heading = line.trim_start_matches('#');
            if heading.starts_with(' ') {
                found.insert(anchor(heading));
            }
        }
    }
    found
}

/// The targets of a page's markdown links, `](target)`.
fn links(text: &str) -> Vec<String> {
    text.split("](")
        .skip(1)
        .filter_map(|rest| rest.split_once(')').map(|(target, _)| target.to_owned()))
        .collect()
}

#[test]
fn every_relative_link_resolves_to_a_file_and_a_heading() {
    let mut broken = Vec::new();
    for page in pages() {
        let text = fs::read_to_string(&page).unwrap();
        let dir = page.parent().unwrap();
        for target in links(&text) {
            if target.contains("://") || target.starts_with("mailto:") || target.contains(' ') {
                continue;
            }
            let (path, fragment) = target.split_once('#').unwrap_or((&target, ""));
            let file = match path {
                "" => page.clone(),
                path => dir.join(path),
            };
            if !file.exists() {
                broken.push(format!("{}: {target}: no such file", page.display()));
            } else if !fragment.is_empty() && !anchors(&file).contains(fragment) {
                broken.push(format!("{}: {target}: no such heading", page.display()));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn the_readme_is_a_front_page_and_the_depth_is_in_docs() {
    let readme = fs::read_to_string(Path::new(ROOT).join("README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(lines <= 300, "README.md has {lines} lines");
    assert!(pages().len() > 3, "fewer than three pages in docs/");
    // Every page in docs/ is reachable from the front page.
    for page in pages().iter().skip(1) {
        let name = page.file_name().unwrap().to_str().unwrap();
        assert!(
            readme.contains(&format!("(docs/{name}")),
            "README.md links no docs/{name}"
        );
    }
}

#[test]
fn the_anchors_are_made_as_github_makes_them() {
    assert_eq!(
        anchor(" No shell for `$PORT` (`--expand`)"),
        "no-shell-for-port---expand"
    );
    assert_eq!(
        anchor(" Drop-in for tini, docker-init, dumb-init, catatonit"),
        "drop-in-for-tini-docker-init-dumb-init-catatonit"
    );
}
