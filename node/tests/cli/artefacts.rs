//! `metronode publish --template TYPE` and publishing from it, through the real binary and a
//! running node: the template names every field, the node names every field still to fill in
//! in one answer, and the template filled in is published.

use std::fs;

use metronode::artefact::{self, Fill};

use crate::harness::{Serving, init, run};

#[test]
fn a_template_filled_in_is_published_and_one_left_blank_is_refused_field_by_field() {
    // Every type's template, printed by the binary, is the library's.
    for (cli, _, _) in artefact::TYPES {
        let out = run(&["publish", "--template", cli]);
        assert!(out.status.success(), "{cli}: {}", String::from_utf8_lossy(&out.stderr));
        let printed = String::from_utf8(out.stdout).unwrap();
        assert_eq!(printed, artefact::template(cli, Fill::Placeholders).unwrap());
    }
    let out = run(&["publish", "--template", "poster"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown artefact type `poster`") && err.contains("dpia"), "{err}");

    let root = tempfile::tempdir().unwrap();
    let dir = init(root.path(), "BGSOF");
    let d = dir.to_str().unwrap();
    let _node = Serving::start(&dir);
    let doc = root.path().join("register-entry.pdf");
    fs::write(&doc, b"%PDF-1.7\n% an algorithm register entry\n").unwrap();
    let ty = "algorithm-register-entry";
    let blank = root.path().join("blank.toml");
    fs::write(&blank, run(&["publish", "--template", ty]).stdout).unwrap();
    let publish = |meta: &std::path::Path| {
        let args =
            ["publish", "--dir", d, "--type", ty, "--title", "Parking permits", "--metadata"];
        run(&[&args[..], &[meta.to_str().unwrap(), doc.to_str().unwrap()]].concat())
    };

    // Unedited: refused, with every field still holding its placeholder named in one answer.
    let out = publish(&blank);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let placeholders = fs::read_to_string(&blank).unwrap().matches("= \"<").count()
        + fs::read_to_string(&blank).unwrap().matches("= [\"<").count();
    assert!(placeholders > 30, "{placeholders}");
    assert!(err.contains(&format!("{placeholders} metadata fields are missing or wrong")), "{err}");
    for f in artefact::ATS.iter().filter(|f| f.name != "standard_version") {
        assert!(err.contains(&format!("`details.{}`", f.name)), "{}: {err}", f.name);
    }

    // Filled in: published.
    let filled = root.path().join("filled.toml");
    fs::write(&filled, artefact::template(ty, Fill::Examples).unwrap()).unwrap();
    let out = publish(&filled);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("published as log record "));
}
