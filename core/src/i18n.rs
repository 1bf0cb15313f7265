//! User-facing strings, from the Fluent files in `locales/` (the UI reads the same files).

use crate::bilingual::Lang;
pub use fluent_bundle::FluentValue;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use std::sync::OnceLock;

/// The Fluent source of each language, compiled into the binary so no file lookup can fail.
pub const SOURCES: [(Lang, &str); 2] = [
    (Lang::Ar, include_str!("../../locales/ar/hafla.ftl")),
    (Lang::En, include_str!("../../locales/en/hafla.ftl")),
];

/// Formats messages in Arabic or English.
pub struct Localizer {
    ar: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
}

/// The process-wide localizer, built on first use.
pub fn localizer() -> &'static Localizer {
    static GLOBAL: OnceLock<Localizer> = OnceLock::new();
    GLOBAL.get_or_init(Localizer::new)
}

impl Localizer {
    fn new() -> Self {
        let bundle = |lang: Lang| {
            let source = SOURCES.iter().find(|(l, _)| *l == lang).map(|(_, s)| *s);
            let resource = FluentResource::try_new(source.unwrap_or_default().to_owned())
                .unwrap_or_else(|(partial, _)| partial);
            let tag = lang.tag().parse().unwrap_or_default();
            let mut bundle = FluentBundle::new_concurrent(vec![tag]);
            // Duplicate ids would be a bug in locales/, which the tests below catch.
            let _ = bundle.add_resource(resource);
            bundle
        };
        Localizer {
            ar: bundle(Lang::Ar),
            en: bundle(Lang::En),
        }
    }

    fn bundle(&self, lang: Lang) -> &FluentBundle<FluentResource> {
        match lang {
            Lang::Ar => &self.ar,
            Lang::En => &self.en,
        }
    }

    /// Whether `lang` has a message `id`.
    pub fn has(&self, lang: Lang, id: &str) -> bool {
        self.bundle(lang).has_message(id)
    }

    /// The message `id` in `lang` with `args`; falls back to English, then to the id itself.
    pub fn message(&self, lang: Lang, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, value.clone());
        }
        for lang in [lang, Lang::En] {
            let bundle = self.bundle(lang);
            if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
                let mut errors = vec![];
                return bundle
                    .format_pattern(pattern, Some(&fluent_args), &mut errors)
                    .into_owned();
            }
        }
        id.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::places::City;
    use crate::wire::{Category, ErrorCode};
    use std::collections::BTreeSet;

    fn message_ids(source: &str) -> BTreeSet<String> {
        source
            .lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once('=').map(|(id, _)| id.trim().to_owned()))
            .collect()
    }

    #[test]
    fn both_locales_parse_without_errors() {
        for (lang, source) in SOURCES {
            let parsed = FluentResource::try_new(source.to_owned());
            assert!(
                parsed.is_ok(),
                "locales/{}/hafla.ftl: {:?}",
                lang.tag(),
                parsed.err().map(|e| e.1)
            );
        }
    }

    #[test]
    fn arabic_and_english_define_the_same_messages() {
        let ar = message_ids(SOURCES[0].1);
        let en = message_ids(SOURCES[1].1);
        assert!(!en.is_empty());
        assert_eq!(
            ar.difference(&en).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "only in ar"
        );
        assert_eq!(
            en.difference(&ar).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "only in en"
        );
    }

    #[test]
    fn every_error_code_city_and_category_has_a_message_in_both_languages() {
        let l = localizer();
        let mut ids: Vec<String> = ErrorCode::ALL
            .iter()
            .map(|c| c.message_id().to_owned())
            .collect();
        ids.extend(
            City::ALL
                .iter()
                .map(|c| format!("city-{}", c.key().replace('_', "-"))),
        );
        ids.extend(
            Category::ALL
                .iter()
                .map(|c| format!("category-{}", c.key())),
        );
        for lang in Lang::ALL {
            for id in &ids {
                assert!(l.has(lang, id), "{id} missing in {}", lang.tag());
            }
        }
    }

    #[test]
    fn messages_format_with_arguments_and_arabic_plurals() {
        let l = localizer();
        let en = l.message(Lang::En, "home-count", &[("count", 2.into())]);
        assert!(en.contains("2") && en.contains("events"), "{en}");
        let two = l.message(Lang::Ar, "home-count", &[("count", 2.into())]);
        let eleven = l.message(Lang::Ar, "home-count", &[("count", 11.into())]);
        assert!(two.contains("فعاليتان"), "dual form: {two}");
        assert!(
            eleven.contains("فعالية") && !eleven.contains("فعاليات"),
            "many form: {eleven}"
        );
    }

    #[test]
    fn an_unknown_message_falls_back_to_its_id() {
        assert_eq!(
            localizer().message(Lang::Ar, "no-such-message", &[]),
            "no-such-message"
        );
    }
}
