//! Wycheproof's JSON Web Key vectors (C2SP/wycheproof `json_web_key_test.json`) through the
//! key-file loader ([`keys::load`]) and the verifier: each group's key set (the public one
//! when the group has it, else the private one: `oct` secrets) is read as a key file, and the
//! vector's token verified with every algorithm allowed. A valid vector must load and verify;
//! an invalid one must be refused, by the loader or by the verifier. The one exception is
//! asserted below.

use std::path::PathBuf;
use std::rc::Rc;

use onlyoffice_jwt_core::keys::{self, KeyError};
use onlyoffice_jwt_core::{Algorithm, AlgorithmSet, Verifier};
use serde_json::Value;

const FILE: &str = "json_web_key_test.json";

/// tcId 7 is a key made by a library with the ROCA flaw (CVE-2017-15361): its factorisation
/// is feasible, but nothing in the key says so but a fingerprint test of the modulus, which
/// the loader does not run. Its token does verify with it, as the key's holder signed it.
const ROCA: u64 = 7;

fn vectors() -> Option<Value> {
    let path = match std::env::var_os("WYCHEPROOF_DIR") {
        Some(dir) => PathBuf::from(dir).join(FILE),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/testdata/wycheproof")
            .join(FILE),
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(serde_json::from_str(&text).expect("vector file is JSON")),
        Err(err) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("{}: {err}", path.display())
        }
        Err(err) => {
            eprintln!("notice: skipping {}: {err}", path.display());
            None
        }
    }
}

#[test]
fn wycheproof_json_web_key() {
    let Some(root) = vectors() else { return };
    let mut all = AlgorithmSet::empty();
    for alg in Algorithm::ALL {
        all.insert(alg);
    }
    let mut seen = 0;
    let mut refusals = Vec::new();
    for group in root["testGroups"].as_array().expect("testGroups") {
        let set = group
            .get("public")
            .or_else(|| group.get("private"))
            .expect("key");
        let loaded = keys::load(&serde_json::to_vec(set).expect("text"));
        for test in group["tests"].as_array().expect("tests") {
            seen += 1;
            let id = test["tcId"].as_u64().expect("tcId");
            let valid = test["result"] == "valid";
            let jws = test["jws"].as_str().expect("compact jws");
            let verdict = loaded
                .as_ref()
                .map_err(KeyError::to_string)
                .and_then(|keys| {
                    let v = Verifier {
                        keys: Rc::from(keys.clone()),
                        algorithms: all,
                        ..Verifier::default()
                    };
                    v.verify_signature(jws.as_bytes())
                        .map(|_| ())
                        .map_err(|e| format!("{e:?}"))
                });
            if let Err(why) = &verdict {
                refusals.push(format!("tcId {id}: {why}"));
            }
            if id == ROCA {
                assert!(
                    !valid && verdict.is_ok(),
                    "tcId {id}: the ROCA key now {verdict:?}"
                );
                continue;
            }
            assert_eq!(
                verdict.is_ok(),
                valid,
                "tcId {id} {}: {verdict:?}",
                test["comment"]
            );
        }
    }
    for line in &refusals {
        println!("{line}");
    }
    assert_eq!(Some(seen), root["numberOfTests"].as_u64());
}
