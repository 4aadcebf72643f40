// Dutch search keys, the same rules as src/search/dutch.rs (docs/search.md,
// "Dutch analysis"). The index is written with these keys and Pagefind's
// non-stemming engine, so the reader's query must become the same keys here.
// tests/fixtures/dutch/vectors.tsv is checked against both implementations.
// No dependencies, no vocabulary: only the rules below.

const VOWELS = "aeiouy";
const isVowel = (c) => c !== undefined && VOWELS.includes(c);
const isLetter = (c) => c >= "a" && c <= "z";
const isConsonant = (c) => isLetter(c) && !isVowel(c);

// Words that look inflected but are not: their -s, -e or -en is part of
// the word (adverbs, prepositions, numbers, pronouns).
const KEEP = new Set([
  "alles", "anders", "divers", "volgens", "tijdens", "ergens", "nergens", "overigens",
  "straks", "soms", "adres", "congres", "deze", "date", "waren", "binnen", "buiten", "tussen",
  "tegen", "boven", "beneden", "samen", "eigen", "midden", "even", "zeven", "negen",
  "verlies",
]);

// Plurals whose short vowel is written open (dag, dagen): the rule would
// double it and meet another word (gaten → gaat, of gaan).
const IRREGULAR = new Map([
  ["dagen", "dag"], ["gaten", "gat"], ["paden", "pad"], ["wegen", "weg"], ["glazen", "glas"],
  ["bladen", "blad"], ["steden", "stad"], ["schepen", "schip"], ["leden", "lid"],
]);

/** Lowercase, diacritics folded (geïnformeerd → geinformeerd), ’ → '. */
export function normalise(word) {
  return word
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[\u2018\u2019\u02bc]/g, "'");
}

function vowelGroups(s) {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (isVowel(s[i]) && !isVowel(s[i - 1])) n++;
  return n;
}

// The stem left after an ending that opened its last syllable: -en
// (`plural`) or -e. Undo the open syllable's spelling: bakken → bak,
// brieven → brief, huizen → huis, and a single a, o, u before one consonant
// was long (jaren → jaar, resultaten → resultaat). A single e only in a
// one-syllable stem after -en (menen → meen): elsewhere it may be a schwa
// (wandelen → wandel), and long e is written single in keys anyway (tidy).
// After -e, vowels are doubled only in longer stems (sociale → sociaal), so
// that stage, base, zone, note keep keys that are prefixes of the word.
function closeSyllable(s, plural) {
  const n = s.length;
  const last = s[n - 1];
  if (isConsonant(last) && s[n - 2] === last) return s.slice(0, -1);
  if (last === "v") s = s.slice(0, -1) + "f";
  else if (last === "z") s = s.slice(0, -1) + "s";
  const v = s[n - 2];
  if (n >= 3 && isConsonant(s[n - 1]) && isConsonant(s[n - 3])) {
    const one = vowelGroups(s) === 1;
    const double = plural ? "aou".includes(v) || (v === "e" && one) : "aou".includes(v) && !one;
    if (double) return s.slice(0, n - 1) + v + s.slice(n - 1);
  }
  return s;
}

// A long e before the last consonant of a longer word is written single in
// the key (probleem, problemen → problem; informeer, informeren → informer):
// the open syllable cannot tell it from a schwa. Not before n, so that a
// word being typed (gemeen…) stays a prefix of its key (gemeent).
function tidy(s) {
  const n = s.length;
  if (n >= 5 && s[n - 2] === "e" && s[n - 3] === "e" && isConsonant(s[n - 1]) && s[n - 1] !== "n"
      && isConsonant(s[n - 4]) && vowelGroups(s) >= 2) {
    return s.slice(0, n - 2) + s.slice(n - 1);
  }
  return s;
}

// -s plurals: after -e (stages, conclusies; not -ces, -[C]res, -vies,
// -cies: proces, adres, advies, precies), -er/-el/-em (werkgevers), a vowel
// + r (leraars), -en (jongens) and a short vowel + t, k, m, p, d, g
// (pilots, workshops: loanwords); and 's with its apostrophe dropped, as
// the index and Pagefind drop punctuation: -os after a consonant (fotos,
// mbos), -ys (hobbys), -as after a vowel and consonant (paginas, collegas;
// not atlas, aardgas).
function pluralS(w) {
  const n = w.length;
  if (!w.endsWith("s") || n < 4) return false;
  const b = w[n - 2];
  const c = w[n - 3];
  if (b === "o") return isConsonant(c);
  if (n < 5) return false;
  if (b === "y") return isConsonant(c);
  if (b === "a") return n >= 6 && isConsonant(c) && isVowel(w[n - 4]);
  if (b === "e" && c === "i") return !"vc".includes(w[n - 4]);
  if (b === "e") return isConsonant(c) && c !== "c" && !(c === "r" && isConsonant(w[n - 4]));
  if ((b === "r" || b === "l" || b === "m") && c === "e") return true;
  if (b === "r" && isVowel(c)) return n >= 6;
  if (b === "n" && c === "e") return n >= 6;
  if ("tkmpdg".includes(b) && isVowel(c)) return n >= 6 && isConsonant(w[n - 4]);
  return false;
}

/**
 * The key of a normalised word: its inflection key, and of an agent or
 * action noun the verb stem it shares with its siblings (root): begeleiders,
 * begeleider, begeleiding, begeleiden → begeleid; beleid stays beleid.
 */
export function stem(word) {
  return root(word, inflect(word));
}

// Whether s can be the verb stem before -ing or -er: two syllables left,
// ending in a consonant (woning, water, kinder, papier keep their ending).
const verbStem = (s) => s.length >= 5 && isConsonant(s[s.length - 1]) && vowelGroups(s) >= 2;

/**
 * The inflection key of word without the -ing or -er the word ends in
 * (begeleiding(en), begeleider(s) → begeleid; vergadering → vergader, as
 * vergaderen). Only -er after a consonant (not the -eer of informeer), a
 * doubled consonant before the ending written single (bestemming → bestem).
 */
export function root(word, key) {
  const n = word.length;
  let ending;
  if (word.endsWith("ing") || word.endsWith("ingen")) ending = "ing";
  else if ((word.endsWith("er") && isConsonant(word[n - 3])) || (word.endsWith("ers") && isConsonant(word[n - 4]))) ending = "er";
  else return key;
  if (![...key].every(isLetter) || !key.endsWith(ending)) return key;
  let s = key.slice(0, -ending.length);
  if (!verbStem(s)) return key;
  if (s[s.length - 1] === s[s.length - 2]) s = s.slice(0, -1);
  return s;
}

/** The inflection key of a normalised word (docs/search.md, "Dutch analysis"). */
export function inflect(word) {
  let w = word;
  // Plural and genitive 's (auto's, cv's) and a trailing apostrophe.
  if (w.endsWith("'s")) return w.slice(0, -2);
  if (w.endsWith("'")) return w.slice(0, -1);
  if (w.length < 4 || ![...w].every(isLetter) || KEEP.has(w)) return w;
  if (IRREGULAR.has(w)) return IRREGULAR.get(w);
  if (pluralS(w)) w = w.slice(0, -1);
  const m = w.length;
  // -heden is the plural of -heid (mogelijkheden).
  if (w.endsWith("heden") && m >= 8) return w.slice(0, -5) + "heid";
  if (w.endsWith("eeen")) return w.slice(0, -2); // ideeën → idee
  if (w.endsWith("ien") && m >= 5) return w.slice(0, -1); // bacteriën → bacterie
  // -en: plurals and verb forms (gemeenten, jaren, werken, menen).
  if (w.endsWith("en") && m >= 5 && isConsonant(w[m - 3])) {
    return tidy(closeSyllable(w.slice(0, -2), true));
  }
  // -e: nouns in -e (gemeente ↔ gemeenten), inflected adjectives.
  // An -s left by -se is stripped as the word without -e would be
  // (westerse → westers → wester, as westers).
  if (w.endsWith("e") && m >= 4 && isConsonant(w[m - 2])) {
    const k = tidy(closeSyllable(w.slice(0, -1), false));
    return pluralS(k) ? k.slice(0, -1) : k;
  }
  return tidy(w);
}

const isDutch = (language) => /^nl(-|$)/i.test(language || "");

// A query word as the index has it: normalised, letters and digits only
// (the index joins `mbo-instelling` and `auto's` so, and so does Pagefind
// with a query's punctuation).
const joined = (w) => normalise(w).replace(/[^\p{L}\p{N}]/gu, "");

function keyOf(word, dutch) {
  const n = joined(word);
  return dutch ? stem(n) : n;
}

/**
 * The reader's query as index keys, for `pagefind.search`: every word
 * normalised, and stemmed for Dutch (`language` is the page's `lang`).
 */
export function queryKeys(query, language) {
  const dutch = isDutch(language);
  return query.split(/\s+/).map((w) => keyOf(w, dutch)).filter(Boolean).join(" ");
}

/**
 * The queries to run: the keys, and while the last word is still being
 * typed (no space after it) and its key is no prefix of it, the same keys
 * with that word only normalised. Pagefind matches the last word as a
 * prefix, and a partial word can look inflected: `studen` (of studenten)
 * would become `stuud`, which begins no key.
 */
export function queryVariants(query, language) {
  const keys = queryKeys(query, language);
  if (!isDutch(language) || /\s$/.test(query)) return [keys];
  const words = keys.split(" ");
  const raw = query.split(/\s+/).map(joined).filter(Boolean);
  const last = raw.length ? raw[raw.length - 1] : "";
  if (!last || last.startsWith(words[words.length - 1])) return [keys];
  words[words.length - 1] = last;
  return [keys, words.join(" ")];
}

/**
 * `pagefind.search` (or `debouncedSearch` when `debounce` is given) with the
 * reader's query turned into keys; a partial last word also runs as typed
 * and the two result lists are merged by score. `null` when a newer
 * debounced search took over; a `null` query (filters only) is passed on.
 */
export async function search(pagefind, query, language, options = {}, debounce = 0) {
  if (query === null) return pagefind.search(null, options);
  const [main, alt] = queryVariants(query, language);
  const res = debounce ? await pagefind.debouncedSearch(main, options, debounce) : await pagefind.search(main, options);
  if (res === null || !alt) return res;
  const more = await pagefind.search(alt, options);
  if (!more.results.length) return res;
  // Per page the better of the two, by score: a query key that matches no
  // word (werkgef) can still bring Pagefind's weak partial matches.
  const best = new Map();
  for (const r of [...res.results, ...more.results]) {
    if (!best.has(r.id) || best.get(r.id).score < r.score) best.set(r.id, r);
  }
  const results = [...best.values()].sort((a, b) => b.score - a.score);
  return { ...res, results, filters: res.results.length ? res.filters : more.filters };
}

/**
 * What to highlight on the result page for the reader's query: per word
 * (per part of `mbo-instellingen`, `auto's`; parts of two letters or more)
 * the part it shares with its key (werkgevers → werkgever, which marks both
 * forms), or the word and its key when they differ early (jaren, jaar).
 * Pagefind's highlighter marks these as substrings, diacritics folded.
 */
export function highlightTerms(query, language) {
  const dutch = isDutch(language);
  const terms = [];
  const runs = normalise(query).match(/[\p{L}\p{N}]+/gu) || [];
  for (const n of runs.filter((r) => r.length >= 2)) {
    const k = dutch ? stem(n) : n;
    let p = 0;
    while (p < n.length && n[p] === k[p]) p++;
    for (const t of p === k.length || p >= 4 ? [k.slice(0, p)] : [n, k]) {
      if (t && !terms.includes(t)) terms.push(t);
    }
  }
  return terms;
}

/**
 * A result URL from Pagefind, whose highlight parameter holds the keys we
 * searched with, with the reader's words (`highlightTerms`) instead.
 */
export function highlightUrl(url, query, language, param = "markeer") {
  const u = new URL(url, "https://x.invalid");
  u.searchParams.delete(param);
  for (const t of highlightTerms(query || "", language)) u.searchParams.append(param, t);
  return u.origin === "https://x.invalid" ? u.pathname + u.search + u.hash : u.toString();
}
