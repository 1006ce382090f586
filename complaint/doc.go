// Package complaint handles complaints about calls (工信厅信管函〔2018〕337号
// CN-S15: 建立骚扰电话举报处置机制，及时核实处置用户举报并向被举报人反馈).
//
// Filing a complaint, in this order:
//
//  1. puts the number on the do-not-call list at once (list "complaints", in the
//     complaint's scope, global by default), so that the next Check denies;
//  2. places a legal hold on the callee's recordings (when the Desk has a
//     RecordingHolder), so the evidence is kept
//     past the 30-day floor until the complaint is answered (HoldGuard); a
//     recording of the callee registered later (the call the complaint was
//     made during) gets the hold too, through RecordingHolds;
//  3. stores the complaint with its handling clock: forward within 3 working
//     days, handle within 15 working days after the forwarding deadline,
//     answer the complainant within 3 working days after the handling
//     deadline — the deadlines of the MIIT 2020 draft rules on voice-call
//     services [S], configurable (Config). They are fixed at filing: each
//     counts from the deadline before it, not from when the step before was
//     done.
//
// Working days are those of the Desk's Calendar, in its zone: Monday to
// Friday without one (Weekdays, which knows no public holidays); give the
// profile's holiday calendar, with its make-up working days, for statutory
// holidays. A deadline is the instant the allowed time ends, midnight after
// the last working day allowed (see AddWorkdays).
//
// Complaints past a deadline are reported as overdue by List and ListPage.
package complaint
