//! Deterministic Dutch corpus generator for benchmarks: N pages over four
//! sections with front matter, taxonomies, typed relations, tables, lists,
//! footnotes, code blocks and links between pages.
//!
//! The random source is a small xorshift generator rather than the `rand`
//! crate: the corpus must stay byte-identical across crate versions, which
//! `rand` does not promise for its seeded generators.

use std::fmt::Write as _;
use std::path::Path;

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E3779B97F4A7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545F4914F6CDD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    /// Zipf-like: low indexes are much more frequent.
    pub fn zipf<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let r = self.below(items.len() * items.len());
        items[(r as f64).sqrt() as usize % items.len()]
    }
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const SUBJECTS: &[&str] = &[
    "De mentor",
    "De school",
    "Het consortium",
    "De gemeente",
    "De werkgever",
    "De coördinator",
    "De decaan",
    "Het team",
    "De onderzoeker",
    "De loopbaanadviseur",
    "De stagiair",
    "Het UWV",
    "De opleiding",
    "De begeleider",
    "Het kennispunt",
    "De cliënt",
    "De docent",
    "Het netwerk",
];
const VERBS: &[&str] = &[
    "verbetert",
    "onderzoekt",
    "bespreekt",
    "coördineert",
    "evalueert",
    "versterkt",
    "organiseert",
    "analyseert",
    "begeleidt",
    "stimuleert",
    "deelt",
    "beïnvloedt",
    "herziet",
    "ondersteunt",
];
const OBJECTS: &[&str] = &[
    "de stageplaatsen",
    "de ervaringen",
    "de werving",
    "de selectie",
    "de begeleiding",
    "de taalvaardigheid",
    "de samenwerking",
    "de knelpunten",
    "de reünie",
    "de financiën",
    "de oriëntatie",
    "de ideeën",
    "de coördinatie",
    "de privé-situatie",
    "de façade van de aanpak",
    "de werkgevers",
    "de studenten",
    "de resultaten",
    "het curriculum",
    "de loopbaan",
];
const ADVERBIALS: &[&str] = &[
    "met een naïeve blik",
    "in coördinatie met de decaan",
    "op een efficiënte manier",
    "tijdens de stage",
    "na de reünie",
    "zonder extra financiële middelen",
    "in het café van de opleiding",
    "gedurende het schooljaar",
    "bij de oriëntatie",
    "voor de volgende fase",
    "met behulp van een enquête",
    "in samenwerking met de gemeente",
];
const ADJECTIVES: &[&str] = &[
    "effectief",
    "haalbaar",
    "duurzaam",
    "complex",
    "creatief",
    "praktisch",
    "essentieel",
    "geïnformeerd",
    "gecoördineerd",
    "uitdagend",
    "naïef",
    "efficiënt",
];
const HEADINGS: &[&str] = &[
    "Aanleiding",
    "Aanpak",
    "Resultaten",
    "Evaluatie",
    "Aanbevelingen",
    "Knelpunten",
    "Overgang mbo – arbeidsmarkt",
    "Rol van de werkgever",
    "Financiën",
    "Vervolg",
];
const TOPICS: &[&str] = &[
    "loopbaangesprekken",
    "stagebegeleiding",
    "taalcoaching",
    "ouderbetrokkenheid",
    "netwerkbijeenkomsten",
    "beroepsoriëntatie",
    "hybride onderwijs",
    "mentoraat",
    "financiële educatie",
    "portfolio-ontwikkeling",
    "anoniem solliciteren",
    "café-gesprekken",
];
const TAGS: &[&str] = &[
    "taal",
    "stage",
    "begeleiding",
    "werving",
    "selectie",
    "mbo",
    "vmbo",
    "hbo",
    "werkgevers",
    "gemeenten",
    "uwv",
    "corona",
    "diversiteit",
    "inclusie",
    "loopbaanoriëntatie",
    "nudging",
    "barometer",
    "monitoring",
    "onderwijs",
    "zorg",
    "techniek",
    "spoor",
    "bijstand",
    "ww",
    "jongeren",
    "vrouwen",
    "mentoraat",
    "netwerk",
    "cultuur",
    "leidinggevenden",
    "collega's",
    "taalcoaching",
    "re-integratie",
    "maatwerk",
    "kinderopvang",
    "ouders",
    "regio",
    "sectoren",
    "flexwerk",
    "discriminatie",
];
const MOMENTS: &[&str] = &[
    "studiekeuze",
    "overgang naar werk",
    "werkloosheid",
    "werving en selectie",
    "loopbaan",
];
const GROUPS: &[&str] = &[
    "vmbo-leerlingen",
    "mbo-studenten",
    "werkzoekenden",
    "werkgevers",
    "zij-instromers",
    "alumni",
];
const STATUSES: &[&str] = &["loopt", "afgerond", "aangepast", "vertraagd"];

pub struct Section {
    pub dir: &'static str,
    pub title: &'static str,
    pub prefix: &'static str,
    pub soort: &'static str,
    pub percent: usize,
}

pub const SECTIONS: &[Section] = &[
    Section {
        dir: "pilots",
        title: "Pilots",
        prefix: "pilot",
        soort: "pilot",
        percent: 30,
    },
    Section {
        dir: "conclusies",
        title: "Conclusies",
        prefix: "conclusie",
        soort: "conclusie",
        percent: 20,
    },
    Section {
        dir: "praktijken",
        title: "Praktijken",
        prefix: "praktijk",
        soort: "praktijk",
        percent: 30,
    },
    Section {
        dir: "nieuws",
        title: "Nieuws",
        prefix: "bericht",
        soort: "nieuws",
        percent: 20,
    },
];

/// Which section page `i` of `n` is in, and its file stem.
fn place(i: usize, n: usize, rng_topic: &str) -> (&'static Section, String) {
    let mut acc = 0;
    let slot = i * 100 / n.max(1);
    for s in SECTIONS {
        acc += s.percent;
        if slot < acc {
            return (
                s,
                format!("{}-{i:05}-{}", s.prefix, crate::corpus::slug(rng_topic)),
            );
        }
    }
    let s = &SECTIONS[SECTIONS.len() - 1];
    (s, format!("{}-{i:05}-{}", s.prefix, slug(rng_topic)))
}

pub fn slug(s: &str) -> String {
    kennisbank::markdown::slugify(s)
}

fn sentence(rng: &mut Rng) -> String {
    let adj = rng.pick(ADJECTIVES);
    match rng.below(3) {
        0 => format!(
            "{} {} {} {}.",
            rng.pick(SUBJECTS),
            rng.pick(VERBS),
            rng.pick(OBJECTS),
            rng.pick(ADVERBIALS)
        ),
        1 => format!(
            "Volgens {} is {} {} en {adj}.",
            rng.pick(SUBJECTS).to_lowercase(),
            rng.pick(OBJECTS),
            rng.pick(ADJECTIVES)
        ),
        _ => format!(
            "{} {} {} {} en dat is {adj}.",
            rng.pick(SUBJECTS),
            rng.pick(VERBS),
            rng.pick(OBJECTS),
            rng.pick(ADVERBIALS)
        ),
    }
}

fn paragraph(rng: &mut Rng) -> String {
    let n = 3 + rng.below(4);
    (0..n).map(|_| sentence(rng)).collect::<Vec<_>>().join(" ")
}

/// Writes the corpus; returns the number of pages written.
pub fn generate(out: &Path, pages: usize, seed: u64) -> std::io::Result<usize> {
    let mut rng = Rng::new(seed);
    std::fs::create_dir_all(out.join("content"))?;
    std::fs::write(out.join("kennisbank.yaml"), CONFIG)?;
    std::fs::write(
        out.join("content/_index.md"),
        "---\ntitle: \"Benchmark-kennisbank\"\ndescription: \"Gegenereerde pagina's.\"\n---\n\nWelkom in de gegenereerde kennisbank.\n",
    )?;
    // Stems first, so pages can link to and relate to each other.
    let topics: Vec<&str> = (0..pages).map(|_| rng.pick(TOPICS)).collect();
    let placed: Vec<(&Section, String)> = (0..pages).map(|i| place(i, pages, topics[i])).collect();
    for s in SECTIONS {
        std::fs::create_dir_all(out.join("content").join(s.dir))?;
        let schema = if s.dir == "pilots" {
            "schema:\n  status: { required: true, values: [loopt, afgerond, aangepast, vertraagd] }\n"
        } else {
            ""
        };
        std::fs::write(
            out.join("content").join(s.dir).join("_index.md"),
            format!("---\ntitle: \"{}\"\ndescription: \"Alle {}.\"\nsoort: {}\nsort_by: date\n{schema}---\n\n{}\n", s.title, s.dir, s.soort, paragraph(&mut rng)),
        )?;
    }
    let of_section =
        |dir: &str| -> Vec<usize> { (0..pages).filter(|&i| placed[i].0.dir == dir).collect() };
    let pilots = of_section("pilots");
    let conclusions = of_section("conclusies");
    for i in 0..pages {
        let (section, stem) = &placed[i];
        let mut fm = String::new();
        let title = format!(
            "{} {} {}",
            section.title.trim_end_matches('s'),
            topics[i],
            rng.pick(&[
                "in Zwolle",
                "voor alumni",
                "bij het UWV",
                "in de zorg",
                "met werkgevers",
                "op het spoor"
            ])
        );
        let _ = writeln!(fm, "---\ntitle: \"{title}\"");
        let _ = writeln!(
            fm,
            "date: 20{:02}-{:02}-{:02}",
            18 + rng.below(4),
            1 + rng.below(12),
            1 + rng.below(28)
        );
        let _ = writeln!(fm, "description: \"{}\"", sentence(&mut rng));
        let ntags = 2 + rng.below(4);
        let mut tags: Vec<&str> = (0..ntags).map(|_| rng.zipf(TAGS)).collect();
        tags.sort_unstable();
        tags.dedup();
        let _ = writeln!(
            fm,
            "tags: [{}]",
            tags.iter()
                .map(|t| format!("\"{t}\""))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let _ = writeln!(fm, "loopbaanmoment: \"{}\"", rng.pick(MOMENTS));
        let _ = writeln!(
            fm,
            "doelgroep: [\"{}\", \"{}\"]",
            rng.pick(GROUPS),
            rng.pick(GROUPS)
        );
        if section.dir == "pilots" {
            let _ = writeln!(fm, "status: {}", rng.pick(STATUSES));
        }
        if section.dir == "conclusies" && !pilots.is_empty() {
            let a = &placed[pilots[rng.below(pilots.len())]].1;
            let b = &placed[pilots[rng.below(pilots.len())]].1;
            let _ = writeln!(fm, "pilots: [{a}, {b}]");
        }
        if section.dir == "praktijken" && !conclusions.is_empty() {
            let a = &placed[conclusions[rng.below(conclusions.len())]].1;
            let _ = writeln!(fm, "conclusies: [{a}]");
        }
        fm.push_str("---\n\n");
        let mut body = fm;
        let target_words = 560 + rng.below(790);
        let mut words = 0;
        let mut footnote = false;
        let mut links = 0;
        while words < target_words {
            if rng.chance(25) {
                let _ = writeln!(body, "## {}\n", rng.pick(HEADINGS));
            }
            let mut p = paragraph(&mut rng);
            if links < 3 && rng.chance(40) && pages > 1 {
                let j = rng.below(pages);
                let (s, st) = &placed[j];
                p.push_str(&format!(
                    " Zie ook [{}](@/{}/{st}.md) voor een vergelijkbare aanpak.",
                    topics[j], s.dir
                ));
                links += 1;
            }
            if !footnote && rng.chance(3) {
                p.push_str("[^1]");
                footnote = true;
            }
            words += p.split_whitespace().count();
            let _ = writeln!(body, "{p}\n");
            match rng.below(12) {
                0 => {
                    let _ = writeln!(
                        body,
                        "- {}\n- {}\n- {}\n",
                        rng.pick(OBJECTS),
                        rng.pick(OBJECTS),
                        rng.pick(OBJECTS)
                    );
                }
                1 => {
                    let _ = writeln!(
                        body,
                        "1. {}\n2. {}\n",
                        sentence(&mut rng),
                        sentence(&mut rng)
                    );
                }
                2 => {
                    let _ = writeln!(body, "> {}\n", sentence(&mut rng));
                }
                3 if rng.chance(45) => {
                    let _ = writeln!(body, "| Onderdeel | Stand | Opmerking |\n|---|---|---|");
                    for _ in 0..3 {
                        let _ = writeln!(
                            body,
                            "| {} | {} | {} |",
                            rng.pick(TOPICS),
                            rng.pick(STATUSES),
                            rng.pick(ADJECTIVES)
                        );
                    }
                    body.push('\n');
                }
                4 if rng.chance(25) => {
                    let _ = writeln!(
                        body,
                        "```yaml\nstatus: {}\nloopbaanmoment: \"{}\"\n```\n",
                        rng.pick(STATUSES),
                        rng.pick(MOMENTS)
                    );
                }
                _ => {}
            }
        }
        if footnote {
            let _ = writeln!(body, "[^1]: {}", sentence(&mut rng));
        }
        std::fs::write(
            out.join("content")
                .join(section.dir)
                .join(format!("{stem}.md")),
            body,
        )?;
    }
    Ok(pages)
}

const CONFIG: &str = r#"title: "Benchmark-kennisbank"
description: "Gegenereerde kennisbank voor metingen."
base_url: "/"
language: nl
theme: default
taxonomies:
  - { name: tags, title: Tags }
  - { name: loopbaanmoment, title: Loopbaanmoment }
  - { name: doelgroep, title: Doelgroep }
  - { name: status, title: Status }
  - { name: regio, title: Regio }
relations:
  pilots: { section: pilots, title: Pilots }
  conclusies: { section: conclusies, title: Conclusies }
search:
  filters: [soort, status, loopbaanmoment, doelgroep]
"#;

/// Where the buildable site of a corpus is: the corpus itself when it has a
/// `content/` folder (ours), else a sibling `<dir>-kb/` whose `content` links
/// to it (`gen_corpus.py` writes the sections at the top level).
pub fn site_dir(dir: &Path) -> std::path::PathBuf {
    if dir.join("content").is_dir() {
        dir.to_path_buf()
    } else {
        let mut name = dir.file_name().unwrap_or_default().to_os_string();
        name.push("-kb");
        dir.with_file_name(name)
    }
}

/// Makes a corpus buildable: config, themes, and for a `gen_corpus.py`
/// corpus a site folder linking to it. Idempotent.
pub fn adapt(corpus: &Path, themes: &Path) -> std::io::Result<()> {
    let dir = &site_dir(corpus);
    if dir != corpus && !dir.join("content").exists() {
        std::fs::create_dir_all(dir)?;
        #[cfg(unix)]
        std::os::unix::fs::symlink(corpus.canonicalize()?, dir.join("content"))?;
    }
    if !dir.join("kennisbank.yaml").exists() {
        std::fs::write(dir.join("kennisbank.yaml"), CONFIG)?;
    }
    link_themes(dir, themes)?;
    Ok(())
}

/// Links every theme in `themes` into `dir/themes/` (once).
fn link_themes(dir: &Path, themes: &Path) -> std::io::Result<()> {
    let target = dir.join("themes");
    std::fs::create_dir_all(&target)?;
    for entry in std::fs::read_dir(themes)? {
        let entry = entry?;
        let link = target.join(entry.file_name());
        if !link.exists() {
            #[cfg(unix)]
            std::os::unix::fs::symlink(entry.path().canonicalize()?, &link)?;
        }
    }
    Ok(())
}

/// The like-for-like site for the peer comparison: `<corpus>-peer/`.
pub fn peer_dir(corpus: &Path) -> std::path::PathBuf {
    let mut name = corpus.file_name().unwrap_or_default().to_os_string();
    name.push("-peer");
    corpus.with_file_name(name)
}

/// Front-matter keys the peers get under `extra:` (Hugo and Zola render only
/// `tags` as a taxonomy; `../shared/bench/adapt.py` moves the rest there).
const PEER_EXTRA_KEYS: &[&str] = &[
    "loopbaanmoment",
    "doelgroep",
    "regio",
    "status",
    "pilots",
    "conclusies",
];

/// Configuration of the peer site: what the peers' benchmark sites do and
/// no more (one taxonomy, no feed, no search page).
const PEER_CONFIG: &str = r#"title: "Kennisbank"
description: "Pilots, conclusies, praktijken en nieuws."
base_url: "https://kb.example.org/"
language: nl
theme: peer
taxonomies:
  - { name: tags, title: Tags }
feed: false
search:
  enabled: false
"#;

/// Writes the peer site for `corpus` (once): its content with the
/// [`PEER_EXTRA_KEYS`] moved under `extra:` and section schemas dropped,
/// [`PEER_CONFIG`], and the themes in `themes`.
pub fn adapt_peer(corpus: &Path, themes: &Path) -> std::io::Result<()> {
    let dir = peer_dir(corpus);
    if dir.join("kennisbank.yaml").exists() {
        return Ok(());
    }
    let content = site_dir(corpus).join("content");
    for entry in walkdir::WalkDir::new(&content).follow_links(true) {
        let entry = entry.map_err(std::io::Error::other)?;
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry.path().strip_prefix(&content).unwrap_or(entry.path());
        let to = dir.join("content").join(rel);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        if rel.extension().is_some_and(|e| e == "md") {
            let text = std::fs::read_to_string(entry.path())?;
            std::fs::write(&to, to_peer_front_matter(&text))?;
        } else {
            std::fs::copy(entry.path(), &to)?;
        }
    }
    link_themes(&dir, themes)?;
    // Last: its presence marks the site complete.
    std::fs::write(dir.join("kennisbank.yaml"), PEER_CONFIG)
}

/// Moves the top-level front-matter entries named in [`PEER_EXTRA_KEYS`]
/// (with their indented continuation lines) under `extra:`, and drops
/// `schema:`.
fn to_peer_front_matter(text: &str) -> String {
    let Some(rest) = text.strip_prefix("---\n") else {
        return text.to_string();
    };
    let Some(end) = rest.find("\n---\n") else {
        return text.to_string();
    };
    let (front, body) = (&rest[..end + 1], &rest[end + 1..]);
    let (mut kept, mut extra) = (String::new(), String::new());
    let mut into: Option<bool> = None; // Some(true): extra, Some(false): dropped
    for line in front.lines() {
        if !line.starts_with([' ', '\t']) {
            let key = line.split(':').next().unwrap_or("");
            into = if PEER_EXTRA_KEYS.contains(&key) {
                Some(true)
            } else if key == "schema" {
                Some(false)
            } else {
                None
            };
        }
        match into {
            Some(true) => {
                extra.push_str("  ");
                extra.push_str(line);
                extra.push('\n');
            }
            Some(false) => {}
            None => {
                kept.push_str(line);
                kept.push('\n');
            }
        }
    }
    if !extra.is_empty() {
        kept.push_str("extra:\n");
        kept.push_str(&extra);
    }
    format!("---\n{kept}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_front_matter_moves_fields_under_extra() {
        let text = "---\ntitle: \"A: b\"\ntags: [x]\ndoelgroep:\n  - \"een\"\n  - twee\nregio: Zwolle\nschema:\n  status: { required: true }\n---\n\nTekst: hier.\n";
        assert_eq!(
            to_peer_front_matter(text),
            "---\ntitle: \"A: b\"\ntags: [x]\nextra:\n  doelgroep:\n    - \"een\"\n    - twee\n  regio: Zwolle\n---\n\nTekst: hier.\n"
        );
        let plain = "Geen front matter.\n";
        assert_eq!(to_peer_front_matter(plain), plain);
    }

    #[test]
    fn same_seed_same_corpus() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        generate(a.path(), 30, 42).unwrap();
        generate(b.path(), 30, 42).unwrap();
        let read = |d: &Path| {
            std::fs::read_to_string(
                d.join("content/pilots")
                    .read_dir()
                    .unwrap()
                    .next()
                    .unwrap()
                    .unwrap()
                    .path(),
            )
            .unwrap()
        };
        assert_eq!(read(a.path()), read(b.path()));
    }
}
