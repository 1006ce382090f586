// Package report computes the quarterly report a call centre files on its
// handling of harassing calls (工信厅信管函〔2018〕337号 CN-S16: 按季度将治理工作情况
// 总结报…): dials decided, allowed and denied by reason code, do-not-call
// additions by source, complaints and their status, recordings kept, held and
// deleted, and the policy versions in force; and, from the outcomes dialers
// report, each campaign's abandoned-call rate (Abandonment) and its
// unanswered calls that rang less than the minimum ring time their decisions
// carried (RingTime: one-ring calls, 响一声), flagging the unanswered calls
// reported without a ring time, which cannot be checked. dialgate enforces
// neither; it measures them.
//
// It reads the decision audit log (package auditlog) and the stores; it writes
// JSON, CSV, and a self-contained HTML page with inline SVG charts. A log line
// that is not a valid record, a file whose last line does not end in a
// newline (auditlog.ErrTorn: Repair would cut it off), or a broken hash
// chain (ErrAuditChain: an edited
// record, records missing or out of order, another log spliced in), makes
// Build fail. Build checks neither signatures nor checkpoints: the chain has
// no key, so an edit followed by every later hash recomputed, or records cut
// off the end, is caught only by auditlog.Verify (`dialgate audit verify`,
// with a checkpoint kept outside the log); run it first, and give Build
// what it verified (Sources.Verification): Build then counts a log only if
// the records it reads are the tree verified (ErrNotVerified otherwise),
// so that nothing changed in between is counted. CSV cells that a
// spreadsheet would run as a formula (=, +, -, @, tab, carriage return;
// after any apostrophes the text starts with) get a leading apostrophe;
// plain numbers (-12, +8613800138000) are written as they are.
package report
