//! A node seen from a client: standard health and reflection, publishing, and verifying the log,
//! its tree heads and proofs from the reading side.

use metronode::{identity::MemberId, log, merkle, pb};
use metronode_tests::TestNode;
use prost::Message;
use tokio_stream::StreamExt;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use tonic_reflection::pb::v1::{
    ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
    server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
};

async fn channel(node: &TestNode) -> tonic::transport::Channel {
    tonic::transport::Endpoint::from_shared(node.url()).unwrap().connect().await.unwrap()
}

#[tokio::test]
async fn health_reports_serving_for_each_service() {
    let node = TestNode::start("BEBRU").await;
    let mut health = HealthClient::new(channel(&node).await);
    for service in
        ["metronode.v1.Federation", "metronode.v1.Publisher", "metronode.v1.Analytics", ""]
    {
        let resp = health.check(HealthCheckRequest { service: service.into() }).await.unwrap();
        assert_eq!(resp.into_inner().status(), ServingStatus::Serving, "{service:?}");
    }
    let err = health.check(HealthCheckRequest { service: "nope.Nope".into() }).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);
    node.stop().await.unwrap();
}

/// What `grpcurl list` and `grpcurl describe` do: list services, then fetch a file descriptor.
#[tokio::test]
async fn reflection_lists_and_describes_the_services() {
    let node = TestNode::start("IEDUB").await;
    let mut client = ServerReflectionClient::new(channel(&node).await);
    let requests = vec![
        ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        },
        ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::FileContainingSymbol(
                "metronode.v1.Federation".into(),
            )),
        },
    ];
    let mut responses =
        client.server_reflection_info(tokio_stream::iter(requests)).await.unwrap().into_inner();
    let mut services = Vec::new();
    let mut described = false;
    while let Some(resp) = responses.next().await {
        match resp.unwrap().message_response.unwrap() {
            MessageResponse::ListServicesResponse(list) => {
                services.extend(list.service.into_iter().map(|s| s.name));
            }
            MessageResponse::FileDescriptorResponse(fd) => {
                let file = prost_types::FileDescriptorProto::decode(
                    fd.file_descriptor_proto[0].as_slice(),
                )
                .unwrap();
                assert_eq!(file.package(), "metronode.v1");
                let svc = file.service.iter().find(|s| s.name() == "Federation").unwrap();
                let methods: Vec<_> = svc.method.iter().map(|m| m.name().to_owned()).collect();
                assert!(
                    methods.contains(&"GetRecords".to_owned())
                        && methods.contains(&"GetConsistencyProof".to_owned())
                );
                described = true;
            }
            other => panic!("unexpected reflection response {other:?}"),
        }
    }
    services.sort();
    for want in [
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "metronode.v1.Analytics",
        "metronode.v1.Federation",
        "metronode.v1.Publisher",
    ] {
        assert!(services.iter().any(|s| s == want), "{want} missing from {services:?}");
    }
    assert!(described);
    node.stop().await.unwrap();
}

#[tokio::test]
async fn several_logs_are_read_in_one_call_in_the_order_asked_within_the_limit() {
    let cluster = metronode_tests::TestCluster::cities(&["BEBRU", "IEDUB"], 2).await;
    for n in &cluster.nodes {
        for i in 0..3 {
            n.notice(&format!("notice {i}")).await;
        }
    }
    cluster.wait_until("both hold both logs", |c| c.held(0, "IEDUB") == 4).await;
    let fed =
        pb::federation_client::FederationClient::connect(cluster.nodes[0].url()).await.unwrap();
    let single = |origin: &str, from: u64| {
        let mut fed = fed.clone();
        let origin = origin.to_owned();
        async move {
            let req = pb::GetRecordsRequest { origin, from_seq: from, limit: 0 };
            let mut stream = fed.get_records(req).await.unwrap().into_inner();
            let mut records = Vec::new();
            while let Some(r) = stream.message().await.unwrap() {
                records.push(r);
            }
            records
        }
    };
    let position = |origin: &str, from_seq| pb::OriginPosition { origin: origin.into(), from_seq };
    let many = |origins: Vec<pb::OriginPosition>, limit: u32| {
        let mut fed = fed.clone();
        async move {
            let req = pb::GetManyRecordsRequest { origins, limit };
            let mut stream = fed.get_many_records(req).await?.into_inner();
            let mut runs = Vec::new();
            while let Some(run) = stream.message().await? {
                runs.push(run);
            }
            Ok::<_, tonic::Status>(runs)
        }
    };
    // In the order asked, each from its position; an origin not held adds nothing.
    let asked = vec![position("IEDUB", 1), position("XXNON", 0), position("BEBRU", 0)];
    let runs = many(asked.clone(), 0).await.unwrap();
    let got: Vec<(&str, u64, usize)> =
        runs.iter().map(|r| (r.origin.as_str(), r.from_seq, r.records.len())).collect();
    assert_eq!(got, [("IEDUB", 1, 3), ("BEBRU", 0, 4)]);
    assert_eq!(runs[0].records, single("IEDUB", 1).await);
    assert_eq!(runs[1].records, single("BEBRU", 0).await);
    // The limit counts records in all, across origins.
    let runs = many(asked, 5).await.unwrap();
    let got: Vec<(&str, u64, usize)> =
        runs.iter().map(|r| (r.origin.as_str(), r.from_seq, r.records.len())).collect();
    assert_eq!(got, [("IEDUB", 1, 3), ("BEBRU", 0, 2)]);
    // Bad requests name the origin at fault.
    for (origins, names) in [
        (vec![position("BEBRU", 0), position("sofia", 0)], "origins[1].origin"),
        (vec![position("BEBRU", 0), position("BEBRU", 2)], "BEBRU is named twice"),
        ((0..1001).map(|_| position("BEBRU", 0)).collect(), "at most 1000"),
    ] {
        let err = many(origins, 0).await.unwrap_err();
        assert_eq!(err.code(), tonic::Code::InvalidArgument);
        assert!(err.message().contains(names), "{}", err.message());
    }
}

#[tokio::test]
async fn a_reader_verifies_records_heads_and_proofs_it_is_served() {
    let node = TestNode::start("BGSOF").await;
    let origin: MemberId = "BGSOF".parse().unwrap();
    let key = node.node.log.node_id();
    let mut publisher = pb::publisher_client::PublisherClient::connect(node.url()).await.unwrap();
    let mut fed = pb::federation_client::FederationClient::connect(node.url()).await.unwrap();

    let mut heads = Vec::new();
    for i in 0..13u64 {
        let reply = publisher
            .publish_notice(pb::PublishNoticeRequest {
                notice: Some(pb::Notice { title: format!("notice {i}"), text: "Sofia".into() }),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(reply.seq, i);
        heads.push(reply.tree_head.unwrap().encode_to_vec());
    }

    let mut stream = fed
        .get_records(pb::GetRecordsRequest { origin: "BGSOF".into(), from_seq: 0, limit: 0 })
        .await
        .unwrap()
        .into_inner();
    let mut envelopes = Vec::new();
    while let Some(r) = stream.message().await.unwrap() {
        envelopes.push(r.encode_to_vec());
    }
    assert_eq!(envelopes.len(), 13);
    let tree = log::verify_chain(
        envelopes.iter().cloned().enumerate().map(|(i, e)| Ok((i as u64, e))),
        &origin,
        &key,
    )
    .unwrap();

    let latest = fed
        .get_tree_head(pb::GetTreeHeadRequest { origin: "BGSOF".into() })
        .await
        .unwrap()
        .into_inner();
    let latest = log::check_tree_head(&latest.encode_to_vec(), &origin, &key, &tree).unwrap();
    assert_eq!(latest.size, 13);

    for seq in [0u64, 6, 12] {
        let proof = fed
            .get_inclusion_proof(pb::GetInclusionProofRequest {
                origin: "BGSOF".into(),
                seq,
                tree_size: 0,
            })
            .await
            .unwrap()
            .into_inner();
        let leaf = merkle::leaf_hash(
            &pb::SignedRecord::decode(envelopes[seq as usize].as_slice()).unwrap().body,
        );
        merkle::verify_inclusion(&leaf, seq, proof.tree_size, &proof.path, &latest.root).unwrap();
    }
    // Every head the publisher acknowledged is a prefix of the latest one.
    for head in &heads {
        let old = log::check_tree_head(head, &origin, &key, &tree).unwrap();
        let proof = fed
            .get_consistency_proof(pb::GetConsistencyProofRequest {
                origin: "BGSOF".into(),
                first_size: old.size,
                second_size: 0,
            })
            .await
            .unwrap()
            .into_inner();
        merkle::verify_consistency(
            old.size,
            proof.second_size,
            &old.root,
            &latest.root,
            &proof.path,
        )
        .unwrap();
    }

    // Bad requests are told what is wrong.
    let err =
        fed.get_tree_head(pb::GetTreeHeadRequest { origin: "sofia".into() }).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert!(err.message().contains("origin"));
    let err =
        fed.get_tree_head(pb::GetTreeHeadRequest { origin: "IEDUB".into() }).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);
    let err = fed
        .get_inclusion_proof(pb::GetInclusionProofRequest {
            origin: "BGSOF".into(),
            seq: 13,
            tree_size: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    let err = publisher
        .publish_notice(pb::PublishNoticeRequest {
            notice: Some(pb::Notice { title: " ".into(), text: String::new() }),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert!(err.message().contains("notice.title"));

    let mut analytics = pb::analytics_client::AnalyticsClient::connect(node.url()).await.unwrap();
    let info = analytics.get_node_info(pb::GetNodeInfoRequest {}).await.unwrap().into_inner();
    assert_eq!(info.log_size, 13);
    assert_eq!(info.card.unwrap().signing_public_key, key.to_bytes().to_vec());
    node.stop().await.unwrap();
}
