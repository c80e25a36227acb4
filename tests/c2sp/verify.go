// Command verify checks a metronode log served over HTTP in the C2SP formats with Go's
// transparency-log packages, which the project did not write: golang.org/x/mod/sumdb/note
// opens the checkpoint (a C2SP signed note) with the member's verifier key, and
// golang.org/x/mod/sumdb/tlog checks every hash tile against the checkpoint's root, every
// entry of the entry bundles against its leaf hash, an inclusion proof of the last entry, and
// (when an earlier checkpoint is given) a consistency proof from it. Every entry's own
// signature (signatures/<N>[.p/<W>] beside each entry bundle: 64 bytes per entry, ed25519 over
// "metronode/v1/record\x00" and the entry) is checked with the standard library's ed25519 under
// the verifier key's public key.
//
// Built in GOPATH mode against Debian's golang-golang-x-mod-dev (no module download):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go run verify.go LOG_URL VKEY [OLD_SIZE OLD_ROOT]
//
// LOG_URL is http://host:port/log/<member>. With COSIGNERS set to comma-separated C2SP
// cosigner keys (name+hash+base64(0x04 || ed25519 key)), each must have a valid
// tlog-cosignature/v1 line on the checkpoint, checked with the standard library's ed25519 (the
// note package leaves signatures by keys it was not given unverified).
// Prints one JSON line; exits 1 naming what failed.
package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "verify: "+format+"\n", args...)
	os.Exit(1)
}

func get(url string) []byte {
	resp, err := http.Get(url)
	if err != nil {
		fail("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		fail("GET %s: %d %s", url, resp.StatusCode, body)
	}
	return body
}

// tiles reads C2SP hash tiles: tile/<L>/<N>[.p/<W>], Go's paths without the height element.
type tiles struct {
	base   string
	served int
}

func (t *tiles) Height() int { return 8 }

func (t *tiles) ReadTiles(ts []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(ts))
	for i, tile := range ts {
		out[i] = get(t.base + "/tile/" + strings.TrimPrefix(tile.Path(), "tile/8/"))
		t.served++
	}
	return out, nil
}

func (t *tiles) SaveTiles([]tlog.Tile, [][]byte) {}

func parseHash(s string) tlog.Hash {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw) != tlog.HashSize {
		fail("not a base64 SHA-256 hash: %q", s)
	}
	var h tlog.Hash
	copy(h[:], raw)
	return h
}

func main() {
	if len(os.Args) != 3 && len(os.Args) != 5 {
		fail("usage: verify LOG_URL VKEY [OLD_SIZE OLD_ROOT]")
	}
	base, vkey := strings.TrimSuffix(os.Args[1], "/"), os.Args[2]
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		fail("verifier key: %v", err)
	}
	msg := get(base + "/checkpoint")
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		fail("checkpoint: %v", err)
	}
	// The verifier key is name+hash+base64(0x01 || ed25519 public key): the same key signs
	// the records.
	parts := strings.SplitN(vkey, "+", 3)
	raw, err := base64.StdEncoding.DecodeString(parts[len(parts)-1])
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || raw[0] != 1 {
		fail("verifier key %q: not an ed25519 signed-note key", vkey)
	}
	public := ed25519.PublicKey(raw[1:])
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[0] != verifier.Name() {
		fail("checkpoint origin %q is not the key's name %q", lines[0], verifier.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 1 {
		fail("checkpoint size %q", lines[1])
	}
	tree := tlog.Tree{N: size, Hash: parseHash(lines[2])}
	reader := &tiles{base: base}
	hashes := tlog.TileHashReader(tree, reader)
	root, err := tlog.TreeHash(size, hashes)
	if err != nil || root != tree.Hash {
		fail("the tiles do not hash to the checkpoint's root: %v", err)
	}

	// Every entry, from the entry bundles, against its leaf hash in the tiles.
	var leaves []tlog.Hash
	signatures := 0
	for start := int64(0); start < size; start += 256 {
		w := size - start
		if w > 256 {
			w = 256
		}
		path := tlog.Tile{H: 8, L: -1, N: start / 256, W: int(w)}.Path()
		bundle := get(base + "/tile/entries/" + strings.TrimPrefix(path, "tile/8/data/"))
		sigs := get(base + "/signatures/" + strings.TrimPrefix(path, "tile/8/data/"))
		if int64(len(sigs)) != w*ed25519.SignatureSize {
			fail("signatures of entry bundle %d: %d bytes for %d entries", start/256, len(sigs), w)
		}
		for i := int64(0); i < w; i++ {
			if len(bundle) < 2 {
				fail("entry bundle %d ends early", start/256)
			}
			l := int(binary.BigEndian.Uint16(bundle))
			if len(bundle) < 2+l {
				fail("entry bundle %d: entry %d is cut", start/256, i)
			}
			entry := bundle[2 : 2+l]
			sig := sigs[i*ed25519.SignatureSize : (i+1)*ed25519.SignatureSize]
			signed := append([]byte("metronode/v1/record\x00"), entry...)
			if !ed25519.Verify(public, signed, sig) {
				fail("entry %d: its signature does not verify under the log's key", start+i)
			}
			signatures++
			leaves = append(leaves, tlog.RecordHash(entry))
			bundle = bundle[2+l:]
		}
		if len(bundle) != 0 {
			fail("entry bundle %d has bytes past its %d entries", start/256, w)
		}
	}
	indexes := make([]int64, size)
	for i := range indexes {
		indexes[i] = tlog.StoredHashIndex(0, int64(i))
	}
	stored, err := hashes.ReadHashes(indexes)
	if err != nil {
		fail("leaf hashes: %v", err)
	}
	for i, h := range stored {
		if h != leaves[i] {
			fail("entry %d does not hash to its leaf", i)
		}
	}
	proof, err := tlog.ProveRecord(size, size-1, hashes)
	if err != nil || tlog.CheckRecord(proof, size, tree.Hash, size-1, leaves[size-1]) != nil {
		fail("inclusion of entry %d: %v", size-1, err)
	}
	result := map[string]interface{}{
		"origin": lines[0], "size": size, "entries": len(leaves), "tiles_read": reader.served,
		"signatures_verified": signatures,
		"cosigned_by":         cosigned(n),
	}
	if len(os.Args) == 5 {
		oldSize, err := strconv.ParseInt(os.Args[3], 10, 64)
		if err != nil {
			fail("old size %q", os.Args[3])
		}
		old := parseHash(os.Args[4])
		p, err := tlog.ProveTree(size, oldSize, hashes)
		if err != nil || tlog.CheckTree(p, size, tree.Hash, oldSize, old) != nil {
			fail("the checkpoint is not consistent with the earlier one at %d: %v", oldSize, err)
		}
		result["consistent_with"] = oldSize
	}
	out, _ := json.Marshal(result)
	fmt.Println(string(out))
}

// cosigned checks the cosignature of every key in $COSIGNERS and returns their names.
func cosigned(n *note.Note) []string {
	names := []string{}
	if os.Getenv("COSIGNERS") == "" {
		return names
	}
	for _, k := range strings.Split(os.Getenv("COSIGNERS"), ",") {
		parts := strings.SplitN(k, "+", 3)
		if len(parts) != 3 {
			fail("cosigner key %q", k)
		}
		name := parts[0]
		raw, err := base64.StdEncoding.DecodeString(parts[2])
		if err != nil || len(raw) != 1+ed25519.PublicKeySize || raw[0] != 0x04 {
			fail("cosigner key %q: not an ed25519 cosignature/v1 key", k)
		}
		h := sha256.Sum256(append([]byte(name+"\n"), raw...))
		if hex.EncodeToString(h[:4]) != parts[1] {
			fail("cosigner key %q: the key hash does not match", k)
		}
		found := false
		for _, sig := range n.UnverifiedSigs {
			b, err := base64.StdEncoding.DecodeString(sig.Base64)
			if sig.Name != name || sig.Hash != binary.BigEndian.Uint32(h[:4]) || err != nil || len(b) != 4+8+ed25519.SignatureSize {
				continue
			}
			msg := fmt.Sprintf("cosignature/v1\ntime %d\n", binary.BigEndian.Uint64(b[4:12])) + n.Text
			if ed25519.Verify(ed25519.PublicKey(raw[1:]), []byte(msg), b[12:]) {
				found = true
			}
		}
		if !found {
			fail("no valid cosignature by %s on the checkpoint", name)
		}
		names = append(names, name)
	}
	return names
}
