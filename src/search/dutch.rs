//! Dutch analysis for the search index: the key each word is indexed
//! under. Placeholder until the Dutch analyser lands (branch `dutch`):
//! lower case and diacritics folded, no stemming, no decompounding.

/// Lower case with diacritics folded (`Geïnformeerd` → `geinformeerd`).
pub fn normalise(word: &str) -> String {
    deunicode::deunicode(&word.to_lowercase())
}

/// The inflection key of a normalised word (placeholder: the word itself).
pub fn stem(normalised: &str) -> String {
    normalised.to_string()
}

/// Keys of a compound's parts that occur on their own in the site's
/// vocabulary (`known`); placeholder: none.
pub fn compound_parts(_key: &str, _known: &dyn Fn(&str) -> bool) -> Vec<String> {
    Vec::new()
}
