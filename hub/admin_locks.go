package hub

import (
	"math"
	"net/http"

	"github.com/lockhub/lockhub/devices"
	"github.com/lockhub/lockhub/internal/store"
	"github.com/lockhub/lockhub/policy"
)

// ProvisionResponse answers lock provisioning and secret rotation. Secret
// is the lock's MQTT password, shown this once (the hub derives it again
// from the master key; it is stored nowhere).
type ProvisionResponse struct {
	Lock         LockJSON `json:"lock"`
	MQTTUsername string   `json:"mqtt_username"`
	Secret       string   `json:"secret"`
}

// provisionLock adds an admin-origin lock: {"id", "domain", "name",
// "fail_mode": "secure"|"safe"}.
func (h *Hub) provisionLock(r *http.Request, actor string) (int, any, error) {
	var b struct {
		ID       string `json:"id"`
		Domain   string `json:"domain"`
		Name     string `json:"name"`
		FailMode string `json:"fail_mode"`
	}
	if err := decodeBody(r, &b); err != nil {
		return 0, nil, err
	}
	if !devices.ValidLockID(b.ID) {
		return 0, nil, errorf(http.StatusBadRequest, "id: want 1 to 64 characters from [A-Za-z0-9._-]")
	}
	if len(b.Name) > 256 {
		return 0, nil, errorf(http.StatusBadRequest, "name: at most 256 bytes")
	}
	l := policy.Lock{ID: b.ID, Domain: b.Domain, Name: b.Name, KeyGeneration: DefaultKeyGeneration, Origin: policy.OriginAdmin}
	switch b.FailMode {
	case "", "secure":
	case "safe":
		l.FailMode = policy.FailSafe
	default:
		return 0, nil, errorf(http.StatusBadRequest, `fail_mode: want "secure" or "safe"`)
	}
	h.reloadMu.Lock() // admin lock writes and config reloads do not interleave
	defer h.reloadMu.Unlock()
	var exists, domain bool
	h.store.View(func(v policy.View) {
		exists = v.Lock(b.ID) != nil
		domain = b.Domain != "" && v.Domain(b.Domain) != nil
	})
	if !domain {
		return 0, nil, errorf(http.StatusBadRequest, "domain: unknown domain %q", b.Domain)
	}
	if exists {
		return 0, nil, errorf(http.StatusConflict, "lock %q exists", b.ID)
	}
	batch := store.NewBatch()
	batch.PutLock(l)
	if err := h.store.Apply(r.Context(), batch); err != nil {
		return 0, nil, err
	}
	if err := h.recordAdmin(r.Context(), adminEvent{Action: "lock_provision", Actor: actor, Lock: l.ID, Domain: l.Domain}); err != nil {
		return 0, nil, err
	}
	h.log.Info("lock provisioned", "lock", l.ID, "domain", l.Domain, "actor", actor)
	return http.StatusCreated, ProvisionResponse{Lock: lockJSON(&l), MQTTUsername: l.ID,
		Secret: h.keys.LockSecret(l.ID, l.KeyGeneration)}, nil
}

// rotateLock raises an admin-provisioned lock's key generation and returns
// the new secret. Config locks rotate through the config file.
func (h *Hub) rotateLock(r *http.Request, actor string) (int, any, error) {
	if err := decodeBody(r, &struct{}{}); err != nil {
		return 0, nil, err
	}
	h.reloadMu.Lock()
	defer h.reloadMu.Unlock()
	l, err := h.knownLock(r)
	if err != nil {
		return 0, nil, err
	}
	if l.Origin != policy.OriginAdmin {
		return 0, nil, errorf(http.StatusConflict,
			"lock %s comes from the %s, not the admin API: raise its key_generation there (site config: edit the file and reload with SIGHUP)", l.ID, originPlace(l.Origin))
	}
	if l.KeyGeneration == math.MaxUint32 {
		return 0, nil, errorf(http.StatusConflict, "lock %s: key generation exhausted", l.ID)
	}
	l.KeyGeneration++
	batch := store.NewBatch()
	batch.PutLock(l)
	if err := h.store.Apply(r.Context(), batch); err != nil {
		return 0, nil, err
	}
	if err := h.recordAdmin(r.Context(), adminEvent{Action: "lock_rotate", Actor: actor, Lock: l.ID, Domain: l.Domain}); err != nil {
		return 0, nil, err
	}
	h.log.Info("lock secret rotated", "lock", l.ID, "key_generation", l.KeyGeneration, "actor", actor)
	return http.StatusOK, ProvisionResponse{Lock: lockJSON(&l), MQTTUsername: l.ID,
		Secret: h.keys.LockSecret(l.ID, l.KeyGeneration)}, nil
}

func originPlace(o policy.Origin) string {
	if o == policy.OriginConfig {
		return "site config"
	}
	return o.String() + " source"
}
