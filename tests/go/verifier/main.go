// Command verifier checks a Jiaxin registry's transparency log over its public HTTP endpoints
// with Go's golang.org/x/mod/sumdb/note and sumdb/tlog packages: a second, independent
// implementation of C2SP signed notes and RFC 6962 / RFC 9162 proofs.
//
//	verifier BASE_URL
//	verifier -tiles PREFIX     (a c2sp.org/tlog-tiles mirror: tlog.TileHashReader, see runTiles)
//	verifier -note VKEY FILE   (note.Open one signed note, e.g. a bulletin manifest; print its text)
//
// It fetches /api/v1/log/key (one verifier key a line), verifies the latest checkpoint with
// note.Open, then for every entry checks its leaf hash (tlog.RecordHash) and its inclusion
// proof (tlog.CheckRecord), recomputes every checkpoint's root from the leaves
// (tlog.StoredHashesForRecordHash + tlog.TreeHash), verifies every listed checkpoint's
// signature and its consistency proofs to the next and to the latest (tlog.CheckTree), and
// checks consistency proofs between all pairs of small sizes. It prints "ok N" and exits 0,
// or prints what failed and exits 1.
//
// Build it without a module proxy: GO111MODULE=off GOPATH=<tmp>:/usr/share/gocode go build.
package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const pairsUpTo = 40 // consistency proofs between every pair of sizes up to this one

var client = &http.Client{Timeout: 30 * time.Second}

func get(base, path string) ([]byte, error) {
	resp, err := client.Get(base + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d: %s", path, resp.StatusCode, body)
	}
	return body, nil
}

func getJSON(base, path string, v any) error {
	body, err := get(base, path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: %v", path, err)
	}
	return nil
}

type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
}

func decodeHash(s string) (tlog.Hash, error) {
	var h tlog.Hash
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw) != tlog.HashSize {
		return h, fmt.Errorf("bad hash %q", s)
	}
	copy(h[:], raw)
	return h, nil
}

func decodeHashes(items []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, 0, len(items))
	for _, s := range items {
		h, err := decodeHash(s)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}

// openCheckpoint verifies a signed checkpoint with the known keys and parses its text
// (c2sp.org/tlog-checkpoint: origin, decimal size, base64 root).
func openCheckpoint(msg []byte, verifiers note.Verifiers, origin string) (checkpoint, error) {
	var cp checkpoint
	n, err := note.Open(msg, verifiers)
	if err != nil {
		return cp, fmt.Errorf("note.Open: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(n.Text, "\n"), "\n")
	if len(lines) < 3 {
		return cp, errors.New("checkpoint has fewer than three lines")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return cp, fmt.Errorf("bad checkpoint size %q", lines[1])
	}
	root, err := decodeHash(lines[2])
	if err != nil {
		return cp, err
	}
	if lines[0] != origin {
		return cp, fmt.Errorf("checkpoint origin %q is not %q", lines[0], origin)
	}
	return checkpoint{lines[0], size, root}, nil
}

func consistency(base string, from, to int64) (tlog.TreeProof, error) {
	var answer struct {
		From   int64    `json:"from"`
		To     int64    `json:"to"`
		Hashes []string `json:"hashes"`
	}
	if err := getJSON(base, fmt.Sprintf("/api/v1/log/proofs/consistency?from=%d&to=%d", from, to), &answer); err != nil {
		return nil, err
	}
	if answer.From != from || answer.To != to {
		return nil, fmt.Errorf("consistency proof %d→%d: answer is for %d→%d", from, to, answer.From, answer.To)
	}
	hashes, err := decodeHashes(answer.Hashes)
	return tlog.TreeProof(hashes), err
}

// storedReader reads the stored hashes computed so far (tlog.StoredHashesForRecordHash appends them).
func storedReader(stored *[]tlog.Hash) tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(indexes))
		for i, x := range indexes {
			if x < 0 || x >= int64(len(*stored)) {
				return nil, fmt.Errorf("stored hash %d not computed", x)
			}
			out[i] = (*stored)[x]
		}
		return out, nil
	})
}

func run(base string) (int64, error) {
	keys, err := get(base, "/api/v1/log/key")
	if err != nil {
		return 0, err
	}
	var list []note.Verifier
	for _, line := range strings.Split(strings.TrimSpace(string(keys)), "\n") {
		v, err := note.NewVerifier(line)
		if err != nil {
			return 0, fmt.Errorf("note.NewVerifier(%q): %v", line, err)
		}
		list = append(list, v)
	}
	if len(list) == 0 {
		return 0, errors.New("no verifier key")
	}
	origin := list[0].Name()
	verifiers := note.VerifierList(list...)

	signed, err := get(base, "/api/v1/log/checkpoint")
	if err != nil {
		return 0, err
	}
	latest, err := openCheckpoint(signed, verifiers, origin)
	if err != nil {
		return 0, fmt.Errorf("latest checkpoint: %v", err)
	}

	// Every entry: its leaf hash, and its inclusion proof in the latest tree.
	var stored []tlog.Hash
	reader := storedReader(&stored)
	for i := int64(0); i < latest.size; i++ {
		var entry struct {
			Index    int64  `json:"index"`
			Body     string `json:"body"`
			LeafHash string `json:"leaf_hash"`
		}
		if err := getJSON(base, fmt.Sprintf("/api/v1/log/entries/%d", i), &entry); err != nil {
			return 0, err
		}
		body, err := base64.StdEncoding.DecodeString(entry.Body)
		if err != nil || entry.Index != i {
			return 0, fmt.Errorf("entry %d: bad answer", i)
		}
		leaf := tlog.RecordHash(body)
		served, err := decodeHash(entry.LeafHash)
		if err != nil || served != leaf {
			return 0, fmt.Errorf("entry %d: leaf hash does not match its body", i)
		}
		var answer struct {
			Index  int64    `json:"index"`
			Size   int64    `json:"size"`
			Hashes []string `json:"hashes"`
		}
		if err := getJSON(base, fmt.Sprintf("/api/v1/log/proofs/inclusion?index=%d&size=%d", i, latest.size), &answer); err != nil {
			return 0, err
		}
		proof, err := decodeHashes(answer.Hashes)
		if err != nil {
			return 0, fmt.Errorf("entry %d: %v", i, err)
		}
		if err := tlog.CheckRecord(tlog.RecordProof(proof), latest.size, latest.root, i, leaf); err != nil {
			return 0, fmt.Errorf("entry %d: tlog.CheckRecord: %v", i, err)
		}
		hashes, err := tlog.StoredHashesForRecordHash(i, leaf, reader)
		if err != nil {
			return 0, err
		}
		stored = append(stored, hashes...)
	}
	root, err := tlog.TreeHash(latest.size, reader)
	if err != nil || root != latest.root {
		return 0, fmt.Errorf("tlog.TreeHash(%d) does not give the latest checkpoint's root", latest.size)
	}

	// Every listed checkpoint: signed, the root of its entries, consistent with the next and the latest.
	var listed []checkpoint
	for page := 1; ; page++ {
		var items []struct {
			Size       int64  `json:"size"`
			Checkpoint string `json:"checkpoint"`
		}
		if err := getJSON(base, fmt.Sprintf("/api/v1/log/checkpoints?page=%d&page_size=100", page), &items); err != nil {
			return 0, err
		}
		for _, item := range items {
			cp, err := openCheckpoint([]byte(item.Checkpoint), verifiers, origin)
			if err != nil {
				return 0, fmt.Errorf("listed checkpoint of size %d: %v", item.Size, err)
			}
			if cp.size != item.Size {
				return 0, fmt.Errorf("listed checkpoint of size %d says %d", item.Size, cp.size)
			}
			listed = append(listed, cp)
		}
		if len(items) < 100 {
			break
		}
	}
	for i, cp := range listed { // newest first
		if cp.size > latest.size {
			continue
		}
		if th, err := tlog.TreeHash(cp.size, reader); err != nil || th != cp.root {
			return 0, fmt.Errorf("checkpoint of size %d: root differs from the entries", cp.size)
		}
		next := latest
		if i > 0 && listed[i-1].size <= latest.size {
			next = listed[i-1]
		}
		for _, to := range []checkpoint{next, latest} {
			proof, err := consistency(base, cp.size, to.size)
			if err != nil {
				return 0, err
			}
			if err := tlog.CheckTree(proof, to.size, to.root, cp.size, cp.root); err != nil {
				return 0, fmt.Errorf("checkpoint %d → %d: tlog.CheckTree: %v", cp.size, to.size, err)
			}
		}
	}

	// Consistency between every pair of small sizes, against roots computed here.
	limit := latest.size
	if limit > pairsUpTo {
		limit = pairsUpTo
	}
	for n := int64(1); n <= limit; n++ {
		rn, err := tlog.TreeHash(n, reader)
		if err != nil {
			return 0, err
		}
		for m := int64(1); m <= n; m++ {
			rm, err := tlog.TreeHash(m, reader)
			if err != nil {
				return 0, err
			}
			proof, err := consistency(base, m, n)
			if err != nil {
				return 0, err
			}
			if err := tlog.CheckTree(proof, n, rn, m, rm); err != nil {
				return 0, fmt.Errorf("sizes %d → %d: tlog.CheckTree: %v", m, n, err)
			}
		}
	}
	return latest.size, nil
}

// tilePath writes a tile's c2sp.org/tlog-tiles path: tile/<L>/<N>[.p/<W>], N in 3-digit elements,
// all but the last prefixed with x. (tlog.Tile.Path writes the sumdb layout, with the height in it.)
func tilePath(t tlog.Tile) string {
	return "tile/" + strconv.Itoa(t.L) + "/" + indexPath(t.N) + widthSuffix(t.W)
}

func entriesPath(n int64, w int) string {
	return "tile/entries/" + indexPath(n) + widthSuffix(w)
}

func indexPath(n int64) string {
	s := fmt.Sprintf("%03d", n%1000)
	for n /= 1000; n > 0; n /= 1000 {
		s = fmt.Sprintf("x%03d/", n%1000) + s
	}
	return s
}

func widthSuffix(w int) string {
	if w == 1<<8 {
		return ""
	}
	return fmt.Sprintf(".p/%d", w)
}

// tileReader fetches tiles of height 8 from a tlog-tiles prefix, for tlog.TileHashReader, and keeps
// those TileHashReader has checked (SaveTiles) so that each is fetched once.
type tileReader struct {
	base  string
	saved map[string][]byte
}

func (r *tileReader) Height() int { return 8 }

func (r *tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		if data, ok := r.saved[tilePath(t)]; ok {
			out[i] = data
			continue
		}
		data, err := get(r.base, "/"+tilePath(t))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (r *tileReader) SaveTiles(tiles []tlog.Tile, data [][]byte) {
	for i, t := range tiles {
		r.saved[tilePath(t)] = data[i]
	}
}

// runTiles is `verifier -tiles PREFIX`: the log as a mirror serves it. tlog.TileHashReader reads
// the hashes through tiles it checks against the signed tree; tlog.TreeHash recomputes the root;
// every entry of every bundle must hash (tlog.RecordHash) to its leaf; and the entries, hashed into
// stored hashes of our own, must give the root and every hash of every tile.
func runTiles(base string) (int64, int, error) {
	keys, err := get(base, "/key")
	if err != nil {
		return 0, 0, err
	}
	var list []note.Verifier
	for _, line := range strings.Split(strings.TrimSpace(string(keys)), "\n") {
		v, err := note.NewVerifier(line)
		if err != nil {
			return 0, 0, fmt.Errorf("note.NewVerifier(%q): %v", line, err)
		}
		list = append(list, v)
	}
	if len(list) == 0 {
		return 0, 0, errors.New("no verifier key")
	}
	signed, err := get(base, "/checkpoint")
	if err != nil {
		return 0, 0, err
	}
	cp, err := openCheckpoint(signed, note.VerifierList(list...), list[0].Name())
	if err != nil {
		return 0, 0, fmt.Errorf("checkpoint: %v", err)
	}
	tree := tlog.Tree{N: cp.size, Hash: cp.root}
	reader := &tileReader{base, map[string][]byte{}}
	hashes := tlog.TileHashReader(tree, reader)
	root, err := tlog.TreeHash(cp.size, hashes)
	if err != nil {
		return 0, 0, fmt.Errorf("tlog.TreeHash over the tiles: %v", err)
	}
	if root != cp.root {
		return 0, 0, errors.New("the tiles' root is not the checkpoint's")
	}
	// The entries again, into stored hashes of our own (tlog.StoredHashesForRecordHash): the root they
	// give, and every tile compared hash by hash. TileHashReader does not authenticate a full tile
	// whose parent tile also holds several of the tree hash's subtrees (its loop over the tiles to
	// authenticate starts past them by their count, not by the tiles'), so it is not relied on alone.
	var stored []tlog.Hash
	own := storedReader(&stored)
	bundles := 0
	for n := int64(0); n*256 < cp.size; n++ {
		w := 256
		if left := cp.size - n*256; left < 256 {
			w = int(left)
		}
		data, err := get(base, "/"+entriesPath(n, w))
		if err != nil {
			return 0, 0, err
		}
		indexes := make([]int64, w)
		for k := range indexes {
			indexes[k] = tlog.StoredHashIndex(0, n*256+int64(k))
		}
		leaves, err := hashes.ReadHashes(indexes)
		if err != nil {
			return 0, 0, fmt.Errorf("leaves of bundle %d: %v", n, err)
		}
		for k := 0; k < w; k++ {
			if len(data) < 2 {
				return 0, 0, fmt.Errorf("%s: ends before entry %d", entriesPath(n, w), k)
			}
			size := int(data[0])<<8 | int(data[1])
			if len(data) < 2+size {
				return 0, 0, fmt.Errorf("%s: entry %d is cut short", entriesPath(n, w), k)
			}
			index := n*256 + int64(k)
			leaf := tlog.RecordHash(data[2 : 2+size])
			if leaf != leaves[k] {
				return 0, 0, fmt.Errorf("entry %d: tlog.RecordHash is not its leaf in the tiles", index)
			}
			more, err := tlog.StoredHashesForRecordHash(index, leaf, own)
			if err != nil {
				return 0, 0, err
			}
			stored = append(stored, more...)
			data = data[2+size:]
		}
		if len(data) != 0 {
			return 0, 0, fmt.Errorf("%s: bytes after entry %d", entriesPath(n, w), w-1)
		}
		bundles++
	}
	if root, err := tlog.TreeHash(cp.size, own); err != nil || root != cp.root {
		return 0, 0, fmt.Errorf("the entries do not give the checkpoint's root (%v)", err)
	}
	for L := 0; cp.size>>(8*L) > 0; L++ {
		count := cp.size >> (8 * L)
		for n := int64(0); n*256 < count; n++ {
			w := 256
			if left := count - n*256; left < 256 {
				w = int(left)
			}
			t := tlog.Tile{H: 8, L: L, N: n, W: w}
			data, err := get(base, "/"+tilePath(t))
			if err != nil {
				return 0, 0, err
			}
			if len(data) != w*tlog.HashSize {
				return 0, 0, fmt.Errorf("%s: %d bytes, not %d hashes", tilePath(t), len(data), w)
			}
			for k := 0; k < w; k++ {
				want := stored[tlog.StoredHashIndex(8*L, n*256+int64(k))]
				if string(data[k*tlog.HashSize:(k+1)*tlog.HashSize]) != string(want[:]) {
					return 0, 0, fmt.Errorf("%s: hash %d is not the entries' own", tilePath(t), k)
				}
			}
		}
	}
	return cp.size, bundles, nil
}

// openNote is `verifier -note VKEY FILE`: note.Open one signed note (a bulletin manifest) with one
// verifier key and print its text.
func openNote(vkey, path string) error {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return fmt.Errorf("note.NewVerifier: %v", err)
	}
	msg, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return fmt.Errorf("note.Open: %v", err)
	}
	fmt.Print(n.Text)
	return nil
}

func main() {
	if len(os.Args) == 4 && os.Args[1] == "-note" {
		if err := openNote(os.Args[2], os.Args[3]); err != nil {
			fmt.Fprintln(os.Stderr, "FAIL:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) == 3 && os.Args[1] == "-tiles" {
		size, bundles, err := runTiles(strings.TrimRight(os.Args[2], "/"))
		if err != nil {
			fmt.Fprintln(os.Stderr, "FAIL:", err)
			os.Exit(1)
		}
		fmt.Printf("ok %d %d\n", size, bundles)
		return
	}
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: verifier BASE_URL | verifier -tiles PREFIX | verifier -note VKEY FILE")
		os.Exit(2)
	}
	size, err := run(strings.TrimRight(os.Args[1], "/"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		os.Exit(1)
	}
	fmt.Printf("ok %d\n", size)
}
