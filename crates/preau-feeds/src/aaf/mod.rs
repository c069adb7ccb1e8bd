//! The AAF format: the streaming parser, the typed records of each category, and a generator of
//! synthetic feeds for tests and benchmarks.

pub mod generate;
pub mod parse;
pub mod records;

/// The categories of an AAF extract, in the order they must be applied.
pub const CATEGORIES: [&str; 6] = ["EtabEducNat", "MatiereEducNat", "MefEducNat", "Eleve", "PersRelEleve", "PersEducNat"];

/// The category of an extract file from its name (`…_Complet_20260901_Eleve_0003.xml`).
pub fn category_of(file_name: &str) -> Option<&'static str> {
    let stem = file_name.strip_suffix(".xml")?;
    let mut parts = stem.rsplit('_');
    let _index = parts.next()?;
    let category = parts.next()?;
    CATEGORIES.into_iter().find(|c| *c == category)
}

/// Whether an extract file is part of a full set or a delta.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExtractKind {
    Full,
    Delta,
}

pub fn extract_kind(file_name: &str) -> Option<ExtractKind> {
    category_of(file_name)?;
    if file_name.contains("_Delta_") {
        Some(ExtractKind::Delta)
    } else if file_name.contains("_Complet_") {
        Some(ExtractKind::Full)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::category_of;

    #[test]
    fn categories_are_read_from_file_names() {
        assert_eq!(category_of("ENT_Complet_20260901_Eleve_0003.xml"), Some("Eleve"));
        assert_eq!(category_of("X_Complet_20260901_PersEducNat_0000.xml"), Some("PersEducNat"));
        assert_eq!(category_of("notes.txt"), None);
        assert_eq!(category_of("ENT_Complet_20260901_Inconnu_0001.xml"), None);
    }
}
