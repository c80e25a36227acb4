//! Proof bundles: a metropolitan answer downloaded with everything it rests on, verified
//! offline with nothing but the file (and the member cards one trusts), and every kind of
//! tampering named.

use base64::{Engine as _, engine::general_purpose::STANDARD as B64};
use metronode::{bundle, catalogue::Catalogue, synth};
use metronode_tests::{TestCluster, http_get as get};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proof_bundle_verifies_offline_and_names_what_was_tampered_with() {
    let cluster = TestCluster::cities(&["BEBRU", "IEDUB"], 2).await;
    for (node, city) in cluster.nodes.iter().zip([synth::BRUSSELS, synth::DUBLIN]) {
        let mut data = Vec::new();
        synth::generate(&city, "survey", 1500, 5, &mut data).unwrap();
        node.ingest("survey", "2025", false, data).await.unwrap();
    }
    let (brussels, dublin) = ("BEBRU".parse().unwrap(), "IEDUB".parse().unwrap());
    cluster
        .wait_until("Brussels holds both logs under tree heads that cover them", |c| {
            let log = &c.nodes[0].node.log;
            [(&brussels, c.nodes[0].log_size()), (&dublin, c.nodes[1].log_size())]
                .iter()
                .all(|(o, n)| log.tree_head(o).is_ok_and(|h| h.size == *n))
        })
        .await;
    let path = "/api/v1/query?indicator=DRI-USE-01&by=age_band&period=2025";
    let addr = cluster.nodes[0].http_addr;
    // Once Dublin's cosignature of Brussels' head has come back to Brussels, it is in the bundle.
    let mut bundle: Option<bundle::Bundle> = None;
    for _ in 0..200 {
        let (status, head, text) = get(addr, &format!("{path}&format=bundle"), None).await;
        assert_eq!(status, 200, "{text}");
        assert!(head.contains("DRI-USE-01-2025-by-age_band-_T.bundle.json"), "{head}");
        let b: bundle::Bundle = serde_json::from_str(&text).unwrap();
        let cosigned = b.logs.iter().any(|l| l.origin == "BEBRU" && !l.witnesses.is_empty());
        bundle = Some(b);
        if cosigned {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let bundle = bundle.unwrap();
    let (_, _, served) = get(addr, path, None).await;
    let served: serde_json::Value = serde_json::from_str(&served).unwrap();
    assert_eq!(bundle.answer, served, "the bundle's answer is the one served");
    let (_, _, page) = get(addr, "/?indicator=DRI-USE-01&by=age_band&period=2025", None).await;
    assert!(page.contains("period=2025&amp;format=bundle\">proof bundle</a>"), "{page}");

    // Verified offline, anchored in the cards the cities exchanged at the founding.
    let cards: Vec<_> = cluster.nodes.iter().map(|n| n.node.card.clone()).collect();
    let catalogue = Catalogue::builtin();
    let v = bundle::verify(&bundle, &catalogue, &cards).unwrap();
    assert_eq!((v.version, v.members.clone()), (1, vec!["BEBRU".into(), "IEDUB".into()]));
    assert!(v.releases >= 2 && v.records > v.releases, "{v:?}");
    assert!(v.claimed.is_empty(), "both fresh: {v:?}");
    assert_eq!(v.witnessed["BEBRU"], vec!["IEDUB".to_owned()], "{v:?}");

    // A cosignature that is not of this head.
    let mut t = bundle.clone();
    let log = t.logs.iter_mut().find(|l| l.origin == "BEBRU").unwrap();
    let mut w = B64.decode(&log.witnesses[0]).unwrap();
    let last = w.len() - 1;
    w[last] ^= 1;
    log.witnesses[0] = B64.encode(w);
    let e = bundle::verify(&t, &catalogue, &cards).unwrap_err();
    assert!(e.starts_with("witness statement 0 of BEBRU (IEDUB)"), "{e}");

    // A changed number in the answer.
    let mut t = bundle.clone();
    t.answer["metro"]["numerator"] = serde_json::json!(1.0);
    let e = bundle::verify(&t, &catalogue, &cards).unwrap_err();
    assert!(e.starts_with("answer.metro.numerator: the bundle says 1.0"), "{e}");
    // A changed byte in one of Dublin's releases.
    let mut t = bundle.clone();
    let log = t.logs.iter_mut().find(|l| l.origin == "IEDUB").unwrap();
    let r = log.records.last_mut().unwrap();
    let mut bytes = B64.decode(&r.envelope).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    r.envelope = B64.encode(bytes);
    let seq = r.seq;
    let e = bundle::verify(&t, &catalogue, &cards).unwrap_err();
    assert!(e.starts_with(&format!("record IEDUB/{seq}")), "{e}");
    // A release left out: the answer no longer follows from what is left.
    let mut t = bundle.clone();
    let log = t.logs.iter_mut().find(|l| l.origin == "IEDUB").unwrap();
    log.records.pop();
    let e = bundle::verify(&t, &catalogue, &cards).unwrap_err();
    assert!(e.starts_with("answer."), "{e}");
    // A proof of another position.
    let mut t = bundle.clone();
    let log = t.logs.iter_mut().find(|l| l.origin == "BEBRU").unwrap();
    let (a, b) = (log.records[0].proof.clone(), log.records[1].proof.clone());
    (log.records[0].proof, log.records[1].proof) = (b, a);
    let e = bundle::verify(&t, &catalogue, &cards).unwrap_err();
    assert!(e.contains("not included under the tree head"), "{e}");
    // A founding that is not the one the pinned cards were exchanged for.
    let mut other = cards[1].clone();
    other.signing_public_key = cards[0].signing_public_key.clone();
    let e = bundle::verify(&bundle, &catalogue, &[other]).unwrap_err();
    assert!(e.contains("does not list IEDUB with the pinned card's signing key"), "{e}");
}
