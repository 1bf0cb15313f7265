//! Text that exists in Arabic and English, and the choice between the two languages.

use serde::{Deserialize, Serialize};

/// The two languages of Hafla. Arabic comes first: it is the default for Jordan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Ar,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Ar, Lang::En];

    /// The BCP 47 tag, as used in `Accept-Language`, `lang=` and the locales/ folder names.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Ar => "ar",
            Lang::En => "en",
        }
    }

    /// Parses a tag such as `ar`, `ar-JO` or `en-US` (case-insensitive); other languages are `None`.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "ar" => Some(Lang::Ar),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// Picks the first supported language of an `Accept-Language` header, honouring q-values.
    pub fn negotiate(accept_language: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for part in accept_language.split(',') {
            let mut pieces = part.split(';');
            let Some(lang) = pieces.next().and_then(Lang::from_tag) else {
                continue;
            };
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, lang)| lang)
    }

    /// Whether the language is written right to left.
    pub fn is_rtl(self) -> bool {
        self == Lang::Ar
    }
}

/// A pair of Arabic and English texts. Either may be empty, never both.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    test,
    derive(ts_rs::TS),
    ts(export, export_to = "../../ui/src/bindings/")
)]
pub struct Bilingual {
    pub ar: String,
    pub en: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("text is empty in both Arabic and English")]
pub struct EmptyBilingual;

impl Bilingual {
    /// Builds the pair, trimming both sides; refuses a pair that is empty in both languages.
    pub fn new(ar: impl Into<String>, en: impl Into<String>) -> Result<Self, EmptyBilingual> {
        let ar = ar.into().trim().to_owned();
        let en = en.into().trim().to_owned();
        if ar.is_empty() && en.is_empty() {
            return Err(EmptyBilingual);
        }
        Ok(Bilingual { ar, en })
    }

    /// The text in `lang`, falling back to the other language when that side is empty.
    pub fn get(&self, lang: Lang) -> &str {
        let (wanted, other) = match lang {
            Lang::Ar => (&self.ar, &self.en),
            Lang::En => (&self.en, &self.ar),
        };
        if wanted.is_empty() { other } else { wanted }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_empty_in_both_languages_is_refused() {
        assert_eq!(Bilingual::new("  ", ""), Err(EmptyBilingual));
    }

    #[test]
    fn a_missing_side_falls_back_to_the_other_language() {
        let only_ar = Bilingual::new("حفلة", "").unwrap();
        assert_eq!(only_ar.get(Lang::En), "حفلة");
        let both = Bilingual::new("حفلة", "Concert").unwrap();
        assert_eq!(both.get(Lang::Ar), "حفلة");
        assert_eq!(both.get(Lang::En), "Concert");
    }

    #[test]
    fn accept_language_picks_the_best_supported_language() {
        assert_eq!(Lang::negotiate("ar-JO,ar;q=0.9,en;q=0.8"), Some(Lang::Ar));
        assert_eq!(
            Lang::negotiate("fr-FR, en-GB;q=0.7, ar;q=0.5"),
            Some(Lang::En)
        );
        assert_eq!(Lang::negotiate("en;q=0.2, ar;q=0.9"), Some(Lang::Ar));
        assert_eq!(Lang::negotiate("fr, de"), None);
        assert_eq!(Lang::negotiate("ar;q=0"), None);
        assert_eq!(Lang::negotiate(""), None);
    }
}
