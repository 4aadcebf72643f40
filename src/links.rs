//! Link stage: the address table (which file or path is which document),
//! resolution of Markdown links, typed relations, anchor checks, incoming
//! edges and URL collisions. Every problem is reported with file and line.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;

use crate::error::{closest, Code, Diagnostic};
use crate::frontmatter::value_as_list;
use crate::model::Resolution;
use crate::model::*;

/// Paths the generator writes itself; content may not take them.
pub(crate) const RESERVED: &[&str] = &[
    "404.html",
    "sitemap.xml",
    "atom.xml",
    "robots.txt",
    "zoeken/",
    "pagefind/",
];

/// Resolves link destinations; owns its tables so Markdown can be rendered
/// while the site is being filled in.
pub(crate) struct Resolver {
    base_path: String,
    by_file: HashMap<String, Target>,
    by_path: HashMap<String, Target>,
    urls: HashMap<Target, String>,
    /// Generated pages and static files: valid targets without anchors.
    other_paths: HashSet<String>,
    drafts: HashSet<String>,
    /// Folder (relative to content/) → its Markdown files, and file name →
    /// the files of that name: where a broken link's suggestion is sought.
    by_dir: HashMap<String, Vec<String>>,
    by_name: HashMap<String, Vec<String>>,
}

/// A broken link is compared with at most this many files of its folder
/// for a "did you mean": the suggestion must stay cheap when a moved
/// folder breaks ten thousand links at once.
const SUGGEST_AMONG: usize = 500;

impl Resolver {
    pub(crate) fn new(site: &Site, drafts: HashSet<String>) -> Resolver {
        let base_path = site.config.base_path();
        let urls = site
            .by_file
            .values()
            .map(|&t| (t, format!("{base_path}{}", site.path_of(t))))
            .collect();
        let mut other_paths: HashSet<String> = RESERVED.iter().map(|s| s.to_string()).collect();
        for t in &site.taxonomies {
            other_paths.insert(t.path.clone());
            other_paths.extend(t.terms.iter().map(|term| term.path.clone()));
        }
        other_paths.extend(site.assets.iter().map(|a| a.dest.clone()));
        let mut by_dir: HashMap<String, Vec<String>> = HashMap::new();
        let mut by_name: HashMap<String, Vec<String>> = HashMap::new();
        for rel in site.by_file.keys() {
            let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
            by_dir.entry(dir.to_string()).or_default().push(rel.clone());
            by_name
                .entry(name.to_string())
                .or_default()
                .push(rel.clone());
        }
        for list in by_dir.values_mut().chain(by_name.values_mut()) {
            list.sort();
        }
        Resolver {
            base_path,
            by_file: site.by_file.clone(),
            by_path: site.by_path.clone(),
            urls,
            other_paths,
            drafts,
            by_dir,
            by_name,
        }
    }

    /// The file a broken link to `file` probably meant: one of that name
    /// elsewhere (a moved file), else a near miss in its own folder.
    fn suggest(&self, file: &str) -> Option<&str> {
        let (dir, name) = file.rsplit_once('/').unwrap_or(("", file));
        if let Some(same_name) = self.by_name.get(name) {
            return closest(file, same_name.iter().map(String::as_str))
                .or(same_name.first().map(String::as_str));
        }
        let near = self.by_dir.get(dir)?;
        if near.len() > SUGGEST_AMONG {
            return None;
        }
        closest(file, near.iter().map(String::as_str))
    }

    /// Resolves `dest` as written in the file `from` (relative to content/).
    pub(crate) fn resolve(&self, from: &str, dest: &str) -> Resolution {
        if dest.is_empty() || has_scheme(dest) || dest.starts_with("//") {
            return Resolution::Keep;
        }
        let (path, anchor) = match dest.split_once('#') {
            Some((p, a)) => (p, Some(a.to_string()).filter(|a| !a.is_empty())),
            None => (dest, None),
        };
        let path = path.split('?').next().unwrap_or(path);
        if path.is_empty() {
            return anchor
                .map(Resolution::SelfAnchor)
                .unwrap_or(Resolution::Keep);
        }
        if let Some(file) = path.strip_prefix("@/") {
            return self.file(file, anchor);
        }
        if path.ends_with(".md") {
            let joined = normalise(&format!("{}/{path}", dir_of(from)));
            return match joined {
                Some(file) => self.file(&file, anchor),
                None => Resolution::Broken("de link gaat buiten content/".into()),
            };
        }
        if let Some(site_path) = path.strip_prefix('/') {
            return self.site_path(site_path, anchor);
        }
        Resolution::Keep
    }

    fn file(&self, file: &str, anchor: Option<String>) -> Resolution {
        if self.drafts.contains(file) {
            return Resolution::Broken(format!(
                "content/{file} is een concept (draft: true) en wordt niet gepubliceerd"
            ));
        }
        match self.by_file.get(file) {
            Some(&target) => Resolution::Internal {
                url: with_anchor(&self.urls[&target], anchor.as_deref()),
                target,
                anchor,
            },
            None => {
                let hint = self
                    .suggest(file)
                    .map(|c| format!(" (bedoelt u @/{c}?)"))
                    .unwrap_or_default();
                Resolution::Broken(format!("content/{file} bestaat niet{hint}"))
            }
        }
    }

    /// A root-relative link (`/pilots/x/`): site-relative, so it gets the base path.
    fn site_path(&self, path: &str, anchor: Option<String>) -> Resolution {
        let dir_form = if path.is_empty() || path.ends_with('/') || path.contains('.') {
            path.to_string()
        } else {
            format!("{path}/")
        };
        let key = dir_form.strip_suffix("index.html").unwrap_or(&dir_form);
        if let Some(&target) = self.by_path.get(key) {
            return Resolution::Internal {
                url: with_anchor(&self.urls[&target], anchor.as_deref()),
                target,
                anchor,
            };
        }
        if self.other_paths.contains(key) || self.other_paths.contains(path) {
            return Resolution::Rewrite(with_anchor(
                &format!("{}{path}", self.base_path),
                anchor.as_deref(),
            ));
        }
        Resolution::Broken(format!("er is geen pagina of bestand op /{path}"))
    }
}

/// A relative link to a `.md` file written in the folder `base` (relative
/// to content/), as an `@/` link: the text of an included file keeps
/// pointing where it pointed in its own folder. `None`: nothing to rebase.
pub(crate) fn rebase(base: &str, dest: &str) -> Option<String> {
    if dest.is_empty()
        || has_scheme(dest)
        || dest.starts_with(['/', '#', '@'])
        || !dest.split(['#', '?']).next().unwrap_or("").ends_with(".md")
    {
        return None;
    }
    let joined = if base.is_empty() {
        dest.to_string()
    } else {
        format!("{base}/{dest}")
    };
    let (path, rest) = match joined.find(['#', '?']) {
        Some(i) => joined.split_at(i),
        None => (joined.as_str(), ""),
    };
    // Climbing out of content/ stays visible as a broken link.
    Some(match normalise(path) {
        Some(p) => format!("@/{p}{rest}"),
        None => format!("@/../{path}{rest}"),
    })
}

fn with_anchor(url: &str, anchor: Option<&str>) -> String {
    match anchor {
        Some(a) => format!("{url}#{a}"),
        None => url.to_string(),
    }
}

fn has_scheme(s: &str) -> bool {
    match s.find(':') {
        Some(i) => s[..i]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.'),
        None => false,
    }
}

pub(crate) fn dir_of(rel: &str) -> &str {
    rel.rfind('/').map(|i| &rel[..i]).unwrap_or("")
}

/// Resolves `.` and `..`; `None` when the path climbs above the root.
pub(crate) fn normalise(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// Checks anchors and relations, fills incoming edges, finds URL clashes.
pub(crate) fn link(site: &mut Site, diags: &mut Vec<Diagnostic>) {
    let mut other = Vec::new();
    link_apart(site, diags, &mut other);
    diags.append(&mut other);
}

/// [`link`], with the anchor problems in `anchor_diags` and the rest
/// (relations, URL clashes) in `other_diags`, so [`relink_bodies`] can
/// replace the first later.
pub(crate) fn link_apart(
    site: &mut Site,
    anchor_diags: &mut Vec<Diagnostic>,
    other_diags: &mut Vec<Diagnostic>,
) {
    check_anchors(site, anchor_diags);
    resolve_relations(site, other_diags);
    compute_backrefs(site);
    check_collisions(site, other_diags);
}

/// The link stage after edits of Markdown bodies only: front matter and
/// URLs are as they were, so relations and URL clashes are too. Checks
/// every anchor again (into `anchor_diags`) and recomputes incoming edges.
pub(crate) fn relink_bodies(site: &mut Site, anchor_diags: &mut Vec<Diagnostic>) {
    check_anchors(site, anchor_diags);
    compute_backrefs(site);
}

fn check_anchors(site: &Site, diags: &mut Vec<Diagnostic>) {
    let docs = (0..site.pages.len())
        .map(Target::Page)
        .chain((0..site.sections.len()).map(Target::Section));
    for doc in docs {
        anchor_problems(site, doc, diags);
    }
}

/// The missing anchors of the links written in one document (serve checks
/// again only the documents an edit can concern).
pub(crate) fn anchor_problems(site: &Site, doc: Target, diags: &mut Vec<Diagnostic>) {
    let (file, rendered) = match doc {
        Target::Page(p) => (&site.pages[p].file, &site.pages[p].rendered),
        Target::Section(s) => (&site.sections[s].file, &site.sections[s].rendered),
    };
    for link in &rendered.links {
        let Some(anchor) = &link.anchor else { continue };
        let anchors = site.anchors_of(link.target);
        if anchors.iter().any(|a| a == anchor) || is_footnote_anchor(anchor) {
            continue;
        }
        let target_file = match link.target {
            Target::Page(p) => &site.pages[p].file.display,
            Target::Section(s) => &site.sections[s].file.display,
        };
        let hint = match closest(anchor, anchors.iter().map(String::as_str)) {
            Some(c) => format!("bedoelt u #{c}?"),
            None if anchors.is_empty() => "de pagina heeft geen kopjes".to_string(),
            None => format!("bestaande ankers: {}", anchors.join(", ")),
        };
        diags.push(
            Diagnostic::error(
                Code::LinkAnchorMissing,
                link.from.as_ref().unwrap_or(&file.display),
                format!("anker #{anchor} bestaat niet in {}", target_file.display()),
            )
            .at_line(Some(link.line))
            .hint(hint),
        );
    }
}

/// The pages page `page` links to in its body: its incoming edges as
/// [`compute_backrefs`] makes them.
pub(crate) fn link_targets(site: &Site, page: PageId) -> BTreeSet<PageId> {
    site.pages[page]
        .rendered
        .links
        .iter()
        .filter_map(|l| match l.target {
            Target::Page(t) if t != page => Some(t),
            _ => None,
        })
        .collect()
}

/// After a body edit of `page` that linked to `old` before: its incoming
/// edges moved, the same as [`compute_backrefs`] of the whole site gives.
pub(crate) fn relink_body(site: &mut Site, page: PageId, old: &BTreeSet<PageId>) {
    let new = link_targets(site, page);
    let links = &mut site.backrefs.links;
    for t in old.difference(&new) {
        if let Some(v) = links.get_mut(t) {
            v.retain(|&x| x != page);
            if v.is_empty() {
                links.remove(t);
            }
        }
    }
    for &t in new.difference(old) {
        let v = links.entry(t).or_default();
        // Sources in page order, as the whole-site pass adds them.
        let at = v.partition_point(|&x| x < page);
        v.insert(at, page);
    }
}

fn is_footnote_anchor(a: &str) -> bool {
    a.chars().all(|c| c.is_ascii_digit())
}

fn resolve_relations(site: &mut Site, diags: &mut Vec<Diagnostic>) {
    // Relation name → (slug → page) of its target section.
    let mut targets: HashMap<&str, HashMap<&str, PageId>> = HashMap::new();
    for (name, rel) in &site.config.relations {
        let dir = rel.section.trim_matches('/');
        let section = site.sections.iter().position(|s| s.dir == dir);
        let Some(section) = section else {
            diags.push(
                Diagnostic::error(
                    Code::ConfigRelationSection,
                    crate::config::CONFIG_FILE,
                    format!("relatie '{name}': sectie '{dir}' bestaat niet"),
                )
                .at_line(rel.line)
                .hint("maak content/<sectie>/_index.md aan of pas 'section:' aan"),
            );
            continue;
        };
        let mut slugs = HashMap::new();
        for &p in &site.sections[section].pages {
            let page = &site.pages[p];
            slugs.insert(page.slug.as_str(), p);
            if let Some(stem) = page
                .file
                .rel
                .rsplit('/')
                .next()
                .and_then(|n| n.strip_suffix(".md"))
            {
                slugs.entry(stem).or_insert(p);
            }
        }
        targets.insert(name.as_str(), slugs);
    }
    let mut resolved: Vec<BTreeMap<String, Vec<PageId>>> = vec![BTreeMap::new(); site.pages.len()];
    for (id, page) in site.pages.iter().enumerate() {
        for name in site.config.relations.keys() {
            let Some(value) = page.meta.raw.get(name) else {
                continue;
            };
            let line = page.meta.raw.line(name);
            let Some(slugs) = value_as_list(Some(value)) else {
                diags.push(
                    Diagnostic::error(
                        Code::RelationNotAList,
                        &page.file.display,
                        format!("{name}: verwacht een lijst met paginanamen"),
                    )
                    .at_line(line)
                    .hint(format!("bijvoorbeeld: {name}: [naam-van-pagina]")),
                );
                continue;
            };
            let Some(table) = targets.get(name.as_str()) else {
                continue;
            };
            let mut ids = Vec::new();
            for slug in slugs {
                match table.get(slug.as_str()) {
                    Some(&target) => {
                        if !ids.contains(&target) {
                            ids.push(target);
                        }
                    }
                    None => {
                        let section = &site.config.relations[name].section;
                        let draft = format!("{}/{slug}.md", section.trim_matches('/'));
                        if site.drafts.contains(&draft) {
                            diags.push(
                                Diagnostic::error(Code::RelationDraft,
                                    &page.file.display,
                                    format!("{name}: '{slug}' is een concept (draft: true) en wordt niet gepubliceerd"),
                                )
                                .at_line(line)
                                .hint("haal de relatie weg of publiceer de pagina; 'build --drafts' toont concepten"),
                            );
                            continue;
                        }
                        let near = (table.len() <= SUGGEST_AMONG)
                            .then(|| closest(&slug, table.keys().copied()))
                            .flatten();
                        let hint = match near {
                            Some(c) => format!("bedoelt u '{c}'?"),
                            None => format!("gebruik de bestandsnaam (zonder .md) van een pagina in content/{section}/"),
                        };
                        diags.push(
                            Diagnostic::error(
                                Code::RelationUnknownPage,
                                &page.file.display,
                                format!("{name}: onbekende pagina '{slug}' in sectie {section}"),
                            )
                            .at_line(line)
                            .hint(hint),
                        );
                    }
                }
            }
            resolved[id].insert(name.clone(), ids);
        }
    }
    for (page, rel) in site.pages.iter_mut().zip(resolved) {
        page.relations = rel;
    }
}

fn compute_backrefs(site: &mut Site) {
    let mut back = Backrefs::default();
    for (id, page) in site.pages.iter().enumerate() {
        for (name, targets) in &page.relations {
            for &t in targets {
                back.relations
                    .entry(t)
                    .or_default()
                    .entry(name.clone())
                    .or_default()
                    .push(id);
            }
        }
        let mut seen = HashSet::new();
        for link in &page.rendered.links {
            if let Target::Page(t) = link.target {
                if t != id && seen.insert(t) {
                    back.links.entry(t).or_default().push(id);
                }
            }
        }
    }
    site.backrefs = back;
}

/// Normalises an alias (`/oud/pad`, `oud/pad/`, `oud.html`) to an output
/// path: a last segment with an extension is a file, anything else a folder.
pub(crate) fn alias_path(alias: &str) -> String {
    let a = alias.trim().trim_start_matches('/');
    let last = a.rsplit('/').next().unwrap_or(a);
    if a.is_empty() || a.ends_with('/') || last.contains('.') {
        a.to_string()
    } else {
        format!("{a}/")
    }
}

/// Two documents (or a document and a generated file) at one URL, compared
/// case-insensitively because common hosts' file systems are.
fn check_collisions(site: &Site, diags: &mut Vec<Diagnostic>) {
    let mut claims: HashMap<String, (String, PathBuf)> = HashMap::new();
    let generated = PathBuf::from("(gegenereerd)");
    for r in RESERVED {
        claims.insert(r.to_lowercase(), (r.to_string(), generated.clone()));
    }
    for t in &site.taxonomies {
        claims.insert(
            t.path.to_lowercase(),
            (
                t.path.clone(),
                PathBuf::from(format!("(taxonomie {})", t.name)),
            ),
        );
    }
    let mut claim =
        |path: String, file: &PathBuf, line: Option<usize>, diags: &mut Vec<Diagnostic>| {
            let key = path.to_lowercase();
            match claims.get(&key) {
                Some((_, other)) if other != file => {
                    diags.push(
                        Diagnostic::error(
                            Code::LinkUrlInUse,
                            file,
                            format!("URL /{path} is al in gebruik door {}", other.display()),
                        )
                        .at_line(line)
                        .hint("geef een van beide een andere 'slug' of bestandsnaam"),
                    );
                }
                Some(_) => {}
                None => {
                    claims.insert(key, (path, file.clone()));
                }
            }
        };
    for s in &site.sections {
        claim(s.path.clone(), &s.file.display, None, diags);
    }
    for p in &site.pages {
        claim(
            p.path.clone(),
            &p.file.display,
            p.meta.raw.line("slug"),
            diags,
        );
    }
    for doc in site
        .pages
        .iter()
        .map(|p| (&p.meta, &p.file))
        .chain(site.sections.iter().map(|s| (&s.meta, &s.file)))
    {
        for alias in &doc.0.aliases {
            claim(
                alias_path(alias),
                &doc.1.display,
                doc.0.raw.line("aliases"),
                diags,
            );
        }
    }
    // Static and bundle files: `x/index.html` takes the URL `x/`.
    for asset in &site.assets {
        let path = asset
            .dest
            .strip_suffix("index.html")
            .unwrap_or(&asset.dest)
            .to_string();
        claim(path, &asset.source, None, diags);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_resolves_dots_and_refuses_escape() {
        assert_eq!(
            normalise("pilots/../conclusies/taal.md").as_deref(),
            Some("conclusies/taal.md")
        );
        assert_eq!(normalise("./a.md").as_deref(), Some("a.md"));
        assert_eq!(normalise("../a.md"), None);
    }

    #[test]
    fn schemes_are_external() {
        assert!(has_scheme("https://x.nl"));
        assert!(has_scheme("mailto:a@b.nl"));
        assert!(!has_scheme("pilots/a.md"));
        assert!(!has_scheme("@/a.md"));
    }

    #[test]
    fn aliases_become_folder_paths() {
        assert_eq!(alias_path("/oud/pad"), "oud/pad/");
        assert_eq!(alias_path("oud.html"), "oud.html");
    }
}
