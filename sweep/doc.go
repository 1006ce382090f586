// Package sweep stops blind dialing through number segments (号段, CN-S4b:
// 不得按号段盲呼) and sequential dialing (Oklahoma, 15 O.S. §755.1(D)). A
// segment is what numbering.Classify says: a Chinese 号段, or for a North
// American number its NPA-NXX (the first 6 national digits).
//
// The [Check] (name "sweep") denies, at run time,
//
//   - a dial that carries no lead provenance: no consent id, lead id or inbound
//     trigger (sweep.no_provenance);
//   - a dial that would make the tenant's recently dialled numbers of one
//     segment a run of consecutive suffixes (ABCD): at least MinRun numbers,
//     each at most MaxGap numbers apart (sweep.sequential). A dialer that
//     counts through a segment, up or down, is stopped once the run shows,
//     and the segment stays closed to the tenant for the window. A run that
//     straddles the boundary between two segments (…139990 to …140009) is
//     one run: each number is also kept in the block of 10,000 numbers
//     centred on the boundary nearest to it, which then closes instead (a
//     run spanning up to 5,000 numbers is seen whole). A French overseas
//     line counts under one spelling (numbering.OverseasLine), so a
//     dialer alternating +33 596… and +596 596… is seen too. With MaxStep
//     ([Sequential]), numbers a fixed step apart are a run too: a dialer
//     walking the segment by a step from MaxGap+2 to MaxStep (…1234, …1241,
//     …1248), whose numbers the gaps do not join, is stopped at its
//     MinRun-th number the same way (the reason's evidence sweep.max_step
//     names the largest step counted). As the gaps tolerate skipped
//     numbers, a walk tolerates up to MaxGap missing members in a row: it
//     goes on from a dialled number to the next one k steps on, k-1 <=
//     MaxGap (…1234, …1241, [1248 left out, or refused by a do-not-call
//     list], …1255), and MinRun dialled members are a run however the
//     missing ones fall (a walk by a multiple k×s of such a step s, k-1 <=
//     MaxGap, is one too). The run
//     state is kept in the Check's memory (one process) or, with [WithRuns],
//     in a storage.Runs shared by a fleet (storage/redisstore,
//     storage/pgstore) or journaled by one process (storage/boltstore,
//     which `dialgate serve` uses): then a sweep whose dials are spread
//     over several processes is seen as on one, and a restart forgets
//     nothing;
//   - a dial that would make the tenant's recently dialled numbers with one
//     suffix (the last four digits) a stride: the same suffix in at least
//     MinRun successive segments of one kind (…0000 1234, …0001 1234,
//     …0002 1234), each at most MaxGap segments apart (Config.Stride;
//     sweep.sequential with evidence sweep.kind "stride"). Each segment sees
//     one number, so neither the segment rate nor the sequential rule sees
//     it. The rule is the sequential rule's machinery under another key:
//     (tenant, suffix, block of successive segments — numbering.Segment.
//     Stride), the value being the segment's index; the suffix then stays
//     closed to the tenant for the window. Its state is kept like the
//     sequential rule's, in memory or in the storage.Runs of [WithRuns],
//     under keys of its own ("sweep/stride/…"). A suffix that steps by a
//     constant (…0000 1234, …0001 1241, …) is not caught;
//   - a dial that would make more than Max distinct numbers of one segment
//     dialled by the tenant within a sliding window (sweep.segment_rate). The
//     segment counter is a reservation in storage.Counters, taken in Commit
//     only when every check passed and given back by Release. It keeps the
//     segment's numbers storage.PruneMargin (an hour) past the window, so
//     that a dial decided by a clock up to an hour behind the reserving one
//     (another host of a fleet, or a clock stepped back) still counts every
//     number its window holds.
//
// Thresholds are the profile's for every tenant, except a tenant named in
// Config.Tenants: it is held to the segment_rate, sequential and stride
// rules it gives, each at least as strict as the profile's ([TenantRules]),
// and to the profile's for a rule it does not give.
//
// [Screen] does the same before a campaign, on a whole dial list: it reports per
// number whether it is allowed, invalid, a duplicate, on a do-not-call list,
// part of a sequential run (with MaxStep, of a fixed-step progression too)
// or of a stride (both sweep.sequential), or in a segment the list covers too densely, and a
// summary by segment. [ReadList] reads the list (one number a line, or CSV).
//
// Raw callee numbers never appear in reasons or evidence: only the segment and,
// for runs, the run's length.
package sweep
