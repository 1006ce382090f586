// Package durable holds the file-system primitives dialgate's files share:
// making a file's appended data durable (SyncData, for the append-only logs:
// the audit log, the embedded store's counter journal), making a directory's
// entries durable (SyncDir: a file created, renamed or removed is not on disk
// until its directory is synced) and creating directories durably
// (MkdirAll: each directory it creates synced into its parent, and removed
// again when that fails, so that a retry syncs it afresh).
package durable
