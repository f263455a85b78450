// Package hub is lockhub's composition root: it reads the site
// configuration, opens the store, the broker, the sync jobs and the HTTP
// server in order, and stops them in reverse.
//
// # Site configuration
//
// [LoadConfig] and [LoadConfigFile] read one YAML document (at most
// [MaxConfigSize] bytes) into a [Config], strictly: an unknown field is an
// error, so a typo in a door setting fails loudly instead of falling back to
// a default. Then [Config.SetDefaults] fills every zero field with its
// default (each field's comment names it) and [Config.Validate] checks the
// whole file, returning a [*ConfigError] that lists every problem with its
// field path:
//
//	locks[2].offline_horizon: must be positive
//	keys[0].schedule[1].from: time "25:00": want HH:MM between 00:00 and 24:00
//	grants[3].key: unknown key "lobby"
//	nexudus: unknown field "password" (line 41)
//
// Durations accept Go syntax and a days prefix ([Duration]: "30d", "7d12h");
// sizes accept units ([ByteSize]: "64MiB"). configs/hub.example.yaml
// documents every field.
//
// The file holds raw credentials of config members (staff, cleaners), so it
// must be readable by the hub only; the store keeps keyed digests
// ([Config.PolicyRecords] passes each canonical value to the digest function
// and nowhere else), and no error message repeats a credential value. Secrets
// for other systems never appear inline: settings ending in _env or _file
// name where they live, and [Config.Secret] resolves them at startup.
//
// [Config.PolicyRecords] turns the configuration into policy records (domains
// with their zones, locks, accesses with schedules, members with credential
// digests, manual grants), all with origin config.
//
// Cron specs are parsed by [CronParser], which wraps robfig/cron's parser in
// recover(): that parser panics on some malformed specs.
package hub
