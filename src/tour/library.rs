//! The tours on offer: the shipped ones (compiled in) and the user's, from the config dir's
//! `tours/` folder. A user tour with a shipped tour's name replaces it. A broken user file
//! does not hide the others: it is listed with its error.

use std::path::Path;
use std::sync::Arc;

use super::spec::TourSpec;
use crate::diagnostic::Diagnostic;

/// Shipped tours, compiled in: `(file name, contents)`, in the order they are offered.
pub const SHIPPED: &[(&str, &str)] = &[
    (
        "first-day-on-call.toml",
        include_str!("shipped/first-day-on-call.toml"),
    ),
    (
        "blocking-query.toml",
        include_str!("shipped/blocking-query.toml"),
    ),
    (
        "stuck-rollout.toml",
        include_str!("shipped/stuck-rollout.toml"),
    ),
    (
        "lagging-consumer.toml",
        include_str!("shipped/lagging-consumer.toml"),
    ),
    (
        "failing-request.toml",
        include_str!("shipped/failing-request.toml"),
    ),
    (
        "self-service.toml",
        include_str!("shipped/self-service.toml"),
    ),
    (
        "paged-at-3am.toml",
        include_str!("shipped/paged-at-3am.toml"),
    ),
];

/// Every tour that loaded, and the files that did not.
#[derive(Debug, Clone, Default)]
pub struct TourLibrary {
    pub tours: Vec<Arc<TourSpec>>,
    pub broken: Vec<Diagnostic>,
}

impl TourLibrary {
    /// The shipped tours, then the user's from `config_dir/tours/*.toml` (if given).
    #[must_use]
    pub fn load(config_dir: Option<&Path>) -> Self {
        let mut library = Self::default();
        for (file, source) in SHIPPED {
            match TourSpec::parse(file, source) {
                Ok(spec) => library.tours.push(Arc::new(spec)),
                // A shipped tour that does not parse is caught by the tests; never hide it.
                Err(d) => library.broken.push(d),
            }
        }
        if let Some(dir) = config_dir {
            library.add_dir(&dir.join("tours"));
        }
        library
    }

    fn add_dir(&mut self, dir: &Path) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut files: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        for path in files {
            match load_file(&path) {
                Ok(spec) => self.add(Arc::new(spec)),
                Err(d) => self.broken.push(d),
            }
        }
    }

    /// Adds a tour, replacing one of the same name.
    pub fn add(&mut self, spec: Arc<TourSpec>) {
        match self.tours.iter_mut().find(|t| t.name() == spec.name()) {
            Some(slot) => *slot = spec,
            None => self.tours.push(spec),
        }
    }

    #[must_use]
    pub fn find(&self, name: &str) -> Option<&Arc<TourSpec>> {
        self.tours.iter().find(|t| t.name() == name)
    }

    #[must_use]
    pub fn names(&self) -> Vec<&str> {
        self.tours.iter().map(|t| t.name()).collect()
    }
}

/// Reads and parses one tour file.
///
/// # Errors
/// A diagnostic naming the file, and the line and key when the content is at fault.
pub fn load_file(path: &Path) -> Result<TourSpec, Diagnostic> {
    let name = path.display().to_string();
    let source = std::fs::read_to_string(path).map_err(|e| Diagnostic {
        file: name.clone(),
        line: 0,
        column: 0,
        key: None,
        message: e.to_string(),
    })?;
    TourSpec::parse(&name, &source)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_tour_parses_with_a_unique_name() {
        let library = TourLibrary::load(None);
        assert!(library.broken.is_empty(), "{:?}", library.broken);
        assert_eq!(library.tours.len(), SHIPPED.len());
        let mut names = library.names();
        names.dedup();
        assert_eq!(names.len(), SHIPPED.len(), "{names:?}");
        for (file, _) in SHIPPED {
            let stem = file.trim_end_matches(".toml");
            assert!(
                library.find(stem).is_some(),
                "{file} is named after its tour"
            );
        }
    }

    #[test]
    fn a_user_tour_overrides_and_a_broken_one_is_listed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let tours = dir.path().join("tours");
        std::fs::create_dir_all(&tours).expect("mkdir");
        let (_, first) = SHIPPED[0];
        std::fs::write(
            tours.join("mine.toml"),
            first.replace("title = \"First day on call\"", "title = \"Mine\""),
        )
        .expect("write");
        std::fs::write(tours.join("broken.toml"), "name = \"broken\"\ntitle = 3\n").expect("w");
        let library = TourLibrary::load(Some(dir.path()));
        assert_eq!(library.tours.len(), SHIPPED.len());
        assert_eq!(
            library.find("first-day-on-call").map(|t| t.title.as_str()),
            Some("Mine")
        );
        assert_eq!(library.broken.len(), 1);
        let err = &library.broken[0];
        assert!(err.file.ends_with("broken.toml"), "{err}");
        assert_eq!((err.line, err.key.as_deref()), (2, Some("title")), "{err}");
    }
}
