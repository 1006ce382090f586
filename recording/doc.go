// Package recording keeps call recordings at least as long as the rules require
// (工信厅信管函〔2018〕337号: 留存通话录音，原则上不少于30日 — CN-S6), and never less.
//
// MinRetention (30 days) is a floor no configuration can lower: a Config asking
// for less is rejected with ErrRetentionTooShort. Profiles may raise it
// (cn-insurance: 5 years; us: 5 years for telemarketing records).
//
// Retention is counted from the end of the call, never from its start, so a
// long call is kept as long after it ended as a short one. A registration
// gives the end (Registration.EndedAt) when it is known; when it is not, the
// registration instant stands for it — the latest the call can have ended
// when the recording is registered after the call — or the start, if later.
// RetainUntil is that end plus the retention. The call's outcome naming the
// recording (Link), reported after the call, lengthens the retention of a
// recording whose end is not known to count from the report. Records stored before
// Recording.EndedAt existed counted from the start and keep the RetainUntil
// they were stored with.
//
// A Manager keeps recording metadata in a Store and deletes media through a Blob
// driver. Delete refuses before a recording's retain-until instant
// (ErrRetentionLocked) and while it is under a legal hold (ErrHeld). A sweep
// (Sweep, Due, SweepDue) waits SweepMargin (an hour, storage.PruneMargin)
// longer: it deletes a recording only once its clock reads RetainUntil plus
// SweepMargin, so that a host of a fleet whose clock runs ahead of the one
// that registered the recording (or that registered it while behind) still
// keeps it the whole retention — never less. The sweeper
// deletes in three durable steps — mark the record "deleting", delete the media,
// delete the metadata — so that a crash at any point leaves neither media without
// metadata nor metadata without media once the next sweep has run, and nothing
// that should be kept is lost. With HoldNew's function set (the complaint
// desk's), a recording about to be deleted first gets the holds of its
// callee's unanswered complaints (under either spelling of a French overseas
// line, Recording.CalleeAlias), so none is deleted while a complaint about
// its callee is open, even one whose own hold missed it (filed while a sweep
// had the recording marked; that sweep failed and put it back); a failed
// look-up leaves the recording in place.
//
// FSBlob takes each media file under one URI only: Register refuses another
// spelling of a file's path ("file:./a.wav" for "file:a.wav"), since the
// sweeper keeps media another recording still names by comparing URIs
// (in that canonical form, FSBlob.CanonicalURI, so that a record an
// earlier build stored under another spelling still counts; and, both
// files being there, as files, FSBlob.SameMedia, since the root follows
// symbolic links: "file:current/a.wav" through a symlinked directory is
// "file:2026/12/a.wav").
//
// Check is the gate check "recording": where a profile requires every call to
// be recorded, a dial is denied recording.not_configured unless a Manager with a
// valid retention policy (at least the profile's retention) is configured. It
// also observes outcomes, linking a reported recording to its decision.
package recording
