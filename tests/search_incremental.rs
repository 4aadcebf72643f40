//! Serve's incremental search index against a full build. The real serve
//! engine applies each save to a copy of `tests/fixtures/search-nl` (Dutch
//! near-words, compounds, filters); the live index is updated from the
//! engine's model as serve does, and must read back (`search::bundle`) the
//! same words, postings, filters and fragments as a full `build` of the same
//! files, while re-analysing only the saved page and rewriting only some of
//! the chunks.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kennisbank::search::bundle;
use kennisbank::serve::classify::Batch;
use kennisbank::serve::engine::Engine;
use kennisbank::site::{build_in_memory, BuildOptions};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn site_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(&repo().join("tests/fixtures/search-nl"), dir.path());
    common::copy_dir(
        &repo().join("themes/default"),
        &dir.path().join("themes/default"),
    );
    dir
}

fn options(root: &Path, search: bool) -> BuildOptions {
    BuildOptions {
        root: root.to_path_buf(),
        search,
        ..BuildOptions::default()
    }
}

/// The live index updated from the engine's model, as `serve` does it.
fn update(
    live: &mut kennisbank::search::LiveIndex,
    e: &Engine,
) -> (BTreeMap<String, Vec<u8>>, kennisbank::search::LiveStats) {
    let site = e.good_site().expect("the site builds");
    let records = kennisbank::search::records(site, &e.rendered_pages());
    let (files, _, stats) = live
        .update_counted(&site.config.language, &records)
        .expect("the index is made");
    (
        files.into_iter().map(|f| (f.path, f.bytes)).collect(),
        stats,
    )
}

fn save(e: &mut Engine, root: &Path, rel: &str, text: &str) {
    std::fs::write(root.join(rel), text).unwrap();
    let mut b = Batch::default();
    assert!(b.add(root, &root.join(rel), e.theme_name()), "{rel} counts");
    e.apply(&b, &[]);
    while e.has_queue() {
        e.step(&[], &|| false);
    }
    assert!(e.errors().is_empty(), "{:?}", e.errors());
}

fn read(files: &BTreeMap<String, Vec<u8>>) -> bundle::Index {
    bundle::read_index(&|rel| {
        files
            .get(&format!("pagefind/{rel}"))
            .cloned()
            .ok_or_else(|| std::io::Error::other(format!("{rel} is not in the bundle")))
    })
    .expect("the index reads back")
}

/// The live index must equal a full build of the files on disk.
fn assert_same_as_build(live: &BTreeMap<String, Vec<u8>>, root: &Path, step: &str) {
    let built = build_in_memory(&options(root, true)).expect("the site builds");
    let full: BTreeMap<String, Vec<u8>> = built
        .files
        .into_iter()
        .filter(|f| f.path.starts_with("pagefind/"))
        .map(|f| (f.path, f.bytes))
        .collect();
    let (a, b) = (read(live), read(&full));
    assert_eq!(a.pages.len(), b.pages.len(), "{step}: pages");
    let words_a: Vec<&String> = a.words.keys().collect();
    let words_b: Vec<&String> = b.words.keys().collect();
    assert_eq!(words_a, words_b, "{step}: the words");
    for (w, hits) in &b.words {
        assert_eq!(a.words.get(w), Some(hits), "{step}: the postings of {w}");
    }
    assert_eq!(a.filters, b.filters, "{step}: the filters");
    assert!(b.facets.is_some(), "{step}: the build writes facets");
    assert_eq!(a.facets, b.facets, "{step}: the facets");
    for (pa, pb) in a.pages.iter().zip(&b.pages) {
        assert_eq!(pa.hash, pb.hash, "{step}: fragment names");
        assert_eq!(pa.word_count, pb.word_count, "{step}: word counts");
        assert_eq!(pa.fragment, pb.fragment, "{step}: fragments");
    }
}

/// The index key of a Dutch word.
fn key(word: &str) -> String {
    kennisbank::search::word_keys(word, true).unwrap().key
}

fn changed<'a>(
    before: &'a BTreeMap<String, Vec<u8>>,
    after: &'a BTreeMap<String, Vec<u8>>,
    prefix: &str,
) -> usize {
    after
        .iter()
        .filter(|(p, b)| p.starts_with(prefix) && before.get(*p) != Some(*b))
        .count()
}

#[test]
fn serve_index_after_body_and_front_matter_saves_equals_a_full_build() {
    let dir = site_copy();
    let root = dir.path();
    let mut e = Engine::new(options(root, false), None);
    e.initial();
    assert!(e.errors().is_empty(), "{:?}", e.errors());
    // One word per chunk: a word an update should rebuild and does not
    // keeps its old chunk and shows in the comparison.
    let mut live = kennisbank::search::LiveIndex::with_chunk_size(1);
    let (first, stats) = update(&mut live, &e);
    let pages = read(&first).pages.len();
    assert!(pages > 10, "{pages} pages: the fixture has more");
    assert_eq!(
        stats.analysed, pages,
        "the first update analyses every page"
    );
    assert_same_as_build(&first, root, "start");

    let (again, stats) = update(&mut live, &e);
    assert_eq!(again, first, "nothing saved, nothing rewritten");
    assert_eq!((stats.analysed, stats.chunks_written), (0, 0));

    // A body save with words the site does not have yet, among them a
    // compound whose parts are on other pages (it gives them postings).
    let rel = "content/pilots/taalcoaching.md";
    let original = std::fs::read_to_string(root.join(rel)).unwrap();
    let body = format!(
        "{original}\nDe taalcoach schrijft een verslag over de arbeidsmarktbegeleiding van studenten.\n"
    );
    save(&mut e, root, rel, &body);
    let (after_body, stats) = update(&mut live, &e);
    assert_eq!(stats.analysed, 1, "only the saved page is analysed again");
    assert_eq!(changed(&first, &after_body, "pagefind/fragment/"), 1);
    assert_eq!(
        changed(&first, &after_body, "pagefind/filter/"),
        0,
        "no filter value changed"
    );
    let chunks = after_body
        .keys()
        .filter(|p| p.starts_with("pagefind/index/"))
        .count();
    assert!(
        stats.chunks_written >= 1 && stats.chunks_written <= chunks,
        "{} of {chunks} chunks written",
        stats.chunks_written
    );
    assert!(read(&after_body).words.contains_key(&key("verslag")));
    assert_same_as_build(&after_body, root, "body save");

    // A front-matter save: the title and a term (a filter value) change.
    let front = body
        .replace(
            "title: Pilot taalcoaching",
            "title: Pilot taalcoaching met een taalmaatje",
        )
        .replace("thema: [onderwijs]", "thema: [onderwijs, werkgevers]");
    assert_ne!(front, body, "the fixture's front matter is as expected");
    save(&mut e, root, rel, &front);
    let (after_front, stats) = update(&mut live, &e);
    assert_eq!(stats.analysed, 1, "only the saved page is analysed again");
    assert!(
        changed(&after_body, &after_front, "pagefind/filter/") >= 1,
        "the thema filter changed"
    );
    assert!(
        changed(&after_body, &after_front, "pagefind/kb-facets.") >= 1,
        "the facets changed with it"
    );
    assert!(read(&after_front).words.contains_key(&key("taalmaatje")));
    assert_same_as_build(&after_front, root, "front-matter save");

    // The page as it was: the new words leave the index again.
    save(&mut e, root, rel, &original);
    let (restored, _) = update(&mut live, &e);
    assert_same_as_build(&restored, root, "restored");
    assert!(!read(&restored).words.contains_key(&key("verslag")));
    assert!(!read(&restored).words.contains_key(&key("taalmaatje")));

    // A description one word longer, in words the site has: no key comes
    // or goes, but every later position on the page moves, also those that
    // `gegevensbescherming` gives its part `bescherming`, a word that is
    // not on this page itself.
    let rel = "content/onderwerpen/gegevensbescherming.md";
    let text = std::fs::read_to_string(root.join(rel)).unwrap();
    let longer = text.replace("die gegevens van", "die de gegevens van");
    assert_ne!(longer, text, "the fixture's description is as expected");
    save(&mut e, root, rel, &longer);
    let (moved, stats) = update(&mut live, &e);
    assert_eq!(stats.analysed, 1);
    assert_same_as_build(&moved, root, "positions moved");

    // A title one word longer, in a word the page has (`school` is in its
    // title already): every position in the page's text moves, the body's
    // too (not those in its metadata fields), and each word whose postings
    // changed must be rewritten (one word per chunk).
    let title = "title: Gegevensbescherming op school";
    assert!(longer.contains(title), "the fixture's title is as expected");
    let page_words = |files: &BTreeMap<String, Vec<u8>>| {
        let index = read(files);
        let n = index
            .pages
            .iter()
            .position(|p| p.fragment["url"] == "/onderwerpen/gegevensbescherming/")
            .expect("the page is indexed");
        index
            .words
            .into_iter()
            .filter(|(_, hits)| hits.iter().any(|h| h.page == n))
            .collect::<BTreeMap<_, _>>()
    };
    let changed_words = |a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>| {
        let (a, b) = (read(a).words, read(b).words);
        let mut all: Vec<&String> = a.keys().chain(b.keys()).collect();
        all.sort();
        all.dedup();
        all.into_iter().filter(|w| a.get(*w) != b.get(*w)).count()
    };
    let longer_title = longer.replace(title, "title: Gegevensbescherming op de school");
    save(&mut e, root, rel, &longer_title);
    let (retitled, stats) = update(&mut live, &e);
    assert_eq!(stats.analysed, 1);
    assert_same_as_build(&retitled, root, "a longer title");
    let on_page = page_words(&retitled).len();
    let moved_words = changed_words(&moved, &retitled);
    assert!(
        moved_words > on_page / 2,
        "{moved_words} of the {on_page} words on the page moved"
    );
    assert!(
        stats.chunks_written >= moved_words,
        "{} chunks written, {moved_words} words changed",
        stats.chunks_written
    );
    // Their positions moved on this page only: patched there, not made
    // again from every page that has them (debug builds check each patch
    // against the word made again).
    assert!(
        stats.words_patched > moved_words / 2,
        "{} of {moved_words} changed words patched",
        stats.words_patched
    );

    // The same length again, one word other: only that word's chunks and
    // those of the words it replaces change, not the page's other words.
    let other_word = longer_title.replace("op de school", "op een school");
    save(&mut e, root, rel, &other_word);
    let (renamed, stats) = update(&mut live, &e);
    assert_same_as_build(&renamed, root, "a title word replaced");
    let replaced = changed_words(&retitled, &renamed);
    assert!(
        stats.chunks_written >= replaced && replaced >= 2 && stats.chunks_written < on_page / 2,
        "{} chunks written, {replaced} words changed, {on_page} on the page",
        stats.chunks_written
    );
}
