//! The profiles of `onlyoffice_jwt` and the Document Server's path classification.

/// What `onlyoffice_jwt` turns on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Profile {
    /// No check.
    #[default]
    Off,
    /// A `Bearer` token (or `onlyoffice_jwt_token`'s value), verified and nothing more.
    Bearer,
    /// The Document Server's inbox: `command`, `convert` or `builder` by path, else no check.
    DocumentServer,
    /// The command service (`/command`, `/coauthoring/CommandService.ashx`).
    Command,
    /// The conversion service (`/converter`, `/ConvertService.ashx`).
    Convert,
    /// The document builder service (`/docbuilder`).
    Builder,
    /// The integrator's save callback, posted by the Document Server.
    Callback,
    /// The integrator's document download, fetched by the Document Server.
    Download,
}

/// Every profile with its name in the configuration.
const NAMES: [(Profile, &str); 8] = [
    (Profile::Off, "off"),
    (Profile::Bearer, "bearer"),
    (Profile::DocumentServer, "documentserver"),
    (Profile::Command, "command"),
    (Profile::Convert, "convert"),
    (Profile::Builder, "builder"),
    (Profile::Callback, "callback"),
    (Profile::Download, "download"),
];

impl Profile {
    /// Parses a directive argument (exact, lowercase).
    pub fn from_name(name: &[u8]) -> Option<Profile> {
        let mut names = NAMES.into_iter();
        names.find(|(_, n)| n.as_bytes() == name).map(|(p, _)| p)
    }

    /// The directive argument that names the profile.
    pub fn name(self) -> &'static str {
        let mut names = NAMES.into_iter();
        names.find(|(p, _)| *p == self).map_or("", |(_, n)| n)
    }

    /// Whether its checks read claims inside `payload` or `query` (all but `bearer`); a location
    /// whose profile does not reads its tokens' claims flat ([`crate::Verifier::flat`]).
    pub fn reads_nested_claims(self) -> bool {
        self != Profile::Bearer
    }

    /// The default of `onlyoffice_jwt_require_exp`.
    pub fn requires_exp_by_default(self) -> bool {
        matches!(self, Profile::Callback | Profile::Download)
    }

    /// Whether the profile needs the request body (`documentserver` decides per path).
    pub fn reads_body(self) -> bool {
        matches!(
            self,
            Profile::Command | Profile::Convert | Profile::Builder | Profile::Callback
        )
    }

    /// For `documentserver`: the profile that applies to `path` (nginx's normalized,
    /// percent-decoded `$uri`), or `None` when the path is not an inbox endpoint and passes.
    ///
    /// Matches the last non-empty path segment case-insensitively (so a trailing slash and
    /// doubled slashes do not matter), under any prefix: the `/<version>-<build>/` prefix
    /// (e.g. `/7.5.1-23/` or `/9.0.0-abc123/`) and a deployment under a sub-path are both
    /// covered, and an unexpected prefix fails closed (checked rather than passed).
    /// `CommandService.ashx` counts with or without its `/coauthoring/` parent.
    pub fn classify_documentserver_path(path: &[u8]) -> Option<Profile> {
        let last = path.split(|b| *b == b'/').rfind(|s| !s.is_empty())?;
        let is = |name: &str| last.eq_ignore_ascii_case(name.as_bytes());
        if is("command") || is("commandservice.ashx") {
            Some(Profile::Command)
        } else if is("converter") || is("convertservice.ashx") {
            Some(Profile::Convert)
        } else if is("docbuilder") {
            Some(Profile::Builder)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_paths() {
        let cases: &[(&[u8], Option<Profile>)] = &[
            (b"/command", Some(Profile::Command)),
            (b"/COMMAND", Some(Profile::Command)),
            (b"/command/", Some(Profile::Command)),
            (b"//command", Some(Profile::Command)),
            (b"/7.5.1-23/command", Some(Profile::Command)),
            (b"/coauthoring/CommandService.ashx", Some(Profile::Command)),
            (
                b"/7.5.1-23/coauthoring/commandservice.ashx/",
                Some(Profile::Command),
            ),
            (b"/CommandService.ashx", Some(Profile::Command)),
            (b"/ConvertService.ashx", Some(Profile::Convert)),
            (b"/8.2.0-1/ConvertService.ashx/", Some(Profile::Convert)),
            (b"/converter", Some(Profile::Convert)),
            (b"/Converter//", Some(Profile::Convert)),
            (b"/docbuilder", Some(Profile::Builder)),
            (b"/9.0.0-abc123/DocBuilder", Some(Profile::Builder)),
            (b"/office/docbuilder", Some(Profile::Builder)),
            (b"/web-apps/apps/api/documents/api.js", None),
            (b"/commandx", None),
            (b"/xcommand", None),
            (b"/command.ashx", None),
            (b"/command/x", None),
            (b"/", None),
            (b"", None),
            (b"//", None),
            (b"/coauthoring", None),
            (b"/coauthoring/", None),
            (b"/healthcheck", None),
            (b"/doc/abc/c/", None),
            (b"/cache/files/data/x/output.docx", None),
        ];
        for (path, want) in cases {
            assert_eq!(
                Profile::classify_documentserver_path(path),
                *want,
                "{}",
                String::from_utf8_lossy(path)
            );
        }
    }
}
