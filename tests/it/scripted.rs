//! A scripted federation member for the tests that need a peer misbehaving over real mTLS: a
//! real node (its own log, keys and TLS identity, so it founds the federation like anyone and
//! its answers carry its real signatures) whose federation port is served by a `Federation` that
//! answers from a script where the script says so (lies, held or trickled replies) and with the
//! truth otherwise. Used by `adversarial` (lies) and `slow_peers` (held and trickled replies),
//! with the metric helpers both read.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex, MutexGuard},
    task::{Context, Poll},
    time::Duration,
};

use metronode::{
    clock,
    identity::{Domain, MemberId, NodeKey},
    merkle,
    node::{self, Identity, Node},
    pb::{
        self,
        federation_client::FederationClient,
        federation_server::{Federation, FederationServer},
    },
    peers::{self, tls},
    record,
    service::federation::FederationService,
    shutdown::Stopper,
};
use metronode_tests::{TestCluster, TestNode, http_get};
use prost::Message;
use tonic::{
    Request, Response, Status,
    codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder},
    codegen::{BoxFuture, Service, http},
    transport::Channel,
};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

/// What the scripted member says instead of the truth (empty: the truth), how slowly, and what
/// it served.
#[derive(Default)]
pub(crate) struct Script {
    /// `ListOrigins` reports these sizes and roots over the true ones.
    pub(crate) origins: BTreeMap<String, (u64, Vec<u8>)>,
    /// The reply to every `GetRecords` of an origin, whatever position was asked for.
    pub(crate) records: BTreeMap<String, Vec<pb::SignedRecord>>,
    /// The reply to `GetTreeHead` of an origin.
    pub(crate) heads: BTreeMap<String, pb::SignedTreeHead>,
    /// Every `GetRecords` reply is one message that does not decode as a `SignedRecord`.
    pub(crate) garbled: bool,
    /// The reply to every `GetManyRecords`, whatever was asked for.
    pub(crate) runs: Option<Vec<pb::OriginRecords>>,
    /// The member answers `GetManyRecords` as a node older than the call does: UNIMPLEMENTED.
    pub(crate) older: bool,
    /// Every reply is held this long before it is sent (its response headers included).
    pub(crate) delay: Option<Duration>,
    /// Each record of a `GetRecords` reply after the first waits this long.
    pub(crate) trickle: Option<Duration>,
    /// Every true `GetRecords` and `GetManyRecords` reply carries at most this many records
    /// (as a server with a lower limit answers), so that a catch-up takes many calls.
    pub(crate) per_call: Option<usize>,
    /// This record of this origin is served with a bit of its signature flipped, wherever a
    /// true reply holds it.
    pub(crate) flipped: Option<(String, u64)>,
    /// A call for this origin's records from this position or later fails (UNAVAILABLE).
    pub(crate) fail_from: Option<(String, u64)>,
    /// Lying replies served, by method and origin ("records XXSIG", "head XXRBK", "garbled",
    /// "runs", "older"), slow ones ("held", "trickled"), and every call of `GetRecords` and
    /// `GetManyRecords` ("GetRecords calls", "GetManyRecords calls").
    pub(crate) served: BTreeMap<String, u64>,
}

/// The lying `Federation`: scripted answers where the script has them, else the member's real
/// service over its real node.
pub(crate) struct Liar {
    honest: FederationService,
    script: Arc<Mutex<Script>>,
}

impl Liar {
    /// Holds the reply as long as the script says.
    async fn hold(&self) {
        let delay = lock(&self.script).delay;
        if let Some(delay) = delay {
            *lock(&self.script).served.entry("held".into()).or_default() += 1;
            tokio::time::sleep(delay).await;
        }
    }

    /// Fails a call for `origin`'s records from `from` on as the script says (`fail_from`).
    fn fail_from(&self, origin: &str, from: u64) -> Result<(), Status> {
        let fail = lock(&self.script).fail_from.clone();
        if fail.is_some_and(|(o, at)| o == origin && from >= at) {
            *lock(&self.script).served.entry("failed".into()).or_default() += 1;
            return Err(Status::unavailable("scripted failure"));
        }
        Ok(())
    }

    /// Whether true replies of records are served other than they are (`per_call`, `flipped`).
    fn doctors(&self) -> bool {
        let script = lock(&self.script);
        script.per_call.is_some() || script.flipped.is_some()
    }

    /// The runs of a true reply as the script has them served: at most `per_call` records in
    /// all, and the `flipped` record with a bit of its signature flipped.
    fn doctor(&self, runs: Vec<pb::OriginRecords>) -> Vec<pb::OriginRecords> {
        let (mut left, flipped) = {
            let script = lock(&self.script);
            (script.per_call.unwrap_or(usize::MAX), script.flipped.clone())
        };
        let mut out = Vec::new();
        for mut run in runs {
            run.records.truncate(left);
            left -= run.records.len();
            for (seq, r) in (run.from_seq..).zip(run.records.iter_mut()) {
                if flipped.as_ref().is_some_and(|(o, s)| *o == run.origin && *s == seq) {
                    let mut signature = r.signature.to_vec();
                    signature[0] ^= 1;
                    r.signature = signature.into();
                }
            }
            if !run.records.is_empty() {
                out.push(run);
            }
        }
        out
    }

    /// The reply's records, spaced out as the script says.
    fn trickle<T: Send + 'static>(
        &self,
        reply: std::pin::Pin<Box<dyn tokio_stream::Stream<Item = Result<T, Status>> + Send>>,
    ) -> std::pin::Pin<Box<dyn tokio_stream::Stream<Item = Result<T, Status>> + Send>> {
        let Some(gap) = lock(&self.script).trickle else { return reply };
        *lock(&self.script).served.entry("trickled".into()).or_default() += 1;
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        tokio::spawn(async move {
            let mut reply = reply;
            let mut first = true;
            while let Some(item) = tokio_stream::StreamExt::next(&mut reply).await {
                if !first {
                    tokio::time::sleep(gap).await;
                }
                first = false;
                if tx.send(item).await.is_err() {
                    break;
                }
            }
        });
        Box::pin(tokio_stream::wrappers::ReceiverStream::new(rx))
    }
}

#[tonic::async_trait]
impl Federation for Liar {
    async fn get_tree_head(
        &self,
        req: Request<pb::GetTreeHeadRequest>,
    ) -> Result<Response<pb::SignedTreeHead>, Status> {
        self.hold().await;
        let origin = req.get_ref().origin.clone();
        let lie = lock(&self.script).heads.get(&origin).cloned();
        match lie {
            Some(head) => {
                *lock(&self.script).served.entry(format!("head {origin}")).or_default() += 1;
                Ok(Response::new(head))
            }
            None => self.honest.get_tree_head(req).await,
        }
    }

    type GetRecordsStream = <FederationService as Federation>::GetRecordsStream;

    async fn get_records(
        &self,
        req: Request<pb::GetRecordsRequest>,
    ) -> Result<Response<Self::GetRecordsStream>, Status> {
        self.hold().await;
        *lock(&self.script).served.entry("GetRecords calls".into()).or_default() += 1;
        let origin = req.get_ref().origin.clone();
        self.fail_from(&origin, req.get_ref().from_seq)?;
        let lie = lock(&self.script).records.get(&origin).cloned();
        let reply: Self::GetRecordsStream = match lie {
            Some(records) => {
                *lock(&self.script).served.entry(format!("records {origin}")).or_default() += 1;
                Box::pin(tokio_stream::iter(records.into_iter().map(Ok)))
            }
            None if self.doctors() => {
                let from_seq = req.get_ref().from_seq;
                let mut honest = self.honest.get_records(req).await?.into_inner();
                let mut records = Vec::new();
                while let Some(r) = tokio_stream::StreamExt::next(&mut honest).await {
                    records.push(r?);
                }
                let run = pb::OriginRecords { origin, from_seq, records };
                let records = self.doctor(vec![run]).into_iter().flat_map(|r| r.records);
                Box::pin(tokio_stream::iter(records.map(Ok).collect::<Vec<_>>()))
            }
            None => self.honest.get_records(req).await?.into_inner(),
        };
        Ok(Response::new(self.trickle(reply)))
    }

    type GetManyRecordsStream = <FederationService as Federation>::GetManyRecordsStream;

    async fn get_many_records(
        &self,
        req: Request<pb::GetManyRecordsRequest>,
    ) -> Result<Response<Self::GetManyRecordsStream>, Status> {
        self.hold().await;
        *lock(&self.script).served.entry("GetManyRecords calls".into()).or_default() += 1;
        if lock(&self.script).older {
            *lock(&self.script).served.entry("older".into()).or_default() += 1;
            return Err(Status::unimplemented(""));
        }
        for p in &req.get_ref().origins {
            self.fail_from(&p.origin, p.from_seq)?;
        }
        let runs = lock(&self.script).runs.clone();
        if let Some(runs) = runs {
            *lock(&self.script).served.entry("runs".into()).or_default() += 1;
            return Ok(Response::new(Box::pin(tokio_stream::iter(runs.into_iter().map(Ok)))));
        }
        let lies = !lock(&self.script).records.is_empty();
        let reply: Self::GetManyRecordsStream = if lies {
            // Each origin's scripted records where the script has them, the truth otherwise.
            let mut runs = Vec::new();
            for position in req.into_inner().origins {
                let lie = lock(&self.script).records.get(&position.origin).cloned();
                match lie {
                    Some(records) => {
                        let served = format!("records {}", position.origin);
                        *lock(&self.script).served.entry(served).or_default() += 1;
                        runs.push(Ok(pb::OriginRecords {
                            origin: position.origin,
                            from_seq: position.from_seq,
                            records,
                        }));
                    }
                    None => {
                        let one = pb::GetManyRecordsRequest { origins: vec![position], limit: 0 };
                        let mut honest =
                            self.honest.get_many_records(Request::new(one)).await?.into_inner();
                        while let Some(run) = tokio_stream::StreamExt::next(&mut honest).await {
                            runs.push(run);
                        }
                    }
                }
            }
            Box::pin(tokio_stream::iter(runs))
        } else if self.doctors() {
            let mut honest = self.honest.get_many_records(req).await?.into_inner();
            let mut runs = Vec::new();
            while let Some(run) = tokio_stream::StreamExt::next(&mut honest).await {
                runs.push(run?);
            }
            Box::pin(tokio_stream::iter(self.doctor(runs).into_iter().map(Ok).collect::<Vec<_>>()))
        } else {
            self.honest.get_many_records(req).await?.into_inner()
        };
        Ok(Response::new(self.trickle(reply)))
    }

    async fn get_inclusion_proof(
        &self,
        req: Request<pb::GetInclusionProofRequest>,
    ) -> Result<Response<pb::InclusionProof>, Status> {
        self.hold().await;
        self.honest.get_inclusion_proof(req).await
    }

    async fn get_consistency_proof(
        &self,
        req: Request<pb::GetConsistencyProofRequest>,
    ) -> Result<Response<pb::ConsistencyProof>, Status> {
        self.hold().await;
        self.honest.get_consistency_proof(req).await
    }

    async fn list_origins(
        &self,
        req: Request<pb::ListOriginsRequest>,
    ) -> Result<Response<pb::ListOriginsResponse>, Status> {
        self.hold().await;
        let mut reply = self.honest.list_origins(req).await?.into_inner();
        for (origin, (size, root)) in &lock(&self.script).origins {
            reply.origins.retain(|o| &o.origin != origin);
            reply.origins.push(pb::OriginSummary {
                origin: origin.clone(),
                size: *size,
                root_hash: root.clone(),
            });
        }
        Ok(Response::new(reply))
    }

    async fn get_witness_statements(
        &self,
        req: Request<pb::GetWitnessStatementsRequest>,
    ) -> Result<Response<pb::GetWitnessStatementsResponse>, Status> {
        self.hold().await;
        self.honest.get_witness_statements(req).await
    }

    async fn get_evidence(
        &self,
        req: Request<pb::GetEvidenceRequest>,
    ) -> Result<Response<pb::GetEvidenceResponse>, Status> {
        self.hold().await;
        self.honest.get_evidence(req).await
    }

    type GetBlobStream = <FederationService as Federation>::GetBlobStream;

    async fn get_blob(
        &self,
        req: Request<pb::GetBlobRequest>,
    ) -> Result<Response<Self::GetBlobStream>, Status> {
        self.hold().await;
        self.honest.get_blob(req).await
    }
}

/// The member's federation service on the wire: the `Liar`, except that `GetRecords` answers
/// with bytes no protobuf encoder of a `SignedRecord` makes while the script says `garbled`.
#[derive(Clone)]
pub(crate) struct Wire {
    liar: FederationServer<Liar>,
    script: Arc<Mutex<Script>>,
}

impl tonic::server::NamedService for Wire {
    const NAME: &'static str = "metronode.v1.Federation";
}

impl Service<http::Request<tonic::body::Body>> for Wire {
    type Response = http::Response<tonic::body::Body>;
    type Error = std::convert::Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<tonic::body::Body>) -> Self::Future {
        let path = req.uri().path();
        let garbled = (path.ends_with("/GetRecords") || path.ends_with("/GetManyRecords")) && {
            let mut script = lock(&self.script);
            if script.garbled {
                *script.served.entry("garbled".into()).or_default() += 1;
            }
            script.garbled
        };
        if !garbled {
            let mut liar = self.liar.clone();
            return Box::pin(async move { liar.call(req).await });
        }
        Box::pin(async move {
            let mut grpc = tonic::server::Grpc::new(RawCodec);
            Ok(grpc.server_streaming(GarbledRecords, req).await)
        })
    }
}

/// One reply message whose field 1, length-delimited in `SignedRecord` (`bytes`) and in
/// `OriginRecords` (`string`), comes as a varint: no protobuf decoder of either accepts it.
pub(crate) struct GarbledRecords;

impl tonic::server::ServerStreamingService<Vec<u8>> for GarbledRecords {
    type Response = Vec<u8>;
    type ResponseStream = tokio_stream::Once<Result<Vec<u8>, Status>>;
    type Future = std::future::Ready<Result<Response<Self::ResponseStream>, Status>>;

    fn call(&mut self, _req: Request<Vec<u8>>) -> Self::Future {
        std::future::ready(Ok(Response::new(tokio_stream::once(Ok(vec![0x08, 0x07])))))
    }
}

/// Sends raw bytes as messages and reads requests as raw bytes (`GetRecords` and
/// `GetManyRecords` alike).
pub(crate) struct RawCodec;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> RawCodec {
        RawCodec
    }

    fn decoder(&mut self) -> RawCodec {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        prost::bytes::BufMut::put_slice(dst, &item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Self::Item>, Status> {
        use prost::bytes::Buf;
        Ok(Some(src.copy_to_bytes(src.remaining()).to_vec()))
    }
}

pub(crate) fn lock(script: &Mutex<Script>) -> MutexGuard<'_, Script> {
    script.lock().unwrap_or_else(|p| p.into_inner())
}

/// A member that lies: a real node underneath (its own log, keys and TLS identity, so it founds
/// the federation like anyone and its answers carry its real signatures), no syncer, and its
/// federation port served by `Wire` on the same mTLS listener `metronode serve` uses.
pub(crate) struct Evil {
    pub(crate) node: Arc<Node>,
    pub(crate) key: NodeKey,
    pub(crate) script: Arc<Mutex<Script>>,
    pub(crate) stop: Stopper,
    pub(crate) _dir: tempfile::TempDir,
}

impl Evil {
    pub(crate) async fn start(id: &str) -> Evil {
        metronode::test_util::install_test_trace_subscriber();
        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fed_addr = listener.local_addr().unwrap();
        let member: MemberId = id.parse().unwrap();
        let local = "127.0.0.1:0".parse().unwrap();
        node::init_dir(dir.path(), &member, "Evil City", local, fed_addr, None).unwrap();
        let identity = Identity::load(dir.path()).unwrap();
        let key = identity.key.duplicate();
        let node = Arc::new(Node::open(identity).unwrap());
        let script = Arc::new(Mutex::new(Script::default()));
        let liar = Liar { honest: FederationService::new(node.clone()), script: script.clone() };
        let wire = Wire { liar: FederationServer::new(liar), script: script.clone() };
        let config = tls::server_config(&node.tls, node.pins.clone()).unwrap();
        let stop = Stopper::new();
        let (incoming, stopped) = (
            peers::tls_incoming(listener, config, node.log.metrics().clone(), stop.clone()),
            stop.clone(),
        );
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(wire)
                .serve_with_incoming_shutdown(incoming, async move { stopped.cancelled().await }),
        );
        Evil { node, key, script, stop, _dir: dir }
    }

    pub(crate) fn id(&self) -> &MemberId {
        self.node.log.own()
    }

    pub(crate) fn size(&self) -> u64 {
        self.node.log.size(self.id())
    }

    /// Appends to its own log as a node does, and takes in what the record says.
    pub(crate) fn append(&self, payload: pb::record_body::Payload) {
        let appended = self.node.log.append(payload, clock::now_unix_ms()).unwrap();
        self.node.observe(self.id(), appended.record.seq).unwrap();
    }

    /// Its own records `from..to`, as held.
    pub(crate) fn records(&self, from: u64, to: u64) -> Vec<pb::SignedRecord> {
        envelopes(&self.node, self.id(), from, to)
    }

    /// The record hash of its own record `seq`.
    pub(crate) fn hash(&self, seq: u64) -> merkle::Hash {
        merkle::leaf_hash(&self.records(seq, seq + 1)[0].body)
    }

    /// A record of `origin` at `seq` saying `payload`, signed with this member's key.
    pub(crate) fn seal(
        &self,
        origin: &MemberId,
        seq: u64,
        prev: merkle::Hash,
        payload: pb::record_body::Payload,
    ) -> pb::SignedRecord {
        let (env, _) = record::seal(&self.key, origin, seq, prev, clock::now_unix_ms(), payload);
        pb::SignedRecord::decode(env.as_slice()).unwrap()
    }

    /// A tree head of its own log, signed with its key.
    pub(crate) fn sign_head(&self, size: u64, root: &[u8]) -> pb::SignedTreeHead {
        let body = pb::TreeHead {
            origin: self.id().to_string(),
            size,
            root_hash: root.to_vec(),
            timestamp_unix_ms: clock::now_unix_ms(),
        }
        .encode_to_vec();
        pb::SignedTreeHead {
            signature: self.key.sign(Domain::TreeHead, &body).to_vec(),
            body,
            checkpoint_signature: Vec::new(),
        }
    }

    pub(crate) fn script(&self) -> MutexGuard<'_, Script> {
        lock(&self.script)
    }

    /// Lying replies served for `what` ("records XXSIG", "head XXRBK", "garbled").
    pub(crate) fn served(&self, what: &str) -> u64 {
        self.script().served.get(what).copied().unwrap_or(0)
    }

    /// Stops lying: every answer from now on is the truth.
    pub(crate) fn truth(&self) {
        let mut script = self.script();
        script.origins.clear();
        script.records.clear();
        script.heads.clear();
        script.garbled = false;
        script.runs = None;
        script.older = false;
        script.delay = None;
        script.trickle = None;
        script.per_call = None;
        script.flipped = None;
        script.fail_from = None;
    }

    /// A Federation client of this member to an honest node, over mTLS with its own key.
    pub(crate) fn client(&self, to: &TestNode) -> FederationClient<Channel> {
        let config = tls::client_config(&self.node.tls, self.node.pins.clone()).unwrap();
        let timeout = std::time::Duration::from_secs(10);
        let channel =
            peers::connect(&to.node.card.endpoint, to.node.log.own(), config, timeout).unwrap();
        FederationClient::new(channel)
    }
}

impl Drop for Evil {
    fn drop(&mut self) {
        self.stop.stop();
    }
}

pub(crate) fn notice(title: &str) -> pb::record_body::Payload {
    pb::record_body::Payload::Notice(pb::Notice { title: title.into(), text: String::new() })
}

pub(crate) fn envelopes(
    node: &Node,
    origin: &MemberId,
    from: u64,
    to: u64,
) -> Vec<pb::SignedRecord> {
    let held = node.log.envelopes(origin, from, (to - from) as usize).unwrap();
    held.iter().map(|e| pb::SignedRecord::decode(e.as_slice()).unwrap()).collect()
}

pub(crate) fn id(s: &str) -> MemberId {
    s.parse().unwrap()
}

/// Brussels and Dublin, honest, founding a federation with the malicious member `evil`
/// (threshold 2); each of the three has published a notice, and both honest nodes hold every
/// log (two records of each origin) and its tree head.
pub(crate) async fn federation(evil: &str) -> (TestCluster, Evil) {
    let evil = Evil::start(evil).await;
    let nodes = vec![TestNode::start("BEBRU").await, TestNode::start("IEDUB").await];
    let mut cards: Vec<pb::MemberCard> = nodes.iter().map(|n| n.node.card.clone()).collect();
    cards.push(evil.node.card.clone());
    let manifest = metronode::federation::founding("test-federation", 2, cards).unwrap();
    for n in &nodes {
        let req = pb::ProposeManifestRequest { manifest: manifest.bytes.clone() };
        n.publisher().await.propose_manifest(req).await.unwrap();
        n.notice("honest news").await;
    }
    evil.append(pb::record_body::Payload::ManifestProposal(pb::ManifestProposal {
        manifest: manifest.bytes.clone(),
    }));
    evil.append(notice("evil news"));
    let cluster = TestCluster { nodes };
    cluster
        .wait_until("both honest nodes hold every log and its tree head", |c| {
            c.nodes.iter().all(|n| {
                [evil.id(), &id("BEBRU"), &id("IEDUB")].into_iter().all(|o| {
                    n.node.log.size(o) == 2 && n.node.log.tree_head(o).is_ok_and(|h| h.size == 2)
                })
            })
        })
        .await;
    (cluster, evil)
}

/// The node answers its local gRPC health check as serving.
pub(crate) async fn assert_serving(n: &TestNode) {
    let channel = Channel::from_shared(n.url()).unwrap().connect().await.unwrap();
    let mut health = HealthClient::new(channel);
    let status = health.check(HealthCheckRequest { service: String::new() }).await.unwrap();
    assert_eq!(status.into_inner().status, ServingStatus::Serving as i32);
}

/// The sum of a counter's samples in Prometheus text whose labels include every one given.
pub(crate) fn counter(text: &str, name: &str, labels: &[(&str, &str)]) -> u64 {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .filter(|l| labels.iter().all(|(k, v)| l.contains(&format!("{k}=\"{v}\""))))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// A counter summed over the cluster's nodes (each counts in its own registry).
pub(crate) fn count(cluster: &TestCluster, name: &str, labels: &[(&str, &str)]) -> u64 {
    cluster.nodes.iter().map(|n| counter(&n.node.log.metrics().render(), name, labels)).sum()
}

/// A counter summed over what every node of the cluster's `/metrics` serves.
pub(crate) async fn scraped_all(cluster: &TestCluster, name: &str, labels: &[(&str, &str)]) -> u64 {
    let mut sum = 0;
    for n in &cluster.nodes {
        sum += scraped(n, name, labels).await;
    }
    sum
}

/// A counter as the node's `/metrics` endpoint serves it.
pub(crate) async fn scraped(n: &TestNode, name: &str, labels: &[(&str, &str)]) -> u64 {
    let (status, _, body) = http_get(n.http_addr, "/metrics", None).await;
    assert_eq!(status, 200);
    counter(&body, name, labels)
}

pub(crate) const REJECTED: &str = "metronode_records_rejected_total";
pub(crate) const HEADS_REFUSED: &str = "metronode_tree_heads_refused_total";
pub(crate) const SYNC_FAILURES: &str = "metronode_sync_failures_total";
pub(crate) const EVIDENCE: &str = "metronode_equivocation_evidence_total";
pub(crate) const PEER_REFUSED: &str = "metronode_peer_refused_total";
