package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/lockhub/lockhub/hub"
	"github.com/lockhub/lockhub/internal/keys"
	"github.com/lockhub/lockhub/internal/store"
	"github.com/lockhub/lockhub/policy"
	"github.com/lockhub/lockhub/simulators/responder"
)

// The benchmark site: one domain, Locks locks all in one key ("all"),
// Members members with one card each (responder.CardValue(i)) and
// GrantsPer grants each on that key, valid from yesterday for 30 days.
const (
	siteDomain = "hq"
	siteKey    = "all"
)

// LockID is the id of lock i of the benchmark site.
func LockID(i int) string { return fmt.Sprintf("lock-%05d", i) }

// siteConfig is the hub configuration of the benchmark site.
func siteConfig(dataDir string, locks int, durability string) *hub.Config {
	cfg := &hub.Config{
		Site:    hub.SiteConfig{ID: "bench", DataDir: dataDir, Durability: hub.Durability(durability)},
		Domains: []hub.DomainConfig{{ID: siteDomain, Name: "Bench", Zone: "UTC"}},
		Keys:    []hub.KeyConfig{{ID: siteKey, Domain: siteDomain, Name: "All doors"}},
	}
	for i := range locks {
		cfg.Locks = append(cfg.Locks, hub.LockConfig{ID: LockID(i), Domain: siteDomain})
		cfg.Keys[0].Locks = append(cfg.Keys[0].Locks, LockID(i))
	}
	cfg.MQTT.Listeners.TCP.Address = "127.0.0.1:0"
	cfg.MQTT.MaxClients = locks + 1000
	cfg.HTTP.Address = "127.0.0.1:0"
	return cfg
}

// seedSite writes the members and grants of the benchmark site into the
// store under dataDir (made, with the master key, if absent), as the hub
// would hold them after a sync. The hub then opens them cold.
func seedSite(dataDir string, locks, members, grantsPer int) (time.Duration, error) {
	start := time.Now()
	m, err := keys.LoadOrCreate(filepath.Join(dataDir, "master.key"))
	if err != nil {
		return 0, fmt.Errorf("seed: master key: %w", err)
	}
	s, err := store.Open(store.Config{Dir: filepath.Join(dataDir, "store")})
	if err != nil {
		return 0, fmt.Errorf("seed: open store: %w", err)
	}
	if err := applySeed(s, m, locks, members, grantsPer); err != nil {
		s.Close()
		return 0, err
	}
	return time.Since(start), s.Close()
}

func applySeed(s *store.Store, m *keys.Master, locks, members, grantsPer int) error {
	b := store.NewBatch()
	b.PutDomain(policy.Domain{ID: siteDomain, Name: "Bench", Zone: time.UTC, Origin: policy.OriginConfig})
	acc := policy.Access{ID: siteKey, Domain: siteDomain, Name: "All doors", Origin: policy.OriginConfig}
	for i := range locks {
		b.PutLock(policy.Lock{ID: LockID(i), Domain: siteDomain, KeyGeneration: 1, Origin: policy.OriginConfig})
		acc.Locks = append(acc.Locks, LockID(i))
	}
	b.PutAccess(acc)
	now := time.Now()
	for i := range members {
		id := fmt.Sprintf("member-%06d", i)
		card, err := m.Digest(policy.CredCard, responder.CardValue(i))
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		b.PutMember(policy.Member{ID: id, Domain: siteDomain, Name: "Member " + id, Status: policy.StatusActive, Origin: policy.OriginAdmin},
			[]policy.Credential{card})
		for j := range grantsPer {
			b.PutGrant(policy.Grant{GrantKey: policy.GrantKey{Origin: policy.OriginAdmin, Kind: policy.KindManual, Reference: fmt.Sprintf("%s/%d", id, j)},
				Member: id, Access: siteKey, From: now.AddDate(0, 0, -1-j), Until: now.AddDate(0, 0, 30+j)})
		}
	}
	if err := s.Apply(context.Background(), b); err != nil {
		return fmt.Errorf("seed: apply: %w", err)
	}
	if c := s.Counts(); c.Members != members || c.Grants != members*grantsPer {
		return fmt.Errorf("seed: store holds %d members, %d grants; want %d, %d", c.Members, c.Grants, members, members*grantsPer)
	}
	return nil
}
