package hub

import (
	"fmt"
	"net/http"
)

// MinBackupPassphrase is the shortest passphrase the API accepts.
const MinBackupPassphrase = 12

// backupHandler streams an encrypted archive of the running hub:
// POST /api/admin/backup {"passphrase": "...", "iterations": n}. The
// passphrase travels in the body (never a URL or a header): serve the admin
// API over TLS or on loopback. Once the archive has started, an error can
// only abort the connection; the archive then lacks its final chunk, which
// every reader detects (VerifyBackup).
func (h *Hub) backupHandler(w http.ResponseWriter, r *http.Request) {
	actor, err := actorOf(r)
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	var b struct {
		Passphrase string `json:"passphrase"`
		Iterations int    `json:"iterations"` // 0: DefaultBackupIterations
	}
	if err := decodeBody(r, &b); err != nil {
		h.writeErr(w, r, err)
		return
	}
	switch {
	case len(b.Passphrase) < MinBackupPassphrase:
		h.writeErr(w, r, errorf(http.StatusBadRequest, "passphrase: at least %d characters", MinBackupPassphrase))
		return
	case b.Iterations < 0 || b.Iterations > MaxBackupIterations:
		h.writeErr(w, r, errorf(http.StatusBadRequest, "iterations: 0 (default %d) to %d", DefaultBackupIterations, MaxBackupIterations))
		return
	}
	name := fmt.Sprintf("lockhub-%s-%s.lhb", h.Config().Site.ID, h.now().UTC().Format("20060102T150405Z"))
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	if _, err := h.Backup(r.Context(), w, BackupOptions{Passphrase: b.Passphrase, Iterations: b.Iterations}, actor); err != nil {
		h.log.Error("backup failed; the client gets a truncated archive", "error", err)
		panic(http.ErrAbortHandler)
	}
}
