// Package complaint handles complaints about calls (工信厅信管函〔2018〕337号
// CN-S15: 建立骚扰电话举报处置机制，及时核实处置用户举报并向被举报人反馈).
//
// Filing a complaint, in this order:
//
//  1. puts the number on the do-not-call list at once (list "complaints", in the
//     complaint's scope, global by default), so that the next Check denies;
//  2. places a legal hold on the callee's recordings, so the evidence is kept
//     past the 30-day floor until the complaint is answered (HoldGuard); a
//     recording of the callee registered later (the call the complaint was
//     made during) gets the hold too, through RecordingHolds;
//  3. stores the complaint with its handling clock: forward within 3 working
//     days, handle within 15 working days after that, answer the complainant
//     within 3 working days of handling — the deadlines of the MIIT 2020 draft
//     rules on voice-call services [S], configurable.
//
// Complaints past a deadline are reported as overdue by List.
package complaint
