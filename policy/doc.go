// Package policy reads jurisdiction profiles and turns them into a configured
// dialgate.Gate.
//
// A profile is a YAML file (schema "dialgate.profile.v1") with a name, a
// description, a jurisdiction and one section per rule domain — schedule:,
// frequency:, abandonment:, ring:, consent:, dnc:, callerid:, sweep:,
// recording:, complaint: — each the plain-data Config of the check package that owns the
// domain. Every rule in a section carries a dialgate.Citation (source tag L,
// R, S, V or U and a reference), so that Explain can say where it comes from
// and an auditor can tell a legal number from a convention.
//
// Files are read strictly: an unknown key is an error naming the key and its
// line. A profile may extend another ("extends: cn"): the file is merged onto
// its base as an RFC 7386 JSON merge patch (a key replaces the base's, a null
// deletes it, mappings merge key by key, lists are replaced whole) and the
// result is decoded and validated as one profile.
//
// The built-in profiles (Builtins) are embedded in the binary. Build assembles
// the checks of a profile in the fixed order ring, dnc, consent, callerid,
// sweep, schedule, frequency, abandonment (the check "abandon": a campaign's
// abandoned-call rate cap), recording, and stamps the Gate with the
// profile's Version. The ring check (the minimum ring time of an unanswered
// call) never denies: it tells the dialer the minimum on every decision, as
// the evidence "ring.min_seconds".
package policy
