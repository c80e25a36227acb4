//! The documents sub-protocol of a sync: the bodies of published documents this node still
//! wants, fetched from a peer and stored once their hash is the one their origin signed.

use super::*;

/// Reads chunks sent from the async side, on a blocking thread.
pub(super) struct BlockingChunks {
    pub(super) rx: std::sync::mpsc::Receiver<Vec<u8>>,
    pub(super) buf: Vec<u8>,
    pub(super) pos: usize,
}

impl std::io::Read for BlockingChunks {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.buf.len() {
            match self.rx.recv() {
                Ok(chunk) => {
                    self.buf = chunk;
                    self.pos = 0;
                }
                Err(_) => return Ok(0),
            }
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl PeerSyncer {
    /// The documents sub-protocol: the bodies still wanted, from this peer (the list made anew
    /// when records changed, since new records may publish documents it did not know of yet).
    pub(super) async fn sync_documents(
        &self,
        client: &mut FederationClient<Channel>,
        id: &MemberId,
        wanted: &std::sync::Mutex<Vec<[u8; 32]>>,
        changed: bool,
    ) {
        if changed {
            let fresh = self.wanted_bodies().await;
            *wanted.lock().unwrap_or_else(|p| p.into_inner()) = fresh;
        }
        let still: Vec<[u8; 32]> = {
            let mut w = wanted.lock().unwrap_or_else(|p| p.into_inner());
            w.retain(|h| !self.node.blobs.has(h));
            w.clone()
        };
        if !still.is_empty() {
            self.fetch_bodies(client, id, &still).await;
        }
    }

    /// Documents this node should hold and does not yet: bodies of current or superseded
    /// publications, not withdrawn, that are missing or failed verification (sorted, without
    /// duplicates). The documents index decodes each record once, so listing costs the records
    /// appended since the last listing, not the logs held.
    pub(super) async fn wanted_bodies(&self) -> Vec<[u8; 32]> {
        let node = self.node.clone();
        tokio::task::spawn_blocking(move || {
            let mut wanted: Vec<[u8; 32]> = node
                .documents()
                .iter()
                .filter(|d| !d.withdrawn())
                .filter_map(|d| d.body_sha256())
                .filter(|h| !node.blobs.has(h))
                .collect();
            wanted.sort();
            wanted.dedup();
            wanted
        })
        .await
        .unwrap_or_default()
    }

    /// Fetches artefact bodies this node lacks from the peer, verifying each against its hash.
    pub(super) async fn fetch_bodies(
        &self,
        client: &mut FederationClient<Channel>,
        peer: &MemberId,
        wanted: &[[u8; 32]],
    ) {
        for &hash in wanted.iter().take(MAX_BODIES_PER_SYNC) {
            let request = pb::GetBlobRequest { sha256: hash.to_vec() };
            let Ok(resp) = self.within("GetBlob", client.get_blob(request)).await else {
                continue;
            };
            let mut stream = resp.into_inner();
            let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(4);
            let node = self.node.clone();
            let limit = node.config.artefacts.max_bytes;
            let writer = tokio::task::spawn_blocking(move || {
                let reader = BlockingChunks { rx, buf: Vec::new(), pos: 0 };
                node.blobs.put(reader, limit, Some(&hash), &mut Vec::new())
            });
            // A document may be large, so its call has no deadline as a whole, but each chunk
            // must come within `peer_timeout_ms`: a stalled transfer is dropped, not waited on.
            while let Ok(Ok(Some(chunk))) =
                tokio::time::timeout(self.timeout, stream.message()).await
            {
                if tx.send(chunk.data).is_err() {
                    break;
                }
            }
            drop(tx);
            match writer.await {
                Ok(Ok(_)) => {
                    info!(peer = %peer, sha256 = %hex::encode(hash), "fetched and verified a document")
                }
                Ok(Err(e)) => {
                    self.node.log.metrics().record_rejected(peer.as_str(), "document");
                    warn!(peer = %peer, sha256 = %hex::encode(hash), error = %e, "refused a document from a peer");
                }
                Err(_) => {}
            }
        }
    }
}
