//! Search text: the one normalization that indexed text and queries both go through. The
//! server's search index and the app's offline search call the same functions, so a word
//! typed in a query and the same word in an event's title always end as the same token.
//!
//! # What counts as the same text
//!
//! [`normalize`] applies, in this order:
//!
//! - **NFKC.** Arabic presentation forms (old keyboards, text copied out of PDFs) become base
//!   letters, the lam-alef ligature ﻻ becomes لا, fullwidth Latin and digits become ASCII.
//! - **Lowercase**, character by character with Unicode's default mapping, plus ß → ss so
//!   "Straße" meets "Strasse". Not full case folding: nothing we index needs Turkish or
//!   Greek special cases, and lowercase is what both sides can reproduce exactly.
//! - **Arabic marks removed:** tashkeel (U+064B–U+065F, fathatan to the hamza and madda
//!   marks), superscript alef (U+0670), the honorific and Quranic annotation marks
//!   (U+0610–U+061A, U+06D6–U+06ED). Most Arabic is written without them; "حَفْلَة" and "حفلة"
//!   are one word. The three Quranic symbols in that block (end of ayah, rub el hizb, place
//!   of sajdah) separate words instead.
//! - **Tatweel and invisible characters removed:** tatweel (ـ) only stretches a word, and
//!   direction marks, zero-width joiners, the byte-order mark and soft hyphens only change
//!   how text is shown. Text pasted from social media is full of them, often mid-word.
//! - **Letters written interchangeably unified:** أ إ آ ٱ (and the rarer ٲ ٳ) → ا,
//!   ى → ي, ة → ه, ؤ → و, ئ → ي; the high hamza ٴ is removed. Persian keheh ک and Farsi
//!   yeh ی, which some keyboards type for ك and ي, become those.
//! - **Digits to ASCII:** Arabic-Indic (٠–٩) and Persian (۰–۹) digits become 0–9.
//! - **Everything else that is not a letter, digit or combining mark separates words:**
//!   Arabic and Latin punctuation, quotes, hyphens, symbols, emoji, whitespace. Words are
//!   then joined by single spaces, with none at either end.
//!
//! Latin accents stay (é is not e): removing them would need a second decomposition, and
//! the names we index are Arabic or plain English.
//!
//! # Tokens and the Arabic article
//!
//! [`tokens`] splits normalized text into words and strips the definite article, so that
//! "الحفلة" and "حفلة" are the same token. The rule, applied to the normalized word:
//!
//! > While the word starts with وال، بال، كال، فال (checked first), ال or لل, and at least
//! > [`MIN_STEM_CHARS`] (2) characters would remain, remove that prefix.
//!
//! Because normalization ran first, the hamza spelling أل is covered. Repeating the rule
//! keeps "ألعاب" and "الألعاب" together (both end as "عاب"), which makes "X" and "ال"+X one
//! token for every word X of two or more letters. Two letters is the shortest stem worth
//! keeping ("الفن" → "فن"), so "ال" alone stays, as do "الف" and "لله". The price is the
//! usual one of light stemming: a few words that merely start with those letters lose them
//! ("والدة" → "ده", "الله" → "له"); the query is cut the same way, so they still find
//! themselves. Only the stripped form is kept: queries are cut by the same rule, so an
//! unstripped form in an index would never be asked for. Latin words are only lowercased:
//! "Al-Salt" is the two tokens "al" and "salt".
//!
//! # Cities
//!
//! An event's city can be searched by any common spelling in either script, and the work
//! happens when indexing: the indexer adds [`city_tokens`] of the event's [`City`] to the
//! event's tokens. A query is then tokenized as typed, every query token must match, and
//! "العقبة", "Aqaba" or "Akaba", "wadi rum" or "وادي رم", "Petra" or "البتراء" all find the
//! same events with no query rewriting and no grouping of alternatives. It costs a few tokens
//! per event. A city named only in free text (a description mentioning "buses from Amman")
//! matches in the spelling written there; the event's city field is the one that matters.

use crate::places::City;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::{UnicodeNormalization, is_nfkc};

/// The shortest word left after removing an article: "الفن" → "فن" must work, "ال" alone
/// must not vanish.
pub const MIN_STEM_CHARS: usize = 2;

/// Article prefixes, the three-letter ones first so "وال" is removed whole.
const ARTICLES: [&str; 6] = ["وال", "بال", "كال", "فال", "ال", "لل"];

/// The canonical form of text for search: see the module documentation for every rule.
/// Normalizing twice gives the same result as normalizing once.
pub fn normalize(text: &str) -> String {
    let out = fold(text.nfkc(), text.len());
    // Removing a mark can leave two characters that NFKC composes (e, madda, acute: the
    // madda blocked the acute, without it they become é), and the index must not depend on
    // whether a string was normalized before. One more round settles it: after the first,
    // nothing is left to remove, so composing is all the second can change. Ordinary text
    // never takes this branch.
    if is_nfkc(&out) {
        out
    } else {
        fold(out.nfkc(), out.len())
    }
}

/// The searchable words of `text`, in order and with repeats: normalized, with the Arabic
/// article removed by the rule in the module documentation.
pub fn tokens(text: &str) -> Vec<String> {
    normalize(text)
        .split(' ')
        .filter(|word| !word.is_empty())
        .map(|word| strip_article(word).to_owned())
        .collect()
}

/// Every token of every spelling of `city`, each once: what an indexer adds to an event in
/// that city so that a query in either script finds it.
pub fn city_tokens(city: City) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for spelling in city.spellings() {
        for token in tokens(spelling) {
            if !out.contains(&token) {
                out.push(token);
            }
        }
    }
    out
}

fn strip_article(mut word: &str) -> &str {
    'again: loop {
        for article in ARTICLES {
            if let Some(rest) = word.strip_prefix(article)
                && rest.chars().count() >= MIN_STEM_CHARS
            {
                word = rest;
                continue 'again;
            }
        }
        return word;
    }
}

/// What one character of NFKC text becomes.
enum Fold {
    /// Removed without a trace: it never separated words.
    Drop,
    /// Ends the current word.
    Separator,
    /// Kept (then lowercased).
    Char(char),
}

fn fold_char(c: char) -> Fold {
    match c {
        // Honorific and Quranic annotation marks, tashkeel with the hamza and madda marks,
        // superscript alef, tatweel, the high hamza, and the Quranic marks and small letters
        // (not the end of ayah, rub el hizb and sajdah symbols: they fall through to
        // Separator).
        '\u{0610}'..='\u{061A}'
        | '\u{064B}'..='\u{065F}'
        | '\u{0670}'
        | '\u{0640}'
        | '\u{0674}'
        | '\u{06D6}'..='\u{06DC}'
        | '\u{06DF}'..='\u{06E8}'
        | '\u{06EA}'..='\u{06ED}' => Fold::Drop,
        // Soft hyphen, Arabic letter mark, zero-width non-joiner and joiner, left-to-right
        // and right-to-left marks, bidi embeddings and isolates, word joiner and invisible
        // operators, byte-order mark.
        '\u{00AD}'
        | '\u{061C}'
        | '\u{200C}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}'
        | '\u{FEFF}' => Fold::Drop,
        'أ' | 'إ' | 'آ' | 'ٱ' | 'ٲ' | 'ٳ' => Fold::Char('ا'),
        'ى' | 'ی' | 'ئ' => Fold::Char('ي'),
        'ة' => Fold::Char('ه'),
        'ؤ' => Fold::Char('و'),
        'ک' => Fold::Char('ك'),
        '٠'..='٩' => Fold::Char(ascii_digit(c as u32 - 0x0660)),
        '۰'..='۹' => Fold::Char(ascii_digit(c as u32 - 0x06F0)),
        c if c.is_alphanumeric() || is_combining_mark(c) => Fold::Char(c),
        _ => Fold::Separator,
    }
}

fn ascii_digit(value: u32) -> char {
    char::from_digit(value, 10).unwrap_or('0')
}

/// One pass over NFKC text: every rule but NFKC itself, and whitespace collapsed on the way.
fn fold(chars: impl Iterator<Item = char>, capacity: usize) -> String {
    let mut out = String::with_capacity(capacity);
    let mut gap = false;
    for c in chars {
        let c = match fold_char(c) {
            Fold::Drop => continue,
            Fold::Separator => {
                gap = true;
                continue;
            }
            Fold::Char(c) => c,
        };
        if gap && !out.is_empty() {
            out.push(' ');
        }
        gap = false;
        for lower in c.to_lowercase() {
            if lower == 'ß' {
                out.push_str("ss");
            } else {
                out.push(lower);
            }
        }
    }
    out
}

/// The words of an event's title in both languages, Arabic first, joined by spaces: what
/// search ranks by (an event whose title holds the words comes first). [`event_document`]
/// begins with the same words.
pub fn title_document(title: &crate::bilingual::Bilingual) -> String {
    bilingual_tokens(title).join(" ")
}

fn bilingual_tokens(text: &crate::bilingual::Bilingual) -> Vec<String> {
    let mut words = tokens(&text.ar);
    words.extend(tokens(&text.en));
    words
}

/// The searchable text of an event, as the tokens an index stores, joined by spaces: its
/// title, description, venue and tags in both languages, plus every spelling of its city
/// (see [`city_tokens`]). The server's index and the app's offline copy both store this.
pub fn event_document(
    texts: &[&crate::bilingual::Bilingual],
    tags: &[String],
    city: City,
) -> String {
    let mut words: Vec<String> = texts
        .iter()
        .flat_map(|text| bilingual_tokens(text))
        .collect();
    for tag in tags {
        words.extend(tokens(tag));
    }
    words.extend(city_tokens(city));
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn n(text: &str) -> String {
        normalize(text)
    }

    fn t(text: &str) -> Vec<String> {
        tokens(text)
    }

    #[test]
    fn empty_and_blank_text_normalize_to_nothing() {
        for text in [
            "",
            " ",
            "   \t\n\r ",
            "\u{00A0}\u{3000}",
            "،؛؟ - … «»",
            "ـــ",
        ] {
            assert_eq!(n(text), "", "{text:?}");
            assert!(t(text).is_empty(), "{text:?}");
        }
    }

    #[test]
    fn vowel_marks_do_not_change_a_word() {
        assert_eq!(n("حَفْلَة"), n("حفلة"));
        assert_eq!(n("حَفْلَة"), "حفله");
        assert_eq!(n("مُوسِيقَى"), "موسيقي");
        assert_eq!(n("عمّان"), "عمان");
        assert_eq!(n("فِلَسْطِينٌ"), "فلسطين");
        assert_eq!(n("كِتَابًا"), "كتابا");
    }

    #[test]
    fn superscript_alef_and_quranic_marks_are_removed() {
        assert_eq!(n("الرَّحْمٰنِ"), "الرحمن");
        assert_eq!(n("هٰذا"), "هذا");
        // Small high ligature sad-lam-alef-maksura and small high meem after letters.
        assert_eq!(n("قلوبهم\u{06D6} \u{06E2}عليم"), "قلوبهم عليم");
        // The end-of-ayah sign separates rather than joining its neighbours.
        assert_eq!(n("الحمد\u{06DD}رب"), "الحمد رب");
    }

    #[test]
    fn tatweel_is_removed() {
        assert_eq!(n("حفـــلة"), "حفله");
        assert_eq!(n("عـمـان"), "عمان");
    }

    #[test]
    fn every_hamza_alef_form_becomes_a_bare_alef() {
        assert_eq!(n("أحمد"), "احمد");
        assert_eq!(n("إربد"), "اربد");
        assert_eq!(n("آمال"), "امال");
        assert_eq!(n("ٱلحفلة"), "الحفله");
        // Alef followed by a combining hamza composes under NFKC, then unifies too.
        assert_eq!(n("ا\u{0654}حمد"), "احمد");
        assert_eq!(n("ا\u{0655}ربد"), "اربد");
    }

    #[test]
    fn hamza_on_waw_and_yaa_become_the_plain_letters() {
        assert_eq!(n("مؤتمر"), "موتمر");
        assert_eq!(n("رئيس"), "رييس");
        assert_eq!(n("شاطئ العقبة"), "شاطي العقبه");
    }

    #[test]
    fn ta_marbuta_and_alef_maqsura_match_their_everyday_spellings() {
        assert_eq!(n("العقبة"), n("العقبه"));
        assert_eq!(n("موسى"), n("موسي"));
        assert_eq!(n("مستشفى"), "مستشفي");
    }

    #[test]
    fn persian_keyboard_letters_become_arabic_ones() {
        assert_eq!(n("کرک"), "كرك");
        assert_eq!(n("موسی"), "موسي");
    }

    #[test]
    fn arabic_indic_and_persian_digits_become_ascii() {
        assert_eq!(n("٢٠٢٦"), "2026");
        assert_eq!(n("۲۰۲۶"), "2026");
        assert_eq!(n("٠١٢٣٤٥٦٧٨٩"), "0123456789");
        assert_eq!(n("۰۱۲۳۴۵۶۷۸۹"), "0123456789");
        assert_eq!(n("الساعة ٨:٣٠ مساءً"), "الساعه 8 30 مساء");
        assert_eq!(n("２０２６"), "2026");
    }

    #[test]
    fn presentation_forms_become_base_letters() {
        // ﺣﻔﻠﺔ: hah initial, feh medial, lam medial, teh marbuta final.
        assert_eq!(n("\u{FEA3}\u{FED4}\u{FEE0}\u{FE94}"), "حفله");
        // ﻋﻤﺎﻥ
        assert_eq!(n("\u{FECB}\u{FEE4}\u{FE8E}\u{FEE5}"), "عمان");
        assert_eq!(n("ﷲ"), n("الله"));
    }

    #[test]
    fn every_lam_alef_ligature_ends_as_lam_then_alef() {
        for ligature in ["ﻻ", "ﻼ", "ﻷ", "ﻸ", "ﻹ", "ﻺ", "ﻵ", "ﻶ"] {
            assert_eq!(n(ligature), "لا", "{ligature:?}");
        }
        assert_eq!(n("ﻻ ﺗﻔﻮﺗﻬﺎ"), "لا تفوتها");
    }

    #[test]
    fn arabic_and_latin_punctuation_separate_words() {
        assert_eq!(n("حفلة،موسيقى؛جاز؟"), "حفله موسيقي جاز");
        assert_eq!(n("Rock-n-Roll: «Live»!"), "rock n roll live");
        assert_eq!(
            n("“Jazz” ‘night’ \"at\" 'Rainbow'"),
            "jazz night at rainbow"
        );
        assert_eq!(n("عمان—العقبة–إربد"), "عمان العقبه اربد");
        assert_eq!(n("(تذاكر) [محدودة] {٥٠٪}"), "تذاكر محدوده 50");
        assert_eq!(n("جاز🎷عمان"), "جاز عمان");
    }

    #[test]
    fn whitespace_is_collapsed_and_trimmed() {
        assert_eq!(n("  a \t\n b  "), "a b");
        assert_eq!(n("حفلة\u{00A0}\u{00A0}جاز\u{3000}"), "حفله جاز");
        assert_eq!(n("one\u{200B}two"), "one two");
    }

    #[test]
    fn latin_text_is_lowercased_and_sharp_s_becomes_ss() {
        assert_eq!(n("JAZZ Night"), "jazz night");
        assert_eq!(n("Straße"), "strasse");
        assert_eq!(n("STRASSE"), "strasse");
        assert_eq!(n("GROẞE"), "grosse");
        assert_eq!(n("ＪＡＺＺ"), "jazz");
        assert_eq!(n("ﬁlm"), "film");
        assert_eq!(n("Café"), "café");
        assert_eq!(n("Cafe\u{0301}"), "café");
    }

    #[test]
    fn invisible_characters_are_removed_even_inside_a_word() {
        assert_eq!(n("حف\u{200F}لة"), "حفله");
        assert_eq!(n("\u{200F}عمان\u{200E}"), "عمان");
        assert_eq!(n("\u{FEFF}حفلة"), "حفله");
        assert_eq!(n("con\u{00AD}cert"), "concert");
        assert_eq!(n("\u{2067}Amman\u{2069}"), "amman");
        assert_eq!(n("مي\u{200C}خواهم"), "ميخواهم");
    }

    #[test]
    fn mixed_arabic_and_english_text_keeps_both() {
        assert_eq!(
            n("حفلة Jazz في عمّان — ٢٠٢٦/٠٥/١٥"),
            "حفله jazz في عمان 2026 05 15"
        );
        assert_eq!(t("Live في العقبة"), ["live", "في", "عقبه"]);
    }

    #[test]
    fn a_removed_mark_does_not_leave_text_that_normalizes_again() {
        // Madda above blocks the acute from the e; once the madda goes, they compose.
        let once = n("e\u{0653}\u{0301}");
        assert_eq!(once, "é");
        assert_eq!(n(&once), once);
    }

    #[test]
    fn the_article_is_removed_from_arabic_words() {
        assert_eq!(t("الحفلة"), ["حفله"]);
        assert_eq!(t("والحفلة"), ["حفله"]);
        assert_eq!(t("بالحفلة"), ["حفله"]);
        assert_eq!(t("كالحفلة"), ["حفله"]);
        assert_eq!(t("فالحفلة"), ["حفله"]);
        assert_eq!(t("بالعقبة"), ["عقبه"]);
        assert_eq!(t("للموسيقى"), ["موسيقي"]);
        assert_eq!(t("الفن"), ["فن"]);
    }

    #[test]
    fn a_word_with_the_article_and_without_it_are_one_token() {
        assert_eq!(t("الحفلة"), t("حفلة"));
        assert_eq!(t("الحَفْلَة"), t("حفله"));
        assert_eq!(t("ألحفلة"), t("حفلة"));
        assert_eq!(t("الألعاب"), t("ألعاب"));
        assert_eq!(t("والموسيقى"), t("موسيقى"));
    }

    #[test]
    fn the_article_stays_when_fewer_than_two_letters_would_remain() {
        assert_eq!(t("ال"), ["ال"]);
        assert_eq!(t("أل"), ["ال"]);
        assert_eq!(t("ألف"), ["الف"]);
        assert_eq!(t("لله"), ["لله"]);
        assert_eq!(t("والد"), ["والد"]);
        assert_eq!(t("لل"), ["لل"]);
    }

    #[test]
    fn allah_is_cut_like_any_word_and_still_finds_itself() {
        assert_eq!(t("الله"), ["له"]);
        assert_eq!(t("ﷲ"), t("الله"));
        assert_eq!(t("والله"), t("الله"));
    }

    #[test]
    fn latin_words_are_only_lowercased() {
        assert_eq!(t("Al-Salt"), ["al", "salt"]);
        assert_eq!(t("Alien Ballet"), ["alien", "ballet"]);
    }

    #[test]
    fn tokens_keep_text_order_and_repeats() {
        assert_eq!(t("جاز ثم جاز"), ["جاز", "ثم", "جاز"]);
    }

    #[test]
    fn jordanian_place_names_tokenize_to_their_stems() {
        let cases: [(&str, &[&str]); 12] = [
            ("عمّان", &["عمان"]),
            ("إربد", &["اربد"]),
            ("الزرقاء", &["زرقاء"]),
            ("العقبة", &["عقبه"]),
            ("مادبا", &["مادبا"]),
            ("مأدبا", &["مادبا"]),
            ("جرش", &["جرش"]),
            ("السلط", &["سلط"]),
            ("الكرك", &["كرك"]),
            ("وادي موسى", &["وادي", "موسي"]),
            ("وادي رم", &["وادي", "رم"]),
            ("البتراء", &["بتراء"]),
        ];
        for (name, expected) in cases {
            assert_eq!(t(name), expected, "{name}");
        }
    }

    /// The tokens an indexer stores for an event with this title in this city.
    fn indexed(title: &str, city: City) -> Vec<String> {
        let mut index = t(title);
        index.extend(city_tokens(city));
        index
    }

    fn finds(query: &str, index: &[String]) -> bool {
        let query = t(query);
        !query.is_empty() && query.iter().all(|token| index.contains(token))
    }

    #[test]
    fn every_spelling_and_shown_name_of_a_city_is_among_its_tokens() {
        for city in City::ALL {
            let own = city_tokens(city);
            let name = city.name();
            let shown = [name.ar.as_str(), name.en.as_str()];
            for spelling in city.spellings().iter().chain(&shown) {
                assert!(finds(spelling, &own), "{city:?}: {spelling}");
            }
        }
    }

    #[test]
    fn a_city_is_found_in_either_script() {
        let aqaba = indexed("Jazz by the Sea", City::Aqaba);
        for query in [
            "العقبة",
            "العقبه",
            "بالعقبة",
            "Aqaba",
            "akaba",
            "jazz العقبة",
        ] {
            assert!(finds(query, &aqaba), "{query}");
        }
        let rum = indexed("ليلة تحت النجوم", City::WadiRum);
        for query in ["wadi rum", "Wadi Ram", "وادي رم", "النجوم وادي رم"] {
            assert!(finds(query, &rum), "{query}");
        }
        let petra = indexed("Petra by Night", City::WadiMusa);
        for query in ["البتراء", "البترا", "وادي موسى", "Wadi Mousa", "petra"]
        {
            assert!(finds(query, &petra), "{query}");
        }
        let amman = indexed("حفلة جاز", City::Amman);
        for query in ["amman", "عمان", "عمّان", "حفلة amman"] {
            assert!(finds(query, &amman), "{query}");
        }
        assert!(!finds("aqaba", &amman));
        assert!(!finds("wadi musa", &rum));
    }

    #[test]
    fn cities_share_no_tokens_but_wadi_and_the_latin_article() {
        let shared_ok = ["wadi", "وادي", "al"];
        for (i, a) in City::ALL.iter().enumerate() {
            for b in &City::ALL[i + 1..] {
                let theirs = city_tokens(*b);
                for token in city_tokens(*a) {
                    assert!(
                        !theirs.contains(&token) || shared_ok.contains(&token.as_str()),
                        "{a:?} and {b:?} share {token}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_character_of_the_basic_plane_normalizes_to_a_fixed_point() {
        for c in ('\0'..='\u{FFFF}').filter(|c| !c.is_control()) {
            // Alone, and after a mark whose removal lets a preceding e compose with c.
            for text in [c.to_string(), format!("e\u{0653}{c}")] {
                let once = normalize(&text);
                assert_eq!(normalize(&once), once, "{text:?}");
            }
        }
    }

    fn is_removed_or_unified(c: char) -> bool {
        matches!(
            c,
            '\u{0610}'..='\u{061A}'
                | '\u{064B}'..='\u{065F}'
                | '\u{0670}'
                | '\u{0640}'
                | '\u{06D6}'..='\u{06DC}'
                | '\u{06DF}'..='\u{06E8}'
                | '\u{06EA}'..='\u{06ED}'
                | 'أ'
                | 'إ'
                | 'آ'
                | 'ٱ'
                | 'ى'
                | 'ة'
                | 'ؤ'
                | 'ئ'
                | '٠'..='٩'
                | '۰'..='۹'
                | '\u{200C}'..='\u{200F}'
                | '\u{FEFF}'
                | 'ß'
        )
    }

    /// Text rich in what normalization acts on: Arabic with its marks and presentation
    /// forms, Latin with combining accents, digits, punctuation, invisible characters.
    const TRICKY: &str = r"[\x{0600}-\x{06FF}\x{FB50}-\x{FDFF}\x{FE70}-\x{FEFF}\x{0300}-\x{036F}\x{200B}-\x{200F}\x{2066}-\x{2069}a-zA-Z0-9éßẞİ .,!?'\-]{0,40}";

    proptest! {
        #[test]
        fn normalizing_twice_changes_nothing(text in any::<String>()) {
            let once = normalize(&text);
            prop_assert_eq!(normalize(&once), once);
        }

        #[test]
        fn normalizing_arabic_heavy_text_twice_changes_nothing(text in TRICKY) {
            let once = normalize(&text);
            prop_assert_eq!(normalize(&once), once);
        }

        #[test]
        fn normalized_text_has_no_marks_tatweel_hamza_alef_or_loose_spaces(text in TRICKY) {
            let out = normalize(&text);
            prop_assert!(!out.chars().any(is_removed_or_unified), "{:?}", out);
            prop_assert!(!out.starts_with(' ') && !out.ends_with(' ') && !out.contains("  "));
            prop_assert!(!out.chars().any(|c| c.is_whitespace() && c != ' '));
        }

        #[test]
        fn tokens_of_normalized_text_equal_tokens_of_the_raw_text(text in TRICKY) {
            prop_assert_eq!(tokens(&normalize(&text)), tokens(&text));
        }

        #[test]
        fn tokens_of_any_text_never_panic_and_are_never_empty(text in any::<String>()) {
            prop_assert!(tokens(&text).iter().all(|token| !token.is_empty() && !token.contains(' ')));
        }

        #[test]
        fn a_word_and_the_word_after_an_article_are_one_token(
            word in r"[\x{0621}-\x{063A}\x{0641}-\x{064A}]{2,12}",
            article in prop::sample::select(&["ال", "أل", "وال", "بال", "كال", "فال", "لل"][..]),
        ) {
            prop_assert_eq!(tokens(&format!("{article}{word}")), tokens(&word));
        }
    }

    #[test]
    fn an_event_document_holds_both_languages_tags_and_every_city_spelling() {
        let title = crate::bilingual::Bilingual::new("حفلةُ العقبة", "Aqaba Night").unwrap();
        let doc = event_document(&[&title], &["جاز".to_owned()], City::Aqaba);
        let words: Vec<&str> = doc.split(' ').collect();
        for want in ["حفله", "عقبه", "aqaba", "night", "جاز", "akaba"] {
            assert!(words.contains(&want), "{want} missing from {doc}");
        }
        assert_eq!(doc, normalize(&doc), "already normalized");
    }

    #[test]
    fn a_title_document_is_the_normalized_words_an_event_document_begins_with() {
        let title = crate::bilingual::Bilingual::new("الحفلةُ الكبرى", "The Grand Concert").unwrap();
        let words = title_document(&title);
        assert_eq!(words, "حفله كبري the grand concert");
        assert!(event_document(&[&title], &[], City::Amman).starts_with(&format!("{words} ")));
    }
}
