// Package callerid keeps the caller-ID ledger of a call centre and checks the
// caller ID of every dial against it.
//
// The ledger (CN-S7) records, for every numbering resource a tenant may present
// as caller ID, its resource type (95, 96, 400, 800, fixed line or allocated
// mobile business line), its holder, access information, the holder's
// qualification, the purposes it may be used for, its validity and whether it is
// for office use only. The [Check] (name "callerid") denies a dial whose caller
// ID
//
//   - is missing (callerid.missing) or malformed (a +86 number of no class, or
//     of the fixed-line shape but no line of the plan: an area code not in
//     use, a digit added or dropped; numbering.AssignedFixedLine), an SMS
//     port, or a +86 number presented over an international route
//     (callerid.invalid, CN-S10/11);
//   - is an ordinary mobile number the ledger does not mark as an allocated
//     business line (callerid.subscriber_number, CN-S2);
//   - is an inbound-only 400 or 800 number (callerid.inbound_only);
//   - is not in the tenant's ledger (callerid.not_in_ledger, CN-S2);
//   - is used for a purpose the ledger does not list, or is office-use only
//     (callerid.purpose_mismatch, CN-S7, CN-S8);
//   - is outside its validity (callerid.expired, CN-S7).
//
// The ledger is held in memory, indexed by tenant and number, and refreshed from
// the [Store] when the store's ledger version changes, so a check costs a map
// lookup. Ledger files (CSV or JSON lines) are read with [ParseLedger] and
// written with [WriteLedgerCSV], whose holder, access and qualification cells
// are neutralised for spreadsheets (a leading apostrophe before a formula,
// removed again by ParseLedger).
// A writer that must say what a write replaces writes with
// [ConditionalStore.PutLedgerIf] (or [PutLedgerChecked]), which refuses a
// write another writer got ahead of.
package callerid
