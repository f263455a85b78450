package hub

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/lockhub/lockhub/devices"
	"github.com/lockhub/lockhub/internal/keys"
)

// lockNetwork is what the hub needs of the transport serving the locks:
// the embedded *devices.Broker or the *devices.ExternalBroker.
type lockNetwork interface {
	Run(ctx context.Context) error
	Presence() []devices.LockPresence
}

// openMasterKey loads the site master key. The embedded hub makes it on
// first start; in external mode all hubs of a site must share one key (the
// locks' secrets derive from it), so a hub never makes its own.
func openMasterKey(cfg *Config) (*keys.Master, error) {
	path := cfg.MasterKeyPath()
	if !cfg.MQTT.IsExternal() {
		m, err := keys.LoadOrCreate(path)
		if err != nil {
			return nil, fmt.Errorf("open master key: %w", err)
		}
		return m, nil
	}
	m, err := keys.Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open master key: %s does not exist; in external mode (mqtt.mode: external) "+
			"every hub of a site uses the same master key: copy the first hub's key file there (mode 0600) "+
			"instead of letting this hub make its own: %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open master key: %w", err)
	}
	return m, nil
}

// openExternal connects the lock service to the external broker, with the
// hub-to-hub relay on the same connection.
func (h *Hub) openExternal(cfg *Config) error {
	password := ""
	if ref := cfg.MQTT.External.Password(); ref.Configured() {
		var err error
		if password, err = cfg.Secret(ref); err != nil {
			return err
		}
	}
	h.relay = newRelay(h, cfg.Site.ID)
	fwd := lockHandlers{h: h}
	ext, err := devices.NewExternalBroker(externalConfig(cfg, password), devices.ExternalDeps{
		Logger:     h.log,
		Registerer: h.reg,
		Requests:   fwd,
		Events:     fwd,
		States:     fwd,
		Extra:      []devices.ExternalSubscription{{Filter: relayFilter, Handle: h.relay.handle}},
		Now:        h.now,
	})
	if err != nil {
		return fmt.Errorf("start external mqtt client: %w", err)
	}
	h.external, h.lockNet = ext, ext
	h.relay.pub = ext
	h.closers = append(h.closers, func() error { ext.Close(); return nil })
	return h.openService(cfg, ext, ext, relayLockStates{lockStates: lockStates{h.store}, r: h.relay})
}
