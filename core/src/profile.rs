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

impl Profile {
    /// Parses a directive argument (exact, lowercase).
    pub fn from_name(name: &[u8]) -> Option<Profile> {
        Some(match name {
            b"off" => Profile::Off,
            b"bearer" => Profile::Bearer,
            b"documentserver" => Profile::DocumentServer,
            b"command" => Profile::Command,
            b"convert" => Profile::Convert,
            b"builder" => Profile::Builder,
            b"callback" => Profile::Callback,
            b"download" => Profile::Download,
            _ => return None,
        })
    }

    /// The directive argument that names the profile.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Off => "off",
            Profile::Bearer => "bearer",
            Profile::DocumentServer => "documentserver",
            Profile::Command => "command",
            Profile::Convert => "convert",
            Profile::Builder => "builder",
            Profile::Callback => "callback",
            Profile::Download => "download",
        }
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
        crate::policy::classify_path(path)
    }
}
