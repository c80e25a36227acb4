//! The witness sub-protocol of a sync: the statements peers countersigned about the origins
//! that changed, and about one more in turn.

use super::*;

impl PeerSyncer {
    /// The witness sub-protocol: statements about the origins that changed (at most
    /// `WITNESS_ORIGINS_PER_SYNC`), and about one more origin in turn every `WITNESS_EVERY`
    /// syncs: one call per origin, so a reply holds one statement per member (every origin's
    /// would be members squared).
    pub(super) async fn sync_witness(
        &self,
        client: &mut FederationClient<Channel>,
        id: &MemberId,
        changed: Vec<MemberId>,
        sizes: &BTreeMap<MemberId, u64>,
        syncs: u64,
    ) -> Result<(), SyncError> {
        let mut about = witness_origins(changed, id, syncs);
        if syncs.is_multiple_of(WITNESS_EVERY) && !sizes.is_empty() {
            let turn = (syncs / WITNESS_EVERY) as usize % sizes.len();
            if let Some(origin) = sizes.keys().nth(turn).filter(|o| !about.contains(o)) {
                about.push(origin.clone());
            }
        }
        let mut verifications = WITNESS_VERIFICATIONS_PER_SYNC;
        for origin in &about {
            let request = pb::GetWitnessStatementsRequest { origin: origin.to_string() };
            let mut statements = self
                .within("GetWitnessStatements", client.get_witness_statements(request))
                .await?
                .into_inner()
                .statements;
            statements.truncate(10_000);
            // The peer's own statement first: it is the one this sync is sure to be about.
            statements.sort_by_key(|s| {
                prost::Message::decode(&s.body[..])
                    .map_or(true, |b: pb::WitnessStatement| b.witness != id.as_str())
            });
            for s in &statements {
                let node = &self.node;
                if let Err(e) = node.log.check_witness_within(
                    s,
                    |w| node.keys_of(w),
                    id,
                    clock::now_unix_ms(),
                    &mut verifications,
                ) {
                    debug!(error = %e, "witness statement not kept");
                }
            }
        }
        Ok(())
    }
}

/// The origins whose witness statements one sync reads, of those the peer reported changed: the
/// peer's own first, then up to [`WITNESS_ORIGINS_PER_SYNC`] in all, rotating with the sync count.
pub(super) fn witness_origins(
    mut changed: Vec<MemberId>,
    peer: &MemberId,
    syncs: u64,
) -> Vec<MemberId> {
    if changed.len() <= WITNESS_ORIGINS_PER_SYNC {
        return changed;
    }
    let mut about = Vec::with_capacity(WITNESS_ORIGINS_PER_SYNC);
    if let Some(at) = changed.iter().position(|o| o == peer) {
        about.push(changed.remove(at));
    }
    let start = syncs as usize % changed.len();
    about.extend(
        changed.iter().cycle().skip(start).take(WITNESS_ORIGINS_PER_SYNC - about.len()).cloned(),
    );
    about
}
